import { and, desc, eq, gt, gte, ilike, lt, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { auditEvents } from "@/db/schema";
import { command, query } from "../operation";

const DateField = z.iso.date("Use a date like 2026-11-23.").optional();

export const AuditListInput = z
  .object({
    action: z.string().trim().max(60).optional(),
    actor: z.string().trim().max(80).optional(),
    entityType: z.string().trim().max(40).optional(),
    entityId: z.string().trim().max(80).optional(),
    from: DateField,
    to: DateField,
    before: z.coerce.number().int().positive("This page link is damaged. Go back to the first page.").optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

export type AuditFilter = z.output<typeof AuditListInput>;

function auditWhere(f: AuditFilter): SQL | undefined {
  return and(
    f.action ? ilike(auditEvents.action, `${f.action.replace(/[\\%_]/g, "\\$&")}%`) : undefined,
    f.actor ? ilike(auditEvents.actorName, `%${f.actor.replace(/[\\%_]/g, "\\$&")}%`) : undefined,
    f.entityType ? eq(auditEvents.entityType, f.entityType) : undefined,
    f.entityId ? eq(auditEvents.entityId, f.entityId) : undefined,
    f.from ? gte(auditEvents.createdAt, sql`${f.from}::date`) : undefined,
    f.to ? lt(auditEvents.createdAt, sql`${f.to}::date + 1`) : undefined,
  );
}

export const listAuditEvents = query({
  name: "audit.list",
  permission: "audit.read",
  input: AuditListInput,
  async run({ db, input }) {
    const rows = await db
      .select()
      .from(auditEvents)
      .where(and(auditWhere(input), input.before ? lt(auditEvents.seq, input.before) : undefined))
      .orderBy(desc(auditEvents.seq))
      .limit(input.limit + 1);
    const page = rows.slice(0, input.limit);
    return { rows: page, nextBefore: rows.length > input.limit ? page.at(-1)!.seq : null };
  },
});

export type ChainReport =
  | { ok: true; checked: number; lastSeq: number | null }
  | { ok: false; checked: number; brokenAt: number; problem: string };

/**
 * Recomputes every row's hash and link in the database (AUD-05). Reports the first broken link:
 * a row whose content no longer matches its hash, a row whose back-link is wrong, or a gap left by
 * a deleted row.
 */
export async function checkAuditChain(db: Db): Promise<ChainReport> {
  const rows = await queryRows<{ seq: string | null; problem: string; checked: string }>(db, sql`
    WITH chain AS (
      SELECT seq, prev_hash, row_hash, audit_event_hash(a) AS recomputed,
             lag(row_hash) OVER (ORDER BY seq) AS expected_prev,
             lag(seq) OVER (ORDER BY seq) AS prev_seq
      FROM audit_events a
    ), broken AS (
      SELECT seq,
             CASE
               WHEN seq <> COALESCE(prev_seq, 0) + 1 THEN 'a row before it is missing (deleted)'
               WHEN prev_hash <> COALESCE(expected_prev, repeat('0', 64)) THEN 'its link to the previous row is wrong'
               ELSE 'its content was changed after it was written'
             END AS problem
      FROM chain
      WHERE seq <> COALESCE(prev_seq, 0) + 1
         OR prev_hash <> COALESCE(expected_prev, repeat('0', 64))
         OR row_hash <> recomputed
      ORDER BY seq LIMIT 1
    )
    SELECT b.seq::text AS seq, b.problem, (SELECT count(*) FROM audit_events)::text AS checked
    FROM (SELECT 1) one LEFT JOIN broken b ON true`);
  const row = rows[0]!;
  const checked = Number(row.checked);
  if (row.seq) return { ok: false, checked, brokenAt: Number(row.seq), problem: row.problem };
  const [last] = await db.select({ seq: auditEvents.seq }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  return { ok: true, checked, lastSeq: last?.seq ?? null };
}

/** On-demand verification from the Audit page; the check itself is recorded. */
export const verifyAuditChain = command({
  name: "audit.verify",
  permission: "audit.read",
  input: z.object({}).strict(),
  async run({ tx, audit }) {
    const report = await checkAuditChain(tx);
    await audit({ action: "audit.verify", entityType: "audit_trail", outcome: report.ok ? "success" : "failure", after: report });
    return report;
  },
});

export const AUDIT_CSV_COLUMNS = [
  "seq", "created_at", "actor_type", "actor_id", "actor_name", "action", "outcome", "entity_type", "entity_id",
  "changed_fields", "before", "after", "reason", "source_ip", "user_agent", "prev_hash", "row_hash",
] as const;

/** Records that an export happened (AUD-08) and returns the filter to stream with `auditCsvRows`. */
export const startAuditExport = command({
  name: "audit.export",
  permission: "audit.export",
  input: AuditListInput.omit({ before: true, limit: true }),
  async run({ input, audit }) {
    await audit({ action: "audit.export", entityType: "audit_trail", after: { ...input, format: "csv" } });
    return { ...input, limit: 1000 } as AuditFilter;
  },
});

/** One quoted CSV cell; shared with the compliance export. */
export function csvCell(v: unknown): string {
  if (v == null) return "";
  const s = v instanceof Date ? v.toISOString() : typeof v === "object" ? JSON.stringify(v) : String(v);
  // Quote always; neutralise spreadsheet formulas (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** Streams the matching rows oldest-first in pages, so an export never holds the whole trail in memory. */
export async function* auditCsvRows(db: Db, f: AuditFilter): AsyncGenerator<string> {
  yield AUDIT_CSV_COLUMNS.join(",") + "\r\n";
  let after = 0;
  for (;;) {
    const rows = await db
      .select()
      .from(auditEvents)
      .where(and(auditWhere(f), gt(auditEvents.seq, after)))
      .orderBy(auditEvents.seq)
      .limit(1000);
    for (const r of rows) {
      yield [
        r.seq, r.createdAt, r.actorType, r.actorId, r.actorName, r.action, r.outcome, r.entityType, r.entityId,
        r.changedFields?.join(" "), r.before, r.after, r.reason, r.sourceIp, r.userAgent, r.prevHash, r.rowHash,
      ].map(csvCell).join(",") + "\r\n";
    }
    if (rows.length < 1000) return;
    after = rows.at(-1)!.seq;
  }
}


/** The chain's state for the Audit page (read-only; "Verify now" records a check in the trail). */
export const auditChainStatus = query({
  name: "audit.chain_status",
  permission: "audit.read",
  input: z.object({}).strict(),
  run: ({ db }) => checkAuditChain(db),
});
