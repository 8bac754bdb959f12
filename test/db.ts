import { sql } from "drizzle-orm";
import { openDb, queryRows, type Db, type DbHandle } from "@/db/client";
import { users, type User } from "@/db/schema";
import { hashPassword } from "@/lib/auth/password";
import type { Role } from "@/lib/domain";
import type { Actor, Ctx } from "@/lib/services/actor";

/** The database under test: PostgreSQL when TEST_DATABASE_URL is set, else a fresh in-memory PGlite. */
export function openTestDb(): Promise<DbHandle> {
  const url = process.env.TEST_DATABASE_URL;
  return openDb(url ? { url, dataDir: "" } : { dataDir: "memory://" });
}

export const backend = process.env.TEST_DATABASE_URL ? "postgres" : "pglite";

let counter = 0;
/** A unique suffix so test files sharing one PostgreSQL database never collide. */
export const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

export const TEST_PASSWORD = "correct horse battery staple";
let hashed: Promise<string> | undefined;

export async function createTestUser(db: Db, role: Role, opts: { active?: boolean } = {}): Promise<User> {
  hashed ??= hashPassword(TEST_PASSWORD);
  const [user] = await db
    .insert(users)
    .values({ username: unique(`${role}-`), displayName: `Test ${role}`, role, passwordHash: await hashed, active: opts.active ?? true })
    .returning();
  return user!;
}

export const userActor = (u: User): Actor => ({ type: "user", userId: u.id, username: u.username, name: u.displayName, role: u.role });

export const ctxFor = (db: Db, actor: Actor | null): Ctx => ({ db, actor, origin: { ip: "203.0.113.7", userAgent: "vitest" } });

/** Highest audit sequence number so far; rows written after it belong to the code under test. */
export async function auditHighWater(db: Db): Promise<number> {
  const [row] = await queryRows<{ seq: string | null }>(db, sql`SELECT max(seq)::text AS seq FROM audit_events`);
  return Number(row?.seq ?? 0);
}
