import { randomBytes } from "node:crypto";
import { and, count, eq, gt, isNull, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { auditEvents, userSessions, users } from "@/db/schema";
import { decoyHash, verifyPassword } from "@/lib/auth/password";
import type { Actor, Origin } from "../actor";
import { recordAudit } from "../audit/record";

export type SessionPolicy = { idleMinutes: number; maxHours: number; maxFailures: number };

export type LoginResult =
  | { ok: true; userId: number; name: string; sessionId: string }
  | { ok: false; reason: "invalid" | "locked" };

const FAILURE_WINDOW = sql`interval '15 minutes'`;

/**
 * Checks a password and opens a server-side session. Every attempt is audited (AUD-09).
 * Failures are counted per username and source address, so someone elsewhere cannot lock a user out (ACC-08).
 */
export async function signInWithPassword(
  db: Db,
  creds: { username: string; password: string },
  origin: Origin,
  policy: SessionPolicy,
): Promise<LoginResult> {
  const username = creds.username.trim().toLowerCase();
  const [failures] = await db
    .select({ n: count() })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.action, "auth.login_failed"),
        eq(auditEvents.entityType, "user"),
        eq(auditEvents.entityId, username),
        origin.ip ? eq(auditEvents.sourceIp, origin.ip) : isNull(auditEvents.sourceIp),
        gt(auditEvents.createdAt, sql`now() - ${FAILURE_WINDOW}`),
      ),
    );
  if ((failures?.n ?? 0) >= policy.maxFailures) {
    await recordAudit(db, null, origin, {
      action: "auth.login_locked",
      outcome: "denied",
      entityType: "user",
      entityId: username,
    });
    return { ok: false, reason: "locked" };
  }

  const [user] = await db.select().from(users).where(eq(users.username, username));
  const valid = await verifyPassword(creds.password, user?.passwordHash ?? (await decoyHash()));
  if (!user || !valid || !user.active) {
    await recordAudit(db, null, origin, {
      action: "auth.login_failed",
      outcome: "failure",
      entityType: "user",
      entityId: username,
      reason: !user ? "unknown user" : !valid ? "wrong password" : "account disabled",
    });
    return { ok: false, reason: "invalid" };
  }

  const sessionId = randomBytes(32).toString("base64url");
  await db.transaction(async (tx) => {
    await tx.insert(userSessions).values({
      id: sessionId,
      userId: user.id,
      expiresAt: sql`now() + make_interval(hours => ${policy.maxHours})`,
      sourceIp: origin.ip ?? null,
      userAgent: origin.userAgent?.slice(0, 300) ?? null,
    });
    await tx.update(users).set({ lastLoginAt: sql`now()` }).where(eq(users.id, user.id));
    const actor: Actor = { type: "user", userId: user.id, username: user.username, name: user.displayName, role: user.role };
    await recordAudit(tx, actor, origin, { action: "auth.login", entityType: "user", entityId: user.username });
  });
  return { ok: true, userId: user.id, name: user.displayName, sessionId };
}

/**
 * Turns a session id into the acting user, or null. The role and the active flag are read from the
 * database on every request, never trusted from the cookie, so changes apply at once (ACC-07).
 * Idle and absolute limits are enforced here (ACC-06).
 */
export async function resolveSession(db: Db, sessionId: string, policy: SessionPolicy): Promise<Actor | null> {
  const [row] = await db
    .select({
      userId: users.id,
      username: users.username,
      name: users.displayName,
      role: users.role,
      active: users.active,
      revokedAt: userSessions.revokedAt,
      idleExpired: sql<boolean>`${userSessions.lastSeenAt} < now() - make_interval(mins => ${policy.idleMinutes})`,
      absoluteExpired: sql<boolean>`${userSessions.expiresAt} <= now()`,
      touchDue: sql<boolean>`${userSessions.lastSeenAt} < now() - interval '30 seconds'`,
    })
    .from(userSessions)
    .innerJoin(users, eq(users.id, userSessions.userId))
    .where(eq(userSessions.id, sessionId));
  if (!row || row.revokedAt) return null;
  const actor: Actor = { type: "user", userId: row.userId, username: row.username, name: row.name, role: row.role, sessionId };
  const ended = !row.active ? "account disabled" : row.absoluteExpired ? "absolute limit" : row.idleExpired ? "idle timeout" : null;
  if (ended) {
    await db.transaction(async (tx) => {
      const revoked = await tx
        .update(userSessions)
        .set({ revokedAt: sql`now()`, revokedReason: ended })
        .where(and(eq(userSessions.id, sessionId), isNull(userSessions.revokedAt)))
        .returning({ id: userSessions.id });
      if (revoked.length) {
        await recordAudit(tx, actor, undefined, { action: "auth.session_ended", entityType: "user", entityId: row.username, reason: ended });
      }
    });
    return null;
  }
  // Touch at most every 30 s so a busy page does not write on every request.
  if (row.touchDue) await db.update(userSessions).set({ lastSeenAt: sql`now()` }).where(eq(userSessions.id, sessionId));
  return actor;
}

/** Logout: the session row is revoked, so the cookie is worthless even if it was copied. */
export async function endSession(db: Db, actor: Actor, origin: Origin) {
  if (actor.type !== "user" || !actor.sessionId) return;
  const sessionId = actor.sessionId;
  await db.transaction(async (tx) => {
    await tx
      .update(userSessions)
      .set({ revokedAt: sql`now()`, revokedReason: "logout" })
      .where(and(eq(userSessions.id, sessionId), isNull(userSessions.revokedAt)));
    await recordAudit(tx, actor, origin, { action: "auth.logout", entityType: "user", entityId: actor.username });
  });
}

/** Ends every open session of a user (used when an account is disabled or its role changes). */
export async function revokeUserSessions(tx: Db, userId: number, reason: string) {
  await tx
    .update(userSessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(userSessions.userId, userId), isNull(userSessions.revokedAt)));
}
