import type { Db } from "@/db/client";
import { auditEvents } from "@/db/schema";
import { actorIdentity, type Actor, type Origin } from "../actor";

export type AuditEntry = {
  action: string;
  entityType?: string;
  entityId?: string | number | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  reason?: string | null;
  outcome?: "success" | "denied" | "failure";
};

// Never let a secret reach the audit trail (AUD-11).
// "tokenHint" (last 4 characters) and content hashes (what a signature binds to) stay.
const SECRET_KEYS = /password|secret|token$|tokenhash$/i;

export function redact(values: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (!values) return null;
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, SECRET_KEYS.test(k) ? "[redacted]" : normalise(v)]),
  );
}

function normalise(v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v;
}

export function changedFields(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
): string[] | null {
  if (!before || !after) return null;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

// Control characters are stored escaped so a crafted value cannot forge lines in an export (AUD-11).
const clean = (s: string | null | undefined, max: number) =>
  s == null ? null : s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).slice(0, max);

/**
 * Writes one audit row. Call it with the same transaction as the change it records, so that the
 * change and its audit row commit or roll back together (AUD-01).
 */
/** Writes one audit row in the caller's transaction (a command body's `audit`, or `auditAs` elsewhere). */
export type Audit = (entry: AuditEntry) => Promise<void>;

/** An audit writer for callers outside command() (engine and escalation ticks, device requests). */
export const auditAs = (tx: Db, actor: Actor | null, origin?: Origin): Audit => (entry) => recordAudit(tx, actor, origin, entry);

export async function recordAudit(tx: Db, actor: Actor | null, origin: Origin | undefined, entry: AuditEntry) {
  const who = actorIdentity(actor);
  const before = redact(entry.before);
  const after = redact(entry.after);
  await tx.insert(auditEvents).values({
    actorType: who.type,
    actorId: who.id,
    actorName: clean(who.name, 200),
    action: clean(entry.action, 100)!,
    outcome: entry.outcome ?? "success",
    entityType: clean(entry.entityType, 60),
    entityId: entry.entityId == null ? null : clean(String(entry.entityId), 200),
    before,
    after,
    changedFields: changedFields(before, after),
    reason: clean(entry.reason, 2000),
    sourceIp: clean(origin?.ip, 100),
    userAgent: clean(origin?.userAgent, 300),
  });
}
