import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows, type Db, type DbHandle } from "@/db/client";
import { auditEvents, userSessions, users, type User } from "@/db/schema";
import type { Actor } from "@/lib/services/actor";
import { endSession, resolveSession, signInWithPassword, type SessionPolicy } from "@/lib/services/auth/sessions";
import { ConflictError } from "@/lib/services/errors";
import { createUser, updateUser } from "@/lib/services/users/manage-users";
import { auditHighWater, auditRowsAfter, caught, createTestUser, ctxFor, openTestDb, TEST_PASSWORD, unique, userActor } from "../db";

/** ACC-06 (timeouts), ACC-07 (revocation), ACC-08 (lockout), AUD-09 (security events), SIG-04 (no reuse). */

const policy: SessionPolicy = { idleMinutes: 15, maxHours: 12, maxFailures: 3 };

let handle: DbHandle;
let db: Db;
let admin: User;

beforeAll(async () => {
  handle = await openTestDb();
  db = handle.db;
  admin = await createTestUser(db, "admin");
});
afterAll(async () => {
  await handle?.close();
});

/** A source address of its own per test, so failure counts never mix. */
let ipCounter = 10;
const freshIp = () => `192.0.2.${ipCounter++}`;

async function signIn(user: User, ip = freshIp()) {
  const result = await signInWithPassword(db, { username: user.username, password: TEST_PASSWORD }, { ip, userAgent: "vitest" }, policy);
  if (!result.ok) throw new Error(`sign-in failed: ${result.reason}`);
  return result;
}

async function sessionRow(id: string) {
  const [row] = await db.select().from(userSessions).where(eq(userSessions.id, id));
  return row;
}

/** How many audit rows contain `needle` anywhere (any column, JSON included). */
async function auditRowsContaining(needle: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM audit_events a WHERE strpos(a::text, ${needle}) > 0`);
  return Number(row!.n);
}

describe("ACC-06/AUD-09: password sign-in", () => {
  it("AUD-09: a successful sign-in opens a session row and audits auth.login", async () => {
    const user = await createTestUser(db, "biomed");
    const ip = freshIp();
    const hw = await auditHighWater(db);
    const result = await signIn(user, ip);
    expect(result).toMatchObject({ ok: true, userId: user.id, name: user.displayName });
    expect(result.sessionId.length).toBeGreaterThanOrEqual(40);

    const row = await sessionRow(result.sessionId);
    expect(row).toMatchObject({ userId: user.id, sourceIp: ip, userAgent: "vitest", revokedAt: null });
    const [{ hours }] = (await queryRows<{ hours: number }>(
      db,
      sql`SELECT extract(epoch FROM (expires_at - created_at)) / 3600 AS hours FROM user_sessions WHERE id = ${result.sessionId}`,
    )) as [{ hours: number }];
    expect(Number(hours)).toBeCloseTo(policy.maxHours, 2);

    const written = await auditRowsAfter(db, hw);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ action: "auth.login", outcome: "success", entityType: "user", entityId: user.username, actorId: String(user.id), sourceIp: ip });
    // The raw session id is a bearer token: it never goes to the trail (AUD-11).
    expect(await auditRowsContaining(result.sessionId)).toBe(0);
    const [after] = await db.select({ lastLoginAt: users.lastLoginAt }).from(users).where(eq(users.id, user.id));
    expect(after!.lastLoginAt).not.toBeNull();
  });

  it("AUD-09: the username is matched case-insensitively and trimmed", async () => {
    const user = await createTestUser(db, "manager");
    const result = await signInWithPassword(db, { username: `  ${user.username.toUpperCase()} `, password: TEST_PASSWORD }, { ip: freshIp() }, policy);
    expect(result).toMatchObject({ ok: true, userId: user.id });
  });

  const failures: [string, () => Promise<{ username: string; password: string }>, string][] = [
    ["a wrong password", async () => ({ username: (await createTestUser(db, "clinician")).username, password: `Wrong-${unique("canary")}` }), "wrong password"],
    ["an unknown user", async () => ({ username: unique("nobody."), password: `Canary-${unique("pw")}` }), "unknown user"],
    ["a disabled user", async () => ({ username: (await createTestUser(db, "clinician", { active: false })).username, password: TEST_PASSWORD }), "account disabled"],
  ];
  for (const [what, creds, reason] of failures) {
    it(`AUD-09: ${what} is refused, audited as auth.login_failed, and the password is stored nowhere`, async () => {
      const c = await creds();
      const ip = freshIp();
      const hw = await auditHighWater(db);
      const sessionsBefore = await db.$count(userSessions);
      const result = await signInWithPassword(db, c, { ip, userAgent: "vitest" }, policy);
      expect(result).toEqual({ ok: false, reason: "invalid" });
      expect(await db.$count(userSessions)).toBe(sessionsBefore);
      const written = await auditRowsAfter(db, hw);
      expect(written).toHaveLength(1);
      expect(written[0]).toMatchObject({ action: "auth.login_failed", outcome: "failure", entityType: "user", entityId: c.username, sourceIp: ip, reason });
      expect(await auditRowsContaining(c.password)).toBe(0);
    });
  }

  it("ACC-08: after maxFailures failures from one address the right password is refused there, but works from another address", async () => {
    const user = await createTestUser(db, "biomed");
    const attacker = freshIp();
    for (let i = 0; i < policy.maxFailures; i++) {
      const r = await signInWithPassword(db, { username: user.username, password: `guess number ${i} wrong` }, { ip: attacker }, policy);
      expect(r).toEqual({ ok: false, reason: "invalid" });
    }
    const hw = await auditHighWater(db);
    expect(await signInWithPassword(db, { username: user.username, password: TEST_PASSWORD }, { ip: attacker }, policy)).toEqual({ ok: false, reason: "locked" });
    const written = await auditRowsAfter(db, hw);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ action: "auth.login_locked", outcome: "denied", entityId: user.username, sourceIp: attacker });
    expect(await auditRowsContaining(TEST_PASSWORD)).toBe(0);

    // The real user elsewhere is not locked out by the attacker.
    const elsewhere = await signInWithPassword(db, { username: user.username, password: TEST_PASSWORD }, { ip: freshIp() }, policy);
    expect(elsewhere).toMatchObject({ ok: true, userId: user.id });
  });

  it("ACC-08: fewer failures than the limit do not lock the account", async () => {
    const user = await createTestUser(db, "biomed");
    const ip = freshIp();
    for (let i = 0; i < policy.maxFailures - 1; i++) {
      await signInWithPassword(db, { username: user.username, password: "not the password at all" }, { ip }, policy);
    }
    expect(await signInWithPassword(db, { username: user.username, password: TEST_PASSWORD }, { ip }, policy)).toMatchObject({ ok: true });
  });
});

describe("ACC-07: sessions follow the account's current state", () => {
  it("ACC-07: resolveSession returns the role stored in the database now, not the one at sign-in", async () => {
    const user = await createTestUser(db, "biomed");
    const { sessionId } = await signIn(user);
    expect(await resolveSession(db, sessionId, policy)).toMatchObject({ type: "user", userId: user.id, role: "biomed", sessionId });
    await db.update(users).set({ role: "manager" }).where(eq(users.id, user.id));
    expect(await resolveSession(db, sessionId, policy)).toMatchObject({ userId: user.id, role: "manager" });
  });

  it("ACC-07: changing a role through updateUser revokes the open session", async () => {
    const user = await createTestUser(db, "biomed");
    const { sessionId } = await signIn(user);
    expect(await resolveSession(db, sessionId, policy)).not.toBeNull();
    await updateUser(ctxFor(db, userActor(admin)), { userId: user.id, role: "clinician" });
    expect(await resolveSession(db, sessionId, policy)).toBeNull();
    expect(await sessionRow(sessionId)).toMatchObject({ revokedReason: "account changed" });
    expect((await sessionRow(sessionId))!.revokedAt).not.toBeNull();
    // Signing in again gives a session with the new role.
    const again = await signIn(user);
    expect(await resolveSession(db, again.sessionId, policy)).toMatchObject({ role: "clinician" });
  });

  it("ACC-07: renaming a user keeps the session", async () => {
    const user = await createTestUser(db, "auditor");
    const { sessionId } = await signIn(user);
    await updateUser(ctxFor(db, userActor(admin)), { userId: user.id, displayName: "Renamed Auditor" });
    expect(await resolveSession(db, sessionId, policy)).toMatchObject({ name: "Renamed Auditor", role: "auditor" });
  });

  it("ACC-07/AUD-09: disabling a user ends its session at once", async () => {
    const user = await createTestUser(db, "security");
    const { sessionId } = await signIn(user);
    const hw = await auditHighWater(db);
    await updateUser(ctxFor(db, userActor(admin)), { userId: user.id, active: false });
    expect(await resolveSession(db, sessionId, policy)).toBeNull();
    expect((await sessionRow(sessionId))!.revokedAt).not.toBeNull();
    const written = await auditRowsAfter(db, hw);
    expect(written.map((r) => r.action)).toEqual(["user.update"]);
    expect(written[0]!.changedFields).toEqual(["active"]);
    expect(written[0]!.after).toMatchObject({ active: false });
    // And cannot sign in again.
    expect(await signInWithPassword(db, { username: user.username, password: TEST_PASSWORD }, { ip: freshIp() }, policy)).toEqual({ ok: false, reason: "invalid" });
  });

  it("ACC-07: a session of a user disabled directly in the database is ended on its next use and audited", async () => {
    const user = await createTestUser(db, "biomed");
    const { sessionId } = await signIn(user);
    await db.update(users).set({ active: false }).where(eq(users.id, user.id));
    const hw = await auditHighWater(db);
    expect(await resolveSession(db, sessionId, policy)).toBeNull();
    const written = await auditRowsAfter(db, hw);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ action: "auth.session_ended", entityId: user.username, reason: "account disabled" });
  });

  it("ACC-07: an unknown session id resolves to nobody", async () => {
    expect(await resolveSession(db, "not-a-session-id", policy)).toBeNull();
  });
});

describe("ACC-06: idle and absolute session limits", () => {
  it("ACC-06: a session idle for longer than the limit is ended and audited as auth.session_ended", async () => {
    const user = await createTestUser(db, "biomed");
    const { sessionId } = await signIn(user);
    // Just inside the limit the session still works.
    await db.update(userSessions).set({ lastSeenAt: sql`now() - make_interval(mins => ${policy.idleMinutes - 1})` }).where(eq(userSessions.id, sessionId));
    expect(await resolveSession(db, sessionId, policy)).not.toBeNull();
    // Using it moved last_seen_at forward (touch).
    const [{ fresh }] = (await queryRows<{ fresh: boolean }>(db, sql`SELECT last_seen_at > now() - interval '1 minute' AS fresh FROM user_sessions WHERE id = ${sessionId}`)) as [{ fresh: boolean }];
    expect(fresh).toBe(true);

    await db.update(userSessions).set({ lastSeenAt: sql`now() - make_interval(mins => ${policy.idleMinutes + 1})` }).where(eq(userSessions.id, sessionId));
    const hw = await auditHighWater(db);
    expect(await resolveSession(db, sessionId, policy)).toBeNull();
    const written = await auditRowsAfter(db, hw);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ action: "auth.session_ended", entityType: "user", entityId: user.username, actorId: String(user.id), reason: "idle timeout" });
    expect(await sessionRow(sessionId)).toMatchObject({ revokedReason: "idle timeout" });
    // Once ended it stays ended, and is not audited twice.
    await db.update(userSessions).set({ lastSeenAt: sql`now()` }).where(eq(userSessions.id, sessionId));
    expect(await resolveSession(db, sessionId, policy)).toBeNull();
    expect(await auditRowsAfter(db, hw)).toHaveLength(1);
  });

  it("ACC-06: a session past its absolute lifetime is ended even if it was just used", async () => {
    const user = await createTestUser(db, "biomed");
    const { sessionId } = await signIn(user);
    await db.update(userSessions).set({ expiresAt: sql`now() - interval '1 second'`, lastSeenAt: sql`now()` }).where(eq(userSessions.id, sessionId));
    const hw = await auditHighWater(db);
    expect(await resolveSession(db, sessionId, policy)).toBeNull();
    const written = await auditRowsAfter(db, hw);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ action: "auth.session_ended", entityId: user.username, reason: "absolute limit" });
    expect(await sessionRow(sessionId)).toMatchObject({ revokedReason: "absolute limit" });
  });
});

describe("ACC-07/AUD-09: logout", () => {
  it("AUD-09: endSession revokes the session and audits auth.logout", async () => {
    const user = await createTestUser(db, "manager");
    const { sessionId } = await signIn(user);
    const actor = (await resolveSession(db, sessionId, policy)) as Actor;
    expect(actor).toMatchObject({ sessionId });
    const hw = await auditHighWater(db);
    await endSession(db, actor, { ip: "203.0.113.7", userAgent: "vitest" });
    expect(await resolveSession(db, sessionId, policy)).toBeNull();
    expect(await sessionRow(sessionId)).toMatchObject({ revokedReason: "logout" });
    const written = await auditRowsAfter(db, hw);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ action: "auth.logout", entityId: user.username, actorId: String(user.id), sourceIp: "203.0.113.7" });
  });

  it("ACC-07: logging out one session leaves the user's other sessions alone", async () => {
    const user = await createTestUser(db, "manager");
    const a = await signIn(user);
    const b = await signIn(user);
    await endSession(db, (await resolveSession(db, a.sessionId, policy))!, { ip: "203.0.113.7" });
    expect(await resolveSession(db, a.sessionId, policy)).toBeNull();
    expect(await resolveSession(db, b.sessionId, policy)).toMatchObject({ userId: user.id });
  });
});

describe("SIG-04: usernames are never reused", () => {
  it("SIG-04: the username of a deactivated user cannot be created again", async () => {
    const ctx = ctxFor(db, userActor(admin));
    const username = unique("jdoe.");
    const created = await createUser(ctx, { username, displayName: "Jane Doe", role: "biomed", password: "violet staircase 1987 lantern" });
    await updateUser(ctx, { userId: created.id, active: false });

    const hw = await auditHighWater(db);
    const err = await caught(() => createUser(ctx, { username, displayName: "John Doe", role: "admin", password: "another long passphrase 2020" }));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain(username);
    // Also in other letter case (usernames are stored lower-case).
    const upper = await caught(() => createUser(ctx, { username: username.toUpperCase(), displayName: "John Doe", role: "admin", password: "another long passphrase 2020" }));
    expect(upper).toBeInstanceOf(ConflictError);

    expect(await auditRowsAfter(db, hw)).toEqual([]);
    const rows = await db.select().from(users).where(eq(users.username, username));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: created.id, displayName: "Jane Doe", role: "biomed", active: false });
  });

  it("SIG-04: the database itself refuses a second row with the same username", async () => {
    const user = await createTestUser(db, "vendor", { active: false });
    const err = await caught(() => db.insert(users).values({ username: user.username, displayName: "Imposter", role: "admin", passwordHash: "x" }));
    expect(String((err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code)).toBe("23505");
    expect(await db.$count(users, and(eq(users.username, user.username)))).toBe(1);
  });
});

describe("AUD-09: every security event type is recorded", () => {
  it("AUD-09: the events above appear in the trail with their outcome", async () => {
    const rows = await queryRows<{ action: string; outcome: string }>(
      db,
      sql`SELECT DISTINCT action, outcome FROM audit_events WHERE action LIKE 'auth.%' OR action IN ('user.create', 'user.update') ORDER BY 1, 2`,
    );
    const seen = rows.map((r) => `${r.action}:${r.outcome}`);
    for (const expected of [
      "auth.login:success",
      "auth.login_failed:failure",
      "auth.login_locked:denied",
      "auth.logout:success",
      "auth.session_ended:success",
      "user.create:success",
      "user.update:success",
    ]) {
      expect(seen).toContain(expected);
    }
    // An authorisation failure is a security event too (see permission-matrix.test.ts for every operation).
    const hw = await auditHighWater(db);
    const clinician = await createTestUser(db, "clinician");
    await caught(() => updateUser(ctxFor(db, userActor(clinician)), { userId: admin.id, active: false }));
    const [denied] = await db.select().from(auditEvents).where(and(eq(auditEvents.action, "authz.denied"), sql`${auditEvents.seq} > ${hw}`));
    expect(denied).toMatchObject({ outcome: "denied", entityId: "users.update", actorId: String(clinician.id) });
  });
});
