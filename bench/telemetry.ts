/**
 * Telemetry at scale (issue 6 §7):
 * - ingest: one batch of BATCH samples POSTed to the real DDI telemetry endpoint (node:http → handleDdi →
 *   device authentication → validation → raw insert + hourly rollup upsert in one transaction), against
 *   the floor: a raw batched INSERT of the same number of rows straight to the driver. Goal: the app
 *   reaches at least 50 % of the floor's rows/s (app/floor time ≤ 2×).
 * - chart: a 7-day device chart (`deviceHealthSeries`: permission, validation, device lookup, rollup
 *   read, install markers, metric values) against the raw rollup SELECT of the same rows. Goal ≤ 2×.
 * The HTTP server runs in this process on an ephemeral port, over the database the harness opened.
 */
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { deviceCredentials, deviceModels, devices, manufacturers, sites, units, users } from "@/db/schema";
import type { DbHandle } from "@/db/client";
import { stopContactFlusher } from "@/lib/services/ddi/context";
import { deviceHealthSeries } from "@/lib/services/telemetry/charts";
import { compare, rawClient, type BenchEnv, type BenchModule, type ModuleResult } from "./lib";

const DEVICES = Number(process.env.BENCH_TELEMETRY_DEVICES ?? 500);
const BATCH = Number(process.env.BENCH_TELEMETRY_BATCH ?? 1000);
const RUNS = Number(process.env.BENCH_TELEMETRY_RUNS ?? 30);

/** The app's DDI handler over real HTTP, on the bench database (the runtime's handle is set to it first). */
async function startDdiServer(handle: DbHandle) {
  (globalThis as { __corridor?: Promise<DbHandle> }).__corridor = Promise.resolve(handle);
  const { handleDdi } = await import("@/lib/api/ddi");
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void handleDdi({
        method: req.method ?? "GET",
        segments: (req.url ?? "/").split("?")[0]!.slice("/api/ddi/".length).split("/").filter(Boolean).map(decodeURIComponent),
        authorization: req.headers.authorization ?? null,
        range: null,
        readBody: async () => Buffer.concat(chunks).toString("utf8"),
        from: { ip: req.socket.remoteAddress ?? null, userAgent: req.headers["user-agent"] ?? null },
        origin: `http://${req.headers.host}`,
      }).then((out) => {
        res.writeHead(out.status, out.headers);
        res.end(typeof out.body === "string" ? out.body : undefined);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function post(port: number, path: string, token: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method: "POST", agent, headers: { Authorization: `TargetToken ${token}`, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function run(env: BenchEnv): Promise<ModuleResult> {
  const handle = await env.openFreshDb();
  const db = handle.db;
  const raw = rawClient(handle);
  const notes: string[] = [];

  // ---- Seed: one model, DEVICES devices with tokens, 7 days of hourly rollups each.
  const t0 = performance.now();
  const [maker] = await db.insert(manufacturers).values({ name: "Bench maker" }).returning();
  const [model] = await db.insert(deviceModels).values({ manufacturerId: maker!.id, name: "Bench monitor", deviceType: "Patient monitor", deviceClass: "II", criticality: "life_supporting", updateMinutes: 10 }).returning();
  const [site] = await db.insert(sites).values({ code: "TEL", name: "Bench site", timeZone: "UTC" }).returning();
  const [unit] = await db.insert(units).values({ siteId: site!.id, name: "Unit", kind: "icu", timeZone: "UTC" }).returning();
  const [admin] = await db.insert(users).values({ username: "bench-admin", displayName: "Bench admin", role: "admin", passwordHash: "x" }).returning();
  await raw.query(
    `INSERT INTO devices (serial, udi, model_id, hardware_revision, unit_id, firmware_version, security_version, network, status, last_contact_at)
     SELECT 'T-' || g, '(01)0(21)T-' || g, $1, 'A', $2, '1.0.0', 1, 'wifi', 'active', now() FROM generate_series(1, $3::int) g`,
    [model!.id, unit!.id, DEVICES],
  );
  const devs = await db.select({ id: devices.id, serial: devices.serial }).from(devices);
  const tokens = devs.map(() => randomBytes(24).toString("base64url"));
  await db.insert(deviceCredentials).values(devs.map((d, i) => ({ deviceId: d.id, tokenHash: createHash("sha256").update(tokens[i]!).digest("hex"), tokenHint: tokens[i]!.slice(-4) })));
  const HOUR = 3_600_000;
  const nowHour = Math.floor(Date.now() / HOUR) * HOUR;
  await raw.query(
    `INSERT INTO telemetry_hourly (device_id, hour, model_id, firmware_version, samples, battery_sum, battery_n, battery_min, battery_max, drift_abs_sum, drift_n, power_sum, power_n, alarms, reboots, error_codes)
     SELECT d.id, to_timestamp($2::bigint / 1000.0) - (h || ' hours')::interval, $1, '1.0.0', 12, 12 * 80, 12, 75, 85, 12 * 0.4, 12, 12 * 15, 12, (d.id + h) % 4, 0, 0
     FROM devices d, generate_series(1, 24 * 8) h`,
    [model!.id, nowHour],
  );
  await raw.query("ANALYZE");
  const seedMs = performance.now() - t0;

  // ---- Ingest over HTTP vs raw batched INSERT; every run writes fresh rows (later timestamps).
  const { server, port } = await startDdiServer(handle);
  let tick = 0;
  const batchFor = (i: number) => {
    const base = nowHour - 6 * 24 * HOUR + i * 60_000;
    return Array.from({ length: BATCH }, (_, k) => ({ takenAt: new Date(base + k * 10).toISOString(), batteryPct: 80 - (k % 10), sensorDrift: 0.1 * (k % 7), powerDrawW: 12 + (k % 5), alarmCount: k % 3, reboots: 0, inClinicalUse: false, firmwareVersion: "1.0.0" }));
  };
  const app = async () => {
    const i = tick++;
    const d = i % devs.length;
    const res = await post(port, `/api/ddi/DEFAULT/controller/v1/${devs[d]!.serial}/telemetry`, tokens[d]!, JSON.stringify({ samples: batchFor(i) }));
    if (res.status !== 200 || JSON.parse(res.text).accepted !== BATCH) throw new Error(`ingest answered ${res.status}: ${res.text.slice(0, 200)}`);
  };
  const floor = async () => {
    const i = tick++;
    const d = devs[i % devs.length]!.id;
    const rows = batchFor(i);
    await raw.query(
      `INSERT INTO telemetry_samples (device_id, taken_at, battery_pct, sensor_drift, power_draw_w, alarm_count, reboots, in_clinical_use, firmware_version)
       SELECT $1, * FROM unnest($2::timestamptz[], $3::real[], $4::real[], $5::real[], $6::int[], $7::int[], $8::bool[], $9::text[])`,
      [d, rows.map((r) => r.takenAt), rows.map((r) => r.batteryPct), rows.map((r) => r.sensorDrift), rows.map((r) => r.powerDrawW), rows.map((r) => r.alarmCount), rows.map((r) => r.reboots), rows.map((r) => r.inClinicalUse), rows.map((r) => r.firmwareVersion)],
    );
  };
  env.log(`ingest: ${RUNS} batches of ${BATCH} samples each way, alternating...`);
  const ingest = await compare(app, floor, { runs: RUNS });
  server.close();
  agent.destroy();
  stopContactFlusher(db);

  // ---- 7-day device chart: the service vs the raw rollup SELECT.
  const ctx = { db, actor: { type: "user" as const, userId: admin!.id, username: admin!.username, name: admin!.displayName, role: "admin" as const } };
  let c = 0;
  const chartApp = () => deviceHealthSeries(ctx, { deviceId: devs[c++ % devs.length]!.id, days: 7 });
  const chartFloor = () => {
    const to = new Date(nowHour + HOUR);
    return raw.query(`SELECT * FROM telemetry_hourly WHERE device_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour LIMIT 168`, [devs[c++ % devs.length]!.id, new Date(to.getTime() - 168 * HOUR), to]);
  };
  const points = (await chartApp()).points.length;
  const floorRows = (await chartFloor()).length;
  if (points !== floorRows) notes.push(`chart parity: the service returned ${points} points, the raw SELECT ${floorRows} rows`);
  const chart = await compare(chartApp, chartFloor, { runs: RUNS });
  const plan = await raw.query<{ "QUERY PLAN": string }>(`EXPLAIN SELECT * FROM telemetry_hourly WHERE device_id = $1 AND hour >= now() - interval '7 days' ORDER BY hour LIMIT 168`, [devs[0]!.id]);

  const rowsPerS = (ms: number) => Math.round((BATCH / ms) * 1000);
  return {
    context: { devices: DEVICES, "batch size": BATCH, "rollup rows": DEVICES * 24 * 8, "seed s": +(seedMs / 1000).toFixed(1), runs: `5 warm-up + ${RUNS}, alternating` },
    rows: [
      { scenario: `ingest ${BATCH} samples (HTTP) vs raw INSERT`, ...ingest, note: `app ${rowsPerS(ingest.app.median).toLocaleString()} rows/s = ${Math.round((100 * ingest.floor.median) / ingest.app.median)} % of the floor's ${rowsPerS(ingest.floor.median).toLocaleString()} (goal ≥ 50 %)` },
      { scenario: "7-day device chart vs raw rollup SELECT", ...chart, note: `${points} hourly points; goal ≤ 2x` },
    ],
    notes: [
      "The app's ingest includes: HTTP (keep-alive, loopback), device authentication by token hash, JSON parsing and per-sample validation, the raw insert and the hourly rollup upsert in one transaction, the clinical-use report. The floor is the raw insert alone.",
      `rollup read plan: ${plan.map((p) => p["QUERY PLAN"]).join(" / ").slice(0, 200)}`,
      ...notes,
    ],
  };
}

export const telemetry: BenchModule = {
  name: "telemetry",
  description: "telemetry ingest over HTTP vs a raw batched insert; a 7-day device chart vs the raw rollup query",
  run,
};
