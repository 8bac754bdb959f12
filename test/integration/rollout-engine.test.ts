import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentActions, incidentDevices, incidents, rolloutDevices } from "@/db/schema";
import { queryRows } from "@/db/client";
import { recordAudit } from "@/lib/services/audit/record";
import { applyFeedback, basePoll } from "@/lib/services/ddi/protocol";
import { reportProblem } from "@/lib/services/releases/briefings";
import { SignatureRefused } from "@/lib/services/releases/signatures";
import { advanceRollout, ENGINE, failStalledActions, PROGRESS_TIMEOUT_MS, tickRollouts, waveStats } from "@/lib/services/rollouts/engine";
import { goAheadWave } from "@/lib/services/rollouts/operations";
import { progressCounts } from "@/lib/services/rollouts/queries";
import { auditHighWater, auditRowsAfter, backend, caught, TEST_PASSWORD } from "../db";
import { closeWorld, createRelease, feedback, FROM, ORIGIN, type Place, type World } from "../protocol-fixtures";
import {
  acknowledgeIn, actionRow, addUnit, byDevice, deviceActions, drive, enrol, expectOffered, expectWithheld, fresh, newRollout, openActionsPerDevice,
  rolloutActions, rolloutDeviceRows, rolloutRow, rowVersions, snapshot, wave, waveMembers, wavesOf, type Member, openRolloutWorld, type Release,
} from "../rollout-fixtures";

/**
 * The rollout engine: waves start only when their gates pass (soak, briefing acknowledged by the wave's
 * units, signed go-ahead), a wave whose failure share passes its limit halts the rollout (ROL-01), stalled
 * updates are failed, and ticks are idempotent and safe in parallel (ROL-13, WEB-11).
 */

let w: World;
let home: Place;
let release: Release;

beforeAll(async () => {
  ({ w, home, release } = await openRolloutWorld());
});
afterAll(() => closeWorld(w));

const MIN = 60_000;
const at = (base: Date, minutes: number) => new Date(base.getTime() + minutes * MIN);
const engineAudit = (tx: Parameters<typeof recordAudit>[0]) => (entry: Parameters<typeof recordAudit>[3]) => recordAudit(tx, ENGINE, undefined, entry);
const advance = (rolloutId: number, now: Date) => w.db.transaction((tx) => advanceRollout(tx, rolloutId, now, engineAudit(tx)));

/** Audit actions about one rollout written after `hw`. */
async function rolloutEvents(hw: number, rolloutId: number) {
  return (await auditRowsAfter(w.db, hw)).filter((r) => r.entityType === "rollout" && r.entityId === String(rolloutId));
}

const gate = (waveRow: { gates: { gate: string; ok: boolean; detail: string }[] }, name: string) => waveRow.gates.find((g) => g.gate === name);

describe("Wave progression: lab → pilot → general, each wave only when its gates pass", () => {
  it("ROL-01: lab starts on creation; the pilot waits for the lab's soak, every pilot unit's acknowledgement and a signed go-ahead; general waits for the pilot's soak", async () => {
    const lab = await addUnit(w, home);
    const u1 = await addUnit(w, home);
    const u2 = await addUnit(w, home);
    const labDevices = await enrol(w, lab, 2, { sandbox: true });
    const ward1 = await enrol(w, u1, 3);
    const ward2 = await enrol(w, u2, 3);
    const all = [...labDevices, ...ward1, ...ward2];
    const hw = await auditHighWater(w.db);
    const rollout = await newRollout(w, release, all, [
      wave("lab", { name: "Bench", soakMinutes: 60 }),
      wave("pilot", { name: "Pilot", percent: 30, requireAcknowledgement: true, requireGoAhead: true, soakMinutes: 30 }),
      wave("general", { name: "Everyone", requireAcknowledgement: true }),
    ]);
    const [labIds, pilotIds, generalIds] = (await waveMembers(w.db, rollout.id)) as [number[], number[], number[]];
    expect(labIds.sort()).toEqual(labDevices.map((m) => m.device.id).sort());
    // Pilot by 30 %: ceil(30 % of 3) = 1 device of each ward.
    expect(byDevice(ward1, pilotIds)).toHaveLength(1);
    expect(byDevice(ward2, pilotIds)).toHaveLength(1);
    expect(generalIds).toHaveLength(4);
    const pilot = byDevice(all, pilotIds);
    const general = byDevice(all, generalIds);

    // Created: the lab wave is active and only its devices have an update.
    let waves = await wavesOf(w.db, rollout.id);
    expect(waves.map((x) => x.state)).toEqual(["active", "pending", "pending"]);
    expect((await rolloutActions(w.db, rollout.id)).map((a) => a.deviceId).sort()).toEqual(labIds.sort());
    for (const m of [...pilot, ...general]) {
      expect((await fresh(w, m)).action).toBeNull();
      expect((await basePoll(w.db, await fresh(w, m), w.cfg, ORIGIN))._links.deploymentBase).toBeUndefined();
    }
    expect((await rolloutEvents(hw, rollout.id)).map((r) => [r.action, r.actorType])).toEqual([
      ["rollout.created", "user"],
      ["rollout.wave_started", "system"],
    ]);

    // Lab devices install; while one is open the wave keeps running.
    await drive(w, labDevices[0]!, "succeeded");
    const t0 = new Date();
    expect(await advance(rollout.id, t0)).toBe("running");
    await drive(w, labDevices[1]!, "succeeded");
    expect((await tickRollouts(w.db, t0))[rollout.id]).toBe("gated");
    waves = await wavesOf(w.db, rollout.id);
    expect(waves.map((x) => x.state)).toEqual(["completed", "pending", "pending"]);
    expect(waves[0]!.completedAt!.getTime()).toBe(t0.getTime());
    expect(gate(waves[1]!, "soak time")).toMatchObject({ ok: false });
    expect(gate(waves[1]!, "briefing acknowledged")).toMatchObject({ ok: false, detail: "2 of 2 units have not acknowledged the briefing" });
    expect(gate(waves[1]!, "signed go-ahead")).toMatchObject({ ok: false });
    expect(gate(waves[1]!, "no open incident")).toMatchObject({ ok: true });

    // Soak over, still no acknowledgement.
    const later = at(t0, 61);
    expect((await tickRollouts(w.db, later))[rollout.id]).toBe("gated");
    waves = await wavesOf(w.db, rollout.id);
    expect(gate(waves[1]!, "soak time")).toMatchObject({ ok: true });

    // One ward acknowledges: not enough.
    await acknowledgeIn(w, release.release.id, [u1.unit.id]);
    expect((await tickRollouts(w.db, later))[rollout.id]).toBe("gated");
    expect(gate((await wavesOf(w.db, rollout.id))[1]!, "briefing acknowledged")).toMatchObject({ ok: false, detail: "1 of 2 units have not acknowledged the briefing" });

    // Both wards: only the go-ahead is missing.
    await acknowledgeIn(w, release.release.id, [u2.unit.id]);
    expect((await tickRollouts(w.db, later))[rollout.id]).toBe("gated");
    waves = await wavesOf(w.db, rollout.id);
    expect(waves[1]!.gates.filter((g) => !g.ok).map((g) => g.gate)).toEqual(["signed go-ahead"]);
    expect(waves[1]!.state).toBe("pending");

    // A wrong password signs nothing (and is audited as a refusal).
    const hwBad = await auditHighWater(w.db);
    const bad = await caught(() => goAheadWave(w.biomed, { waveId: waves[1]!.id, password: "not my password" }));
    expect(bad).toBeInstanceOf(SignatureRefused);
    expect((await wavesOf(w.db, rollout.id))[1]).toMatchObject({ goAheadAt: null, goAheadBy: null, state: "pending" });
    expect((await auditRowsAfter(w.db, hwBad)).map((r) => [r.action, r.outcome])).toEqual([["signature.password_rejected", "denied"]]);
    expect((await tickRollouts(w.db, later))[rollout.id]).toBe("gated");

    // Signed: the wave then starts at the next tick after the soak.
    await goAheadWave(w.biomed, { waveId: waves[1]!.id, password: TEST_PASSWORD });
    waves = await wavesOf(w.db, rollout.id);
    expect(waves[1]!.goAheadAt).toBeInstanceOf(Date);
    expect(waves[1]!.goAheadName).toBe("Test biomed");
    expect(await caught(() => goAheadWave(w.biomed, { waveId: waves[1]!.id, password: TEST_PASSWORD }))).toMatchObject({ status: 409 });
    expect((await tickRollouts(w.db, later))[rollout.id]).toBe("started");
    waves = await wavesOf(w.db, rollout.id);
    expect(waves.map((x) => x.state)).toEqual(["completed", "active", "pending"]);
    for (const m of pilot) await expectOffered(w, m, "pilot started");
    for (const m of general) expect((await fresh(w, m)).action).toBeNull();

    // Pilot succeeds; general waits 30 minutes of soak (its units already acknowledged).
    for (const m of pilot) await drive(w, m, "succeeded");
    const t1 = at(t0, 70);
    expect((await tickRollouts(w.db, t1))[rollout.id]).toBe("gated");
    expect((await tickRollouts(w.db, at(t1, 29)))[rollout.id]).toBe("gated");
    expect(gate((await wavesOf(w.db, rollout.id))[2]!, "soak time")).toMatchObject({ ok: false });
    expect((await tickRollouts(w.db, at(t1, 31)))[rollout.id]).toBe("started");
    for (const m of general) await expectOffered(w, m, "general started");

    for (const m of general) await drive(w, m, "succeeded");
    expect((await tickRollouts(w.db, at(t1, 32)))[rollout.id]).toBe("completed");
    expect(await rolloutRow(w.db, rollout.id)).toMatchObject({ state: "completed" });
    expect((await rolloutRow(w.db, rollout.id)).finishedAt).toBeInstanceOf(Date);
    expect((await wavesOf(w.db, rollout.id)).map((x) => x.state)).toEqual(["completed", "completed", "completed"]);
    const events = (await rolloutEvents(hw, rollout.id)).map((r) => r.action);
    expect(events.filter((a) => a === "rollout.wave_started")).toHaveLength(3);
    expect(events.filter((a) => a === "rollout.wave_completed")).toHaveLength(3);
    expect(events.filter((a) => a === "rollout.go_ahead_signed")).toHaveLength(1);
    expect(events.at(-1)).toBe("rollout.completed");
    expect((await progressCounts(w.db, [rollout.id])).get(rollout.id)).toEqual({ devices: 8, waiting: 0, inProgress: 0, succeeded: 8, failed: 0, canceled: 0 });
  });

  it("ROL-01: a lab wave whose gate fails on creation stays pending with no targets until its unit acknowledges", async () => {
    const lab = await addUnit(w, home);
    const members = await enrol(w, lab, 1, { sandbox: true });
    const r2 = await createRelease(w, home.model.id);
    const rollout = await newRollout(w, r2, members, [wave("lab", { requireAcknowledgement: true })]);
    const [only] = await wavesOf(w.db, rollout.id);
    expect(only).toMatchObject({ state: "pending" });
    expect(gate(only!, "briefing acknowledged")).toMatchObject({ ok: false });
    expect(await rolloutActions(w.db, rollout.id)).toEqual([]);
    await acknowledgeIn(w, r2.release.id, [lab.unit.id]);
    expect(await advance(rollout.id, new Date())).toBe("started");
    await expectOffered(w, members[0]!, "lab started after acknowledgement");
  });

  it("ROL-01: a bedside report of patient harm since the rollout began holds the next wave", async () => {
    // A release of its own: the report would hold every running rollout of the release.
    const own = await createRelease(w, home.model.id);
    const lab = await addUnit(w, home);
    const ward = await addUnit(w, home);
    const [labDevice] = (await enrol(w, lab, 1, { sandbox: true })) as [Member];
    const [wardDevice] = (await enrol(w, ward, 1)) as [Member];
    const rollout = await newRollout(w, own, [labDevice, wardDevice], [wave("lab"), wave("general")]);
    const clinician = await acknowledgeIn(w, own.release.id, [ward.unit.id]);
    await reportProblem(clinician, { releaseId: own.release.id, unitId: ward.unit.id, description: "Pump stopped mid-infusion.", patientHarm: true });
    await drive(w, labDevice, "succeeded");
    expect(await advance(rollout.id, new Date())).toBe("gated");
    const waves = await wavesOf(w.db, rollout.id);
    expect(waves.map((x) => x.state)).toEqual(["completed", "pending"]);
    // The report opened an incident linked to this rollout; it holds the wave until signed off.
    const [opened] = await w.db.select().from(incidents).where(eq(incidents.rolloutId, rollout.id));
    expect(opened).toMatchObject({ source: "problem_report", severity: "high" });
    expect(gate(waves[1]!, "no open incident")).toEqual({ gate: "no open incident", ok: false, detail: `incident #${opened!.id} open and not signed off` });
    expect(await deviceActions(w.db, wardDevice.device.id)).toEqual([]);
  });
});

describe("ROL-01: automatic halt on the failure share", () => {
  it("ROL-01: below the minimum sample a high failure share does not trip; at the sample it halts: untouched updates canceled, started ones cancel_requested, awaiting confirmation left, no new targets", async () => {
    const u1 = await addUnit(w, home);
    const u2 = await addUnit(w, home);
    const first = await enrol(w, u1, 10);
    const second = await enrol(w, u2, 5);
    const rollout = await newRollout(w, release, [...first, ...second], [
      wave("pilot", { unitIds: [u1.unit.id], minSample: 5, maxFailurePct: 10 }),
      wave("general"),
    ]);
    expect((await wavesOf(w.db, rollout.id)).map((x) => x.state)).toEqual(["active", "pending"]);
    const now = new Date();

    await drive(w, first[0]!, "failed");
    await drive(w, first[1]!, "succeeded");
    expect(await advance(rollout.id, now)).toBe("running");
    let [pilotWave] = await wavesOf(w.db, rollout.id);
    expect(gate(pilotWave!, "failure share")).toEqual({ gate: "failure share", ok: true, detail: "2 of the 5 results needed before the failure gate can trip" });
    expect((await rolloutRow(w.db, rollout.id)).state).toBe("running");

    await drive(w, first[2]!, "succeeded");
    await drive(w, first[3]!, "succeeded");
    await drive(w, first[4]!, "failed");
    const downloading = await drive(w, first[5]!, "downloading");
    const awaiting = await drive(w, first[6]!, "awaiting");
    // A device that answered without starting (hawkBit "scheduled" feedback) has touched its action.
    const touchedId = (await fresh(w, first[7]!)).action!.id!;
    await applyFeedback(w.db, await fresh(w, first[7]!), touchedId, "deployment", feedback(touchedId, "scheduled", "none", ["Waiting"]), FROM);
    const untouched = [(await fresh(w, first[8]!)).action!.id!, (await fresh(w, first[9]!)).action!.id!];

    const hw = await auditHighWater(w.db);
    expect((await tickRollouts(w.db, now))[rollout.id]).toBe("halted");
    const halted = await rolloutRow(w.db, rollout.id);
    expect(halted.state).toBe("halted");
    expect(halted.stateReason).toBe('Automatic halt in wave "' + (await wavesOf(w.db, rollout.id))[0]!.name + '": 2 of 5 finished devices failed (40%, limit 10%).');
    expect((await actionRow(w.db, downloading)).state).toBe("cancel_requested");
    expect((await actionRow(w.db, touchedId)).state).toBe("cancel_requested");
    expect((await actionRow(w.db, awaiting)).state).toBe("installed_awaiting_confirmation");
    for (const id of untouched) expect((await actionRow(w.db, id)).state).toBe("canceled");
    expect((await wavesOf(w.db, rollout.id)).map((x) => x.state)).toEqual(["active", "canceled"]);
    const events = await rolloutEvents(hw, rollout.id);
    expect(events.map((r) => [r.action, r.actorType, r.actorName])).toEqual([["rollout.halted", "system", "rollout-engine"]]);
    expect(events[0]!.after).toEqual({ state: "halted", canceled: 2, cancelRequested: 2 });
    // The trip opens one incident, linked to the rollout and the two failed devices.
    const [opened, ...more] = await w.db.select().from(incidents).where(eq(incidents.rolloutId, rollout.id));
    expect(more).toEqual([]);
    expect(opened).toMatchObject({ source: "failure_rate", severity: "high", status: "triage", releaseId: release.release.id });
    const linked = await w.db.select({ id: incidentDevices.deviceId }).from(incidentDevices).where(eq(incidentDevices.incidentId, opened!.id));
    expect(linked.map((l) => l.id).sort()).toEqual([first[0]!, first[4]!].map((m) => m.device.id).sort());

    // No new targets: the general wave's devices never get an update, whatever ticks follow.
    expect(await advance(rollout.id, at(now, 600))).toBe("idle");
    expect((await tickRollouts(w.db, at(now, 600)))[rollout.id]).toBeUndefined();
    for (const m of second) {
      expect(await deviceActions(w.db, m.device.id)).toEqual([]);
      await expectWithheld(w, m, "halted rollout, later wave");
    }
    for (const m of [first[8]!, first[9]!]) await expectWithheld(w, m, "canceled by the halt");
    const links = (await basePoll(w.db, await fresh(w, first[5]!), w.cfg, ORIGIN))._links;
    expect(links.deploymentBase).toBeUndefined();
    expect(links.cancelAction?.href).toContain(`/cancelAction/${downloading}`);
    [pilotWave] = await wavesOf(w.db, rollout.id);
    expect(gate(pilotWave!, "failure share")).toMatchObject({ ok: false, detail: "40% failed (limit 10%)" });
  });

  it("ROL-01: the failure limit is a limit: exactly at it the wave goes on", async () => {
    const unit = await addUnit(w, home);
    const members = await enrol(w, unit, 5);
    const rollout = await newRollout(w, release, members, [wave("general", { minSample: 5, maxFailurePct: 20, minSuccessPct: 0 })]);
    await drive(w, members[0]!, "failed");
    for (const m of members.slice(1)) await drive(w, m, "succeeded");
    expect(await advance(rollout.id, new Date())).toBe("completed");
    expect((await rolloutRow(w.db, rollout.id)).state).toBe("completed");
  });
});

describe("Stalled updates", () => {
  it("ROL-03: failStalledActions fails downloading/installing actions silent for 6 hours and leaves fresh and not-started ones", async () => {
    const unit = await addUnit(w, home);
    const members = await enrol(w, unit, 5);
    const rollout = await newRollout(w, release, members, [wave("general", { maxFailurePct: 100, minSuccessPct: 0 })]);
    const stale1 = await drive(w, members[0]!, "downloading");
    const stale2 = await drive(w, members[1]!, "installing");
    const freshOne = await drive(w, members[2]!, "downloading");
    const awaiting = await drive(w, members[3]!, "awaiting");
    const scheduled = (await fresh(w, members[4]!)).action!.id!;
    // Silent for 3 h already (and the scheduled / awaiting ones too): 3.5 h from now they are 6.5 h silent.
    const old = sql`now() - interval '3 hours'`;
    await w.db
      .update(deploymentActions)
      .set({ lastFeedbackAt: old, updatedAt: old })
      .where(inArray(deploymentActions.id, [stale1, stale2, awaiting, scheduled]));
    const later = new Date(Date.now() + 3.5 * 3_600_000);

    expect(await failStalledActions(w.db, new Date(Date.now() + 2.5 * 3_600_000))).toBe(0);
    const hw = await auditHighWater(w.db);
    expect(await failStalledActions(w.db, later)).toBe(2);
    for (const id of [stale1, stale2]) {
      expect(await actionRow(w.db, id)).toMatchObject({ state: "failed", failureReason: `no progress reported for ${PROGRESS_TIMEOUT_MS / 3_600_000} hours` });
    }
    expect((await actionRow(w.db, freshOne)).state).toBe("downloading");
    expect((await actionRow(w.db, awaiting)).state).toBe("installed_awaiting_confirmation");
    expect((await actionRow(w.db, scheduled)).state).toBe("scheduled");
    const rows = await auditRowsAfter(w.db, hw);
    expect(rows.map((r) => [r.action, r.actorName])).toEqual([["deployment.timed_out", "rollout-engine"]]);
    expect((rows[0]!.after as { actions: number[] }).actions.sort()).toEqual([stale1, stale2].sort());
    // Again at the same time: nothing more.
    expect(await failStalledActions(w.db, later)).toBe(0);
    // The failures count in the wave (and a failed device is not re-targeted by itself, ROL-03).
    const [waveRow] = await wavesOf(w.db, rollout.id);
    expect(await waveStats(w.db, waveRow!.id)).toMatchObject({ targeted: 5, failed: 2, open: 3 });
    await tickRollouts(w.db, later);
    expect((await deviceActions(w.db, members[0]!.device.id)).map((a) => a.state)).toEqual(["failed"]);
  });
});

describe("ROL-13 / WEB-11: ticks are idempotent and safe in parallel", () => {
  /** A rollout whose lab wave has just finished: lab (1) → general A (2, soak 60 after it) → general B (2). */
  async function labDone() {
    const unit = await addUnit(w, home);
    const labDevices = await enrol(w, unit, 1, { sandbox: true });
    const others = await enrol(w, unit, 4);
    const rollout = await newRollout(w, release, [...labDevices, ...others], [
      wave("lab"),
      wave("general", { percent: 40, soakMinutes: 60 }),
      wave("general"),
    ]);
    const [, aIds, bIds] = (await waveMembers(w.db, rollout.id)) as [number[], number[], number[]];
    expect(aIds).toHaveLength(2);
    expect(bIds).toHaveLength(2);
    await drive(w, labDevices[0]!, "succeeded");
    return { rollout, a: byDevice(others, aIds), b: byDevice(others, bIds) };
  }

  /** Everything a second tick could change: every table, the audit trail, and the rollout rows' physical versions. */
  async function state(rolloutId: number) {
    return { data: await snapshot(w.db), rows: await rowVersions(w.db, rolloutId), audit: await auditHighWater(w.db) };
  }

  it("ROL-13: tickRollouts twice at the same time changes nothing the second time (no duplicate actions, no duplicate audit rows, no rewritten rows)", async () => {
    const { rollout, a } = await labDone();
    const t = new Date();
    const hw = await auditHighWater(w.db);
    expect((await tickRollouts(w.db, t))[rollout.id]).toBe("started");
    let before = await state(rollout.id);
    expect((await tickRollouts(w.db, t))[rollout.id]).toBe("running");
    expect(await state(rollout.id)).toEqual(before);
    expect((await rolloutEvents(hw, rollout.id)).map((r) => r.action)).toEqual(["rollout.wave_completed", "rollout.wave_started"]);
    expect(await rolloutActions(w.db, rollout.id)).toHaveLength(3);

    // Wave A finishes; B is gated by A's soak. Repeating that tick rewrites nothing either.
    for (const m of a) await drive(w, m, "succeeded");
    expect((await tickRollouts(w.db, t))[rollout.id]).toBe("gated");
    before = await state(rollout.id);
    expect((await tickRollouts(w.db, t))[rollout.id]).toBe("gated");
    expect(await advance(rollout.id, t)).toBe("gated");
    expect(await state(rollout.id)).toEqual(before);
    expect((await rolloutEvents(hw, rollout.id)).map((r) => r.action)).toEqual(["rollout.wave_completed", "rollout.wave_started", "rollout.wave_completed"]);
  });

  it(`WEB-11: 20 parallel advanceRollout/tickRollouts calls (${backend}) complete the wave once, start the next once, and give each device at most one open action`, async () => {
    const { rollout, a, b } = await labDone();
    const t = new Date();
    const hw = await auditHighWater(w.db);
    const calls = Array.from({ length: 20 }, (_, i) => (i % 2 ? advance(rollout.id, t) : tickRollouts(w.db, t).then((o) => o[rollout.id] ?? "not listed")));
    const outcomes = await Promise.all(calls);
    expect(outcomes.filter((o) => o === "started")).toHaveLength(1);
    const events = (await rolloutEvents(hw, rollout.id)).map((r) => r.action);
    expect(events).toEqual(["rollout.wave_completed", "rollout.wave_started"]);
    const waves = await wavesOf(w.db, rollout.id);
    expect(waves.map((x) => x.state)).toEqual(["completed", "active", "pending"]);
    for (const m of a) expect((await deviceActions(w.db, m.device.id)).map((x) => x.state)).toEqual(["scheduled"]);
    for (const m of b) expect(await deviceActions(w.db, m.device.id)).toEqual([]);
    for (const [, n] of await openActionsPerDevice(w.db, rollout.id)) expect(n).toBeLessThanOrEqual(1);

    // Wave counters equal the device rows.
    const rows = await rolloutDeviceRows(w.db, rollout.id);
    for (const x of waves) {
      const stats = await waveStats(w.db, x.id);
      const linked = rows.filter((r) => r.waveId === x.id && r.actionId !== null);
      expect(stats.targeted).toBe(linked.length);
      const [{ n }] = (await queryRows<{ n: number }>(w.db, sql`SELECT count(*)::int AS n FROM deployment_actions WHERE wave_id = ${x.id}`)) as [{ n: number }];
      expect(n).toBe(linked.length);
    }
    expect((await progressCounts(w.db, [rollout.id])).get(rollout.id)).toEqual({ devices: 5, waiting: 2, inProgress: 2, succeeded: 1, failed: 0, canceled: 0 });
    const linkedActions = await w.db.select().from(rolloutDevices).where(and(eq(rolloutDevices.rolloutId, rollout.id)));
    const actionIds = linkedActions.flatMap((r) => (r.actionId ? [r.actionId] : []));
    expect(new Set(actionIds).size).toBe(actionIds.length);
  });
});
