/**
 * Rollouts at 20,000 devices:
 * - creating a rollout (`createRollout`: permission, validation, the candidate query, wave split, the
 *   rollout_devices insert, audit, the engine's first step) against the floor: the raw batched insert of
 *   the same rollout_devices rows (the same unnest statement) sent straight to the driver;
 * - the rollout's progress: `progressCounts` and the whole rollout page (`rolloutDetail`) against the raw
 *   per-wave aggregate written by hand.
 * `rollout-sim` runs the rollout simulation (test/simulation) at 10,000 devices on pg.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { deviceModels, manufacturers, sites, units, users } from "@/db/schema";
import { governedRelease, publicKeyPem, signDetached } from "@/db/seed/governed-release";
import { hashPassword } from "@/lib/auth/password";
import type { Role } from "@/lib/domain";
import type { Ctx } from "@/lib/services/actor";
import { createRollout } from "@/lib/services/rollouts/create";
import { progressCounts, rolloutDetail } from "@/lib/services/rollouts/queries";
import { compare, fmtMs, rawClient, stats, timeOnce, withDefaultUser, DEFAULT_PG_URL, type BenchEnv, type BenchModule, type BenchRow, type ModuleResult } from "./lib";

const DEVICES = Number(process.env.BENCH_ROLLOUT_DEVICES ?? 20_000);
const CREATE_RUNS = 10;

async function run(env: BenchEnv) {
  const handle = await env.openFreshDb();
  const db = handle.db;
  const raw = rawClient(handle);
  const notes: string[] = [];

  // ---- Seed: one model, 20,000 devices in 10 units, an approved release (the governed path).
  const t0 = performance.now();
  const hash = await hashPassword("bench-password-1234");
  const person = async (role: Role, label: string): Promise<Ctx> => {
    const [u] = await db.insert(users).values({ username: `bench-${label}`, displayName: `Bench ${label}`, role, passwordHash: hash }).returning();
    return { db, actor: { type: "user", userId: u!.id, username: u!.username, name: u!.displayName, role } };
  };
  const admin = await person("admin", "admin");
  const reviewer = await person("biomed", "reviewer");
  const approvers = [{ ctx: await person("biomed", "approver1"), password: "bench-password-1234" }, { ctx: await person("security", "approver2"), password: "bench-password-1234" }];
  const [maker] = await db.insert(manufacturers).values({ name: "Bench maker" }).returning();
  const [model] = await db.insert(deviceModels).values({ manufacturerId: maker!.id, name: "Bench pump", deviceType: "Infusion pump", deviceClass: "II", criticality: "life_supporting", updateMinutes: 10 }).returning();
  const [site] = await db.insert(sites).values({ code: "BEN", name: "Bench site", timeZone: "Europe/Berlin" }).returning();
  const unitIds: number[] = [];
  for (let i = 0; i < 10; i++) unitIds.push((await db.insert(units).values({ siteId: site!.id, name: `Unit ${i}`, kind: "ward", timeZone: "Europe/Berlin" }).returning())[0]!.id);
  await raw.query(
    `INSERT INTO devices (serial, udi, model_id, hardware_revision, unit_id, firmware_version, security_version, network, status, last_contact_at)
     SELECT 'B-' || g, '(01)0(21)B-' || g, $1, 'A', ($2::int[])[1 + g % 10], '1.0.0', 1, 'wifi', 'active', now() FROM generate_series(1, $3::int) g`,
    [model!.id, unitIds, DEVICES],
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "corridor-bench-rollout-"));
  const key = generateKeyPairSync("ed25519").privateKey;
  const bytes = randomBytes(4096);
  const release = await governedRelease({
    admin, submitter: admin, reviewer, approvers, modelId: model!.id, version: "2.0.0", securityVersion: 2, hardwareRevisions: ["A"], bytes,
    signature: signDetached(bytes, key), filename: "bench-2.0.0.bin", vendorKeyPem: publicKeyPem(key), artifactDir: dir,
  });
  await raw.query("ANALYZE");
  const seedMs = performance.now() - t0;

  // ---- Creating the rollout. The first wave waits for a signed go-ahead, so no run starts actions and
  // every run sees the same 20,000 candidates; each run's rows are deleted (untimed) afterwards.
  const input = {
    name: "bench",
    filter: { releaseId: release.id },
    maxConcurrent: 500,
    waves: [
      { kind: "pilot" as const, name: "Pilot", percent: 5, requireGoAhead: true, requireAcknowledgement: false, soakMinutes: 0 },
      { kind: "general" as const, name: "General A", percent: 45, requireAcknowledgement: false },
      { kind: "general" as const, name: "General B", requireAcknowledgement: false },
    ],
  };
  const cleanup = async (rolloutId: number) => {
    await raw.query(`DELETE FROM rollout_devices WHERE rollout_id = $1`, [rolloutId]);
  };
  let lastCreated = { deviceIds: [] as number[], waveIds: [] as number[] };
  const app = async () => {
    const r = await createRollout(admin, input);
    const rows = await raw.query<{ device_id: number; wave_id: number }>(`SELECT device_id, wave_id FROM rollout_devices WHERE rollout_id = $1 ORDER BY device_id`, [r.id]);
    lastCreated = { deviceIds: rows.map((x) => Number(x.device_id)), waveIds: rows.map((x) => Number(x.wave_id)) };
    return r.id;
  };
  // The floor: a rollout and its waves made untimed, then the same statement the service uses, timed.
  const floorTarget = async () => {
    const [r] = await raw.query<{ id: number }>(`INSERT INTO rollouts (release_id, name, target_filter) VALUES ($1, 'floor', '{}') RETURNING id`, [release.id]);
    const waves = await raw.query<{ id: number }>(
      `INSERT INTO rollout_waves (rollout_id, position, name, kind, min_success_pct, max_failure_pct, min_sample, soak_minutes, require_acknowledgement, require_go_ahead)
       SELECT $1, p, 'w' || p, 'general', 95, 5, 5, 0, false, false FROM generate_series(1, 3) p RETURNING id`,
      [r!.id],
    );
    const map = new Map<number, number>();
    [...new Set(lastCreated.waveIds)].forEach((w, i) => map.set(w, Number(waves[i]!.id)));
    return { rolloutId: Number(r!.id), deviceIds: lastCreated.deviceIds, waveIds: lastCreated.waveIds.map((w) => map.get(w)!) };
  };
  const floorInsert = (t: { rolloutId: number; deviceIds: number[]; waveIds: number[] }) =>
    raw.query(`INSERT INTO rollout_devices (rollout_id, device_id, wave_id) SELECT $1, d, w FROM unnest($2::int[], $3::int[]) AS t(d, w)`, [t.rolloutId, t.deviceIds, t.waveIds]);

  env.log(`creating ${CREATE_RUNS} rollouts of ${DEVICES.toLocaleString()} devices, alternating with the raw insert...`);
  const appMs: number[] = [];
  const floorMs: number[] = [];
  for (let i = 0; i < CREATE_RUNS + 2; i++) {
    let id = 0;
    const a = await timeOnce(async () => (id = await app()));
    await cleanup(id);
    const target = await floorTarget();
    const f = await timeOnce(() => floorInsert(target));
    await cleanup(target.rolloutId);
    if (i >= 2) {
      appMs.push(a);
      floorMs.push(f);
    }
  }
  if (lastCreated.deviceIds.length !== DEVICES) notes.push(`createRollout targeted ${lastCreated.deviceIds.length} devices, expected ${DEVICES}`);
  const createApp = stats(appMs);
  const createFloor = stats(floorMs);
  // Where the app's time goes: the candidate query alone (the service's first statement of substance).
  const candidateRuns: number[] = [];
  for (let i = 0; i < 5; i++) candidateRuns.push(await timeOnce(() => raw.query(`SELECT d.id, d.unit_id, d.sandbox FROM devices d JOIN units u ON u.id = d.unit_id WHERE d.model_id = $1 ORDER BY d.id`, [model!.id])));
  const candidatesMs = stats(candidateRuns).median;

  // ---- A rollout in progress for the progress queries: pilot finished (mixed), General A mostly done, General B waiting.
  const live = await createRollout(admin, { ...input, name: "progress", waves: input.waves.map((w) => ({ ...w, requireGoAhead: false })) });
  await raw.query(
    `WITH rows AS (SELECT rd.device_id, rd.wave_id, w.position FROM rollout_devices rd JOIN rollout_waves w ON w.id = rd.wave_id WHERE rd.rollout_id = $1 AND rd.action_id IS NULL AND w.position = 2),
          made AS (INSERT INTO deployment_actions (device_id, release_id, previous_version, rollout_id, wave_id, state, finished_at)
                   SELECT device_id, $2, '1.0.0', $1, wave_id, (CASE WHEN device_id % 10 = 0 THEN 'failed' WHEN device_id % 7 = 0 THEN 'downloading' ELSE 'succeeded' END)::action_state, now()
                   FROM rows WHERE device_id % 7 <> 0 OR device_id % 10 = 0 RETURNING id, device_id)
     UPDATE rollout_devices rd SET action_id = m.id FROM made m WHERE rd.rollout_id = $1 AND rd.device_id = m.device_id`,
    [live.id, release.id],
  );
  await raw.query(`UPDATE deployment_actions SET state = 'succeeded', finished_at = now() WHERE rollout_id = $1 AND wave_id = (SELECT id FROM rollout_waves WHERE rollout_id = $1 AND position = 1) AND device_id % 3 <> 0`, [live.id]);
  await raw.query("ANALYZE");

  const AGG = `SELECT rd.rollout_id, count(*)::int AS devices,
       count(*) FILTER (WHERE a.id IS NULL)::int AS waiting,
       count(*) FILTER (WHERE a.state IN ('scheduled','downloading','downloaded','installing','installed_awaiting_confirmation','cancel_requested'))::int AS "inProgress",
       count(*) FILTER (WHERE a.state = 'succeeded')::int AS succeeded,
       count(*) FILTER (WHERE a.state IN ('failed', 'rolled_back'))::int AS failed,
       count(*) FILTER (WHERE a.state = 'canceled')::int AS canceled
  FROM rollout_devices rd LEFT JOIN deployment_actions a ON a.id = rd.action_id
 WHERE rd.rollout_id = ANY($1::int[]) GROUP BY rd.rollout_id`;
  const PER_WAVE = AGG.replace("rd.rollout_id, count", "rd.wave_id, count").replace("WHERE rd.rollout_id = ANY($1::int[]) GROUP BY rd.rollout_id", "WHERE rd.rollout_id = $1 GROUP BY rd.wave_id");
  // Parity: the floor must count what the app counts.
  const appProgress = (await progressCounts(db, [live.id])).get(live.id)!;
  const [floorProgress] = await raw.query<Record<string, number>>(AGG, [[live.id]]);
  if (appProgress.succeeded !== Number(floorProgress!.succeeded) || appProgress.devices !== Number(floorProgress!.devices)) notes.push(`progress parity: app ${JSON.stringify(appProgress)} vs floor ${JSON.stringify(floorProgress)}`);
  const reader: Ctx = { db, actor: admin.actor };
  const progress = await compare(() => progressCounts(db, [live.id]), () => raw.query(AGG, [[live.id]]));
  const detail = await compare(() => rolloutDetail(reader, { rolloutId: live.id }), () => raw.query(PER_WAVE, [live.id]), { runs: 20 });

  fs.rmSync(dir, { recursive: true, force: true });
  const rows: BenchRow[] = [
    { scenario: `create a ${DEVICES.toLocaleString()}-device rollout`, app: createApp, floor: createFloor, ratio: createApp.median / createFloor.median, note: `floor = raw unnest insert of the same rows; a plain scan of the model's devices ${fmtMs(candidatesMs)} ms` },
    { scenario: "progress (progressCounts)", ...progress, note: `floor = the same aggregate, raw; ${appProgress.devices} devices: ${appProgress.succeeded} ok, ${appProgress.failed} failed, ${appProgress.inProgress} open, ${appProgress.waiting} waiting` },
    { scenario: "rollout page (rolloutDetail)", ...detail, note: "floor = the raw per-wave aggregate only; the page also runs per-unit, failures, events and progress" },
  ];
  return {
    context: { devices: DEVICES, "seed s": +(seedMs / 1000).toFixed(1), "create runs": `2 warm-up + ${CREATE_RUNS}, alternating, rows deleted between runs`, "progress runs": "5 warm-up + 30 (page: 20)" },
    rows,
    notes: [
      "createRollout includes: permission and input validation, the candidate query with its exclusion reasons over every device of the model, the wave split, inserting the rollout and its waves, the rollout_devices insert (the floor), the audit row, and the engine's first step (gates evaluated; the pilot waits for a signed go-ahead, so no actions are created).",
      ...notes,
    ],
  };
}

export const rollout: BenchModule = {
  name: "rollout",
  description: `createRollout and rollout progress at ${DEVICES.toLocaleString()} devices vs raw SQL on the same driver`,
  run,
};

/**
 * The rollout simulation (test/simulation) at SIM_DEVICES (default 10,000) devices. It needs PostgreSQL and
 * the production build, so it runs only with --db pg; its figures table is printed as it goes.
 */
export const rolloutSim: BenchModule = {
  name: "rollout-sim",
  description: "the rollout simulation at 10,000 devices (real server, pg only)",
  async run(env): Promise<ModuleResult> {
    if (env.db !== "pg") return { context: { skipped: "the simulation runs on PostgreSQL only (use --db pg)" }, rows: [], notes: [] };
    process.env.SIM_DEVICES ??= "10000";
    process.env.TEST_DATABASE_URL ||= withDefaultUser(process.env.DATABASE_URL || DEFAULT_PG_URL);
    const { runSimulation, simOptionsFromEnv, formatResult } = await import("../test/simulation/sim");
    const t0 = performance.now();
    const r = await runSimulation(simOptionsFromEnv(env.log));
    console.log(formatResult(r));
    const failed = r.violations.length + r.invariants.filter((i) => !i.ok).length;
    return {
      context: { devices: Number(process.env.SIM_DEVICES), "run s": Math.round((performance.now() - t0) / 1000), violations: r.violations.length, "invariants failed": r.invariants.filter((i) => !i.ok).length },
      rows: [],
      notes: [failed ? "the simulation found problems: see the table above" : "no violations; every invariant held", `failing-model rollout: ${r.bad.state}; good rollout: ${r.good.state}`],
    };
  },
};
