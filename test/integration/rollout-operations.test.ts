import { inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { rollouts } from "@/db/schema";
import { applyFeedback, basePoll } from "@/lib/services/ddi/protocol";
import { ConflictError } from "@/lib/services/errors";
import { tickRollouts, waveStats } from "@/lib/services/rollouts/engine";
import { rolloutDetail } from "@/lib/services/rollouts/queries";
import { revertCohort } from "@/lib/services/rollouts/revert";
import { cancelRollout, goAheadWave, haltAllRollouts, pauseRollout, resumeRollout, retryFailed } from "@/lib/services/rollouts/operations";
import { auditHighWater, auditRowsAfter, caught, TEST_PASSWORD } from "../db";
import { closeWorld, createPlace, createRelease, FROM, ORIGIN, sw, type Place, type World } from "../protocol-fixtures";
import {
  actionRow, addUnit, byDevice, deviceActions, drive, enrol, expectOffered, expectWithheld, fresh, newRollout, pageBlockers, rolloutDeviceRows, rolloutRow,
  snapshot, wave, waveMembers, wavesOf, type Member, openRolloutWorld, type Release,
} from "../rollout-fixtures";

/**
 * Operator actions on rollouts: pause/resume, a truthful cancel, retry of failed devices only (ROL-03),
 * halt everything in one action (ROL-01); each refused (409, nothing changed) from a state where it makes no sense.
 */

let w: World;
let home: Place;
let release: Release;

beforeAll(async () => {
  ({ w, home, release } = await openRolloutWorld());
});
afterAll(() => closeWorld(w));

const HOUR = 3_600_000;

/** Asserts `fn` is refused with 409 and that no table (audit trail included) changed. */
async function refused(fn: () => Promise<unknown>, message?: RegExp) {
  const before = await snapshot(w.db);
  const hw = await auditHighWater(w.db);
  const err = await caught(fn);
  expect(err).toBeInstanceOf(ConflictError);
  expect((err as ConflictError).status).toBe(409);
  if (message) expect((err as Error).message).toMatch(message);
  expect(await snapshot(w.db)).toEqual(before);
  expect(await auditRowsAfter(w.db, hw)).toEqual([]);
}

async function simpleRollout(n = 1, waves = [wave("general")]) {
  const unit = await addUnit(w, home);
  const members = await enrol(w, unit, n);
  const rollout = await newRollout(w, release, members, waves);
  return { unit, members, rollout };
}

describe("Pause and resume", () => {
  it("ROL-02: pause withholds the rollout's offers at once and resume restores them; each is refused (409, nothing changed) from the wrong state", async () => {
    const { members, rollout } = await simpleRollout(2);
    const [m, started] = members as [Member, Member];
    await drive(w, started, "downloading");
    await expectOffered(w, m, "running");
    const hw = await auditHighWater(w.db);
    expect(await pauseRollout(w.biomed, { rolloutId: rollout.id, reason: "Night shift asked to wait" })).toEqual({ state: "paused" });
    expect(await rolloutRow(w.db, rollout.id)).toMatchObject({ state: "paused", stateReason: "Night shift asked to wait" });
    // Also the device that had started is no longer offered the deployment (its action stays as it is).
    for (const x of members) {
      await expectWithheld(w, x, "paused");
      expect(await pageBlockers(w, x)).toEqual(["rollout_not_running"]);
    }
    expect((await fresh(w, started)).action?.state).toBe("downloading");
    // A paused rollout is not advanced by ticks.
    expect((await tickRollouts(w.db, new Date()))[rollout.id]).toBeUndefined();
    await refused(() => pauseRollout(w.biomed, { rolloutId: rollout.id, reason: "again" }), /Only a running rollout can be paused; this one is paused/);

    expect(await resumeRollout(w.biomed, { rolloutId: rollout.id })).toEqual({ state: "running" });
    expect(await rolloutRow(w.db, rollout.id)).toMatchObject({ state: "running", stateReason: null });
    for (const x of members) await expectOffered(w, x, "resumed");
    await refused(() => resumeRollout(w.biomed, { rolloutId: rollout.id }), /Only a paused rollout can be resumed; this one is running/);
    const rows = (await auditRowsAfter(w.db, hw)).filter((r) => r.entityType === "rollout" && r.entityId === String(rollout.id));
    expect(rows.map((r) => [r.action, r.actorType, r.reason])).toEqual([
      ["rollout.paused", "user", "Night shift asked to wait"],
      ["rollout.resumed", "user", null],
    ]);
  });

  it("ROL-01: a wave that finishes below its success share pauses the rollout; resume accepts the wave and starts the next", async () => {
    const { members, rollout } = await simpleRollout(3, [wave("general", { percent: 67, minSuccessPct: 90, maxFailurePct: 100 }), wave("general")]);
    const [first] = (await waveMembers(w.db, rollout.id)) as [number[]];
    const inFirst = byDevice(members, first);
    expect(inFirst).toHaveLength(2);
    await drive(w, inFirst[0]!, "succeeded");
    await drive(w, inFirst[1]!, "failed");
    expect((await tickRollouts(w.db, new Date()))[rollout.id]).toBe("paused");
    expect((await rolloutRow(w.db, rollout.id)).stateReason).toMatch(/finished with 50% success; it needs 90%/);
    await resumeRollout(w.biomed, { rolloutId: rollout.id });
    expect((await wavesOf(w.db, rollout.id)).map((x) => x.state)).toEqual(["completed", "active"]);
    const last = members.find((m) => !first.includes(m.device.id))!;
    await expectOffered(w, last, "second wave started on resume");
  });
});

describe("Cancel is truthful", () => {
  it("ROL-13: cancel stops untouched updates, asks started ones to stop, leaves installed-awaiting-confirmation and finished ones, and cancels later waves", async () => {
    const unit = await addUnit(w, home);
    const lab = await enrol(w, unit, 4, { sandbox: true });
    const later = await enrol(w, unit, 1);
    const rollout = await newRollout(w, release, [...lab, ...later], [wave("lab"), wave("general")]);
    const [untouchedM, downloadingM, awaitingM, doneM] = lab as [Member, Member, Member, Member];
    const untouched = (await fresh(w, untouchedM)).action!.id!;
    const downloading = await drive(w, downloadingM, "downloading");
    const awaiting = await drive(w, awaitingM, "awaiting");
    const done = await drive(w, doneM, "succeeded");

    const hw = await auditHighWater(w.db);
    expect(await cancelRollout(w.biomed, { rolloutId: rollout.id, reason: "Wrong release picked" })).toEqual({ state: "canceled" });
    expect(await rolloutRow(w.db, rollout.id)).toMatchObject({ state: "canceled", stateReason: "Wrong release picked" });
    expect((await rolloutRow(w.db, rollout.id)).finishedAt).toBeInstanceOf(Date);
    expect((await actionRow(w.db, untouched)).state).toBe("canceled");
    expect((await actionRow(w.db, downloading)).state).toBe("cancel_requested");
    expect((await actionRow(w.db, awaiting)).state).toBe("installed_awaiting_confirmation");
    expect((await actionRow(w.db, done)).state).toBe("succeeded");
    expect((await wavesOf(w.db, rollout.id)).map((x) => x.state)).toEqual(["active", "canceled"]);
    expect(await deviceActions(w.db, later[0]!.device.id)).toEqual([]);
    const rows = await auditRowsAfter(w.db, hw);
    expect(rows.map((r) => [r.action, r.reason])).toEqual([["rollout.canceled", "Wrong release picked"]]);
    expect(rows[0]!.after).toEqual({ state: "canceled", canceled: 1, cancelRequested: 1 });
    expect(rows[0]!.before).toEqual({ state: "running" });

    // The started device is told to stop; when it acknowledges, its action is canceled.
    const links = (await basePoll(w.db, await fresh(w, downloadingM), w.cfg, ORIGIN))._links;
    expect(links.cancelAction?.href).toContain(`/cancelAction/${downloading}`);
    await applyFeedback(w.db, await fresh(w, downloadingM), downloading, "cancel", sw.cancelAck(downloading), FROM);
    expect((await actionRow(w.db, downloading)).state).toBe("canceled");
    // The device awaiting confirmation can still confirm what it installed.
    await drive(w, awaitingM, "succeeded");
    for (const m of [untouchedM, ...later]) await expectWithheld(w, m, "canceled rollout");

    // Nothing further is possible on a canceled rollout.
    await refused(() => cancelRollout(w.biomed, { rolloutId: rollout.id, reason: "again" }), /already canceled/);
    await refused(() => pauseRollout(w.biomed, { rolloutId: rollout.id, reason: "x" }));
    await refused(() => resumeRollout(w.biomed, { rolloutId: rollout.id }));
    await refused(() => retryFailed(w.biomed, { rolloutId: rollout.id }));
  });
});

describe("ROL-03: failed devices are retried only when an operator asks", () => {
  it("ROL-03: a failed device gets no new target from ticks; retryFailed re-targets failed devices only, and the wave runs again", async () => {
    const unit = await addUnit(w, home);
    const lab = await enrol(w, unit, 2, { sandbox: true });
    const later = await enrol(w, unit, 1);
    const rollout = await newRollout(w, release, [...lab, ...later], [
      wave("lab", { maxFailurePct: 100, minSuccessPct: 0, soakMinutes: 24 * 60 }),
      wave("general", { requireGoAhead: true }),
    ]);
    const [ok, bad] = lab as [Member, Member];
    const okAction = await drive(w, ok, "succeeded");
    const failed = await drive(w, bad, "failed");
    const t = new Date();
    expect((await tickRollouts(w.db, t))[rollout.id]).toBe("gated");
    for (const later of [t, new Date(t.getTime() + HOUR), new Date(t.getTime() + 2 * HOUR)]) await tickRollouts(w.db, later);
    expect((await deviceActions(w.db, bad.device.id)).map((a) => a.state)).toEqual(["failed"]);
    expect((await fresh(w, bad)).action).toBeNull();
    expect((await basePoll(w.db, await fresh(w, bad), w.cfg, ORIGIN))._links.deploymentBase).toBeUndefined();
    expect((await wavesOf(w.db, rollout.id)).map((x) => x.state)).toEqual(["completed", "pending"]);

    const hw = await auditHighWater(w.db);
    expect(await retryFailed(w.biomed, { rolloutId: rollout.id })).toEqual({ retried: 1 });
    const actions = await deviceActions(w.db, bad.device.id);
    expect(actions.map((a) => a.state)).toEqual(["failed", "scheduled"]);
    expect(actions[1]).toMatchObject({ rolloutId: rollout.id, releaseId: release.release.id });
    expect((await rolloutDeviceRows(w.db, rollout.id)).find((r) => r.deviceId === bad.device.id)?.actionId).toBe(actions[1]!.id);
    // The device that succeeded and the later wave's device are untouched.
    expect((await deviceActions(w.db, ok.device.id)).map((a) => a.id)).toEqual([okAction]);
    expect(await deviceActions(w.db, later[0]!.device.id)).toEqual([]);
    const [labWave] = await wavesOf(w.db, rollout.id);
    expect(labWave).toMatchObject({ state: "active", completedAt: null });
    expect((await auditRowsAfter(w.db, hw)).map((r) => [r.action, r.after])).toEqual([["rollout.retry_failed", { retried: 1 }]]);
    await expectOffered(w, bad, "retried");
    expect(failed).not.toBe(actions[1]!.id);

    // Nothing is left to retry; the retried device finishes and the wave completes again.
    expect(await retryFailed(w.biomed, { rolloutId: rollout.id })).toEqual({ retried: 0 });
    await drive(w, bad, "succeeded");
    expect((await tickRollouts(w.db, new Date()))[rollout.id]).toBe("gated");
    expect((await wavesOf(w.db, rollout.id)).map((x) => x.state)).toEqual(["completed", "pending"]);
  });

  it("ROL-03/ROL-13: after a retry the wave is judged on each device's latest outcome, as its device rows show it", async () => {
    const unit = await addUnit(w, home);
    const lab = await enrol(w, unit, 2, { sandbox: true });
    const later = await enrol(w, unit, 1);
    const rollout = await newRollout(w, release, [...lab, ...later], [wave("lab", { maxFailurePct: 100 }), wave("general", { requireGoAhead: true })]);
    const [ok, bad] = lab as [Member, Member];
    await drive(w, ok, "succeeded");
    await drive(w, bad, "failed");
    // 50 % success, 95 % needed: the rollout pauses for a person to decide.
    expect((await tickRollouts(w.db, new Date()))[rollout.id]).toBe("paused");
    const [labWave] = await wavesOf(w.db, rollout.id);
    expect(await waveStats(w.db, labWave!.id)).toEqual({ targeted: 2, succeeded: 1, failed: 1, canceled: 0, open: 0 });

    expect(await retryFailed(w.biomed, { rolloutId: rollout.id })).toEqual({ retried: 1 });
    await expectWithheld(w, bad, "retried, but the rollout is still paused");
    await resumeRollout(w.biomed, { rolloutId: rollout.id });
    expect(await waveStats(w.db, labWave!.id)).toEqual({ targeted: 2, succeeded: 1, failed: 0, canceled: 0, open: 1 });
    await drive(w, bad, "succeeded");
    // Both devices now run the release: the wave passes its success gate and completes.
    expect((await tickRollouts(w.db, new Date()))[rollout.id]).toBe("gated");
    expect(await waveStats(w.db, labWave!.id)).toEqual({ targeted: 2, succeeded: 2, failed: 0, canceled: 0, open: 0 });
    expect(await rolloutRow(w.db, rollout.id)).toMatchObject({ state: "running" });
    expect((await wavesOf(w.db, rollout.id)).map((x) => x.state)).toEqual(["completed", "pending"]);
    const detail = await rolloutDetail(w.biomed, { rolloutId: rollout.id });
    expect(detail.waves[0]!.progress).toMatchObject({ devices: 2, succeeded: 2, failed: 0 });
  });

  it("ROL-03: retryFailed is refused (409, nothing changed) for a completed or halted rollout", async () => {
    const { members, rollout } = await simpleRollout(1, [wave("general", { maxFailurePct: 100, minSuccessPct: 0 })]);
    await drive(w, members[0]!, "failed");
    expect((await tickRollouts(w.db, new Date()))[rollout.id]).toBe("completed");
    await refused(() => retryFailed(w.biomed, { rolloutId: rollout.id }), /completed; failed devices can be retried only while it runs or is paused/);
    await refused(() => pauseRollout(w.biomed, { rolloutId: rollout.id, reason: "x" }));
    await refused(() => cancelRollout(w.biomed, { rolloutId: rollout.id, reason: "x" }), /already completed/);

    const halted = await simpleRollout(1);
    await haltAllRollouts(w.admin, { reason: "halt for the refusal test" });
    expect((await rolloutRow(w.db, halted.rollout.id)).state).toBe("halted");
    await refused(() => retryFailed(w.biomed, { rolloutId: halted.rollout.id }), /halted/);
    await refused(() => resumeRollout(w.biomed, { rolloutId: halted.rollout.id }), /Only a paused rollout can be resumed; this one is halted/);
  });
});

describe("ROL-01: halt everything in one action", () => {
  it("ROL-01: haltAll halts every running and paused rollout (one audit row each), leaves finished ones, and stops their offers", async () => {
    const a = await simpleRollout(1);
    const b = await simpleRollout(1);
    const p = await simpleRollout(1);
    await pauseRollout(w.biomed, { rolloutId: p.rollout.id, reason: "paused first" });
    const done = await simpleRollout(1);
    await drive(w, done.members[0]!, "succeeded");
    await tickRollouts(w.db, new Date());
    expect((await rolloutRow(w.db, done.rollout.id)).state).toBe("completed");
    await expectOffered(w, a.members[0]!, "before the halt");

    const live = await w.db.select({ id: rollouts.id }).from(rollouts).where(inArray(rollouts.state, ["running", "paused"]));
    const hw = await auditHighWater(w.db);
    expect(await haltAllRollouts(w.admin, { reason: "Vendor recall notice" })).toEqual({ halted: live.length });
    for (const r of [a, b, p]) {
      expect(await rolloutRow(w.db, r.rollout.id)).toMatchObject({ state: "halted", stateReason: "Vendor recall notice" });
      await expectWithheld(w, r.members[0]!, "halted");
      expect((await fresh(w, r.members[0]!)).action).toBeNull(); // never started: canceled outright
    }
    expect((await rolloutRow(w.db, done.rollout.id)).state).toBe("completed");
    const rows = (await auditRowsAfter(w.db, hw)).filter((r) => r.action === "rollout.halted");
    expect(rows.map((r) => r.entityId).sort()).toEqual(live.map((l) => String(l.id)).sort());
    expect(new Set(rows.map((r) => r.actorName)).size).toBe(1);

    // Nothing is left to halt: a second call changes nothing.
    const before = await snapshot(w.db);
    expect(await haltAllRollouts(w.admin, { reason: "again" })).toEqual({ halted: 0 });
    expect(await snapshot(w.db)).toEqual(before);
    const [n] = await queryRows<{ n: number }>(w.db, sql`SELECT count(*)::int AS n FROM rollouts WHERE state IN ('running','paused')`);
    expect(n!.n).toBe(0);
  });
});

describe("Signed go-ahead: refused where it makes no sense", () => {
  it("ROL-01: goAheadWave is refused (409, nothing changed) for a wave that does not wait for one, or that is already signed", async () => {
    const { rollout } = await simpleRollout(2, [wave("general", { percent: 50 }), wave("general", { requireGoAhead: true, soakMinutes: 600 })]);
    const [first, second] = await wavesOf(w.db, rollout.id);
    await refused(() => goAheadWave(w.biomed, { waveId: first!.id, password: TEST_PASSWORD }), /does not wait for a go-ahead/);
    await goAheadWave(w.biomed, { waveId: second!.id, password: TEST_PASSWORD });
    expect((await wavesOf(w.db, rollout.id))[1]).toMatchObject({ state: "pending", goAheadName: "Test biomed" });
    await refused(() => goAheadWave(w.admin, { waveId: second!.id, password: TEST_PASSWORD }), /already signed the go-ahead/);
  });
});

describe("Reverting a rollout's updated devices (UPD-04)", () => {
  it("goes back to a known-good release at the devices' security floor as a rollout of its own; below the floor it is refused and audited", async () => {
    const place = await createPlace(w);
    // Security versions only rise at intake, so the older releases are taken in first.
    const lower = await createRelease(w, place.model.id, { securityVersion: 1 });
    const atFloor = await createRelease(w, place.model.id, { securityVersion: 2 });
    const current = await createRelease(w, place.model.id, { securityVersion: 2 });
    const lab = await enrol(w, place, 2, { sandbox: true, device: { securityVersion: 1 } });
    const rollout = await newRollout(w, current, lab, [wave("lab")]);
    for (const m of lab) await drive(w, m, "succeeded");

    const hw = await auditHighWater(w.db);
    const err = await caught(() => revertCohort(w.biomed, { rolloutId: rollout.id, releaseId: lower.release.id, reason: "alarm complaints" }));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(/downgrade/);
    expect((await auditRowsAfter(w.db, hw)).map((r) => [r.action, r.outcome])).toEqual([["deployment.rollback_blocked", "denied"]]);
    expect(await w.db.select().from(rollouts).where(sql`${rollouts.releaseId} = ${lower.release.id}`)).toEqual([]);

    const back = await revertCohort(w.biomed, { rolloutId: rollout.id, releaseId: atFloor.release.id, reason: "alarm complaints" });
    expect(back).toMatchObject({ devices: 2, belowFloor: 0 });
    expect((await rolloutDeviceRows(w.db, back.rollout.id)).map((r) => r.deviceId).sort()).toEqual(lab.map((m) => m.device.id).sort());
    expect((await auditRowsAfter(w.db, hw)).map((r) => r.action)).toEqual(expect.arrayContaining(["rollout.created", "rollout.revert"]));
  });
});
