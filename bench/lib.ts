/**
 * Shared pieces of `npm run bench`. Benchmarks are not tests: they never fail on a number, they print
 * the app's cost as a ratio against a floor measured in the same process, on the same database, in the
 * same run, so the ratio means something on any machine.
 */
import os from "node:os";
import { performance } from "node:perf_hooks";
import { openDb, type DbHandle } from "@/db/client";

export type DbKind = "pglite" | "pg";

/** What the harness hands a benchmark module. */
export type BenchEnv = {
  db: DbKind;
  /** A fresh, migrated, empty database; the harness closes (and on pg drops) it after the module. */
  openFreshDb(): Promise<DbHandle>;
  log(msg: string): void;
  verbose: boolean;
};

export type Stats = { n: number; median: number; p95: number; min: number; max: number };

/** One line of the printed table: the app's way against the floor, both in milliseconds. */
export type BenchRow = {
  scenario: string;
  app: Stats;
  floor: Stats;
  /** app median / floor median */
  ratio: number;
  /** Short free-form facts shown after the numbers (rows returned, plan top node, ...). */
  note?: string;
};

export type ModuleResult = {
  /** Context numbers (seed time, rows/s, server version, ...), printed above the table. */
  context: Record<string, string | number>;
  rows: BenchRow[];
  /** Findings worth reading (plans that do not use an index, parity problems, ...). */
  notes: string[];
  /** Anything else kept only in the JSON file (full plans, the SQL the app issued, ...). */
  details?: unknown;
};

export type BenchModule = {
  name: string;
  description: string;
  run(env: BenchEnv): Promise<ModuleResult>;
};

// ---------------------------------------------------------------------------------------------
// Timing

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: s.length, median, p95: at(0.95), min: s[0] ?? NaN, max: s.at(-1) ?? NaN };
}

export async function timeOnce(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * Warms both sides up, then runs them alternately (A B, B A, A B, ...) so drift, GC and cache effects
 * land on both equally. Returns the app and floor stats and the median ratio.
 */
export async function compare(
  app: () => Promise<unknown>,
  floor: () => Promise<unknown>,
  opts: { warmup?: number; runs?: number } = {},
): Promise<{ app: Stats; floor: Stats; ratio: number }> {
  const warmup = opts.warmup ?? 5;
  const runs = opts.runs ?? 30;
  for (let i = 0; i < warmup; i++) {
    await app();
    await floor();
  }
  const a: number[] = [];
  const f: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      a.push(await timeOnce(app));
      f.push(await timeOnce(floor));
    } else {
      f.push(await timeOnce(floor));
      a.push(await timeOnce(app));
    }
  }
  const sa = stats(a);
  const sf = stats(f);
  return { app: sa, floor: sf, ratio: sa.median / sf.median };
}

// ---------------------------------------------------------------------------------------------
// The driver underneath drizzle, for the floor: hand-written SQL straight to pg's Pool or PGlite.

export type RawClient = {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
};

type DriverClient = { query(...args: unknown[]): Promise<{ rows: unknown[] }> };

function driverOf(handle: DbHandle): DriverClient {
  const client = (handle.db as unknown as { $client?: DriverClient }).$client;
  if (!client || typeof client.query !== "function") throw new Error("bench: the drizzle handle exposes no $client.query");
  return client;
}

/** Both pg's Pool#query(text, values) and PGlite#query(text, params) return `{ rows }` of objects. */
export function rawClient(handle: DbHandle): RawClient {
  const client = driverOf(handle);
  return {
    async query<T>(text: string, params: unknown[] = []) {
      const res = await client.query(text, params);
      return res.rows as T[];
    },
  };
}

/**
 * Records the SQL text drizzle sends to the driver while `fn` runs (for the JSON file and --verbose),
 * so a reader can check the floor statements against what the app really issues.
 */
export async function captureSql<T>(handle: DbHandle, fn: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const client = driverOf(handle) as DriverClient & Record<string, unknown>;
  const original = client.query;
  const statements: string[] = [];
  client.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === "string" ? first : (first as { text?: string } | undefined)?.text;
    if (text) statements.push(text);
    return original.apply(client, args);
  };
  try {
    return { result: await fn(), statements };
  } finally {
    client.query = original;
  }
}

// ---------------------------------------------------------------------------------------------
// Databases

export const DEFAULT_PG_URL = "postgres://127.0.0.1:5432/test";
export const BENCH_DB_NAME = "corridor_bench";

/**
 * node-postgres takes the user from PGUSER or USER only; libpq (psql) falls back to the OS user. Do
 * the same so a bare postgres://127.0.0.1:5432/test works where psql does.
 */
export function withDefaultUser(url: string): string {
  const u = new URL(url);
  if (!u.username && !process.env.PGUSER && !process.env.USER) u.username = os.userInfo().username;
  return u.toString();
}

/** The server's URL with its database swapped for `corridor_bench`. */
export function benchUrl(baseUrl: string): string {
  const u = new URL(baseUrl);
  u.pathname = `/${BENCH_DB_NAME}`;
  return u.toString();
}

/**
 * Creates `corridor_bench` on the server in `baseUrl` (dropping a left-over one first) through a client
 * connected to the base database, which is only ever used for CREATE/DROP DATABASE.
 */
export async function recreateBenchDatabase(baseUrl: string, create: boolean): Promise<void> {
  if (new URL(baseUrl).pathname.replace(/^\//, "") === BENCH_DB_NAME) {
    throw new Error(`bench: DATABASE_URL must name a database other than ${BENCH_DB_NAME} (it is used to create and drop it)`);
  }
  const { Client } = await import("pg");
  const admin = new Client({ connectionString: withDefaultUser(baseUrl) });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB_NAME} WITH (FORCE)`);
    if (create) await admin.query(`CREATE DATABASE ${BENCH_DB_NAME}`);
  } finally {
    await admin.end();
  }
}

/** Opens fresh databases of one kind for one module and cleans them all up afterwards. */
export class DbLease {
  private handles: DbHandle[] = [];
  private touchedPg = false;
  constructor(
    private readonly kind: DbKind,
    private readonly pgBaseUrl: string,
  ) {}

  async open(): Promise<DbHandle> {
    if (this.kind === "pglite") {
      const handle = await openDb({ dataDir: "memory://" });
      this.handles.push(handle);
      return handle;
    }
    // One bench database at a time on pg: a second open within a module starts from empty again.
    await this.closeAll();
    this.touchedPg = true;
    await recreateBenchDatabase(this.pgBaseUrl, true);
    const handle = await openDb({ url: withDefaultUser(benchUrl(this.pgBaseUrl)), dataDir: "" });
    this.handles.push(handle);
    return handle;
  }

  private async closeAll() {
    const handles = this.handles.splice(0);
    for (const h of handles) await h.close().catch(() => {});
  }

  async release(): Promise<void> {
    await this.closeAll();
    if (this.touchedPg) {
      this.touchedPg = false;
      await recreateBenchDatabase(this.pgBaseUrl, false);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Output

export const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
export const fmtRatio = (r: number) => `${r.toFixed(2)}x`;

export function table(headers: string[], rows: string[][], rightAlign: boolean[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (rightAlign[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
