import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows, type Db } from "@/db/client";
import type { DeviceSession } from "@/lib/services/ddi/device-auth";
import { applyFeedback, artifactForDevice, basePoll, cancelActionJson, feedbackHistory, putConfigData } from "@/lib/services/ddi/protocol";
import { assignRelease, cancelAction } from "@/lib/services/deployments/actions";
import { ConflictError, NotFoundError, ValidationError } from "@/lib/services/errors";
import { auditHighWater, caught } from "../db";
import {
  actionRow, assignedDevice, auditFor, closeWorld, countRows, createPlace, openWorld, deviceRow, FROM, ORIGIN, rawNewlineFailure, session, sw,
  type Place, type Ready, type World,
} from "../protocol-fixtures";

/**
 * The action state machine driven by SWUpdate's feedback (docs/ddi-protocol.md §3.2, §3.6, §3.8):
 * forward-only, idempotent (ROL-13, ACC-11's "replayed message changes nothing"), truthful about
 * what the device has installed (UPD-04: the security floor moves only on a confirmed install).
 */

let db: Db;
let w: World;
let place: Place;

beforeAll(async () => {
  w = await openWorld();
  db = w.db;
  place = await createPlace(w);
});
afterAll(() => closeWorld(w));

const fresh = (r: Ready): Promise<DeviceSession> => session(w, r.device.serial, r.tok);
const send = async (r: Ready, body: string, kind: "deployment" | "cancel" = "deployment") =>
  applyFeedback(db, await fresh(r), r.action.id, kind, body, FROM);
/** SWUpdate's progress up to "All Chunks Installed.": the action then awaits the device's confirmation. */
async function installedAwaitingConfirmation(r: Ready) {
  await send(r, sw.installing(r.action.id));
  await send(r, sw.allInstalled(r.action.id));
}
const feedbackRows = (actionId: number) => countRows(db, sql`SELECT count(*) AS n FROM action_feedback WHERE action_id = ${actionId}`);
const stateOf = async (r: Ready) => (await actionRow(db, r.action.id)).state;

/** Everything a repeated message must leave alone. */
async function snapshot(r: Ready) {
  const action = await actionRow(db, r.action.id);
  const device = await deviceRow(db, r.device.id);
  return { action, device: { firmwareVersion: device.firmwareVersion, securityVersion: device.securityVersion }, rows: await feedbackRows(r.action.id) };
}

describe("UPD: SWUpdate's happy path", () => {
  it("moves scheduled → downloading → installing → installed_awaiting_confirmation → succeeded, and updates the device's versions only on closed/success", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    const hw = await auditHighWater(db);
    const steps: [string, string][] = [
      [sw.installing(id), "downloading"],
      [sw.logBatch(id, ["[install_raw_file] : Renaming file /tmp/x to /opt/app", "SWUPDATE successful !"]), "installing"],
      [sw.installedChunk(id), "installing"],
      [sw.allInstalled(id), "installed_awaiting_confirmation"],
    ];
    for (const [body, state] of steps) {
      expect((await send(r, body)).state).toBe(state);
      expect(await stateOf(r)).toBe(state);
      // Not installed yet as far as the inventory is concerned.
      expect(await deviceRow(db, r.device.id)).toMatchObject({ firmwareVersion: "1.0.0", securityVersion: 1 });
    }
    expect((await send(r, sw.confirmed(id))).state).toBe("succeeded");
    const action = await actionRow(db, id);
    expect(action).toMatchObject({ state: "succeeded", feedbackCount: 5, failureReason: null });
    expect(action.finishedAt).toBeInstanceOf(Date);
    expect(await deviceRow(db, r.device.id)).toMatchObject({ firmwareVersion: r.release.release.version, securityVersion: r.release.release.securityVersion });

    const transitions = (await auditFor(db, hw, "deployment_action", id)).map((a) => [a.action, (a.before as { state: string }).state, (a.after as { state: string }).state]);
    expect(transitions).toEqual([
      ["deployment.state_changed", "scheduled", "downloading"],
      ["deployment.state_changed", "downloading", "installing"],
      ["deployment.state_changed", "installing", "installed_awaiting_confirmation"],
      ["deployment.state_changed", "installed_awaiting_confirmation", "succeeded"],
    ]);
    const installed = await auditFor(db, hw, "device", r.device.id);
    expect(installed.map((a) => a.action)).toEqual(["device.firmware_installed"]);
    expect(installed[0]!.after).toMatchObject({ firmwareVersion: r.release.release.version, securityVersion: r.release.release.securityVersion });

    // The finished action is no longer offered; installedBase-style history is kept.
    const body = await basePoll(db, await fresh(r), w.cfg, ORIGIN);
    expect(body._links.deploymentBase).toBeUndefined();
    expect((await feedbackHistory(db, id)).map((f) => f.execution)).toEqual(["closed", "proceeding", "proceeding", "proceeding", "proceeding"]);
  });

  it("a repeated closing message (ROL-13 / ACC-11 replay) changes nothing: no audit rows, no stored row, feedback_count unchanged", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    for (const body of [sw.installing(id), sw.allInstalled(id), sw.confirmed(id)]) await send(r, body);
    const before = await snapshot(r);
    const hw = await auditHighWater(db);
    for (const body of [sw.confirmed(id), sw.confirmed(id), sw.failure(id), sw.installing(id), sw.cancelAck(id)]) {
      expect(await send(r, body, body.includes("cancellation") ? "cancel" : "deployment")).toEqual({ state: "succeeded", changed: false });
    }
    expect(await snapshot(r)).toEqual(before);
    expect(await auditFor(db, hw, "deployment_action", id)).toEqual([]);
    expect(await auditFor(db, hw, "device", r.device.id)).toEqual([]);
  });

  it("late, older proceeding feedback never moves the state back", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    await send(r, sw.installing(id));
    await send(r, sw.logBatch(id, ["[install_single_image] : Found installer for stream rootfs"]));
    expect(await stateOf(r)).toBe("installing");
    expect((await send(r, sw.installing(id))).state).toBe("installing");
    await send(r, sw.allInstalled(id));
    for (const body of [sw.installing(id), sw.logBatch(id, ["late line"], 3), sw.installedChunk(id)]) {
      expect(await send(r, body)).toEqual({ state: "installed_awaiting_confirmation", changed: false });
    }
    const action = await actionRow(db, id);
    expect(action.state).toBe("installed_awaiting_confirmation");
    expect(action.feedbackCount).toBe(7); // every message is recorded, none moves the state back
    expect(await deviceRow(db, r.device.id)).toMatchObject({ firmwareVersion: "1.0.0", securityVersion: 1 });
  });

  it("informational executions (scheduled, resumed, rejected) are recorded without a state change", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    for (const execution of ["scheduled", "resumed", "rejected"]) {
      const body = JSON.stringify({ id, time: "20261123T201759", status: { result: { progress: { cnt: 0, of: 0 }, finished: "none" }, execution, details: [`via ipc ${execution}`] } });
      expect(await send(r, body)).toEqual({ state: "scheduled", changed: false });
    }
    expect((await actionRow(db, id)).feedbackCount).toBe(3);
  });
});

describe("UPD: failures as SWUpdate reports them", () => {
  it("accepts invalid JSON with a raw line feed (§3.6), stores it with invalid_json = true and closes the action as failed", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    const raw = rawNewlineFailure(id);
    expect(() => JSON.parse(raw)).toThrow();
    await send(r, sw.installing(id));
    expect(await send(r, raw)).toEqual({ state: "failed", changed: true });
    const [last] = await feedbackHistory(db, id, 1);
    expect(last).toMatchObject({ execution: "closed", finished: "failure", invalidJson: true, details: ["No artifact download URL reported by server.", "No suitable .swu image found"] });
    const [first] = await queryRows<{ invalid_json: boolean }>(db, sql`SELECT invalid_json FROM action_feedback WHERE action_id = ${id} ORDER BY id LIMIT 1`);
    expect(first!.invalid_json).toBe(false);
    const action = await actionRow(db, id);
    expect(action.state).toBe("failed");
    expect(action.failureReason).toMatch(/No suitable \.swu image found|No artifact download URL/);
    expect(await deviceRow(db, r.device.id)).toMatchObject({ firmwareVersion: "1.0.0", securityVersion: 1 });
    // Not a feedback message at all: refused, nothing stored.
    const r2 = await assignedDevice(w, place);
    for (const junk of ["not json {", "{}", `{"status":{}}`, "[]"]) {
      expect(await caught(() => send(r2, junk)), junk).toBeInstanceOf(ValidationError);
    }
    expect(await feedbackRows(r2.action.id)).toBe(0);
  });

  it("takes the failure reason from the ERROR line of an earlier proceeding batch, not the generic closing message", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    await send(r, sw.installing(id));
    await send(r, sw.logBatch(id, ["[parse_hw_compatibility] : Hardware ddi-spike-board Revision: 1.0", "ERROR : HASH mismatch : 8810aa  <--> 3082bb", "[install_from_file] : Image invalid or corrupted. Not installing ..."]));
    await send(r, sw.logBatch(id, ["[network_thread] : Incoming network request: processing..."], 1));
    const hw = await auditHighWater(db);
    expect((await send(r, sw.failure(id))).state).toBe("failed");
    const action = await actionRow(db, id);
    expect(action.failureReason).toBe("ERROR : HASH mismatch : 8810aa  <--> 3082bb");
    const [audit] = await auditFor(db, hw, "deployment_action", id);
    expect(audit!.after).toMatchObject({ state: "failed", failureReason: "ERROR : HASH mismatch : 8810aa  <--> 3082bb" });
    expect(await deviceRow(db, r.device.id)).toMatchObject({ firmwareVersion: "1.0.0", securityVersion: 1 });
  });
});

describe("ROL-13: concurrent duplicate feedback", () => {
  it("five identical closing messages at once: exactly one transition, one state_changed audit row, one firmware_installed row", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    await installedAwaitingConfirmation(r);
    const d = await fresh(r);
    const hw = await auditHighWater(db);
    const rowsBefore = await feedbackRows(id);
    const results = await Promise.all(Array.from({ length: 5 }, () => applyFeedback(db, d, id, "deployment", sw.confirmed(id), FROM)));
    expect(results.filter((x) => x.changed)).toEqual([{ state: "succeeded", changed: true }]);
    expect(results.every((x) => x.state === "succeeded")).toBe(true);
    const audits = await auditFor(db, hw, "deployment_action", id);
    expect(audits.map((a) => a.action)).toEqual(["deployment.state_changed"]);
    expect((await auditFor(db, hw, "device", r.device.id)).map((a) => a.action)).toEqual(["device.firmware_installed"]);
    expect(await feedbackRows(id)).toBe(rowsBefore + 1);
    expect((await actionRow(db, id)).feedbackCount).toBe(3);
  });

  it("a success and a failure racing: exactly one wins, and the device's versions agree with the winner", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    await installedAwaitingConfirmation(r);
    const d = await fresh(r);
    const hw = await auditHighWater(db);
    const bodies = [sw.confirmed(id), sw.failure(id), sw.confirmed(id), sw.failure(id)];
    const results = await Promise.all(bodies.map((b) => applyFeedback(db, d, id, "deployment", b, FROM)));
    const winners = results.filter((x) => x.changed);
    expect(winners).toHaveLength(1);
    const final = await actionRow(db, id);
    expect(final.state).toBe(winners[0]!.state);
    expect((await auditFor(db, hw, "deployment_action", id))).toHaveLength(1);
    const device = await deviceRow(db, r.device.id);
    if (final.state === "succeeded") expect(device.firmwareVersion).toBe(r.release.release.version);
    else expect(device).toMatchObject({ firmwareVersion: "1.0.0", securityVersion: 1 });
  });

  it("five identical first progress messages at once: one transition to downloading, all five recorded", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    const d = await fresh(r);
    const hw = await auditHighWater(db);
    const results = await Promise.all(Array.from({ length: 5 }, () => applyFeedback(db, d, id, "deployment", sw.installing(id), FROM)));
    expect(results.filter((x) => x.changed)).toHaveLength(1);
    expect(await auditFor(db, hw, "deployment_action", id)).toHaveLength(1);
    expect(await actionRow(db, id)).toMatchObject({ state: "downloading", feedbackCount: 5 });
    expect(await feedbackRows(id)).toBe(5);
  });
});

describe("bounded feedback history", () => {
  it("keeps at most 200 feedback rows per action (the newest), while counting every message", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    const d = await fresh(r);
    await applyFeedback(db, d, id, "deployment", sw.installing(id), FROM);
    for (let i = 1; i <= 204; i++) await applyFeedback(db, d, id, "deployment", sw.logBatch(id, [`line ${i}`], i), FROM);
    expect(await feedbackRows(id)).toBe(200);
    expect((await actionRow(db, id)).feedbackCount).toBe(205);
    const kept = await queryRows<{ details: string[] }>(db, sql`SELECT details FROM action_feedback WHERE action_id = ${id} ORDER BY id`);
    expect(kept[0]!.details).toEqual(["line 5"]);
    expect(kept.at(-1)!.details).toEqual(["line 204"]);
    // One more still keeps 200.
    await applyFeedback(db, d, id, "deployment", sw.failure(id, ["ERROR : boom", "No suitable .swu image found"]), FROM);
    expect(await feedbackRows(id)).toBe(200);
    expect(await actionRow(db, id)).toMatchObject({ state: "failed", feedbackCount: 206, failureReason: "ERROR : boom" });
  });
});

describe("cancel", () => {
  it("cancels a never-started action at once: canceled, nothing offered, and the device can be given a new update", async () => {
    const r = await assignedDevice(w, place);
    const hw = await auditHighWater(db);
    const after = await cancelAction(w.biomed, { actionId: r.action.id, reason: "wrong release" });
    expect(after.state).toBe("canceled");
    expect(after.finishedAt).toBeInstanceOf(Date);
    expect((await auditFor(db, hw, "deployment_action", r.action.id)).map((a) => a.action)).toEqual(["deployment.cancel"]);
    const body = await basePoll(db, await fresh(r), w.cfg, ORIGIN);
    expect(body._links.deploymentBase).toBeUndefined();
    expect(body._links.cancelAction).toBeUndefined();
    // A device that fetched the deployment just before the cancel can no longer download (= install) it.
    const { release } = r.release;
    expect(await caught(async () => artifactForDevice(db, await fresh(r), w.cfg, release.id, release.filename!, FROM))).toBeInstanceOf(NotFoundError);
    expect(await send(r, sw.installing(r.action.id))).toEqual({ state: "canceled", changed: false });
    expect(await caught(() => cancelAction(w.biomed, { actionId: r.action.id }))).toBeInstanceOf(ConflictError);
    // The one-open-action rule frees up.
    const next = await assignRelease(w.biomed, { deviceId: r.device.id, releaseId: r.release.release.id });
    expect(next.state).toBe("scheduled");
  });

  it("a started action becomes cancel_requested; the device's acknowledgement (SWUpdate's body) makes it canceled", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    await send(r, sw.installing(id));
    expect((await cancelAction(w.biomed, { actionId: id })).state).toBe("cancel_requested");
    // Progress during the cancel (one more log batch, §3.8) does not undo it.
    expect((await send(r, sw.logBatch(id, ["[channel_get_file] : Transfer aborted"]))).state).toBe("cancel_requested");
    const d = await fresh(r);
    expect(await cancelActionJson(db, d, id, FROM)).toEqual({ id: String(id), cancelAction: { stopId: String(id) } });
    const hw = await auditHighWater(db);
    expect(await send(r, sw.cancelAck(id), "cancel")).toEqual({ state: "canceled", changed: true });
    const audits = await auditFor(db, hw, "deployment_action", id);
    expect(audits.map((a) => [a.action, (a.before as { state: string }).state, (a.after as { state: string }).state])).toEqual([
      ["deployment.state_changed", "cancel_requested", "canceled"],
    ]);
    expect(await deviceRow(db, r.device.id)).toMatchObject({ firmwareVersion: "1.0.0", securityVersion: 1 });
    expect(await caught(async () => cancelActionJson(db, await fresh(r), id, FROM))).toBeInstanceOf(NotFoundError);
  });

  it("a cancel acknowledgement without a pending cancel changes nothing", async () => {
    const r = await assignedDevice(w, place);
    await send(r, sw.installing(r.action.id));
    expect(await send(r, sw.cancelAck(r.action.id), "cancel")).toEqual({ state: "downloading", changed: false });
  });

  it("if the install finishes first (closed/success), the action succeeds and a late cancel acknowledgement changes nothing", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    await send(r, sw.installing(id));
    await cancelAction(w.biomed, { actionId: id });
    expect((await send(r, sw.confirmed(id))).state).toBe("succeeded");
    expect(await deviceRow(db, r.device.id)).toMatchObject({ firmwareVersion: r.release.release.version });
    expect(await send(r, sw.cancelAck(id), "cancel")).toEqual({ state: "succeeded", changed: false });
  });

  // SWUpdate reports a finished install as proceeding "All Chunks Installed." and sends closed/success
  // only after its reboot (§0.2); by then the base poll shows cancelAction, which wins over
  // deploymentBase (§3.3), and SWUpdate never rejects a cancel (§0.6). If the server keeps the action
  // in cancel_requested, the acknowledgement records "canceled" for a device that runs the new firmware,
  // and the inventory (firmware, anti-rollback floor) is wrong from then on.
  it("if the device reports 'All Chunks Installed.' while a cancel is pending, the install wins: awaiting confirmation, no cancelAction link", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    await send(r, sw.installing(id));
    await send(r, sw.logBatch(id, ["[install_raw_file] : Installing file"]));
    await cancelAction(w.biomed, { actionId: id });
    await send(r, sw.installedChunk(id));
    await send(r, sw.allInstalled(id));
    expect(await stateOf(r)).toBe("installed_awaiting_confirmation");
    const body = await basePoll(db, await fresh(r), w.cfg, ORIGIN);
    expect(body._links.cancelAction).toBeUndefined();
  });

  it("refuses to cancel an action that is already installed and awaiting confirmation (the device could only acknowledge it falsely)", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    await installedAwaitingConfirmation(r);
    expect(await caught(() => cancelAction(w.biomed, { actionId: id }))).toBeInstanceOf(ConflictError);
    expect(await stateOf(r)).toBe("installed_awaiting_confirmation");
  });
});

describe("rollback detection", () => {
  it("after installed_awaiting_confirmation, a configData PUT reporting the previous version marks the action rolled_back; the device's versions stay", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    await installedAwaitingConfirmation(r);
    const hw = await auditHighWater(db);
    await putConfigData(db, await fresh(r), JSON.stringify({ data: { swVersion: "1.0.0", hwRevision: "A" } }), FROM);
    const action = await actionRow(db, id);
    expect(action.state).toBe("rolled_back");
    expect(action.finishedAt).toBeInstanceOf(Date);
    expect(action.failureReason).toContain("1.0.0");
    const audits = await auditFor(db, hw, "deployment_action", id);
    expect(audits.map((a) => [a.action, (a.after as { state: string }).state])).toEqual([["deployment.state_changed", "rolled_back"]]);
    expect(await deviceRow(db, r.device.id)).toMatchObject({ firmwareVersion: "1.0.0", securityVersion: 1 });
    // A late "Update Installed." cannot resurrect it.
    expect(await send(r, sw.confirmed(id))).toEqual({ state: "rolled_back", changed: false });
    expect(await deviceRow(db, r.device.id)).toMatchObject({ firmwareVersion: "1.0.0", securityVersion: 1 });
  });

  it("reporting the new version (or the old one before the install finished) is not a rollback", async () => {
    const r = await assignedDevice(w, place);
    const id = r.action.id;
    await putConfigData(db, await fresh(r), JSON.stringify({ data: { swVersion: "1.0.0" } }), FROM); // SWUpdate's first-loop PUT
    await send(r, sw.installing(id));
    await putConfigData(db, await fresh(r), JSON.stringify({ data: { swVersion: "1.0.0" } }), FROM);
    expect(await stateOf(r)).toBe("downloading");
    await send(r, sw.allInstalled(id));
    await putConfigData(db, await fresh(r), JSON.stringify({ data: { swVersion: r.release.release.version } }), FROM);
    expect(await stateOf(r)).toBe("installed_awaiting_confirmation");
    await send(r, sw.confirmed(id));
    expect(await stateOf(r)).toBe("succeeded");
  });
});
