import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { openDb, queryRows, type DbHandle } from "@/db/client";
import { deviceCredentials, deviceModels, devices, manufacturers, rollouts, sites, units, users } from "@/db/schema";
import { governedRelease, publicKeyPem, signDetached } from "@/db/seed/governed-release";
import { hashPassword } from "@/lib/auth/password";
import type { ActionState, RolloutState, Role, WaveState } from "@/lib/domain";
import type { Ctx } from "@/lib/services/actor";
import { setWindows } from "@/lib/services/deployments/windows";
import { createRollout } from "@/lib/services/rollouts/create";
import { endFreeze, startFreeze } from "@/lib/services/rollouts/operations";
import { progressCounts } from "@/lib/services/rollouts/queries";
import { gateBlockers } from "@/lib/services/safety/gate-facts";
import { BLOCKER_LABELS, type Blocker } from "@/lib/services/safety/install-gate";
import type { WindowRule } from "@/lib/services/safety/windows";
import { createDatabase, processGroupMembers, ROOT, sleep, startServer, tail, type Server } from "../interop/harness";
import { newCounters, SimDevice, type DeviceSpec, type Gated, type Recorder, type World } from "./device";

// The rollout simulation (issue "proof by simulation"): a fleet of HTTP DDI devices in units in three
// time zones, two models (one failing most field installs), two staged rollouts on the production server
// (scripts/server.ts with its in-process engine ticker) on a PostgreSQL database of its own. Windows open
// and close by the clock and by edits, devices go in and out of clinical use, a freeze comes and goes,
// and the server is SIGKILLed mid-wave and restarted. Devices record every offer and install start with
// their own view of the world; the simulator's schedule (plain UTC intervals) is independent of the
// server's window logic. See test/simulation/README.md.

export type SimOptions = {
  devices: number;
  port: number;
  adminDbUrl: string;
  pollSeconds: number;
  /** Hard limit for the device phase. */
  maxSeconds: number;
  log: (line: string) => void;
};

export const simOptionsFromEnv = (log: (line: string) => void): SimOptions => {
  const devices = Number(process.env.SIM_DEVICES ?? 2000);
  return {
    devices,
    port: Number(process.env.SIM_PORT ?? 3230),
    adminDbUrl: process.env.TEST_DATABASE_URL || "postgres://root@127.0.0.1:5432/test",
    pollSeconds: Number(process.env.SIM_POLL_SECONDS ?? Math.max(8, Math.ceil(devices / 250))),
    maxSeconds: Number(process.env.SIM_MAX_SECONDS ?? (devices > 5000 ? 900 : 240)),
    log,
  };
};

const ZONES = [
  { code: "NYC", zone: "America/New_York" },
  { code: "BER", zone: "Europe/Berlin" },
  { code: "TYO", zone: "Asia/Tokyo" },
] as const;

/** How each unit's window behaves during the run. */
type WindowPlan = "open" | "opens" | "closes" | "edited" | "lab";
const CLINICAL_UNITS: { name: string; kind: "icu" | "ward" | "ed" | "or"; plan: WindowPlan }[] = [
  { name: "ICU", kind: "icu", plan: "open" }, // open throughout
  { name: "Ward 4", kind: "ward", plan: "opens" }, // closed, opens by the clock at B
  { name: "ED", kind: "ed", plan: "closes" }, // open, closes by the clock at B, reopened by an edit 20 s later
  { name: "OR", kind: "or", plan: "edited" }, // closed (window 12 h away), opened by an edit at T0 + 30 s
];

const FAILURE = { reliable: 0.02, failing: 0.6 };
const FREEZE_AT_S = 8;
const FREEZE_FOR_S = 6;
const EDIT_AT_S = 30;
const REOPEN_AFTER_S = 20;
const RESTART_AFTER_MS = 2000;
/** The DDI path's freeze cache (lib/services/ddi/context.ts): offers on another instance stop within it. */
const FREEZE_OFFER_GRACE_MS = 2000;
const CLINICAL_USE_MAX_AGE_MS = 30 * 60_000;
/** Devices asked about per gate sample (each answer costs the server's full gate evaluation). */
const GATE_SAMPLE = 40;
const OPEN_STATES: ActionState[] = ["scheduled", "downloading", "downloaded", "installing", "installed_awaiting_confirmation", "cancel_requested"];

const MINUTE = 60_000;
const floorMinute = (t: number) => Math.floor(t / MINUTE) * MINUTE;
const ceilMinute = (t: number) => Math.ceil(t / MINUTE) * MINUTE;

/** A daily rule starting at the local wall time of `startMs` (a whole UTC minute; these zones have whole-hour offsets). */
function ruleAt(timeZone: string, startMs: number, minutes: number): WindowRule {
  const hhmm = new Intl.DateTimeFormat("en-GB", { timeZone, hourCycle: "h23", hour: "2-digit", minute: "2-digit" }).format(startMs);
  return { rrule: "FREQ=DAILY", startsAt: hhmm, durationMinutes: minutes };
}

type Interval = [number, number];

class Schedule implements World {
  readonly open = new Map<string, Interval[]>();
  readonly freezes: Interval[] = [];
  windowOpen(unitKey: string, t: number) {
    return (this.open.get(unitKey) ?? []).some(([a, b]) => t >= a && t < b);
  }
  frozen(t: number, graceMs = 0) {
    return this.freezes.some(([a, b]) => t >= a + graceMs && t < b);
  }
}

export type Violation = { kind: "offer" | "install"; reason: "outside_window" | "in_clinical_use" | "freeze"; serial: string; actionId: number; sent: string };

export type SimResult = {
  figures: Record<string, string | number>;
  deferrals: { blocker: Blocker; samples: number; devices: number }[];
  violations: Violation[];
  invariants: { name: string; ok: boolean; detail: string }[];
  bad: { state: RolloutState; reason: string | null; pilotName: string; generalActions: number; timeToHaltS: number; pilotFinishedAtHalt: string };
  good: { state: RolloutState; reason: string | null; waves: { name: string; state: WaveState; devices: number; succeeded: number; failed: number; waiting: number; inProgress: number }[] };
  killed: { atWave: string; waveProgress: string; gapS: number; doneAtKill: number; waveId: number; doneAtEnd: number } | null;
  logFile: string;
};

export async function runSimulation(o: SimOptions): Promise<SimResult> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "corridor-sim-"));
  const artifactDir = path.join(work, "artifacts");
  const logFile = path.join(work, "server.log");
  const created = await createDatabase(o.adminDbUrl, `corridor_sim_${process.pid}`);
  let handle: DbHandle | undefined;
  let server: Server | undefined;
  let stop = true;
  const runs: Promise<void>[] = [];
  let ok = false;
  try {
    handle = await openDb({ url: created.url, dataDir: "" });
    const db = handle.db;
    const tSetup = Date.now();

    // People for release governance, as the interop suite has them.
    const PASSWORD = `sim-${randomBytes(12).toString("base64url")}`;
    const hash = await hashPassword(PASSWORD);
    const person = async (role: Role, label: string): Promise<Ctx> => {
      const [u] = await db.insert(users).values({ username: `sim-${label}`, displayName: `Sim ${label}`, role, passwordHash: hash }).returning();
      return { db, actor: { type: "user", userId: u!.id, username: u!.username, name: u!.displayName, role }, origin: { ip: "127.0.0.1", userAgent: "rollout-sim" } };
    };
    const admin = await person("admin", "admin");
    const reviewer = await person("biomed", "reviewer");
    const approvers = [{ ctx: await person("biomed", "approver-biomed"), password: PASSWORD }, { ctx: await person("security", "approver-security"), password: PASSWORD }];

    // Places: three sites in three time zones, four clinical units each, and a lab with bench rigs.
    const [maker] = await db.insert(manufacturers).values({ name: "Sim Medical" }).returning();
    const model = async (name: string) =>
      (await db.insert(deviceModels).values({ manufacturerId: maker!.id, name, deviceType: "Infusion pump", deviceClass: "II", criticality: "life_supporting", updateMinutes: 10 }).returning())[0]!;
    const reliable = await model("Sim pump R");
    const failing = await model("Sim monitor F");
    const unitRows: { id: number; key: string; zone: string; plan: WindowPlan }[] = [];
    for (const z of ZONES) {
      const [site] = await db.insert(sites).values({ code: z.code, name: `Sim ${z.code}`, timeZone: z.zone }).returning();
      const list = z.code === "NYC" ? [...CLINICAL_UNITS, { name: "Biomed lab", kind: "lab" as const, plan: "lab" as const }] : CLINICAL_UNITS;
      for (const u of list) {
        const [row] = await db.insert(units).values({ siteId: site!.id, name: u.name, kind: u.kind, timeZone: z.zone }).returning();
        unitRows.push({ id: row!.id, key: `${z.code}/${u.name}`, zone: z.zone, plan: u.plan });
      }
    }
    const clinical = unitRows.filter((u) => u.plan !== "lab");
    const lab = unitRows.find((u) => u.plan === "lab")!;

    // Devices, tokens, last contact now (so no device is "offline too long").
    const specs: (DeviceSpec & { id?: number; modelId: number; unitId: number })[] = [];
    for (let i = 0; i < 8; i++) specs.push({ serial: `LAB-${i}`, token: "", unitKey: lab.key, unitId: lab.id, sandbox: true, failureRate: 0, startsInUse: false, modelId: i % 2 ? failing.id : reliable.id });
    for (let i = 0; specs.length < o.devices; i++) {
      const u = clinical[i % clinical.length]!;
      const isFailing = i % 2 === 1;
      specs.push({ serial: `SIM-${String(i).padStart(6, "0")}`, token: "", unitKey: u.key, unitId: u.id, sandbox: false, failureRate: isFailing ? FAILURE.failing : FAILURE.reliable, startsInUse: (i * 7919) % 4 === 0, modelId: isFailing ? failing.id : reliable.id });
    }
    for (let i = 0; i < specs.length; i += 1000) {
      const chunk = specs.slice(i, i + 1000);
      const rows = await db
        .insert(devices)
        .values(chunk.map((s) => ({ serial: s.serial, udi: `(01)00000000000000(21)${s.serial}`, modelId: s.modelId, unitId: s.unitId, hardwareRevision: "A", firmwareVersion: "1.0.0", securityVersion: 1, network: "wifi" as const, status: "active" as const, sandbox: s.sandbox, lastContactAt: new Date() })))
        .returning({ id: devices.id, serial: devices.serial });
      const ids = new Map(rows.map((r) => [r.serial, r.id]));
      for (const s of chunk) {
        s.id = ids.get(s.serial)!;
        s.token = randomBytes(18).toString("base64url");
      }
      await db.insert(deviceCredentials).values(chunk.map((s) => ({ deviceId: s.id!, tokenHash: createHash("sha256").update(s.token).digest("hex"), tokenHint: s.token.slice(-4) })));
    }

    // Approved releases through the real governance path.
    const vendorKey = generateKeyPairSync("ed25519").privateKey;
    const release = async (modelId: number, version: string) => {
      const bytes = randomBytes(4096);
      return governedRelease({
        admin, submitter: admin, reviewer, approvers, modelId, version, securityVersion: 2, hardwareRevisions: ["A"], bytes,
        signature: signDetached(bytes, vendorKey), filename: `sim-${version}.bin`, vendorKeyPem: publicKeyPem(vendorKey), artifactDir,
      });
    };
    const goodRelease = await release(reliable.id, "2.0.0");
    const badRelease = await release(failing.id, "3.1.0");

    // Windows, planned against T0 (when the devices start) and kept by the simulator as plain UTC intervals.
    const world = new Schedule();
    const T0 = Date.now() + 3000;
    const B = ceilMinute(T0 + 15_000); // the clock edge: "Ward 4" opens, "ED" closes
    for (const u of unitRows) {
      const rules: WindowRule[] = [];
      if (u.plan === "open" || u.plan === "lab") {
        const start = floorMinute(T0) - 10 * MINUTE;
        rules.push(ruleAt(u.zone, start, 60));
        world.open.set(u.key, [[start, start + 60 * MINUTE]]);
      } else if (u.plan === "opens") {
        rules.push(ruleAt(u.zone, B, 60));
        world.open.set(u.key, [[B, B + 60 * MINUTE]]);
      } else if (u.plan === "closes") {
        rules.push(ruleAt(u.zone, B - 10 * MINUTE, 10));
        world.open.set(u.key, [[B - 10 * MINUTE, B]]);
      } else {
        const start = floorMinute(T0) + 12 * 60 * MINUTE;
        rules.push(ruleAt(u.zone, start, 60));
        world.open.set(u.key, [[start, start + 60 * MINUTE]]);
      }
      await setWindows(admin, { unitId: u.id, windows: rules });
    }
    /** Opens a unit by an edit. Counted open from just before the call: a server may apply it later, never earlier. */
    const editOpen = async (u: (typeof unitRows)[number]) => {
      const t = Date.now();
      const start = floorMinute(t) - 5 * MINUTE;
      world.open.get(u.key)!.push([t, start + 60 * MINUTE]);
      const own = u.plan === "closes" ? [ruleAt(u.zone, B - 10 * MINUTE, 10)] : [];
      await setWindows(admin, { unitId: u.id, windows: [...own, ruleAt(u.zone, start, 60)] });
    };

    // The production server, with its engine ticker.
    const serverEnv = {
      DATABASE_URL: created.url,
      CORRIDOR_DEMO: "0",
      CORRIDOR_ARTIFACT_DIR: artifactDir,
      DDI_POLL_SECONDS: String(o.pollSeconds),
      ROLLOUT_TICK_SECONDS: "1",
      CLINICAL_USE_MAX_AGE_MINUTES: String(CLINICAL_USE_MAX_AGE_MS / MINUTE),
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      AUTH_TRUST_HOST: "true",
      CORRIDOR_PUBLIC_URL: "",
      CORRIDOR_TRUST_PROXY: "0",
    };
    const start = () => startServer({ appDir: ROOT, port: o.port, env: serverEnv, logFile, timeoutMs: 90_000 });
    server = await start();
    const setupS = (Date.now() - tSetup) / 1000;
    o.log(`set up ${specs.length} devices, 2 approved releases and the server in ${setupS.toFixed(1)} s; clock edge B at T0+${((B - T0) / 1000).toFixed(0)} s`);

    // The fleet.
    const rec: Recorder = { world, counters: newCounters(), offers: [], installStarts: [], results: new Map() };
    const base = `http://127.0.0.1:${o.port}/api/ddi/DEFAULT/controller/v1`;
    const fleet = specs.map((s) => new SimDevice(s, `${base}/${s.serial}`, rec, { installMs: [1500, 3500], inUseMs: [6000, 20_000], idleMs: [10_000, 40_000] }));
    await sleep(Math.max(0, T0 - Date.now()));
    stop = false;
    const stopped = () => stop;
    fleet.forEach((d, i) => runs.push(d.run(stopped, ((i * 7919) % 1000) / 1000 * o.pollSeconds * 1000)));

    // The rollouts: lab → pilot → general; no soak, no briefing gate, a generous rate limit.
    const wave = (kind: "lab" | "pilot" | "general", name: string, extra: Record<string, number> = {}) => ({ kind, name, soakMinutes: 0, requireAcknowledgement: false, minSuccessPct: 80, ...extra });
    const good = await createRollout(admin, {
      name: "Sim pump R 2.0.0",
      filter: { releaseId: goodRelease.id },
      maxConcurrent: 5000,
      waves: [wave("lab", "Lab bench"), wave("pilot", "Pilot", { percent: 10, maxFailurePct: 15, minSample: 10 }), wave("general", "General A", { percent: 50, maxFailurePct: 15, minSample: 20 }), wave("general", "General B", { maxFailurePct: 15, minSample: 20 })],
    });
    const bad = await createRollout(admin, {
      name: "Sim monitor F 3.1.0",
      filter: { releaseId: badRelease.id },
      maxConcurrent: 5000,
      waves: [wave("lab", "Lab bench"), wave("pilot", "Pilot", { percent: 10, maxFailurePct: 20, minSample: 10 }), wave("general", "General")],
    });

    // Deferrals: every few seconds the server's own gate is asked about each device whose update waits.
    const deferralSamples = new Map<Blocker, number>();
    const deferredDevices = new Map<Blocker, Set<number>>();
    const sampleGate = async () => {
      const rows = await queryRows<{ id: number; status: string; unit_id: number; model_id: number; time_zone: string; in_use: boolean | null; use_at: string | Date | null; action_id: number; rollout_id: number; max_concurrent: number; wave_state: WaveState }>(
        db,
        sql`SELECT * FROM (SELECT d.id, d.status, d.unit_id, d.model_id, u.time_zone, r.in_clinical_use AS in_use, r.clinical_use_at AS use_at, a.id AS action_id, a.rollout_id, ro.max_concurrent, w.state AS wave_state
            FROM deployment_actions a JOIN devices d ON d.id = a.device_id JOIN units u ON u.id = d.unit_id
            JOIN rollouts ro ON ro.id = a.rollout_id JOIN rollout_waves w ON w.id = a.wave_id
            LEFT JOIN device_reports r ON r.device_id = d.id
            WHERE a.state = 'scheduled' AND ro.state = 'running') s ORDER BY random() LIMIT ${GATE_SAMPLE}`,
      );
      const now = new Date();
      for (const r of rows) {
        const blockers = await gateBlockers(
          db,
          {
            status: r.status as "active", inClinicalUse: r.in_use, clinicalUseAt: r.use_at ? new Date(r.use_at) : null, unitId: r.unit_id, modelId: r.model_id, unitTimeZone: r.time_zone,
            action: { id: r.action_id, state: "scheduled", rolloutId: r.rollout_id }, rollout: { state: "running", maxConcurrent: r.max_concurrent }, waveState: r.wave_state,
          },
          CLINICAL_USE_MAX_AGE_MS,
          now,
        );
        for (const b of blockers) {
          deferralSamples.set(b, (deferralSamples.get(b) ?? 0) + 1);
          if (!deferredDevices.has(b)) deferredDevices.set(b, new Set());
          deferredDevices.get(b)!.add(r.id);
        }
      }
    };

    const rolloutState = async (id: number) => (await db.select({ state: rollouts.state }).from(rollouts).where(eq(rollouts.id, id)))[0]!.state;
    const waveRows = (id: number) =>
      queryRows<{ id: number; name: string; kind: string; state: WaveState; position: number; started_at: string | null }>(db, sql`SELECT id, name, kind, state, position, started_at FROM rollout_waves WHERE rollout_id = ${id} ORDER BY position`);
    const waveCounts = (waveId: number) =>
      queryRows<{ total: number; done: number }>(db, sql`SELECT count(*)::int AS total, count(*) FILTER (WHERE state IN ('succeeded','failed','rolled_back','canceled'))::int AS done FROM deployment_actions WHERE wave_id = ${waveId}`).then((r) => r[0]!);

    let frozeAt = 0;
    let edited = false;
    let reopened = false;
    let killed: SimResult["killed"] = null;
    let lastSample = 0;
    let lastProgress = 0;
    let sampling: Promise<unknown> | null = null;
    const deadline = T0 + o.maxSeconds * 1000;
    for (;;) {
      const t = Date.now();
      if (!frozeAt && t >= T0 + FREEZE_AT_S * 1000) {
        await startFreeze(admin, { reason: "Simulation: vendor recall under review" });
        frozeAt = Date.now(); // committed before this instant
        o.log(`freeze started at T0+${((frozeAt - T0) / 1000).toFixed(1)} s`);
      }
      if (frozeAt && world.freezes.length === 0 && t >= frozeAt + FREEZE_FOR_S * 1000) {
        world.freezes.push([frozeAt, Date.now()]); // surely in force from frozeAt until just before the end is asked for
        await endFreeze(admin, {});
        o.log(`freeze ended at T0+${((Date.now() - T0) / 1000).toFixed(1)} s`);
      }
      if (!edited && t >= T0 + EDIT_AT_S * 1000) {
        edited = true;
        for (const u of unitRows.filter((x) => x.plan === "edited")) await editOpen(u);
        o.log(`"OR" units opened by an edit at T0+${((Date.now() - T0) / 1000).toFixed(1)} s`);
      }
      if (!reopened && t >= B + REOPEN_AFTER_S * 1000) {
        reopened = true;
        for (const u of unitRows.filter((x) => x.plan === "closes")) await editOpen(u);
        o.log(`"ED" units (closed by the clock at T0+${((B - T0) / 1000).toFixed(0)} s) reopened by an edit at T0+${((Date.now() - T0) / 1000).toFixed(1)} s`);
      }
      if (!killed) {
        const active = (await waveRows(good.id)).find((w) => w.state === "active" && w.kind === "general");
        if (active) {
          const c = await waveCounts(active.id);
          const since = active.started_at ? Date.now() - new Date(active.started_at).getTime() : 0;
          if (c.done >= c.total * 0.15 || since > 20_000 || (c.done > 0 && c.total - c.done < 20)) {
            const tKill = Date.now();
            try {
              process.kill(-server.pgid, "SIGKILL");
            } catch {
              /* already gone */
            }
            while (processGroupMembers(server.pgid).length) await sleep(20);
            o.log(`server SIGKILLed at T0+${((tKill - T0) / 1000).toFixed(1)} s in wave "${active.name}" (${c.done} of ${c.total} finished)`);
            await sleep(RESTART_AFTER_MS);
            server = await start();
            const gapS = (Date.now() - tKill) / 1000;
            killed = { atWave: active.name, waveProgress: `${c.done} of ${c.total} finished`, gapS, doneAtKill: c.done, waveId: active.id, doneAtEnd: 0 };
            o.log(`server restarted on the same database; devices were without it for ${gapS.toFixed(1)} s`);
          }
        }
      }
      if (!sampling && t - lastSample >= 4000) {
        lastSample = t;
        sampling = sampleGate()
          .catch((err) => o.log(`gate sample failed: ${String(err)}`))
          .finally(() => (sampling = null));
      }
      if (t - lastProgress >= 10_000) {
        lastProgress = t;
        const waves = await queryRows<{ r: number; name: string; state: string; total: number; done: number }>(
          db,
          sql`SELECT w.rollout_id AS r, w.name, w.state, count(a.id)::int AS total, count(a.id) FILTER (WHERE a.state IN ('succeeded','failed','rolled_back','canceled'))::int AS done
              FROM rollout_waves w LEFT JOIN deployment_actions a ON a.wave_id = w.id GROUP BY w.id ORDER BY w.rollout_id, w.position`,
        );
        const c = rec.counters;
        o.log(`T0+${((t - T0) / 1000).toFixed(0)} s: ${c.polls} polls, ${c.offers} offers, ${c.installs} installs, ${c.pollErrors} errors | ${waves.map((w) => `${w.r}:${w.name} ${w.state} ${w.done}/${w.total}`).join(", ")}`);
      }
      const [gs, bs] = [await rolloutState(good.id), await rolloutState(bad.id)];
      const settled = gs !== "running" && bs !== "running" && killed && world.freezes.length > 0 && !fleet.some((d) => d.installing);
      if (settled || Date.now() > deadline) {
        o.log(`device phase over at T0+${((Date.now() - T0) / 1000).toFixed(1)} s: good rollout ${gs}, failing-model rollout ${bs}${settled ? "" : " (time limit)"}`);
        break;
      }
      await sleep(500);
    }
    stop = true;
    await Promise.all(runs);
    await sampling;
    const deviceSeconds = (Date.now() - T0) / 1000;
    if (killed) killed.doneAtEnd = (await waveCounts(killed.waveId)).done;

    // ---- Device-side verdicts: a reason that held both when the request left and when its answer came.
    const violations: Violation[] = [];
    const judge = (kind: Violation["kind"], list: Gated[]) => {
      for (const g of list) {
        const at = (reason: Violation["reason"], t: number) =>
          reason === "outside_window" ? !world.windowOpen(g.unitKey, t) : reason === "freeze" ? world.frozen(t, kind === "offer" ? FREEZE_OFFER_GRACE_MS : 0) : g.atSend.inUse;
        for (const reason of ["outside_window", "in_clinical_use", "freeze"] as const) {
          if (at(reason, g.sent) && at(reason, g.received)) violations.push({ kind, reason, serial: g.serial, actionId: g.actionId, sent: new Date(g.sent).toISOString() });
        }
      }
    };
    judge("offer", rec.offers);
    judge("install", rec.installStarts);
    const [fa, fb] = world.freezes[0]!;
    const offersInFreezeGrace = rec.offers.filter((g) => g.sent >= fa && g.received < Math.min(fb, fa + FREEZE_OFFER_GRACE_MS)).length;
    const installsDuringFreeze = rec.installStarts.filter((g) => g.received >= fa && g.sent < fb).length;

    // ---- Database invariants (ROL-13).
    const invariants: SimResult["invariants"] = [];
    const check = async (name: string, q: ReturnType<typeof sql>, expectZero = true) => {
      const rows = await queryRows<Record<string, unknown>>(db, q);
      invariants.push({ name, ok: expectZero ? rows.length === 0 : true, detail: rows.length ? JSON.stringify(rows.slice(0, 5)) : "none" });
    };
    await check("no device has two actions in one rollout (no duplicate issuance)", sql`SELECT rollout_id, device_id, count(*)::int AS n FROM deployment_actions WHERE rollout_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1`);
    await check("no device has more than one open action", sql`SELECT device_id, count(*)::int AS n FROM deployment_actions WHERE state IN ('scheduled','downloading','downloaded','installing','installed_awaiting_confirmation','cancel_requested') GROUP BY 1 HAVING count(*) > 1`);
    await check("every rollout action is linked from its device row (no half-applied wave start)", sql`SELECT a.id FROM deployment_actions a LEFT JOIN rollout_devices rd ON rd.action_id = a.id WHERE a.rollout_id IS NOT NULL AND rd.action_id IS NULL`);
    await check("every link points at an action of the same device, rollout and wave", sql`SELECT rd.rollout_id, rd.device_id FROM rollout_devices rd JOIN deployment_actions a ON a.id = rd.action_id WHERE a.device_id <> rd.device_id OR a.rollout_id <> rd.rollout_id OR a.wave_id <> rd.wave_id`);
    await check("each wave started at most once, and its recorded counts equal its device rows", sql`
      WITH started AS (SELECT entity_id::int AS rollout_id, after->>'wave' AS wave, count(*)::int AS starts, max((after->>'targeted')::int) AS targeted, max((after->>'skipped')::int) AS skipped
                       FROM audit_events WHERE action = 'rollout.wave_started' GROUP BY 1, 2),
           rows AS (SELECT w.rollout_id, w.name AS wave, w.state, count(rd.device_id) FILTER (WHERE rd.action_id IS NOT NULL)::int AS linked,
                           count(rd.device_id) FILTER (WHERE rd.skipped_reason IS NOT NULL)::int AS skipped,
                           (SELECT count(*)::int FROM deployment_actions a WHERE a.wave_id = w.id) AS actions
                    FROM rollout_waves w LEFT JOIN rollout_devices rd ON rd.wave_id = w.id GROUP BY w.id)
      SELECT r.*, s.starts, s.targeted, s.skipped AS skipped_recorded FROM rows r LEFT JOIN started s ON s.rollout_id = r.rollout_id AND s.wave = r.wave
      WHERE (r.state IN ('active','completed') AND (s.starts IS DISTINCT FROM 1 OR s.targeted <> r.linked OR s.skipped <> r.skipped OR r.actions <> r.linked))
         OR (r.state IN ('pending','canceled') AND (s.starts IS NOT NULL OR r.actions > 0))`);
    const progress = await progressCounts(db, [good.id, bad.id]);
    for (const [id, p] of progress) {
      const [n] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM rollout_devices WHERE rollout_id = ${id}`);
      const sum = p.waiting + p.inProgress + p.succeeded + p.failed + p.canceled;
      invariants.push({ name: `rollout ${id}: progress counters equal its device rows`, ok: p.devices === n!.n && sum === p.devices, detail: JSON.stringify({ ...p, rows: n!.n }) });
    }
    // No device lost: finished, or waiting with a reason (a later or canceled wave, a skip, or the gate's blockers).
    const open = await queryRows<{ device_id: number; rollout_id: number; state: ActionState; wave_state: WaveState; skipped_reason: string | null; action_id: number | null }>(
      db,
      sql`SELECT rd.device_id, rd.rollout_id, a.state, w.state AS wave_state, rd.skipped_reason, rd.action_id FROM rollout_devices rd JOIN rollout_waves w ON w.id = rd.wave_id
          LEFT JOIN deployment_actions a ON a.id = rd.action_id WHERE a.id IS NULL OR a.state IN ('scheduled','downloading','downloaded','installing','installed_awaiting_confirmation','cancel_requested')`,
    );
    const lost = open.filter((r) => r.action_id === null && r.skipped_reason === null && !(r.wave_state === "pending" || r.wave_state === "canceled"));
    invariants.push({ name: "no targeted device lost (finished, or waiting with a reason)", ok: lost.length === 0, detail: lost.length ? JSON.stringify(lost.slice(0, 5)) : `${open.length} still waiting, each with a reason` });
    // Device and server agree on every result: no lost or duplicated result.
    const actionRows = await queryRows<{ id: number; serial: string; state: ActionState }>(db, sql`SELECT a.id, d.serial, a.state FROM deployment_actions a JOIN devices d ON d.id = a.device_id`);
    const byId = new Map(actionRows.map((a) => [a.id, a]));
    const mismatches: string[] = [];
    const installsPerAction = new Map<number, number>();
    for (const g of rec.installStarts) installsPerAction.set(g.actionId, (installsPerAction.get(g.actionId) ?? 0) + 1);
    for (const [id, n] of installsPerAction) if (n > 1) mismatches.push(`action ${id} installed ${n} times`);
    for (const [serial, list] of rec.results) {
      for (const r of list) {
        const a = byId.get(r.actionId);
        if (!a || a.serial !== serial) mismatches.push(`${serial}: action ${r.actionId} unknown`);
        else if (a.state !== (r.ok ? "succeeded" : "failed")) mismatches.push(`${serial}: device says ${r.ok ? "succeeded" : "failed"}, server ${a.state}`);
      }
    }
    const reported = new Set([...rec.results.values()].flat().map((r) => r.actionId));
    for (const a of actionRows) if ((a.state === "succeeded" || a.state === "failed") && !reported.has(a.id)) mismatches.push(`action ${a.id} ${a.state} on the server without a device result`);
    invariants.push({ name: "device and server agree on every install result (none lost, none twice)", ok: mismatches.length === 0, detail: mismatches.length ? mismatches.slice(0, 5).join("; ") : `${reported.size} results` });
    // The auto-halt raised one incident (ROL-10), about the halted rollout and nothing else.
    const tripped = await queryRows<{ rollout_id: number; n: number }>(db, sql`SELECT rollout_id, count(*)::int AS n FROM incidents WHERE source = 'failure_rate' GROUP BY 1`);
    invariants.push({
      name: "the automatic halt opened exactly one incident, on the halted rollout",
      ok: tripped.length === 1 && tripped[0]!.rollout_id === bad.id && tripped[0]!.n === 1,
      detail: JSON.stringify(tripped),
    });

    // ---- The failing model's rollout.
    const [badRow] = await db.select().from(rollouts).where(eq(rollouts.id, bad.id));
    const badWaves = await waveRows(bad.id);
    const pilot = badWaves.find((w) => w.kind === "pilot")!;
    const general = badWaves.find((w) => w.kind === "general")!;
    const [generalActions] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM deployment_actions WHERE wave_id = ${general.id}`);
    const pilotC = await waveCounts(pilot.id);
    const [pilotFailed] = await queryRows<{ failed: number; finished: number }>(
      db,
      sql`SELECT count(*) FILTER (WHERE state IN ('failed','rolled_back'))::int AS failed, count(*) FILTER (WHERE state IN ('succeeded','failed','rolled_back'))::int AS finished FROM deployment_actions WHERE wave_id = ${pilot.id} AND finished_at <= ${badRow!.finishedAt ?? new Date()}`,
    );
    const timeToHaltS = pilot.started_at && badRow!.finishedAt ? (badRow!.finishedAt.getTime() - new Date(pilot.started_at).getTime()) / 1000 : NaN;

    // ---- The good rollout.
    const [goodRow] = await db.select().from(rollouts).where(eq(rollouts.id, good.id));
    const perWave = await queryRows<{ name: string; state: WaveState; devices: number; succeeded: number; failed: number; waiting: number; in_progress: number }>(
      db,
      sql`SELECT w.name, w.state, count(rd.device_id)::int AS devices, count(*) FILTER (WHERE a.state = 'succeeded')::int AS succeeded,
                 count(*) FILTER (WHERE a.state IN ('failed','rolled_back'))::int AS failed, count(*) FILTER (WHERE rd.action_id IS NULL)::int AS waiting,
                 count(*) FILTER (WHERE a.state::text = ANY(${sql.param(OPEN_STATES)}::text[]))::int AS in_progress
          FROM rollout_waves w LEFT JOIN rollout_devices rd ON rd.wave_id = w.id LEFT JOIN deployment_actions a ON a.id = rd.action_id
          WHERE w.rollout_id = ${good.id} GROUP BY w.id ORDER BY w.position`,
    );
    const [dbTotals] = await queryRows<{ succeeded: number; failed: number; canceled: number; open: number }>(
      db,
      sql`SELECT count(*) FILTER (WHERE state = 'succeeded')::int AS succeeded, count(*) FILTER (WHERE state IN ('failed','rolled_back'))::int AS failed,
                 count(*) FILTER (WHERE state = 'canceled')::int AS canceled, count(*) FILTER (WHERE state::text = ANY(${sql.param(OPEN_STATES)}::text[]))::int AS open FROM deployment_actions`,
    );

    const c = rec.counters;
    const count = (reason: Violation["reason"], kind: Violation["kind"]) => violations.filter((v) => v.kind === kind && v.reason === reason).length;
    const figures: Record<string, string | number> = {
      devices: `${specs.length} (${specs.filter((s) => s.failureRate === FAILURE.failing).length} of the failing model; 8 lab rigs)`,
      "units / time zones": `${unitRows.length} units in ${ZONES.map((z) => z.zone).join(", ")}`,
      "device phase": `${deviceSeconds.toFixed(0)} s (poll every ${o.pollSeconds} s ±10 %)`,
      polls: c.polls,
      "offers received": c.offers,
      "installs started": c.installs,
      "installs succeeded / failed (device)": `${c.succeeded} / ${c.failed}`,
      "actions succeeded / failed / canceled / open (server)": `${dbTotals!.succeeded} / ${dbTotals!.failed} / ${dbTotals!.canceled} / ${dbTotals!.open}`,
      "install starts refused at the first feedback (409)": c.startRefused,
      "downloads refused (gate closed after the offer)": c.downloadRefused,
      "installs outside a window": count("outside_window", "install"),
      "installs on an in-use device": count("in_clinical_use", "install"),
      "installs during the freeze": `${count("freeze", "install")} (install starts overlapping the freeze at all: ${installsDuringFreeze})`,
      "offers outside a window / in use / in freeze": `${count("outside_window", "offer")} / ${count("in_clinical_use", "offer")} / ${count("freeze", "offer")} (offers in the freeze's first ${FREEZE_OFFER_GRACE_MS / 1000} s cache time: ${offersInFreezeGrace})`,
      "freeze": `${((fb - fa) / 1000).toFixed(1)} s`,
      "clinical-use reports": c.useReports,
      "time to halt (failing model)": `${timeToHaltS.toFixed(1)} s after its pilot wave started (${pilotFailed!.failed} of ${pilotFailed!.finished} finished pilot devices failed; pilot ${pilotC.total} devices)`,
      "server killed": killed ? `SIGKILL in "${killed.atWave}" (${killed.waveProgress}); back after ${killed.gapS.toFixed(1)} s; ${killed.doneAtEnd} finished at the end` : "no",
      "requests failed while the server was down (device retries)": `${c.pollErrors} polls/reports, ${c.feedbackRetries} result deliveries`,
      "good rollout": `${goodRow!.state}${goodRow!.stateReason ? ` (${goodRow!.stateReason})` : ""}`,
    };
    const deferrals = [...deferralSamples.entries()].sort((a, b) => b[1] - a[1]).map(([blocker, samples]) => ({ blocker, samples, devices: deferredDevices.get(blocker)!.size }));
    ok = true;
    return {
      figures,
      deferrals,
      violations,
      invariants,
      bad: { state: badRow!.state, reason: badRow!.stateReason, pilotName: pilot.name, generalActions: generalActions!.n, timeToHaltS, pilotFinishedAtHalt: `${pilotFailed!.failed} of ${pilotFailed!.finished}` },
      good: { state: goodRow!.state, reason: goodRow!.stateReason, waves: perWave.map((w) => ({ name: w.name, state: w.state, devices: w.devices, succeeded: w.succeeded, failed: w.failed, waiting: w.waiting, inProgress: w.in_progress })) },
      killed,
      logFile,
    };
  } catch (err) {
    o.log(`server log tail:\n${tail(logFile)}`);
    throw err;
  } finally {
    stop = true;
    await Promise.race([Promise.all(runs), sleep(20_000)]);
    await server?.stop().catch(() => {});
    await handle?.close().catch(() => {});
    await created.drop().catch((err) => o.log(`dropping the simulation database: ${String(err)}`));
    if (ok && !process.env.SIM_KEEP) fs.rmSync(work, { recursive: true, force: true });
    else o.log(`simulation files kept in ${work}`);
  }
}

export function formatResult(r: SimResult): string {
  const w = Math.max(...Object.keys(r.figures).map((k) => k.length));
  const lines = ["", "=== rollout simulation: figures ===", ...Object.entries(r.figures).map(([k, v]) => `${k.padEnd(w)}  ${v}`)];
  lines.push("", `deferrals (the server's gate asked every 4 s about ${GATE_SAMPLE} random devices whose update waited):`, `${"blocker".padEnd(22)} ${"samples".padStart(8)} ${"devices".padStart(8)}  meaning`);
  for (const d of r.deferrals) lines.push(`${d.blocker.padEnd(22)} ${String(d.samples).padStart(8)} ${String(d.devices).padStart(8)}  ${BLOCKER_LABELS[d.blocker]}`);
  lines.push("", "good rollout waves:", ...r.good.waves.map((x) => `  ${x.name.padEnd(10)} ${x.state.padEnd(9)} ${x.devices} devices: ${x.succeeded} succeeded, ${x.failed} failed, ${x.inProgress} open, ${x.waiting} not targeted`));
  lines.push("", `failing-model rollout: ${r.bad.state} — ${r.bad.reason}`, `  general-wave actions issued: ${r.bad.generalActions}`);
  lines.push("", "invariants:", ...r.invariants.map((i) => `  ${i.ok ? "ok  " : "FAIL"} ${i.name}: ${i.detail}`));
  if (r.violations.length) lines.push("", `VIOLATIONS (${r.violations.length}):`, ...r.violations.slice(0, 20).map((v) => `  ${v.kind} ${v.reason} ${v.serial} action ${v.actionId} at ${v.sent}`));
  return lines.join("\n");
}
