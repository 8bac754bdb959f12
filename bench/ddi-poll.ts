/**
 * DDI base poll under load: the built app (scripts/server.ts) against a floor — a minimal node:http + pg
 * server doing the same work per poll (one joined auth query by token hash, the same JSON, last contact
 * noted in memory and written in one UPDATE every 5 s) — in the same run, on the same data.
 *
 * Three child processes, so no side shares an event loop with another: the app, the floor and a load
 * generator (node:http, keep-alive, a fixed number of requests in flight, random fleet devices). After
 * a warm-up of each side, the measured phases alternate app, floor, app, floor. The run also checks the
 * answers (status 200 with config.polling.sleep), that last contact advanced for the devices polled,
 * and counts the UPDATE statements that reached `devices` (batching: statements ≪ polls). A last,
 * short phase per side asks for an unknown tenant (404 before any query): the HTTP stack's own cost.
 * CPU per request comes from /proc (each server's process group, its PostgreSQL backends by
 * application_name), so a gap can be placed in the server or in the database.
 *
 * PostgreSQL only: PGlite is single-process and not the production path. Needs a production build
 * (`npx next build`); ports 3230 (app) and 3231 (floor). Knobs: BENCH_DDI_CONCURRENCY (64),
 * BENCH_DDI_WARMUP_S (10), BENCH_DDI_MEASURE_S (10 per phase), BENCH_DDI_NODB_S (4, 0 = off),
 * BENCH_DDI_CPU_PROF=<dir> (V8 CPU profiles of the app and the floor).
 *
 * The same file is the children's entry point (CORRIDOR_BENCH_CHILD=floor|load); they load only node
 * built-ins and pg, so the floor stays minimal.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { BenchEnv, BenchModule, BenchRow, ModuleResult, Stats } from "./lib";

const APP_PORT = 3230;
const FLOOR_PORT = 3231;
const DEVICES = 20_000;
const FLEET = 10_000;
const CONCURRENCY = Number(process.env.BENCH_DDI_CONCURRENCY ?? 64);
/** Unmeasured warm-up of each side before the measured phases (JIT, pools, caches). */
const WARMUP_MS = Number(process.env.BENCH_DDI_WARMUP_S ?? 10) * 1000;
/** Each measured phase: a short unmeasured ramp, then the measured window. Two phases per side. */
const RAMP_MS = 1000;
const MEASURE_MS = Number(process.env.BENCH_DDI_MEASURE_S ?? 10) * 1000;
const ROUNDS = 2;
const POOL_MAX = 10;
const POLL_SECONDS = 300;
const FLUSH_MS = 5000;
const TENANT = "DEFAULT";
const NO_TENANT = "BENCH-NO-DB";
/** The no-database phases (one per side, after the measured rounds). */
const NO_DB_MS = Number(process.env.BENCH_DDI_NODB_S ?? 4) * 1000;

/** The issue's goals: app throughput ≥ 60 % of the floor's, app p99 ≤ 2× the floor's. */
const GOAL_THROUGHPUT = 0.6;
const GOAL_P99 = 2.0;
const TARGET_DEVICES = 1_000_000;
const NEEDED_RPS = TARGET_DEVICES / POLL_SECONDS;

/** A directory to write V8 CPU profiles of the app and the floor to (node --cpu-prof), to see where the time goes. */
const CPU_PROF_DIR = process.env.BENCH_DDI_CPU_PROF;

const APP_NAME = "corridor-bench-app";
const FLOOR_NAME = "corridor-bench-floor";
const THIS_FILE = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------------------------------------
// The floor's SQL: the statement drizzle generates for authenticateDevice's loadDevice (captured
// with .toSQL()), and the statement flushContacts sends.

const OPEN_ACTION_STATES = ["scheduled", "downloading", "downloaded", "installing", "installed_awaiting_confirmation", "cancel_requested"];

const AUTH_SQL =
  'select "devices"."id", "devices"."serial", "devices"."status", "devices"."model_id", "devices"."hardware_revision", ' +
  '"devices"."firmware_version", "devices"."security_version", "devices"."unit_id", "units"."time_zone", ' +
  '"device_credentials"."revoked_at", "device_reports"."attributes_at", "device_reports"."in_clinical_use", ' +
  '"device_reports"."clinical_use_at", "deployment_actions"."id", "deployment_actions"."state", "deployment_actions"."release_id", ' +
  '"releases"."version", "releases"."security_version" from "device_credentials" ' +
  'inner join "devices" on "devices"."id" = "device_credentials"."device_id" ' +
  'inner join "units" on "units"."id" = "devices"."unit_id" ' +
  'left join "device_reports" on "device_reports"."device_id" = "devices"."id" ' +
  'left join "deployment_actions" on ("deployment_actions"."device_id" = "devices"."id" and "deployment_actions"."state" in ($1, $2, $3, $4, $5, $6)) ' +
  'left join "releases" on "releases"."id" = "deployment_actions"."release_id" ' +
  'where "device_credentials"."token_hash" = $7 limit $8';

const FLUSH_SQL = `UPDATE devices SET last_contact_at = GREATEST(devices.last_contact_at, v.t)
    FROM (SELECT unnest($1::int[]) AS id, unnest($2::timestamptz[]) AS t) v
    WHERE devices.id = v.id`;

/** Counts every UPDATE statement on devices and the rows it touched, by the client's application_name. */
const COUNT_UPDATES_SQL = `
CREATE TABLE bench_device_updates (at timestamptz NOT NULL DEFAULT clock_timestamp(), app text NOT NULL, rows int NOT NULL);
CREATE FUNCTION bench_count_device_updates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bench_device_updates (app, rows) SELECT current_setting('application_name'), count(*) FROM bench_new_rows;
  RETURN NULL;
END $$;
CREATE TRIGGER bench_count_device_updates AFTER UPDATE ON devices
  REFERENCING NEW TABLE AS bench_new_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_count_device_updates();`;

// ---------------------------------------------------------------------------------------------
// Messages between the bench and its children (IPC).

type Side = "app" | "floor";
type Device = { id: number; serial: string; token: string };
/**
 * "poll": the base poll of a fleet device (200 expected). "no-db": the same URL under an unknown tenant,
 * which both sides refuse (404) before any database work: the per-request cost of the HTTP stack alone.
 */
type Kind = "poll" | "no-db";
type PhaseCmd = { cmd: "phase"; side: Side; kind: Kind; port: number; rampMs: number; measureMs: number };
type ToLoad = { cmd: "init"; app: Device[]; floor: Device[]; concurrency: number } | PhaseCmd | { cmd: "polled" };
type PhaseResult = {
  side: Side;
  /** Requests completed inside the measured window, and the window's length. */
  measured: number;
  windowMs: number;
  /** Every request completed in the phase (ramp, window and drain). */
  total: number;
  /** Latencies (ms) of the requests completed inside the window. */
  latencies: number[];
  errors: Record<string, number>;
};
type FromLoad =
  | { cmd: "ready" }
  | { cmd: "phase-done"; result: PhaseResult }
  | { cmd: "polled"; at: number; app: [number, number][]; floor: [number, number][]; polls: Record<Side, number> };

// ---------------------------------------------------------------------------------------------
// Child: the floor server.

async function floorMain() {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString: process.env.FLOOR_DATABASE_URL, max: Number(process.env.PG_POOL_MAX ?? POOL_MAX) });
  const pending = new Map<number, Date>();
  const flush = async () => {
    if (!pending.size) return;
    const entries = [...pending];
    pending.clear();
    await pool.query(FLUSH_SQL, [entries.map(([id]) => id), entries.map(([, t]) => t.toISOString())]);
  };
  const timer = setInterval(() => void flush().catch((err) => console.error("[floor] flush failed", err)), FLUSH_MS);

  const headers = (body: string) => ({
    "Content-Type": "application/hal+json;charset=UTF-8",
    "Cache-Control": "no-store",
    // What next.config.ts adds to every response.
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Length": Buffer.byteLength(body),
  });
  const send = (res: http.ServerResponse, status: number, value: unknown) => {
    const body = JSON.stringify(value);
    res.writeHead(status, headers(body));
    res.end(body);
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
    const parts = url.pathname.split("/");
    // ["", "api", "ddi", tenant, "controller", "v1", controllerId]
    if (req.method !== "GET" || parts.length !== 7 || parts[1] !== "api" || parts[2] !== "ddi" || parts[4] !== "controller" || parts[5] !== "v1") {
      return send(res, 404, { error: "not found" });
    }
    if (parts[3] !== TENANT) return send(res, 404, { error: "unknown tenant" });
    const controllerId = decodeURIComponent(parts[6]!);
    const match = /^TargetToken\s+(\S{16,200})$/i.exec(req.headers.authorization ?? "");
    if (!match) return send(res, 401, { error: "unauthenticated" });
    const tokenHash = createHash("sha256").update(match[1]!).digest("hex");
    // Prepared, like the app's lookup: planning the join costs more than running it.
    const { rows } = await pool.query({ name: "ddi_auth", text: AUTH_SQL, values: [...OPEN_ACTION_STATES, tokenHash, 1], rowMode: "array" });
    const row = rows[0] as unknown[] | undefined;
    if (!row || row[9] !== null) return send(res, 401, { error: "unauthenticated" });
    const id = Number(row[0]);
    const serial = String(row[1]);
    if (serial !== controllerId || row[2] === "retired") return send(res, 403, { error: "forbidden" });

    pending.set(id, new Date());
    const base = `${url.origin}/api/ddi/${TENANT}/controller/v1/${encodeURIComponent(serial)}`;
    const links: Record<string, { href: string }> = {};
    const actionId = row[13];
    const state = row[14];
    if (actionId != null && state === "cancel_requested") links.cancelAction = { href: `${base}/cancelAction/${String(actionId)}` };
    // The bench data has no open actions; the floor does not carry the install gate, so it says so.
    else if (actionId != null) return send(res, 500, { error: "floor: the install gate is not implemented" });
    if (row[10] === null) links.configData = { href: `${base}/configData` };
    send(res, 200, { config: { polling: { sleep: pollSleep(id) } }, _links: links });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      console.error("[floor] request failed", err);
      if (!res.headersSent) send(res, 500, { error: "internal" });
    });
  });
  server.listen(Number(process.env.FLOOR_PORT), "127.0.0.1", () => process.send?.({ cmd: "ready" }));
  const stop = () => {
    clearInterval(timer);
    server.close();
    void flush()
      .catch(() => {})
      .finally(() => void pool.end().finally(() => process.exit(0)));
  };
  process.once("SIGTERM", stop);
  process.once("disconnect", stop);
}

/** protocol.ts pollSleep with the bench's poll interval: ±10 % jitter, stable per device. */
function pollSleep(deviceId: number): string {
  const spread = ((Math.imul(deviceId, 2654435761) >>> 0) % 2001) / 10000 - 0.1;
  const seconds = Math.max(1, Math.min(86_399, Math.round(POLL_SECONDS * (1 + spread))));
  const hh = String(Math.floor(seconds / 3600)).padStart(2, "0");
  const mm = String(Math.floor((seconds % 3600) / 60)).padStart(2, "0");
  const ss = String(seconds % 60).padStart(2, "0");
  return `${hh}:${mm}:${ss}`;
}

// ---------------------------------------------------------------------------------------------
// Child: the load generator.

function loadMain() {
  let sets: Record<Side, Device[]> = { app: [], floor: [] };
  let concurrency = CONCURRENCY;
  // Last successful poll (epoch ms) per device id, and all polls, per side over the whole run.
  const lastOk: Record<Side, Map<number, number>> = { app: new Map(), floor: new Map() };
  const polls: Record<Side, number> = { app: 0, floor: 0 };
  const reply = (m: FromLoad) => process.send?.(m);

  type Outcome = { ok: boolean; error?: string };
  function poll(agent: http.Agent, port: number, d: Device, kind: Kind): Promise<Outcome> {
    return new Promise((resolve) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port,
          method: "GET",
          path: `/api/ddi/${kind === "poll" ? TENANT : NO_TENANT}/controller/v1/${encodeURIComponent(d.serial)}`,
          agent,
          headers: { Authorization: `TargetToken ${d.token}`, "User-Agent": "corridor-bench/ddi-poll" },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (e) => resolve({ ok: false, error: `response ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
          res.on("end", () => {
            if (kind === "no-db") return resolve(res.statusCode === 404 ? { ok: true } : { ok: false, error: `status ${res.statusCode} (404 expected)` });
            if (res.statusCode !== 200) return resolve({ ok: false, error: `status ${res.statusCode}` });
            try {
              const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { config?: { polling?: { sleep?: unknown } } };
              const sleep = body.config?.polling?.sleep;
              resolve(typeof sleep === "string" && /^\d\d:\d\d:\d\d$/.test(sleep) ? { ok: true } : { ok: false, error: "no config.polling.sleep" });
            } catch {
              resolve({ ok: false, error: "body is not JSON" });
            }
          });
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
      req.on("error", (e) => resolve({ ok: false, error: `request ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
      req.end();
    });
  }

  async function phase(c: PhaseCmd): Promise<PhaseResult> {
    const devices = sets[c.side];
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const t0 = performance.now();
    const from = t0 + c.rampMs;
    const to = from + c.measureMs;
    const latencies: number[] = [];
    const errors: Record<string, number> = {};
    let measured = 0;
    let total = 0;
    const worker = async () => {
      while (performance.now() < to) {
        const d = devices[Math.floor(Math.random() * devices.length)]!;
        const start = performance.now();
        const out = await poll(agent, c.port, d, c.kind);
        const end = performance.now();
        total++;
        if (!out.ok) errors[out.error!] = (errors[out.error!] ?? 0) + 1;
        else if (c.kind === "poll") lastOk[c.side].set(d.id, Date.now());
        if (c.kind === "poll") polls[c.side]++;
        if (end >= from && end <= to) {
          measured++;
          latencies.push(Math.round((end - start) * 1000) / 1000);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    agent.destroy();
    return { side: c.side, measured, windowMs: c.measureMs, total, latencies, errors };
  }

  process.on("message", (m: ToLoad) => {
    if (m.cmd === "init") {
      sets = { app: m.app, floor: m.floor };
      concurrency = m.concurrency;
      reply({ cmd: "ready" });
    } else if (m.cmd === "phase") {
      void phase(m).then((result) => reply({ cmd: "phase-done", result }));
    } else if (m.cmd === "polled") {
      reply({ cmd: "polled", at: Date.now(), app: [...lastOk.app], floor: [...lastOk.floor], polls });
    }
  });
  process.once("disconnect", () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// The bench side: children, CPU accounting, the run.

/** A child in its own process group, so everything it starts goes down with it. */
class Child {
  readonly proc: ChildProcess;
  readonly tail: string[] = [];
  private exited: Promise<void>;
  constructor(
    readonly name: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    verbose: boolean,
  ) {
    this.proc = spawn(process.execPath, args, { env, cwd: process.cwd(), detached: true, stdio: ["ignore", "pipe", "pipe", "ipc"] });
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line.trim()) continue;
        this.tail.push(line);
        if (this.tail.length > 40) this.tail.shift();
        if (verbose) console.log(`    [${name}] ${line}`);
      }
    };
    this.proc.stdout!.on("data", keep);
    this.proc.stderr!.on("data", keep);
    this.exited = new Promise((resolve) => this.proc.once("exit", () => resolve()));
    live.add(this);
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  send(m: unknown) {
    this.proc.send(m as Parameters<NonNullable<typeof process.send>>[0]);
  }

  /** Waits for the next IPC message matching `pred`, failing if the child exits first. */
  next<T>(pred: (m: unknown) => m is T, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const onMsg = (m: unknown) => {
        if (!pred(m)) return;
        done();
        resolve(m);
      };
      const onExit = () => {
        done();
        reject(new Error(`bench: ${this.name} exited (code ${this.proc.exitCode ?? this.proc.signalCode}):\n${this.tail.join("\n")}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`bench: no answer from ${this.name} in ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.proc.off("message", onMsg);
        this.proc.off("exit", onExit);
      };
      this.proc.on("message", onMsg);
      this.proc.once("exit", onExit);
    });
  }

  signalGroup(sig: NodeJS.Signals) {
    if (this.pid <= 0) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      // already gone
    }
  }

  async stop() {
    this.signalGroup("SIGTERM");
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 5000).unref());
    if (this.running && (await Promise.race([this.exited.then(() => "exited" as const), timeout])) === "timeout") this.signalGroup("SIGKILL");
    // Anything left in the group (a server's own children) goes too.
    this.signalGroup("SIGKILL");
    live.delete(this);
  }
}

const live = new Set<Child>();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of live) c.signalGroup("SIGKILL");
  });
}

const isMsg =
  <K extends FromLoad["cmd"] | "ready">(cmd: K) =>
  (m: unknown): m is Extract<FromLoad, { cmd: K }> =>
    typeof m === "object" && m !== null && (m as { cmd?: unknown }).cmd === cmd;

// CPU time from /proc (Linux), to show where the CPU goes per request. null where /proc is missing.
const TICK_MS = 10; // USER_HZ = 100 on Linux

function readStat(pid: number | string): { comm: string; pgrp: number; ticks: number } | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = s.lastIndexOf(")");
    const f = s.slice(close + 2).split(" ");
    return { comm: s.slice(s.indexOf("(") + 1, close), pgrp: Number(f[2]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

type CpuSnap = {
  app: number;
  floor: number;
  load: number;
  postgres: number;
  /** Ticks of every postgres process, to charge each side its own backends. */
  backends: Map<number, number>;
  machineBusy: number;
  machineTotal: number;
} | null;

function cpuSnap(groups: { app: number; floor: number; load: number }): CpuSnap {
  if (!fs.existsSync("/proc/stat")) return null;
  const out = { app: 0, floor: 0, load: 0, postgres: 0, backends: new Map<number, number>(), machineBusy: 0, machineTotal: 0 };
  for (const pid of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const st = readStat(pid);
    if (!st) continue;
    if (st.pgrp === groups.app) out.app += st.ticks;
    else if (st.pgrp === groups.floor) out.floor += st.ticks;
    else if (st.pgrp === groups.load) out.load += st.ticks;
    else if (st.comm === "postgres") {
      out.postgres += st.ticks;
      out.backends.set(Number(pid), st.ticks);
    }
  }
  const cpu = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  out.machineTotal = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  out.machineBusy = out.machineTotal - idle;
  return out;
}

type CpuUse = {
  appMs: number;
  floorMs: number;
  loadMs: number;
  /** All postgres processes (other databases' sessions included). */
  postgresMs: number;
  /** The backends of the side under load (by application_name). */
  sideBackendsMs: number;
  otherMs: number;
  machineBusyPct: number;
  /** The phase's wall time, drain of the last requests included. */
  wallMs: number;
};

/** `sidePids`: the backends of the side under load, still connected at the end of the phase. */
function cpuDelta(a: CpuSnap, b: CpuSnap, sidePids: number[], wallMs: number): CpuUse | null {
  if (!a || !b) return null;
  const sideTicks = sidePids.reduce((s, pid) => s + (b.backends.get(pid) ?? 0) - (a.backends.get(pid) ?? 0), 0);
  // Per process: backends that exit during the phase take their ticks with them (a sum would drop).
  let pgTicks = 0;
  for (const [pid, ticks] of b.backends) pgTicks += ticks - (a.backends.get(pid) ?? 0);
  const ms = (k: "app" | "floor" | "load" | "postgres") => (k === "postgres" ? pgTicks : b[k] - a[k]) * TICK_MS;
  const busyMs = (b.machineBusy - a.machineBusy) * TICK_MS;
  const totalMs = (b.machineTotal - a.machineTotal) * TICK_MS;
  const ours = ms("app") + ms("floor") + ms("load") + ms("postgres");
  return {
    appMs: ms("app"),
    floorMs: ms("floor"),
    loadMs: ms("load"),
    postgresMs: ms("postgres"),
    sideBackendsMs: sideTicks * TICK_MS,
    otherMs: Math.max(0, busyMs - ours),
    machineBusyPct: totalMs ? (100 * busyMs) / totalMs : NaN,
    wallMs,
  };
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

type Measured = { rps: number; n: number; p50: number; p95: number; p99: number; max: number; errors: number; stats: Stats };

function summarize(results: PhaseResult[], statsOf: (s: number[]) => Stats): Measured {
  const lat = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const n = results.reduce((s, r) => s + r.measured, 0);
  const seconds = results.reduce((s, r) => s + r.windowMs, 0) / 1000;
  const errors = results.reduce((s, r) => s + Object.values(r.errors).reduce((a, b) => a + b, 0), 0);
  const st = statsOf(lat);
  return { rps: n / seconds, n, p50: quantile(lat, 0.5), p95: quantile(lat, 0.95), p99: quantile(lat, 0.99), max: lat.at(-1) ?? NaN, errors, stats: st };
}

const mergeErrors = (rs: PhaseResult[]) =>
  rs.reduce<Record<string, number>>((acc, r) => {
    for (const [k, v] of Object.entries(r.errors)) acc[k] = (acc[k] ?? 0) + v;
    return acc;
  }, {});

/** Source files that feed the DDI base poll; a build older than any of them measures old code. */

function skip(short: string, why: string[]): ModuleResult {
  return { context: { skipped: short }, rows: [], notes: why };
}

async function run(env: BenchEnv): Promise<ModuleResult> {
  const lib = await import("./lib");
  const pgOnly = "PostgreSQL only: PGlite is single-process (one connection, in the server's own event loop) and not the production path for a fleet";
  if (env.db !== "pg") return skip("PostgreSQL only", [`${pgOnly}; run with --db pg (or both)`]);

  const root = process.cwd();
  if (!fs.existsSync(path.join(root, ".next", "BUILD_ID"))) {
    return skip("no production build", [".next/BUILD_ID is missing: build first with `npx next build`, then run `npm run bench -- --only ddi-poll --db pg`"]);
  }
  for (const port of [APP_PORT, FLOOR_PORT]) {
    if (await portInUse(port)) throw new Error(`bench: port ${port} is already in use; ddi-poll needs ${APP_PORT} (app) and ${FLOOR_PORT} (floor)`);
  }

  const notes: string[] = [];

  // Seed through openDb (which migrates), then hand the database to the servers.
  const { randomBytes } = await import("node:crypto");
  const { seedDemo } = await import("@/db/seed/demo");
  const { fleetToken } = await import("@/lib/services/ddi/fleet-token");
  const handle = await env.openFreshDb();
  const raw = lib.rawClient(handle);
  const secret = randomBytes(24).toString("base64url");
  // Seeded last contacts all lie before this instant, so any later one was written by a poll.
  const seedNow = new Date(Date.now() - 3_600_000);
  env.log(`seeding ${DEVICES.toLocaleString()} devices, ${FLEET.toLocaleString()} with fleet tokens...`);
  const ts = performance.now();
  const seeded = await seedDemo(handle.db, { devices: DEVICES, fleet: { secret, devices: FLEET }, seed: 20261123, now: seedNow });
  await raw.query("ANALYZE");
  const seedMs = performance.now() - ts;
  const [version] = await raw.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
  const fleetRows = await raw.query<{ id: number; serial: string }>(
    `SELECT d.id, d.serial FROM device_credentials c JOIN devices d ON d.id = c.device_id WHERE c.revoked_at IS NULL ORDER BY d.id`,
  );
  const [openActions] = await raw.query<{ n: string }>(`SELECT count(*) AS n FROM deployment_actions WHERE state = ANY($1)`, [OPEN_ACTION_STATES]);
  for (const stmt of COUNT_UPDATES_SQL.split(/;\n(?=CREATE)/)) await raw.query(stmt);
  await handle.close();

  // Two disjoint halves of the fleet (alternate ids, so both spread over all units and models): the
  // app polls one, the floor the other, so each side's last-contact writes can be checked on their own.
  const fleet: Device[] = fleetRows.map((r) => ({ id: Number(r.id), serial: r.serial, token: fleetToken(secret, r.serial) }));
  const appSet = fleet.filter((_, i) => i % 2 === 0);
  const floorSet = fleet.filter((_, i) => i % 2 === 1);

  const dbUrl = new URL(lib.withDefaultUser(lib.benchUrl(process.env.DATABASE_URL || lib.DEFAULT_PG_URL)));
  const urlFor = (name: string) => {
    const u = new URL(dbUrl);
    u.searchParams.set("application_name", name);
    return u.toString();
  };

  installExitHook();
  const children: Child[] = [];
  const { Client } = (await import("pg")).default;
  const stat = new Client({ connectionString: urlFor("corridor-bench-stats") });
  // An interrupted run drops the database under this connection; that is not an error worth a crash.
  stat.on("error", (err) => env.verbose && env.log(`stats connection: ${err.message}`));
  try {
    const baseEnv = { ...process.env };
    for (const k of ["CORRIDOR_FLEET_SECRET", "CORRIDOR_DEMO_PASSWORD", "PORT", "NODE_OPTIONS"]) delete baseEnv[k];
    // Node flags for a profiled child (--cpu-prof is refused in NODE_OPTIONS; `next start` serves in its own process).
    const profiled = (name: string) => {
      if (!CPU_PROF_DIR) return [];
      const dir = path.resolve(CPU_PROF_DIR, name);
      fs.mkdirSync(dir, { recursive: true });
      return ["--cpu-prof", `--cpu-prof-dir=${dir}`];
    };
    env.log(`starting the app (scripts/server.ts on :${APP_PORT}), the floor (:${FLOOR_PORT}) and the load generator...`);
    const t0 = performance.now();
    const app = new Child(
      "app",
      [...profiled("app"), "--import", "tsx", path.join(root, "scripts", "server.ts"), "--port", String(APP_PORT)],
      {
        ...baseEnv,
        NODE_ENV: "production",
        DATABASE_URL: urlFor(APP_NAME),
        CORRIDOR_DEMO: "0",
        AUTH_SECRET: "x",
        AUTH_TRUST_HOST: "true",
        DDI_POLL_SECONDS: String(POLL_SECONDS),
        DDI_TENANT: TENANT,
        PG_POOL_MAX: String(POOL_MAX),
        NEXT_TELEMETRY_DISABLED: "1",
      },
      env.verbose,
    );
    children.push(app);
    const floor = new Child(
      "floor",
      [...profiled("floor"), "--import", "tsx", THIS_FILE],
      { ...baseEnv, CORRIDOR_BENCH_CHILD: "floor", FLOOR_PORT: String(FLOOR_PORT), FLOOR_DATABASE_URL: urlFor(FLOOR_NAME), PG_POOL_MAX: String(POOL_MAX) },
      env.verbose,
    );
    children.push(floor);
    const load = new Child("load", ["--import", "tsx", THIS_FILE], { ...baseEnv, CORRIDOR_BENCH_CHILD: "load" }, env.verbose);
    children.push(load);

    await floor.next(isMsg("ready"), 30_000);
    load.send({ cmd: "init", app: appSet, floor: floorSet, concurrency: CONCURRENCY } satisfies ToLoad);
    await load.next(isMsg("ready"), 30_000);
    const probed = new Set<number>();
    const probe = async (port: number, d: Device) => {
      probed.add(d.id);
      const res = await fetch(`http://127.0.0.1:${port}/api/ddi/${TENANT}/controller/v1/${encodeURIComponent(d.serial)}`, {
        headers: { Authorization: `TargetToken ${d.token}` },
      });
      return { status: res.status, body: await res.text() };
    };
    // Ready when the app answers a real poll.
    for (let i = 0; ; i++) {
      if (!app.running) throw new Error(`bench: the app exited during start-up:\n${app.tail.join("\n")}`);
      const r = await probe(APP_PORT, appSet[0]!).catch(() => null);
      if (r?.status === 200) break;
      if (i > 600) throw new Error(`bench: the app did not answer a poll within 60 s (last: ${r ? `${r.status} ${r.body.slice(0, 200)}` : "no connection"}):\n${app.tail.join("\n")}`);
      await sleep(100);
    }
    const startMs = performance.now() - t0;

    // Parity: on the same device both sides must answer the same JSON (origins aside).
    const parity: { serial: string; same: boolean; app: string; floor: string }[] = [];
    for (const d of [appSet[1]!, floorSet[1]!, fleet.at(-1)!]) {
      const a = await probe(APP_PORT, d);
      const f = await probe(FLOOR_PORT, d);
      const norm = (s: string) => s.replace(/http:\/\/[^/"]+/g, "ORIGIN");
      parity.push({ serial: d.serial, same: a.status === f.status && norm(a.body) === norm(f.body), app: `${a.status} ${a.body}`, floor: `${f.status} ${f.body}` });
    }
    const parityOk = parity.every((p) => p.same);
    if (!parityOk) notes.push(`app and floor answer differently:\n${parity.filter((p) => !p.same).map((p) => `    ${p.serial}\n      app:   ${p.app}\n      floor: ${p.floor}`).join("\n")}`);

    await stat.connect();
    const updCount = async () => {
      await stat.query("SELECT pg_stat_clear_snapshot()");
      const { rows } = await stat.query<{ n: string }>(`SELECT n_tup_upd AS n FROM pg_stat_user_tables WHERE relname = 'devices'`);
      return Number(rows[0]?.n ?? 0);
    };
    const updBefore = await updCount();

    const groups = { app: app.pid, floor: floor.pid, load: load.pid };
    const runPhase = async (side: Side, rampMs: number, measureMs: number, kind: Kind = "poll") => {
      const before = cpuSnap(groups);
      const t = performance.now();
      load.send({ cmd: "phase", side, kind, port: side === "app" ? APP_PORT : FLOOR_PORT, rampMs, measureMs } satisfies ToLoad);
      const { result } = await load.next(isMsg("phase-done"), rampMs + measureMs + 30_000);
      const after = cpuSnap(groups);
      const wallMs = performance.now() - t;
      const { rows: backends } = await stat.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [side === "app" ? APP_NAME : FLOOR_NAME]);
      const cpu = cpuDelta(before, after, backends.map((b) => Number(b.pid)), wallMs);
      for (const c of [app, floor]) if (!c.running) throw new Error(`bench: the ${c.name} exited during the run:\n${c.tail.join("\n")}`);
      return { result, cpu };
    };

    env.log(`warm-up: ${WARMUP_MS / 1000} s per side, ${CONCURRENCY} in flight...`);
    const warm = { app: await runPhase("app", 0, WARMUP_MS), floor: await runPhase("floor", 0, WARMUP_MS) };
    env.log(`measuring: ${ROUNDS} rounds of app then floor, ${RAMP_MS / 1000} s ramp + ${MEASURE_MS / 1000} s measured each...`);
    const phases: { round: number; side: Side; result: PhaseResult; cpu: CpuUse | null }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const side of ["app", "floor"] as const) {
        const p = await runPhase(side, RAMP_MS, MEASURE_MS);
        phases.push({ round, side, ...p });
        if (env.verbose) env.log(`round ${round} ${side}: ${Math.round(p.result.measured / (p.result.windowMs / 1000))} req/s`);
      }
    }

    const lastPollAt = performance.now();
    let noDb: { app: Awaited<ReturnType<typeof runPhase>>; floor: Awaited<ReturnType<typeof runPhase>> } | null = null;
    if (NO_DB_MS > 0) {
      env.log(`no-database phase: ${RAMP_MS / 1000}+${NO_DB_MS / 1000} s per side on an unknown tenant (404 before any query)...`);
      noDb = { app: await runPhase("app", RAMP_MS, NO_DB_MS, "no-db"), floor: await runPhase("floor", RAMP_MS, NO_DB_MS, "no-db") };
    }
    // Let the last flush of both sides land (every 5 s) and the statistics collector catch up.
    await sleep(Math.max(0, FLUSH_MS + 1500 - (performance.now() - lastPollAt)));
    const checkedAfterS = (performance.now() - lastPollAt) / 1000;
    load.send({ cmd: "polled" } satisfies ToLoad);
    const polled = await load.next(isMsg("polled"), 30_000);
    const checkSide = async (side: Side, lastOk: [number, number][]) => {
      const ids = lastOk.map(([id]) => id);
      const recent = lastOk.filter(([, at]) => polled.at - at < FLUSH_MS).length;
      const [row] = (await stat.query<{ n: string }>(`SELECT count(*) AS n FROM devices WHERE id = ANY($1::int[]) AND last_contact_at > $2`, [ids, seedNow])).rows;
      const advanced = Number(row?.n ?? 0);
      return { distinct: ids.length, recent, advanced, ok: advanced >= ids.length - recent };
    };
    const contact = { app: await checkSide("app", polled.app), floor: await checkSide("floor", polled.floor) };
    const [stray] = (
      await stat.query<{ n: string }>(`SELECT count(*) AS n FROM devices WHERE last_contact_at > $1 AND NOT (id = ANY($2::int[]))`, [
        seedNow,
        [...polled.app.map(([id]) => id), ...polled.floor.map(([id]) => id), ...probed],
      ])
    ).rows;
    const updates = (await stat.query<{ app: string; statements: string; rows: string; max: string }>(
      `SELECT app, count(*) AS statements, sum(rows) AS rows, max(rows) AS max FROM bench_device_updates GROUP BY app ORDER BY app`,
    )).rows;
    const updAfter = await updCount();
    const upd = (name: string) => {
      const u = updates.find((r) => r.app === name);
      return { statements: Number(u?.statements ?? 0), rows: Number(u?.rows ?? 0), maxRows: Number(u?.max ?? 0) };
    };
    const batching = { app: upd(APP_NAME), floor: upd(FLOOR_NAME), other: updates.filter((r) => r.app !== APP_NAME && r.app !== FLOOR_NAME) };

    // ------------------------------------------------------------------- results
    const of = (side: Side, round?: number) => phases.filter((p) => p.side === side && (round === undefined || p.round === round));
    const sum = (side: Side, round?: number) => summarize(of(side, round).map((p) => p.result), lib.stats);
    const A = sum("app");
    const F = sum("floor");
    const tputRatio = A.rps / F.rps;
    const p99Ratio = A.p99 / F.p99;
    const cpuPerReq = (side: Side) => {
      const ps = of(side);
      if (ps.some((p) => !p.cpu)) return null;
      const reqs = ps.reduce((s, p) => s + p.result.total, 0);
      const tot = (k: keyof CpuUse) => ps.reduce((s, p) => s + p.cpu![k], 0);
      const wall = tot("wallMs");
      return {
        serverUs: (1000 * tot(side === "app" ? "appMs" : "floorMs")) / reqs,
        postgresUs: (1000 * tot("sideBackendsMs")) / reqs,
        allPostgresUs: (1000 * tot("postgresMs")) / reqs,
        loadUs: (1000 * tot("loadMs")) / reqs,
        otherCores: tot("otherMs") / wall,
        machineBusyPct: ps.reduce((s, p) => s + p.cpu!.machineBusyPct, 0) / ps.length,
      };
    };
    const cpu = { app: cpuPerReq("app"), floor: cpuPerReq("floor") };

    const rows: BenchRow[] = [];
    const rowFor = (label: string, a: Measured, f: Measured): BenchRow => ({
      scenario: label,
      app: a.stats,
      floor: f.stats,
      ratio: a.stats.median / f.stats.median,
      note: `req/s ${Math.round(a.rps)} vs ${Math.round(f.rps)} (${(a.rps / f.rps).toFixed(2)}x); p99 ${lib.fmtMs(a.p99)} vs ${lib.fmtMs(f.p99)} ms (${(a.p99 / f.p99).toFixed(2)}x)`,
    });
    rows.push(rowFor(`base poll, ${CONCURRENCY} in flight, ${ROUNDS} rounds`, A, F));
    for (let r = 1; r <= ROUNDS; r++) rows.push(rowFor(`  round ${r}`, sum("app", r), sum("floor", r)));
    const noDbA = noDb && summarize([noDb.app.result], lib.stats);
    const noDbF = noDb && summarize([noDb.floor.result], lib.stats);
    if (noDb && noDbA && noDbF) rows.push(rowFor(`unknown tenant: 404, no database`, noDbA, noDbF));

    const line = (side: string, round: string, m: Measured) => [
      side, round, Math.round(m.rps).toLocaleString(), lib.fmtMs(m.p50), lib.fmtMs(m.p95), lib.fmtMs(m.p99), lib.fmtMs(m.max), m.n.toLocaleString(), String(m.errors),
    ];
    const tableRows: string[][] = [];
    for (const p of phases) tableRows.push(line(p.side, String(p.round), summarize([p.result], lib.stats)));
    tableRows.push(line("app", "all", A), line("floor", "all", F));
    if (noDbA && noDbF) tableRows.push(line("app", "no-db", noDbA), line("floor", "no-db", noDbF));
    const met = (ok: boolean) => (ok ? "MET" : "NOT MET");
    notes.unshift(
      `throughput and latency under load (${CONCURRENCY} requests in flight, ${MEASURE_MS / 1000} s measured per phase after a ${RAMP_MS / 1000} s ramp; latency in ms):\n` +
        lib.table(["side", "round", "req/s", "p50", "p95", "p99", "max", "requests", "errors"], tableRows, [false, false, true, true, true, true, true, true, true]).replace(/^/gm, "    "),
      `goal: app throughput ${(100 * tputRatio).toFixed(0)} % of the floor's (${tputRatio.toFixed(2)}x, goal ≥ ${GOAL_THROUGHPUT.toFixed(2)}: ${met(tputRatio >= GOAL_THROUGHPUT)}); ` +
        `app p99 ${p99Ratio.toFixed(2)}x the floor's (${lib.fmtMs(A.p99)} vs ${lib.fmtMs(F.p99)} ms, goal ≤ ${GOAL_P99.toFixed(1)}x: ${met(p99Ratio <= GOAL_P99)})`,
      `capacity: ${TARGET_DEVICES.toLocaleString()} devices polling every ${POLL_SECONDS} s need ${Math.round(NEEDED_RPS).toLocaleString()} polls/s on average; ` +
        `the app served ${Math.round(A.rps).toLocaleString()} req/s here = ${((100 * A.rps) / NEEDED_RPS).toFixed(0)} % of that (${Math.round(A.rps * POLL_SECONDS).toLocaleString()} devices at ${POLL_SECONDS} s) ` +
        `on ${os.cpus().length} CPUs shared by the app, PostgreSQL and the load generator` +
        (A.rps >= NEEDED_RPS ? "" : `; the floor served ${Math.round(F.rps).toLocaleString()} req/s (${((100 * F.rps) / NEEDED_RPS).toFixed(0)} %)`),
    );
    if (cpu.app && cpu.floor) {
      const c = (x: NonNullable<typeof cpu.app>) =>
        `server ${x.serverUs.toFixed(0)} µs, its PostgreSQL backends ${x.postgresUs.toFixed(0)} µs, load generator ${x.loadUs.toFixed(0)} µs; machine ${x.machineBusyPct.toFixed(0)} % busy, ${x.otherCores.toFixed(2)} cores used by other processes`;
      notes.push(`CPU per request (measured phases, from /proc): app: ${c(cpu.app)}\n    floor: ${c(cpu.floor)}`);
      const perReq = (p: { result: PhaseResult; cpu: CpuUse | null } | undefined, k: "appMs" | "floorMs") => (p?.cpu ? (1000 * p.cpu[k]) / p.result.total : NaN);
      if (noDb) {
        const a = perReq(noDb.app, "appMs");
        const f = perReq(noDb.floor, "floorMs");
        notes.push(
          `HTTP stack alone (unknown tenant, 404 before any query): app ${a.toFixed(0)} µs vs floor ${f.toFixed(0)} µs of server CPU per request, ` +
            `i.e. ${(a - f).toFixed(0)} µs of the app's ${cpu.app.serverUs.toFixed(0)} µs per poll are spent before the DDI handler runs or in building the response`,
        );
      }
      if (cpu.app.otherCores > 0.2 || cpu.floor.otherCores > 0.2) notes.push(`other processes on this machine used CPU during the run: absolute rates are lower than on an idle machine; the ratios hold up better (both sides alternate under the same conditions)`);
    }
    const errs = { app: mergeErrors([...of("app").map((p) => p.result), warm.app.result]), floor: mergeErrors([...of("floor").map((p) => p.result), warm.floor.result]) };
    const errText = (e: Record<string, number>) => (Object.keys(e).length ? Object.entries(e).map(([k, v]) => `${v} × ${k}`).join(", ") : "none");
    notes.push(
      `responses: app ${polled.polls.app.toLocaleString()} polls (warm-up included), errors ${errText(errs.app)}; floor ${polled.polls.floor.toLocaleString()} polls, errors ${errText(errs.floor)} ` +
        `(a success is status 200 with config.polling.sleep as hh:mm:ss)`,
      `parity: ${parityOk ? `app and floor answered the same JSON for ${parity.length} devices` : "app and floor answers differ (see above)"}: ${parity[0]!.app.replace(/^200 /, "")}`,
      `last contact (checked ${checkedAfterS.toFixed(1)} s after the last poll): app: ${contact.app.advanced.toLocaleString()} of ${contact.app.distinct.toLocaleString()} devices polled advanced ` +
        `(expected ≥ ${(contact.app.distinct - contact.app.recent).toLocaleString()}: ${contact.app.ok ? "ok" : "FAILED"}); ` +
        `floor: ${contact.floor.advanced.toLocaleString()} of ${contact.floor.distinct.toLocaleString()} (${contact.floor.ok ? "ok" : "FAILED"}); ` +
        `${Number(stray?.n ?? 0)} devices advanced without being polled (expected 0)`,
      `batching: UPDATE statements on devices: app ${batching.app.statements} for ${polled.polls.app.toLocaleString()} polls ` +
        `(${batching.app.rows.toLocaleString()} rows, up to ${batching.app.maxRows.toLocaleString()} per statement, ${(polled.polls.app / Math.max(1, batching.app.statements)).toFixed(0)} polls per statement); ` +
        `floor ${batching.floor.statements} for ${polled.polls.floor.toLocaleString()} polls (${batching.floor.rows.toLocaleString()} rows); ` +
        `pg_stat_user_tables n_tup_upd on devices +${(updAfter - updBefore).toLocaleString()}` +
        (batching.other.length ? `; other clients: ${batching.other.map((o) => `${o.app || "(no name)"} ${o.statements}`).join(", ")}` : ""),
      `${pgOnly}.`,
      `method: app = scripts/server.ts (DDI on node:http in front of Next) on :${APP_PORT}; floor = node:http + pg Pool (max ${POOL_MAX}, same as the app) in its own process on :${FLOOR_PORT}, ` +
        `running the auth query drizzle generates for authenticateDevice and the same last-contact UPDATE every ${FLUSH_MS / 1000} s; ` +
        `load = node:http keep-alive client in a third process, ${CONCURRENCY} requests in flight, uniform random devices; the app polls ${appSet.length.toLocaleString()} fleet devices, the floor the other ${floorSet.length.toLocaleString()}; ` +
        `UPDATE statements are counted by a statement trigger the bench adds to devices in ${lib.BENCH_DB_NAME}`,
    );
    if (Number(openActions?.n ?? 0) === 0) {
      notes.push(`the seeded fleet has no open deployment actions, so every poll is the auth query + JSON: the install gate and the unit-window cache are not exercised`);
    }

    return {
      context: {
        server: `PostgreSQL ${version?.v ?? "?"}`,
        devices: seeded.devices,
        fleet: seeded.fleet,
        "seed s": +(seedMs / 1000).toFixed(1),
        "start s": +(startMs / 1000).toFixed(1),
        "in flight": CONCURRENCY,
        phases: `${WARMUP_MS / 1000} s warm-up per side, then ${ROUNDS}× (app, floor) of ${RAMP_MS / 1000}+${MEASURE_MS / 1000} s` + (NO_DB_MS > 0 ? `, then no-db ${RAMP_MS / 1000}+${NO_DB_MS / 1000} s each` : ""),
      },
      rows,
      notes,
      details: {
        goals: { throughputRatio: tputRatio, throughputGoal: GOAL_THROUGHPUT, p99Ratio, p99Goal: GOAL_P99, neededRps: NEEDED_RPS },
        app: { ...A, stats: undefined },
        floor: { ...F, stats: undefined },
        phases: phases.map((p) => ({ round: p.round, side: p.side, ...summarizeForJson(p.result, lib.stats), cpu: p.cpu })),
        warmup: { app: summarizeForJson(warm.app.result, lib.stats), floor: summarizeForJson(warm.floor.result, lib.stats) },
        noDb: noDb && {
          app: { ...summarizeForJson(noDb.app.result, lib.stats), cpu: noDb.app.cpu },
          floor: { ...summarizeForJson(noDb.floor.result, lib.stats), cpu: noDb.floor.cpu },
        },
        cpuPerRequest: cpu,
        lastContact: contact,
        updates: { ...batching, nTupUpd: updAfter - updBefore, polls: polled.polls },
        parity,
        sql: { auth: AUTH_SQL, flush: FLUSH_SQL },
      },
    };
  } finally {
    await stat.end().catch(() => {});
    await Promise.all(children.map((c) => c.stop()));
  }
}

function summarizeForJson(r: PhaseResult, statsOf: (s: number[]) => Stats) {
  const m = summarize([r], statsOf);
  return { rps: m.rps, measured: r.measured, total: r.total, p50: m.p50, p95: m.p95, p99: m.p99, max: m.max, errors: r.errors };
}

export const ddiPoll: BenchModule = {
  name: "ddi-poll",
  description: "DDI base poll under load: Corridor's server vs a node:http + pg floor, throughput and p50/p99 (PostgreSQL only)",
  run,
};

// Child entry points.
if (process.env.CORRIDOR_BENCH_CHILD === "floor") void floorMain();
else if (process.env.CORRIDOR_BENCH_CHILD === "load") loadMain();
