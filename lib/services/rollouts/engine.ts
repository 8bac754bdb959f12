import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { deploymentActions, rolloutDevices, rolloutWaves, rollouts, type GateResult, type Rollout, type RolloutWave } from "@/db/schema";
import { HEALTH_METRIC_LABELS } from "@/lib/domain";
import { systemActor, type Actor } from "../actor";
import { auditAs, recordAudit, type Audit } from "../audit/record";
import { stopOpenActions } from "../deployments/stop";
import { openIncident } from "../incidents/open";
import { openIncidentBlocking } from "../incidents/queries";
import { briefingAcknowledgedUnits } from "../releases/briefings";
import { compareCohorts, type CohortComparison } from "../telemetry/regression";
import { startTicker } from "../ticker";

// The rollout engine. Offers are decided when a device polls (the install gate); this moves rollouts
// between waves. Every step is a conditional update inside a transaction that holds the rollout's row
// lock, so ticks are idempotent, safe with several app instances, and resume correctly after a crash:
// nothing lives only in memory.

export const ENGINE: Actor = systemActor("rollout-engine");

/** How often a running rollout's updated devices are compared with its not-yet-updated ones. */
export const HEALTH_CHECK_MS = 5 * 60_000;

/** Devices that report nothing for this long while downloading or installing are failed (and can be retried). */
export const PROGRESS_TIMEOUT_MS = 6 * 3_600_000;

export type WaveStats = { targeted: number; succeeded: number; failed: number; canceled: number; open: number };

export async function waveStats(db: Db, waveId: number): Promise<WaveStats> {
  const [row] = await queryRows<WaveStats>(
    db,
    // Each device counts once, with its current action: a failed attempt that an operator retried is
    // replaced by the retry (rollout_devices.action_id), as the rollout page shows it.
    sql`SELECT count(*)::int AS targeted,
               count(*) FILTER (WHERE a.state = 'succeeded')::int AS succeeded,
               count(*) FILTER (WHERE a.state IN ('failed', 'rolled_back'))::int AS failed,
               count(*) FILTER (WHERE a.state = 'canceled')::int AS canceled,
               count(*) FILTER (WHERE a.state NOT IN ('succeeded', 'failed', 'rolled_back', 'canceled'))::int AS open
        FROM rollout_devices rd JOIN deployment_actions a ON a.id = rd.action_id WHERE rd.wave_id = ${waveId}`,
  );
  return row ?? { targeted: 0, succeeded: 0, failed: 0, canceled: 0, open: 0 };
}

const pct = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10);

/** Stops a rollout: no device of it is offered anything, and updates not yet under way are stopped. */
export async function stopRollout(tx: Db, rollout: Rollout, state: "halted" | "canceled", reason: string, audit: Audit) {
  const [moved] = await tx
    .update(rollouts)
    .set({ state, stateReason: reason, updatedAt: sql`now()`, finishedAt: sql`now()` })
    .where(and(eq(rollouts.id, rollout.id), inArray(rollouts.state, ["running", "paused"])))
    .returning();
  if (!moved) return null;
  const stopped = await stopOpenActions(tx, eq(deploymentActions.rolloutId, rollout.id));
  await tx.update(rolloutWaves).set({ state: "canceled" }).where(and(eq(rolloutWaves.rolloutId, rollout.id), eq(rolloutWaves.state, "pending")));
  await audit({ action: `rollout.${state}`, entityType: "rollout", entityId: rollout.id, before: { state: rollout.state }, after: { state, ...stopped }, reason });
  return moved;
}

/** Pauses a running rollout (by a person or the engine): nothing of it is offered until someone resumes it. */
export async function pauseRunning(tx: Db, rollout: Rollout, reason: string, audit: Audit, detail: Record<string, unknown> = {}) {
  await tx.update(rollouts).set({ state: "paused", stateReason: reason, updatedAt: sql`now()` }).where(eq(rollouts.id, rollout.id));
  await audit({ action: "rollout.paused", entityType: "rollout", entityId: rollout.id, before: { state: rollout.state }, after: { state: "paused", ...detail }, reason });
}

/**
 * One step of one rollout, under its row lock: judge the active wave (auto-halt, completion), then start
 * the next wave when its gates pass. Returns what happened, for logs and tests.
 */
export async function advanceRollout(tx: Db, rolloutId: number, now: Date, audit: Audit): Promise<string> {
  const [rollout] = await tx.select().from(rollouts).where(eq(rollouts.id, rolloutId)).for("update", { skipLocked: true });
  if (!rollout || rollout.state !== "running") return "idle";
  if (await healthCheck(tx, rollout, now, audit)) return "paused";
  const waves = await tx.select().from(rolloutWaves).where(eq(rolloutWaves.rolloutId, rollout.id)).orderBy(asc(rolloutWaves.position));
  const active = waves.find((w) => w.state === "active");
  if (active) {
    const outcome = await judgeActiveWave(tx, rollout, active, now, audit);
    if (outcome !== "completed") return outcome;
    // The wave rows were read before the judgement: the rest of this step must see the wave as completed
    // (the next wave's soak runs from now; a rollout whose last wave just completed is complete).
    active.state = "completed";
    active.completedAt = now;
  }
  const next = waves.find((w) => w.state === "pending");
  if (!next) {
    if (waves.every((w) => w.state === "completed" || w.state === "canceled")) {
      await tx.update(rollouts).set({ state: "completed", updatedAt: sql`now()`, finishedAt: sql`now()` }).where(eq(rollouts.id, rollout.id));
      await audit({ action: "rollout.completed", entityType: "rollout", entityId: rollout.id, after: { waves: waves.length } });
      return "completed";
    }
    return "waiting";
  }
  const previous = [...waves].reverse().find((w) => w.position < next.position && w.state === "completed") ?? null;
  const gates = await nextWaveGates(tx, rollout, next, previous, now);
  await saveGates(tx, next, gates);
  if (!gates.every((g) => g.ok)) return "gated";
  return startWave(tx, rollout, next, audit);
}

/**
 * The health-regression gate (every HEALTH_CHECK_MS while the rollout runs): compares updated with
 * not-yet-updated devices of the model (compareCohorts). A regression opens one incident with the
 * evidence and pauses the rollout; the incident blocks the next wave until someone signs it off, after
 * which the same regression no longer pauses it.
 */
async function healthCheck(tx: Db, rollout: Rollout, now: Date, audit: Audit): Promise<boolean> {
  // In a savepoint: a failing comparison is logged and must not stop the wave's own judgement (auto-halt).
  try {
    return await tx.transaction((sp) => healthRegressed(sp, rollout, now, audit));
  } catch (err) {
    console.error(`[corridor] health check of rollout ${rollout.id} failed`, err);
    return false;
  }
}

async function healthRegressed(tx: Db, rollout: Rollout, now: Date, audit: Audit): Promise<boolean> {
  if (rollout.healthCheckedAt && now.getTime() - rollout.healthCheckedAt.getTime() < HEALTH_CHECK_MS) return false;
  const updatedDevices = await queryRows<{ device_id: number }>(tx, sql`SELECT device_id FROM deployment_actions WHERE rollout_id = ${rollout.id} AND state = 'succeeded'`);
  if (updatedDevices.length === 0) return false;
  await tx.update(rollouts).set({ healthCheckedAt: now }).where(eq(rollouts.id, rollout.id));
  const result = await compareCohorts(tx, { rolloutId: rollout.id, until: now });
  if (result.regressed.length === 0) return false;
  const worse = result.metrics.filter((m) => m.regressed);
  const summary = worse.map((m) => `${HEALTH_METRIC_LABELS[m.metric].toLowerCase()} ${m.relativeChange === null ? "up from 0" : `+${Math.round(m.relativeChange * 100)}%`} (p = ${m.pValue!.toPrecision(2)})`).join("; ");
  const { incident } = await openIncident(tx, ENGINE, audit, {
    source: "health_regression",
    sourceKey: `rollout:${rollout.id}:health_regression`,
    severity: "high",
    title: `Health regression after ${result.version}: ${worse.map((m) => HEALTH_METRIC_LABELS[m.metric].toLowerCase()).join(", ")}`,
    description: `Updated devices are worse than not-yet-updated devices of the same model over the same period: ${summary}. The rollout is paused and its next wave waits until someone signs this incident off.`,
    releaseId: rollout.releaseId,
    rolloutId: rollout.id,
    deviceIds: updatedDevices.map((d) => d.device_id),
    evidence: regressionEvidence(result),
  });
  if (incident.signedOffAt) return false;
  await pauseRunning(tx, rollout, `Health regression: ${summary}. See incident #${incident.id}.`, audit, { cause: "health regression", incidentId: incident.id, metrics: result.regressed });
  return true;
}

/** What the incident keeps: the test's figures, and the first regressed metric's hourly series for its chart. */
function regressionEvidence(result: CohortComparison) {
  const metric = result.regressed[0]!;
  return {
    kind: "health_regression",
    metric,
    metricLabel: HEALTH_METRIC_LABELS[metric],
    since: result.since,
    until: result.until,
    settings: result.settings,
    metrics: result.metrics,
    series: result.series.map((p) => ({ hour: p.t, updated: p.updated[metric] ?? null, control: p.control[metric] ?? null })),
  };
}

/** The shares an active wave is judged on, from its counts. */
function shares(s: WaveStats) {
  const finished = s.succeeded + s.failed;
  const considered = s.targeted - s.canceled;
  return { finished, considered, failurePct: pct(s.failed, finished), successPct: pct(s.succeeded, considered) };
}

/** The gates of an active wave, from its counts: the failure share, whether all finished, the success share. */
function activeWaveGates(s: WaveStats, wave: RolloutWave): GateResult[] {
  const { finished, considered, failurePct, successPct } = shares(s);
  return [
    {
      gate: "failure share",
      ok: finished < wave.minSample || failurePct <= wave.maxFailurePct,
      detail: finished < wave.minSample ? `${finished} of the ${wave.minSample} results needed before the failure gate can trip` : `${failurePct}% failed (limit ${wave.maxFailurePct}%)`,
    },
    { gate: "devices finished", ok: s.open === 0, detail: `${considered - s.open} of ${considered} finished` },
    // A wave whose devices were all skipped or canceled has nothing to judge.
    { gate: "success share", ok: s.open > 0 || considered === 0 || successPct >= wave.minSuccessPct, detail: `${successPct}% succeeded (needs ${wave.minSuccessPct}%)` },
  ];
}

async function judgeActiveWave(tx: Db, rollout: Rollout, wave: RolloutWave, now: Date, audit: Audit): Promise<string> {
  const s = await waveStats(tx, wave.id);
  const { finished, failurePct, successPct } = shares(s);
  const gates = activeWaveGates(s, wave);
  await saveGates(tx, wave, gates);
  if (!gates[0]!.ok) {
    const reason = `Automatic halt in wave "${wave.name}": ${s.failed} of ${finished} finished devices failed (${failurePct}%, limit ${wave.maxFailurePct}%).`;
    await stopRollout(tx, rollout, "halted", reason, audit);
    const failed = await queryRows<{ device_id: number }>(tx, sql`SELECT a.device_id FROM rollout_devices rd JOIN deployment_actions a ON a.id = rd.action_id WHERE rd.wave_id = ${wave.id} AND a.state IN ('failed', 'rolled_back')`);
    await openIncident(tx, ENGINE, audit, {
      source: "failure_rate",
      sourceKey: `rollout:${rollout.id}:failure_rate`,
      severity: "high",
      title: `Rollout "${rollout.name}" halted: ${failurePct}% of updates failed`,
      description: reason,
      releaseId: rollout.releaseId,
      rolloutId: rollout.id,
      deviceIds: failed.map((f) => f.device_id),
      evidence: { wave: wave.name, ...s, failurePct, limitPct: wave.maxFailurePct, minSample: wave.minSample },
    });
    return "halted";
  }
  if (s.open > 0) return "running";
  if (!gates[2]!.ok) {
    const reason = `Wave "${wave.name}" finished with ${successPct}% success; it needs ${wave.minSuccessPct}%. Retry the failed devices or resume to go on.`;
    await pauseRunning(tx, rollout, reason, audit, { wave: wave.name, successPct, cause: "success share below the gate" });
    return "paused";
  }
  await tx.update(rolloutWaves).set({ state: "completed", completedAt: now }).where(and(eq(rolloutWaves.id, wave.id), eq(rolloutWaves.state, "active")));
  await audit({ action: "rollout.wave_completed", entityType: "rollout", entityId: rollout.id, after: { wave: wave.name, ...s } });
  return "completed";
}

async function nextWaveGates(tx: Db, rollout: Rollout, wave: RolloutWave, previous: RolloutWave | null, now: Date): Promise<GateResult[]> {
  const gates: GateResult[] = [];
  if (previous?.completedAt) {
    const soakEnds = previous.completedAt.getTime() + previous.soakMinutes * 60_000;
    gates.push({ gate: "soak time", ok: now.getTime() >= soakEnds, detail: now.getTime() >= soakEnds ? `"${previous.name}" soaked ${previous.soakMinutes} min` : `until ${new Date(soakEnds).toISOString()}` });
  }
  const blocking = await openIncidentBlocking(tx, rollout.id);
  gates.push({
    gate: "no open incident",
    ok: blocking.length === 0,
    detail: blocking.length ? `incident ${blocking.map((b) => `#${b.id}`).join(", ")} open and not signed off` : "no open incident on this rollout",
  });
  if (wave.requireAcknowledgement) {
    const units = await queryRows<{ unit_id: number }>(tx, sql`SELECT DISTINCT d.unit_id FROM rollout_devices rd JOIN devices d ON d.id = rd.device_id WHERE rd.wave_id = ${wave.id}`);
    const acknowledged = await briefingAcknowledgedUnits(tx, rollout.releaseId);
    const missing = units.filter((u) => !acknowledged.has(u.unit_id)).length;
    gates.push({ gate: "briefing acknowledged", ok: missing === 0, detail: missing ? `${missing} of ${units.length} units have not acknowledged the briefing` : `all ${units.length} units acknowledged` });
  }
  if (wave.requireGoAhead) gates.push({ gate: "signed go-ahead", ok: wave.goAheadAt != null, detail: wave.goAheadAt ? `by ${wave.goAheadName}` : "waiting for a signed go-ahead" });
  return gates;
}

// Compared field by field: jsonb does not keep key order, so the stored gates never stringify as written.
const sameGates = (a: GateResult[], b: GateResult[]) =>
  JSON.stringify(a.map((g) => [g.gate, g.ok, g.detail])) === JSON.stringify(b.map((g) => [g.gate, g.ok, g.detail]));

async function saveGates(tx: Db, wave: RolloutWave, gates: GateResult[]) {
  if (sameGates(gates, wave.gates)) return;
  await tx.update(rolloutWaves).set({ gates }).where(eq(rolloutWaves.id, wave.id));
}

/**
 * The anti-rollback counter for a device's action (UPD-04), over `d` (devices) and `r` (the release): the
 * release's security version — or, in a rollout a signed downgrade exception created, one above the
 * device's floor, so the older image is issued with new, higher-counter metadata the device accepts.
 */
export const issuedCounterSql = (rollout: Rollout) =>
  rollout.downgradeExceptionId === null ? sql`r.security_version` : sql`greatest(r.security_version, d.security_version + 1)`;

/** Whether the release may go to the device: never below its floor, unless a downgrade exception allows it. */
export const withinFloorSql = (rollout: Rollout) =>
  rollout.downgradeExceptionId === null ? sql`d.security_version <= r.security_version` : sql`true`;

/**
 * Targets the wave's devices: one deployment action each, in one statement. A device that meanwhile got
 * another update, was quarantined or retired, or rose above the release's security version is skipped
 * with the reason.
 */
async function startWave(tx: Db, rollout: Rollout, wave: RolloutWave, audit: Audit): Promise<string> {
  const [started] = await tx.update(rolloutWaves).set({ state: "active", startedAt: sql`now()` }).where(and(eq(rolloutWaves.id, wave.id), eq(rolloutWaves.state, "pending"))).returning();
  if (!started) return "idle";
  const targeted = await queryRows<{ n: number }>(
    tx,
    sql`WITH eligible AS (
          SELECT rd.device_id, d.firmware_version, ${issuedCounterSql(rollout)} AS counter FROM rollout_devices rd
          JOIN devices d ON d.id = rd.device_id
          JOIN releases r ON r.id = ${rollout.releaseId}
          WHERE rd.rollout_id = ${rollout.id} AND rd.wave_id = ${wave.id} AND rd.action_id IS NULL
            AND d.status NOT IN ('quarantined', 'retired') AND ${withinFloorSql(rollout)}),
        created AS (
          INSERT INTO deployment_actions (device_id, release_id, previous_version, rollout_id, wave_id, created_by, security_counter)
          SELECT device_id, ${rollout.releaseId}, firmware_version, ${rollout.id}, ${wave.id}, ${rollout.createdBy}, counter FROM eligible
          ON CONFLICT (device_id) WHERE state IN ('scheduled','downloading','downloaded','installing','installed_awaiting_confirmation','cancel_requested') DO NOTHING
          RETURNING id, device_id),
        linked AS (
          UPDATE rollout_devices rd SET action_id = c.id FROM created c
          WHERE rd.rollout_id = ${rollout.id} AND rd.device_id = c.device_id RETURNING 1)
        SELECT count(*)::int AS n FROM linked`,
  );
  const skipped = await tx
    .update(rolloutDevices)
    .set({ skippedReason: "had another unfinished update, was quarantined or retired, or is above the release's security version" })
    .where(and(eq(rolloutDevices.waveId, wave.id), isNull(rolloutDevices.actionId), isNull(rolloutDevices.skippedReason)))
    .returning({ deviceId: rolloutDevices.deviceId });
  // The started wave shows its own gates at once, so the next tick at the same time has nothing to rewrite.
  await saveGates(tx, started, activeWaveGates(await waveStats(tx, wave.id), started));
  await audit({ action: "rollout.wave_started", entityType: "rollout", entityId: rollout.id, after: { wave: wave.name, position: wave.position, targeted: targeted[0]?.n ?? 0, skipped: skipped.length } });
  return "started";
}

/** Fails updates that stopped reporting progress, so they show truthfully and can be retried. */
export async function failStalledActions(db: Db, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - PROGRESS_TIMEOUT_MS);
  const stalled = await db
    .update(deploymentActions)
    .set({ state: "failed", finishedAt: now, updatedAt: now, failureReason: `no progress reported for ${PROGRESS_TIMEOUT_MS / 3_600_000} hours` })
    .where(and(inArray(deploymentActions.state, ["downloading", "downloaded", "installing"]), sql`coalesce(${deploymentActions.lastFeedbackAt}, ${deploymentActions.updatedAt}) < ${cutoff}`))
    .returning({ id: deploymentActions.id });
  if (stalled.length) await recordAudit(db, ENGINE, undefined, { action: "deployment.timed_out", entityType: "deployment_action", after: { actions: stalled.map((s) => s.id) } });
  return stalled.length;
}

/** One engine tick over every running rollout, each in its own transaction. Safe to run anywhere, any time. */
export async function tickRollouts(db: Db, now = new Date()): Promise<Record<number, string>> {
  await failStalledActions(db, now);
  const running = await db.select({ id: rollouts.id }).from(rollouts).where(eq(rollouts.state, "running")).orderBy(asc(rollouts.id));
  const outcomes: Record<number, string> = {};
  for (const { id } of running) {
    outcomes[id] = await db.transaction((tx) => advanceRollout(tx, id, now, auditAs(tx, ENGINE)));
  }
  return outcomes;
}

/** Runs ticks every few seconds in this process (each tick is safe alongside other instances). */
export function startRolloutTicker(db: Db, everyMs: number): () => void {
  return startTicker("rollout", everyMs, () => tickRollouts(db));
}
