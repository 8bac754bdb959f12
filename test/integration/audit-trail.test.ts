import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows, type Db, type DbHandle } from "@/db/client";
import { auditEvents, devices, type Device } from "@/db/schema";
import { AUDIT_CSV_COLUMNS, auditCsvRows, checkAuditChain, startAuditExport, verifyAuditChain, type AuditFilter } from "@/lib/services/audit/audit-trail";
import { signInWithPassword } from "@/lib/services/auth/sessions";
import { updateDevice } from "@/lib/services/inventory/device";
import { command } from "@/lib/services/operation";
import {
  auditHighWater, auditRowsAfter, caught, createTestDevice, createTestPlace, createTestUser, ctxFor, dbErrorOf, dbNow,
  openScratchDb, openTestDb, unique, userActor,
} from "../db";

let handle: DbHandle;
let db: Db;

beforeAll(async () => {
  handle = await openTestDb();
  db = handle.db;
});
afterAll(async () => {
  await handle?.close();
});

/** Appends `n` plain audit rows straight into the table (one statement) and returns their seqs. */
async function appendRows(target: Db, n: number, action: string): Promise<number[]> {
  const rows = await target
    .insert(auditEvents)
    .values(Array.from({ length: n }, (_, i) => ({ actorType: "system", actorName: "audit-test", action, entityType: "test", entityId: String(i), reason: `row ${i}` })))
    .returning({ seq: auditEvents.seq });
  return rows.map((r) => r.seq).sort((a, b) => a - b);
}

async function auditCount(target: Db): Promise<number> {
  const [row] = await queryRows<{ n: string }>(target, sql`SELECT count(*)::text AS n FROM audit_events`);
  return Number(row!.n);
}

async function rowText(target: Db, seq: number): Promise<string | undefined> {
  const [row] = await queryRows<{ t: string }>(target, sql`SELECT a::text AS t FROM audit_events a WHERE seq = ${seq}`);
  return row?.t;
}

/** Runs `stmt` with the append-only trigger visibly switched off, as an attacker with owner rights would. */
async function withoutAppendOnly(target: Db, stmt: ReturnType<typeof sql>) {
  await target.transaction(async (tx) => {
    await tx.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete`);
    await tx.execute(stmt);
    await tx.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete`);
  });
}

/** A strict RFC 4180 reader: quoted fields may hold anything, records end with CRLF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i++;
    } else {
      field += c;
    }
  }
  if (field || record.length) records.push([...record, field]);
  return records;
}

async function exportText(f: AuditFilter): Promise<string> {
  let out = "";
  for await (const chunk of auditCsvRows(db, f)) out += chunk;
  return out;
}

describe("AUD-04: the database keeps audit_events append-only", () => {
  let seq: number;
  let original: string | undefined;

  beforeAll(async () => {
    [seq] = (await appendRows(db, 1, unique("test.append_only."))) as [number];
    original = await rowText(db, seq);
  });

  const attempts: [string, () => ReturnType<typeof sql>][] = [
    ["UPDATE of one row", () => sql`UPDATE audit_events SET reason = 'rewritten' WHERE seq = ${seq}`],
    ["UPDATE of every row", () => sql`UPDATE audit_events SET actor_name = actor_name`],
    ["DELETE of one row", () => sql`DELETE FROM audit_events WHERE seq = ${seq}`],
    ["DELETE of every row", () => sql`DELETE FROM audit_events`],
    ["TRUNCATE", () => sql`TRUNCATE audit_events`],
  ];
  for (const [what, stmt] of attempts) {
    it(`AUD-04: ${what} on audit_events is rejected by the database`, async () => {
      const before = await auditCount(db);
      expect(before).toBeGreaterThan(0);
      const err = dbErrorOf(await caught(() => db.execute(stmt())));
      expect(err.message).toMatch(/append-only/);
      expect(err.code).toBe("42501");
      expect(await auditCount(db)).toBe(before);
      expect(await rowText(db, seq)).toBe(original);
    });
  }

  it("AUD-04: an UPDATE through the ORM is rejected as well", async () => {
    const err = dbErrorOf(await caught(() => db.update(auditEvents).set({ reason: "x" }).where(eq(auditEvents.seq, seq))));
    expect(err.message).toMatch(/append-only: UPDATE is not allowed/);
    expect(await rowText(db, seq)).toBe(original);
  });
});

describe("AUD-06: seq, time and hashes come from the database", () => {
  it("AUD-06: a forged created_at, seq, prev_hash and row_hash on insert are overwritten by the trigger", async () => {
    const hw = await auditHighWater(db);
    const [prev] = await db.select({ rowHash: auditEvents.rowHash }).from(auditEvents).where(eq(auditEvents.seq, hw));
    const [row] = await db
      .insert(auditEvents)
      .values({
        seq: 424_242_424,
        createdAt: new Date("2001-02-03T04:05:06Z"),
        prevHash: "f".repeat(64),
        rowHash: "e".repeat(64),
        actorType: "system",
        actorName: "forger",
        action: unique("test.forged."),
      })
      .returning();
    const now = await dbNow(db);
    expect(row!.seq).toBe(hw + 1);
    expect(Math.abs(row!.createdAt.getTime() - now)).toBeLessThan(5_000);
    expect(row!.prevHash).toBe(prev?.rowHash ?? "0".repeat(64));
    const [recomputed] = await queryRows<{ h: string }>(db, sql`SELECT audit_event_hash(a) AS h FROM audit_events a WHERE seq = ${row!.seq}`);
    expect(row!.rowHash).toBe(recomputed!.h);
    expect(row!.rowHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("AUD-05: hash chain verification", () => {
  let bulk: number[];

  beforeAll(async () => {
    bulk = await appendRows(db, 1_000, unique("test.chain."));
  });

  it("AUD-05: 1,000 rows inserted in one statement form a gap-free chain and the verifier reports ok", async () => {
    expect(bulk).toHaveLength(1_000);
    expect(bulk.at(-1)! - bulk[0]!).toBe(999);
    const report = await checkAuditChain(db);
    expect(report).toMatchObject({ ok: true, lastSeq: await auditHighWater(db) });
    expect(report.checked).toBe(await auditCount(db));
  });

  it("AUD-05: an edited row (trigger disabled) is reported as the first broken link; restoring it makes the chain whole again", async () => {
    const target = bulk[500]!;
    const [orig] = await db.select({ reason: auditEvents.reason }).from(auditEvents).where(eq(auditEvents.seq, target));
    try {
      await withoutAppendOnly(db, sql`UPDATE audit_events SET reason = 'tampered' WHERE seq = ${target}`);
      const report = await checkAuditChain(db);
      expect(report).toMatchObject({ ok: false, brokenAt: target });
      expect(report.ok === false && report.problem).toMatch(/content was changed/);

      // The on-demand verifier reports the same and records a failed check (AUD-05, AUD-10).
      const auditor = await createTestUser(db, "auditor");
      const hw = await auditHighWater(db);
      const viaCommand = await verifyAuditChain(ctxFor(db, userActor(auditor)), {});
      expect(viaCommand).toMatchObject({ ok: false, brokenAt: target });
      const written = await auditRowsAfter(db, hw);
      expect(written).toHaveLength(1);
      expect(written[0]).toMatchObject({ action: "audit.verify", outcome: "failure" });
      expect(written[0]!.after).toMatchObject({ ok: false, brokenAt: target });
    } finally {
      await withoutAppendOnly(db, sql`UPDATE audit_events SET reason = ${orig!.reason} WHERE seq = ${target}`);
    }
    expect(await checkAuditChain(db)).toMatchObject({ ok: true });
  });

  it("AUD-05: an edited timestamp is detected too, then restored", async () => {
    const target = bulk[10]!;
    try {
      await withoutAppendOnly(db, sql`UPDATE audit_events SET created_at = created_at - interval '1 day' WHERE seq = ${target}`);
      expect(await checkAuditChain(db)).toMatchObject({ ok: false, brokenAt: target });
    } finally {
      await withoutAppendOnly(db, sql`UPDATE audit_events SET created_at = created_at + interval '1 day' WHERE seq = ${target}`);
    }
    expect(await checkAuditChain(db)).toMatchObject({ ok: true });
  });

  it("AUD-05: forged and deleted rows are detected (separate throw-away database)", async () => {
    const scratch = await openScratchDb("tamper");
    try {
      const s = scratch.db;
      const seqs = await appendRows(s, 30, "test.scratch");
      expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(await checkAuditChain(s)).toEqual({ ok: true, checked: 30, lastSeq: 30 });

      // A row slipped in with the chain trigger disabled and a made-up hash.
      const [last] = await s.select({ rowHash: auditEvents.rowHash }).from(auditEvents).where(eq(auditEvents.seq, 30));
      await s.transaction(async (tx) => {
        await tx.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_chain`);
        await tx.execute(sql`INSERT INTO audit_events (seq, actor_type, action, prev_hash, row_hash)
                             VALUES (31, 'system', 'forged', ${last!.rowHash}, ${"a".repeat(64)})`);
        await tx.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_chain`);
      });
      expect(await checkAuditChain(s)).toMatchObject({ ok: false, brokenAt: 31, checked: 31 });

      // Deleting a middle row: the row after the gap is the first broken link (it precedes 31).
      await withoutAppendOnly(s, sql`DELETE FROM audit_events WHERE seq = 12`);
      const afterDelete = await checkAuditChain(s);
      expect(afterDelete).toMatchObject({ ok: false, brokenAt: 13, checked: 30 });
      expect(afterDelete.ok === false && afterDelete.problem).toMatch(/missing \(deleted\)/);

      // Deleting the very first row is detected at seq 2.
      await withoutAppendOnly(s, sql`DELETE FROM audit_events WHERE seq = 1`);
      expect(await checkAuditChain(s)).toMatchObject({ ok: false, brokenAt: 2 });
    } finally {
      await scratch.close();
    }
  });
});

describe("AUD-01: a failed audit insert rolls back the business change", () => {
  let device: Device;
  let biomed: Awaited<ReturnType<typeof createTestUser>>;

  beforeAll(async () => {
    const place = await createTestPlace(db);
    device = await createTestDevice(db, place);
    biomed = await createTestUser(db, "biomed");
  });

  const deviceRow = async (id: number) => (await db.select().from(devices).where(eq(devices.id, id)))[0];

  it("AUD-01: a command whose audit row cannot be stored leaves the device unchanged", async () => {
    const faulty = command({
      name: "test.faulty_update",
      permission: "devices.update",
      input: z.object({ deviceId: z.number().int() }).strict(),
      async run({ tx, input, audit }) {
        await tx.update(devices).set({ status: "maintenance", hardwareRevision: "FAULT" }).where(eq(devices.id, input.deviceId));
        // PostgreSQL cannot store \u0000 in jsonb, so this audit insert fails inside the transaction.
        await audit({ action: "device.update", entityType: "device", entityId: input.deviceId, after: { note: "nul \u0000 byte" } });
        return "unreachable";
      },
    });
    const before = await deviceRow(device.id);
    const hw = await auditHighWater(db);
    const err = await caught(() => faulty(ctxFor(db, userActor(biomed)), { deviceId: device.id }));
    expect(dbErrorOf(err).message).toMatch(/unicode|\\u0000/i);
    expect(await deviceRow(device.id)).toEqual(before);
    expect(await auditRowsAfter(db, hw)).toEqual([]);
  });

  it("AUD-01: when a test trigger makes updateDevice's audit insert throw, the device update is rolled back", async () => {
    const fn = sql.identifier(unique("test_fail_audit_fn_").toLowerCase());
    const trg = sql.identifier(unique("test_fail_audit_trg_").toLowerCase());
    await db.execute(sql`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.entity_type = 'device' AND NEW.entity_id = '${sql.raw(String(device.id))}' THEN
          RAISE EXCEPTION 'injected audit failure';
        END IF;
        RETURN NEW;
      END $$`);
    await db.execute(sql`CREATE TRIGGER ${trg} BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
    try {
      const before = await deviceRow(device.id);
      const hw = await auditHighWater(db);
      const err = await caught(() =>
        updateDevice(ctxFor(db, userActor(biomed)), { deviceId: device.id, status: "quarantined", hardwareRevision: "Z9", reason: "fault injection" }),
      );
      expect(dbErrorOf(err).message).toMatch(/injected audit failure/);
      expect(await deviceRow(device.id)).toEqual(before);
      expect(await auditRowsAfter(db, hw)).toEqual([]);
    } finally {
      await db.execute(sql`DROP TRIGGER IF EXISTS ${trg} ON audit_events`);
      await db.execute(sql`DROP FUNCTION IF EXISTS ${fn}()`);
    }
    // Without the trigger the same change goes through, with its audit row.
    await updateDevice(ctxFor(db, userActor(biomed)), { deviceId: device.id, status: "quarantined" });
    expect((await deviceRow(device.id))!.status).toBe("quarantined");
  });
});

describe("AUD-08: CSV export", () => {
  it("AUD-08: the export has one record per matching row (paged past 1,000) and is itself audited", async () => {
    const action = unique("test.export.");
    await appendRows(db, 1_234, action);
    const auditor = await createTestUser(db, "auditor");
    const hw = await auditHighWater(db);
    const filter = await startAuditExport(ctxFor(db, userActor(auditor)), { action });

    const written = await auditRowsAfter(db, hw);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ action: "audit.export", entityType: "audit_trail", actorId: String(auditor.id), sourceIp: "203.0.113.7" });
    expect(written[0]!.after).toEqual({ action, format: "csv" });

    const records = parseCsv(await exportText(filter));
    expect(records[0]).toEqual([...AUDIT_CSV_COLUMNS]);
    const dbSeqs = await queryRows<{ seq: string }>(db, sql`SELECT seq::text AS seq FROM audit_events WHERE action = ${action} ORDER BY seq`);
    expect(dbSeqs).toHaveLength(1_234);
    expect(records.slice(1).map((r) => r[0])).toEqual(dbSeqs.map((r) => r.seq));
    expect(records.every((r) => r.length === AUDIT_CSV_COLUMNS.length)).toBe(true);
  });

  it("AUD-08: a date-range export has exactly as many records as the database holds for that range", async () => {
    const auditor = await createTestUser(db, "auditor");
    const [{ today }] = (await queryRows<{ today: string }>(db, sql`SELECT current_date::text AS today`)) as [{ today: string }];
    const filter = await startAuditExport(ctxFor(db, userActor(auditor)), { from: today, to: today });
    const text = await exportText(filter);
    const [{ n }] = (await queryRows<{ n: string }>(
      db,
      sql`SELECT count(*)::text AS n FROM audit_events WHERE created_at >= ${today}::date AND created_at < ${today}::date + 1`,
    )) as [{ n: string }];
    expect(Number(n)).toBeGreaterThan(1_000);
    expect(parseCsv(text).length - 1).toBe(Number(n));
  });

  it("AUD-08/AUD-11: formula prefixes are neutralised and line breaks in values cannot forge records", async () => {
    const admin = await createTestUser(db, "admin");
    const place = await createTestPlace(db);
    const device = await createTestDevice(db, place);
    const ctx = ctxFor(db, userActor(admin));
    await updateDevice(ctx, { deviceId: device.id, status: "maintenance", reason: '=HYPERLINK("http://evil.example","x")\r\n1,2,forged' });
    await updateDevice(ctx, { deviceId: device.id, hardwareRevision: "@SUM(1+1)", reason: "-2+3" });
    const filter = await startAuditExport(ctx, { actor: admin.username });
    const text = await exportText(filter);

    const [{ n }] = (await queryRows<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM audit_events WHERE actor_name ILIKE ${`%${admin.username}%`}`)) as [{ n: string }];
    expect(Number(n)).toBe(3);
    // Physical lines = records: no value contains a raw CR or LF.
    expect(text.endsWith("\r\n")).toBe(true);
    expect(text.slice(0, -2).split("\r\n")).toHaveLength(Number(n) + 1);
    expect(text.slice(0, -2).split("\r\n").every((line) => !/[\r\n]/.test(line))).toBe(true);

    const records = parseCsv(text);
    expect(records).toHaveLength(Number(n) + 1);
    for (const cell of records.slice(1).flat()) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    const reasonCol = AUDIT_CSV_COLUMNS.indexOf("reason");
    expect(records[1]![reasonCol]).toBe(`'=HYPERLINK("http://evil.example","x")\\u000d\\u000a1,2,forged`);
    expect(records[2]![reasonCol]).toBe("'-2+3");
  });

  it("AUD-11: a login name with CR/LF is stored encoded and cannot add a line to the export", async () => {
    const name = `${unique("mallory")}\r\n2,2026-01-01,user,1,admin,user.create,success`;
    const result = await signInWithPassword(db, { username: name, password: "irrelevant password" }, { ip: "198.51.100.23" }, { idleMinutes: 15, maxHours: 12, maxFailures: 10 });
    expect(result).toEqual({ ok: false, reason: "invalid" });
    const [row] = await db
      .select()
      .from(auditEvents)
      .where(sql`${auditEvents.action} = 'auth.login_failed' AND ${auditEvents.sourceIp} = '198.51.100.23' AND ${auditEvents.entityId} LIKE ${`${name.slice(0, 10)}%`}`);
    expect(row).toBeDefined();
    // Stored encoded, like `reason`, `source_ip` and `user_agent` already are.
    expect(row!.entityId).not.toMatch(/[\u0000-\u001f\u007f]/);
    const text = await exportText({ action: "auth.login_failed", entityId: row!.entityId!, limit: 1000 });
    expect(text.slice(0, -2).split("\r\n")).toHaveLength(2);
  });
});
