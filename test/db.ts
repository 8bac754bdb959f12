import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { asc, gt, sql } from "drizzle-orm";
import { openDb, queryRows, type Db, type DbHandle } from "@/db/client";
import {
  auditEvents, deviceModels, devices, manufacturers, sites, units, users,
  type AuditEvent, type Device, type NewDevice, type User,
} from "@/db/schema";
import type { Permission } from "@/lib/auth/permissions";
import type { Operation } from "@/lib/services/operation";
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

// ---------------------------------------------------------------------------------------------
// Helpers for the integration suite.

/**
 * A database of its own, for tests that must start empty or that do irreversible damage (deleting
 * audit rows). PostgreSQL: a new database next to TEST_DATABASE_URL, dropped on close. PGlite: a
 * fresh in-memory instance.
 */
export async function openScratchDb(label: string): Promise<DbHandle> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return openDb({ dataDir: "memory://" });
  const { default: pg } = await import("pg");
  const name = `corridor_${label.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const scratchUrl = new URL(url);
  scratchUrl.pathname = `/${name}`;
  const handle = await openDb({ url: scratchUrl.toString(), dataDir: "" });
  return {
    ...handle,
    close: async () => {
      await handle.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Count and checksum of every application table except the audit trail (whose growth tests check
 * row by row). Two equal fingerprints mean no row was inserted, changed or removed in between.
 */
export async function dataFingerprint(db: Db): Promise<Record<string, string>> {
  const tables = await queryRows<{ name: string }>(
    db,
    sql`SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'audit_events'
        ORDER BY table_name`,
  );
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await queryRows<{ n: string; h: string | null }>(
      db,
      sql`SELECT count(*)::text AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS h FROM ${sql.identifier(name)} t`,
    );
    out[name] = `${row?.n}:${row?.h ?? "-"}`;
  }
  return out;
}

/** Audit rows written after `seq` (see `auditHighWater`), oldest first. */
export async function auditRowsAfter(db: Db, seq: number): Promise<AuditEvent[]> {
  return db.select().from(auditEvents).where(gt(auditEvents.seq, seq)).orderBy(asc(auditEvents.seq));
}

/** DB `now()` as epoch milliseconds. */
export async function dbNow(db: Db): Promise<number> {
  const [row] = await queryRows<{ ms: string }>(db, sql`SELECT (extract(epoch FROM now()) * 1000)::bigint::text AS ms`);
  return Number(row!.ms);
}

/** A site, unit and model of their own (unique names), so tests never depend on the demo seed. */
export async function createTestPlace(db: Db) {
  const tag = unique("t");
  const [site] = await db.insert(sites).values({ code: tag.toUpperCase(), name: `Test site ${tag}`, timeZone: "America/Chicago" }).returning();
  const [unit] = await db.insert(units).values({ siteId: site!.id, name: "Test ICU", kind: "icu", timeZone: "America/Chicago" }).returning();
  const [maker] = await db.insert(manufacturers).values({ name: `Test maker ${tag}` }).returning();
  const [model] = await db
    .insert(deviceModels)
    .values({ manufacturerId: maker!.id, name: "Test pump", deviceType: "Infusion pump", deviceClass: "II", criticality: "life_supporting", updateMinutes: 10 })
    .returning();
  return { site: site!, unit: unit!, manufacturer: maker!, model: model! };
}

export async function createTestDevice(
  db: Db,
  place: { unit: { id: number }; model: { id: number } },
  values: Partial<NewDevice> = {},
  prefix = "TST-",
): Promise<Device> {
  const serial = unique(prefix).toUpperCase();
  const [device] = await db
    .insert(devices)
    .values({
      serial,
      udi: `(01)00000000000000(21)${serial}`,
      modelId: place.model.id,
      unitId: place.unit.id,
      hardwareRevision: "A",
      firmwareVersion: "1.0.0",
      securityVersion: 1,
      network: "wifi",
      status: "active",
      ...values,
    })
    .returning();
  return device!;
}

export type DiscoveredOperation = {
  op: Operation<unknown, unknown>;
  name: string;
  permission: Permission;
  kind: "command" | "query";
  exportName: string;
  modulePath: string;
};

/**
 * Every operation (built with `command`/`query`) exported from any module under lib/services, found
 * by walking the directory, so a newly added operation is picked up without touching the tests.
 */
export async function discoverOperations(): Promise<DiscoveredOperation[]> {
  const root = path.join(process.cwd(), "lib", "services");
  const files = (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((f) => /\.tsx?$/.test(f) && !/\.(test|spec)\.tsx?$/.test(f) && !f.endsWith(".d.ts"))
    .sort();
  const found = new Map<unknown, DiscoveredOperation>();
  for (const file of files) {
    const mod = (await import(/* @vite-ignore */ path.join(root, file))) as Record<string, unknown>;
    for (const [exportName, value] of Object.entries(mod)) {
      if (typeof value !== "function" || found.has(value)) continue;
      const v = value as Partial<Operation<unknown, unknown>>;
      if (typeof v.operationName === "string" && typeof v.permission === "string" && (v.kind === "command" || v.kind === "query")) {
        found.set(value, {
          op: value as Operation<unknown, unknown>,
          name: v.operationName,
          permission: v.permission,
          kind: v.kind,
          exportName,
          modulePath: `lib/services/${file.split(path.sep).join("/")}`,
        });
      }
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name) || a.exportName.localeCompare(b.exportName));
}

/** What a failed query said: drizzle wraps the driver's error, whose message and SQLSTATE are in `cause`. */
export function dbErrorOf(err: unknown): { message: string; code: string | undefined } {
  const parts: string[] = [];
  let code: string | undefined;
  for (let e = err as { message?: string; code?: string; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (e.message) parts.push(e.message);
    code ??= typeof e.code === "string" ? e.code : undefined;
  }
  return { message: parts.join(" | "), code };
}

/** Runs `fn` and returns the error it threw (failing if it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error("Expected the call to throw, but it succeeded.");
}
