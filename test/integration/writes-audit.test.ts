import { and, eq, isNull, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows, type Db, type DbHandle } from "@/db/client";
import { deploymentActions, deviceCredentials, devices, freezes, rolloutWaves, users, type Device, type Release, type User } from "@/db/schema";
import { assignRelease, cancelAction } from "@/lib/services/deployments/actions";
import { provisionDeviceToken, revokeDeviceToken } from "@/lib/services/deployments/credentials";
import { generateKeyPairSync } from "node:crypto";
import { approvalPolicies, auditEvents } from "@/db/schema";
import { publicKeyPem } from "@/db/seed/governed-release";
import { acknowledgeBriefing, reportProblem, saveBriefing, setUserUnits } from "@/lib/services/releases/briefings";
import { addEvidence, attachSbom, createRelease, startReview, submitRelease, updateRelease, verifyRelease } from "@/lib/services/releases/intake";
import { savePolicy } from "@/lib/services/releases/policies";
import { recallRelease, signRelease, SIGNING_FAILURE_LIMIT, unlockSigning, withdrawRelease } from "@/lib/services/releases/signatures";
import { addVendorKey, retireVendorKey } from "@/lib/services/releases/vendor-keys";
import { setWindows } from "@/lib/services/deployments/windows";
import { startAuditExport, verifyAuditChain } from "@/lib/services/audit/audit-trail";
import { updateDevice } from "@/lib/services/inventory/device";
import { ValidationError } from "@/lib/services/errors";
import { createUser, updateUser } from "@/lib/services/users/manage-users";
import { forgetUnitWindows } from "@/lib/services/ddi/context";
import { createRollout } from "@/lib/services/rollouts/create";
import {
  addBlackout, cancelRollout, endFreeze, goAheadWave, haltAllRollouts, pauseRollout, quarantineDevice, removeBlackout, resumeRollout, retryFailed, startFreeze,
} from "@/lib/services/rollouts/operations";
import { exportCompliance } from "@/lib/services/compliance/export";
import { requestDowngrade, signDowngrade } from "@/lib/services/rollouts/downgrade";
import { setRegressionThresholds, setTelemetryRetention } from "@/lib/services/telemetry/settings";
import { revertCohort } from "@/lib/services/rollouts/revert";
import { markNotificationsRead } from "@/lib/services/incidents/notifications";
import { createIncident } from "@/lib/services/incidents/open";
import {
  addIncidentNote, assignIncidentOwner, changeIncidentSeverity, linkIncidentDevice, pauseIncidentRollout, quarantineIncidentDevice, revertIncidentRollout,
  signOffIncident, transitionIncident, unlinkIncidentDevice,
} from "@/lib/services/incidents/operations";
import { saveEscalationDeadlines, saveIncidentWebhook } from "@/lib/services/incidents/settings";
import { openTestIncident } from "../incident-fixtures";
import {
  auditHighWater, auditRowsAfter, caught, createTestDevice, createTestPlace, createTestUser, ctxFor, dataFingerprint, dbErrorOf, dbNow,
  discoverOperations, openTestDb, TEST_PASSWORD, unique, userActor,
} from "../db";
import { BRIEFING, closeGov, contentOf, openGov, person, releaseIn, releaseInput, sbomBytes, upload, type Gov } from "../release-fixtures";

/** AUD-01 / AUD-02: every write leaves exactly one complete audit row; rejected input leaves nothing. */

let handle: DbHandle;
let db: Db;
let admin: User;
let biomed: User;
let place: Awaited<ReturnType<typeof createTestPlace>>;
/** Releases through the real services, on a model of their own. */
let gov: Gov;

beforeAll(async () => {
  handle = await openTestDb();
  db = handle.db;
  admin = await createTestUser(db, "admin");
  biomed = await createTestUser(db, "biomed");
  place = await createTestPlace(db);
  gov = await openGov(handle);
});
afterAll(async () => {
  // A freeze is global too: never leave one in force for later files sharing a PostgreSQL database.
  await db?.update(freezes).set({ endedAt: new Date() }).where(isNull(freezes.endedAt));
  forgetUnitWindows();
  // Policies are global: do not leave this file's one to later files sharing a PostgreSQL database.
  await db?.delete(approvalPolicies).where(and(eq(approvalPolicies.criticality, "other"), eq(approvalPolicies.riskClass, "routine")));
  await closeGov(gov);
});

const nameOf = (u: User) => `${u.displayName} (${u.username})`;

/** The commands this file proves; a new command must be added here with its own test. */
const COVERED_COMMANDS = [
  "users.create", "users.update", "devices.update", "audit.verify", "audit.export",
  "devices.provision_token", "devices.revoke_token", "deployments.assign", "deployments.cancel", "windows.set",
  "releases.create", "releases.update", "releases.attach_sbom", "releases.submit", "releases.verify", "releases.start_review",
  "releases.add_evidence", "releases.sign", "releases.withdraw", "releases.recall", "users.unlock_signing", "policies.save",
  "vendor_keys.add", "vendor_keys.retire", "briefings.save", "briefings.acknowledge", "briefings.report_problem", "users.set_units",
  "rollouts.create", "rollouts.pause", "rollouts.resume", "rollouts.cancel", "rollouts.halt_all", "rollouts.retry_failed", "rollouts.go_ahead",
  "rollouts.revert", "rollouts.downgrade_request", "rollouts.downgrade_sign", "devices.quarantine", "freeze.start", "freeze.end", "blackouts.add", "blackouts.remove",
  "incidents.create", "incidents.assign", "incidents.set_severity", "incidents.transition", "incidents.link_device", "incidents.unlink_device",
  "incidents.add_note", "incidents.sign_off", "incidents.pause_rollout", "incidents.quarantine_device", "incidents.revert_rollout",
  "incidents.save_escalation", "incidents.save_webhook", "notifications.mark_read",
  "compliance.export", "telemetry.set_retention", "health.set_thresholds",
];

/** Runs `fn`, asserts it wrote exactly one audit row, and returns that row with the DB time after the call. */
async function oneAuditRow(fn: () => Promise<unknown>) {
  const hw = await auditHighWater(db);
  await fn();
  const rows = await auditRowsAfter(db, hw);
  expect(rows, `audit rows written: ${rows.map((r) => r.action).join(", ")}`).toHaveLength(1);
  return { row: rows[0]!, now: await dbNow(db) };
}

async function rowAsText(seq: number): Promise<string> {
  const [r] = await queryRows<{ t: string }>(db, sql`SELECT a::text AS t FROM audit_events a WHERE seq = ${seq}`);
  return r!.t;
}

describe("AUD-01: every command writes exactly one audit row", () => {
  it("AUD-01: every command in lib/services is covered by a test in this file", async () => {
    const commands = (await discoverOperations()).filter((o) => o.kind === "command").map((o) => o.name);
    expect(commands.filter((c) => !COVERED_COMMANDS.includes(c))).toEqual([]);
    expect(COVERED_COMMANDS.filter((c) => !SAME_TRANSACTION[c])).toEqual([]);
  });

  it("AUD-01/AUD-02: createUser records who, what, where and the new values, without the password", async () => {
    const password = `Canary-${unique("pw")}-lantern`;
    const username = unique("new.user.");
    const { row, now } = await oneAuditRow(() =>
      createUser(ctxFor(db, userActor(admin)), { username, displayName: "Nadia Kowalski", role: "biomed", password, email: "nadia@example.org" }),
    );
    const [created] = await db.select().from(users).where(eq(users.username, username));
    expect(created).toBeDefined();
    expect(row).toMatchObject({
      action: "user.create",
      outcome: "success",
      entityType: "user",
      entityId: username,
      actorType: "user",
      actorId: String(admin.id),
      actorName: nameOf(admin),
      sourceIp: "203.0.113.7",
      userAgent: "vitest",
      before: null,
    });
    expect(row.after).toMatchObject({ id: created!.id, username, displayName: "Nadia Kowalski", role: "biomed", email: "nadia@example.org", active: true });
    expect(Math.abs(row.createdAt.getTime() - now)).toBeLessThan(2_000);
    // AUD-11: neither the password nor its hash reaches the trail.
    const text = await rowAsText(row.seq);
    expect(text).not.toContain(password);
    expect(text).not.toContain(created!.passwordHash);
    expect(text).not.toMatch(/password/i);
  });

  it("AUD-01/AUD-02: updateUser records field-level before and after values", async () => {
    const target = await createTestUser(db, "clinician");
    const { row } = await oneAuditRow(() =>
      updateUser(ctxFor(db, userActor(admin)), { userId: target.id, role: "manager", displayName: "Jordan Lee-Park" }),
    );
    expect(row).toMatchObject({ action: "user.update", entityType: "user", entityId: target.username, actorName: nameOf(admin), sourceIp: "203.0.113.7" });
    expect(row.before).toMatchObject({ id: target.id, role: "clinician", displayName: target.displayName, active: true });
    expect(row.after).toMatchObject({ id: target.id, role: "manager", displayName: "Jordan Lee-Park", active: true });
    expect(row.changedFields).toEqual(["displayName", "role"]);
    expect(await rowAsText(row.seq)).not.toMatch(/password|scrypt\$/i);
  });

  it("AUD-01/AUD-02: updateDevice records old and new status, the reason, the actor, the source and DB time", async () => {
    const device = await createTestDevice(db, place, { status: "active" });
    const { row, now } = await oneAuditRow(() =>
      updateDevice(ctxFor(db, userActor(biomed)), { deviceId: device.id, status: "maintenance", reason: "Annual PM due" }),
    );
    const [stored] = await db.select().from(devices).where(eq(devices.id, device.id));
    expect(stored!.status).toBe("maintenance");
    expect(row).toMatchObject({
      action: "device.update",
      outcome: "success",
      entityType: "device",
      entityId: String(device.id),
      actorType: "user",
      actorId: String(biomed.id),
      actorName: nameOf(biomed),
      sourceIp: "203.0.113.7",
      userAgent: "vitest",
      reason: "Annual PM due",
      changedFields: ["status"],
    });
    expect(row.before).toMatchObject({ status: "active", unitId: place.unit.id, hardwareRevision: "A", sandbox: false });
    expect(row.after).toMatchObject({ status: "maintenance", unitId: place.unit.id, hardwareRevision: "A", sandbox: false });
    expect(Math.abs(row.createdAt.getTime() - now)).toBeLessThan(2_000);
  });

  it("AUD-02: moving a device to another unit records both unit ids", async () => {
    const device = await createTestDevice(db, place);
    const other = await createTestPlace(db);
    const { row } = await oneAuditRow(() => updateDevice(ctxFor(db, userActor(biomed)), { deviceId: device.id, unitId: other.unit.id }));
    expect(row.changedFields).toEqual(["unitId"]);
    expect(row.before).toMatchObject({ unitId: place.unit.id });
    expect(row.after).toMatchObject({ unitId: other.unit.id });
  });

  it("AUD-01: verifyAuditChain records the check and its result", async () => {
    const auditor = await createTestUser(db, "auditor");
    let report: Awaited<ReturnType<typeof verifyAuditChain>> | undefined;
    const { row } = await oneAuditRow(async () => {
      report = await verifyAuditChain(ctxFor(db, userActor(auditor)), {});
    });
    expect(report).toMatchObject({ ok: true });
    expect(row).toMatchObject({ action: "audit.verify", entityType: "audit_trail", outcome: "success", actorName: nameOf(auditor), sourceIp: "203.0.113.7" });
    expect(row.after).toMatchObject({ ok: true, checked: report!.checked });
  });

  it("AUD-01: startAuditExport records the export and its filter", async () => {
    const security = await createTestUser(db, "security");
    const { row } = await oneAuditRow(() => startAuditExport(ctxFor(db, userActor(security)), { action: "device.", from: "2026-01-01" }));
    expect(row).toMatchObject({ action: "audit.export", entityType: "audit_trail", outcome: "success", actorId: String(security.id), sourceIp: "203.0.113.7" });
    expect(row.after).toEqual({ action: "device.", from: "2026-01-01", format: "csv" });
  });
});

describe("AUD-01: device credentials, releases, deployments and windows", () => {
  it("AUD-01/AUD-11: provisioning, rotating and revoking a device token are audited without the token or its hash", async () => {
    const device = await createTestDevice(db, place);
    const ctx = ctxFor(db, userActor(admin));
    let issued: { controllerId: string; token: string } | undefined;
    const first = await oneAuditRow(async () => {
      issued = await provisionDeviceToken(ctx, { deviceId: device.id });
    });
    expect(issued!.controllerId).toBe(device.serial);
    expect(first.row).toMatchObject({ action: "device.token_provisioned", entityType: "device", entityId: String(device.id), actorId: String(admin.id), sourceIp: "203.0.113.7" });
    expect(Object.keys(first.row.after as object)).toEqual(["tokenHint"]);
    const [stored] = await db.select().from(deviceCredentials).where(eq(deviceCredentials.deviceId, device.id));
    expect(stored!.tokenHash).not.toContain(issued!.token);
    for (const secret of [issued!.token, stored!.tokenHash]) expect(await rowAsText(first.row.seq)).not.toContain(secret);

    const rotated = await oneAuditRow(async () => {
      issued = await provisionDeviceToken(ctx, { deviceId: device.id });
    });
    expect(rotated.row).toMatchObject({ action: "device.token_rotated", entityId: String(device.id) });
    expect(await rowAsText(rotated.row.seq)).not.toContain(issued!.token);

    const revoked = await oneAuditRow(() => revokeDeviceToken(ctx, { deviceId: device.id }));
    expect(revoked.row).toMatchObject({ action: "device.token_revoked", entityType: "device", entityId: String(device.id) });
    expect(Object.keys(revoked.row.before as object)).toEqual(["tokenHint"]);
  });

  it("AUD-02: the token hint (last 4 characters, not a secret) is kept so the trail shows which token was issued or revoked", async () => {
    const device = await createTestDevice(db, place);
    const ctx = ctxFor(db, userActor(admin));
    let issued: { token: string } | undefined;
    const provisioned = await oneAuditRow(async () => {
      issued = await provisionDeviceToken(ctx, { deviceId: device.id });
    });
    expect(provisioned.row.after).toEqual({ tokenHint: issued!.token.slice(-4) });
    const revoked = await oneAuditRow(() => revokeDeviceToken(ctx, { deviceId: device.id }));
    expect(revoked.row.before).toEqual({ tokenHint: issued!.token.slice(-4) });
  });

  it("AUD-01: creating a release records its content", async () => {
    const input = releaseInput(gov);
    let release: { id: number } | undefined;
    const { row } = await oneAuditRow(async () => {
      release = await createRelease(gov.submitter.ctx, input);
    });
    expect(row).toMatchObject({ action: "release.created", entityType: "release", entityId: String(release!.id), actorId: String(gov.submitter.user.id) });
    expect(row.after).toEqual({ ...input });
  });

  it("AUD-01: assigning and cancelling an update record the deployment action with before/after state", async () => {
    const { release } = await releaseIn(gov, "approved");
    const device = await createTestDevice(db, gov.place, { hardwareRevision: "A", securityVersion: 1 });
    const ctx = ctxFor(db, userActor(biomed));
    let action: { id: number } | undefined;
    const assigned = await oneAuditRow(async () => {
      action = await assignRelease(ctx, { deviceId: device.id, releaseId: release.id });
    });
    expect(assigned.row).toMatchObject({ action: "deployment.assigned", entityType: "deployment_action", entityId: String(action!.id), actorId: String(biomed.id) });
    expect(assigned.row.after).toMatchObject({ deviceId: device.id, serial: device.serial, releaseId: release.id, version: release.version });

    const canceled = await oneAuditRow(() => cancelAction(ctx, { actionId: action!.id, reason: "Wrong unit" }));
    expect(canceled.row).toMatchObject({ action: "deployment.cancel", entityType: "deployment_action", entityId: String(action!.id), reason: "Wrong unit", changedFields: ["state"] });
    expect(canceled.row.before).toEqual({ state: "scheduled" });
    expect(canceled.row.after).toEqual({ state: "canceled" });
  });

  it("AUD-01: replacing a unit's maintenance windows records the old and new windows", async () => {
    const own = await createTestPlace(db);
    const ctx = ctxFor(db, userActor(biomed));
    const nightly = { rrule: "FREQ=DAILY", startsAt: "02:00", durationMinutes: 120 };
    await oneAuditRow(() => setWindows(ctx, { unitId: own.unit.id, windows: [nightly] }));
    const weekly = { rrule: "FREQ=WEEKLY;BYDAY=SU", startsAt: "03:30", durationMinutes: 60 };
    const { row } = await oneAuditRow(() => setWindows(ctx, { unitId: own.unit.id, windows: [weekly] }));
    expect(row).toMatchObject({ action: "unit.windows_set", entityType: "unit", entityId: String(own.unit.id), actorId: String(biomed.id) });
    expect(row.before).toEqual({ modelId: null, windows: [nightly] });
    expect(row.after).toMatchObject({ windows: [weekly] });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Rollouts, freezes, blackout days and quarantine.

let rolloutRelease: Release | undefined;
/** One approved release of gov's model for every rollout in this file. */
const approvedForRollouts = async () => (rolloutRelease ??= (await releaseIn(gov, "approved")).release);
/** A device a rollout can target (heard from just now). */
const targetable = async () => (await createTestDevice(db, gov.place, { lastContactAt: new Date() })).id;

/** A running rollout of two devices: the first wave (one device) is active, the second waits for a signed go-ahead. */
async function liveRollout() {
  const release = await approvedForRollouts();
  return createRollout(ctxFor(db, userActor(admin)), {
    name: unique("Audited rollout "),
    filter: { releaseId: release.id, deviceIds: [await targetable(), await targetable()] },
    waves: [
      { kind: "general", name: "First", percent: 50, requireAcknowledgement: false },
      { kind: "general", name: "Second", requireAcknowledgement: false, requireGoAhead: true },
    ],
  });
}

/** The rollout's first (only) update, set to a finished state directly: the protocol is not under test here. */
/** A rollout whose first device installed its release and has since risen above it. */
async function rolloutAboveFloor() {
  const rollout = await liveRollout();
  await finishFirstUpdate(rollout.id, "succeeded");
  await db.execute(sql`UPDATE devices SET security_version = 99 WHERE id IN (SELECT device_id FROM deployment_actions WHERE rollout_id = ${rollout.id})`);
  return { rollout, release: await approvedForRollouts() };
}

async function finishFirstUpdate(rolloutId: number, state: "succeeded" | "failed") {
  await db.update(deploymentActions).set({ state, finishedAt: new Date() }).where(eq(deploymentActions.rolloutId, rolloutId));
}

async function secondWaveId(rolloutId: number) {
  const [wave] = await db.select({ id: rolloutWaves.id }).from(rolloutWaves).where(and(eq(rolloutWaves.rolloutId, rolloutId), eq(rolloutWaves.position, 2)));
  return wave!.id;
}

/** Audit rows written by `fn`, oldest first. */
async function auditOf(fn: () => Promise<unknown>) {
  const hw = await auditHighWater(db);
  await fn();
  return auditRowsAfter(db, hw);
}

describe("AUD-01: rollouts, the freeze, blackout days and quarantine are audited with who, what and why", () => {
  it("AUD-01: creating a rollout records it (by the person) and its first wave's start (by the engine)", async () => {
    const release = await approvedForRollouts();
    const ids = [await targetable(), await targetable()];
    const rows = await auditOf(() =>
      createRollout(ctxFor(db, userActor(admin)), { name: "Audit trail", filter: { releaseId: release.id, deviceIds: ids }, waves: [{ kind: "general", name: "All", requireAcknowledgement: false }] }),
    );
    expect(rows.map((r) => [r.action, r.actorType, r.actorName])).toEqual([
      ["rollout.created", "user", nameOf(admin)],
      ["rollout.wave_started", "system", "rollout-engine"],
    ]);
    expect(rows[0]!.after).toMatchObject({ releaseId: release.id, version: release.version, name: "Audit trail", devices: 2, waves: [{ name: "All", kind: "general", devices: 2 }] });
    expect(rows[1]!.after).toEqual({ wave: "All", position: 1, targeted: 2, skipped: 0 });
    expect(rows[0]!.entityId).toBe(rows[1]!.entityId);
  });

  it("AUD-01: pause, resume and cancel each write one row with the state change and the reason", async () => {
    const rollout = await liveRollout();
    const as = ctxFor(db, userActor(biomed));
    const paused = await oneAuditRow(() => pauseRollout(as, { rolloutId: rollout.id, reason: "Ward asked to wait" }));
    expect(paused.row).toMatchObject({ action: "rollout.paused", entityType: "rollout", entityId: String(rollout.id), actorId: String(biomed.id), reason: "Ward asked to wait", sourceIp: "203.0.113.7" });
    expect([paused.row.before, paused.row.after]).toEqual([{ state: "running" }, { state: "paused" }]);
    const resumed = await oneAuditRow(() => resumeRollout(as, { rolloutId: rollout.id }));
    expect([resumed.row.action, resumed.row.before, resumed.row.after]).toEqual(["rollout.resumed", { state: "paused" }, { state: "running" }]);
    const canceled = await oneAuditRow(() => cancelRollout(as, { rolloutId: rollout.id, reason: "Wrong release" }));
    expect(canceled.row).toMatchObject({ action: "rollout.canceled", reason: "Wrong release", before: { state: "running" } });
    expect(canceled.row.after).toEqual({ state: "canceled", canceled: 1, cancelRequested: 0 });
  });

  it("AUD-01: halting everything writes one row per halted rollout; retrying failed devices writes one row with the count", async () => {
    const retry = await liveRollout();
    await finishFirstUpdate(retry.id, "failed");
    const retried = await oneAuditRow(() => retryFailed(ctxFor(db, userActor(biomed)), { rolloutId: retry.id }));
    expect(retried.row).toMatchObject({ action: "rollout.retry_failed", entityId: String(retry.id), after: { retried: 1 } });

    await liveRollout();
    const rows = await auditOf(() => haltAllRollouts(ctxFor(db, userActor(admin)), { reason: "Recall" }));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.every((r) => r.action === "rollout.halted" && r.reason === "Recall" && r.actorId === String(admin.id))).toBe(true);
    expect(rows.map((r) => r.entityId)).toContain(String(retry.id));
  });

  it("AUD-01/AUD-11: a signed go-ahead records the printed name and meaning, never the password", async () => {
    const rollout = await liveRollout();
    const waveId = await secondWaveId(rollout.id);
    // The first wave is still running, so signing starts nothing: one row.
    const { row } = await oneAuditRow(() => goAheadWave(ctxFor(db, userActor(admin)), { waveId, password: TEST_PASSWORD }));
    expect(row).toMatchObject({ action: "rollout.go_ahead_signed", entityType: "rollout", entityId: String(rollout.id), actorId: String(admin.id) });
    expect(row.after).toMatchObject({ wave: "Second", printedName: admin.displayName, meaning: "go-ahead for the next wave" });
    expect(typeof (row.after as { signedAt: unknown }).signedAt).toBe("string");
    expect(await rowAsText(row.seq)).not.toContain(TEST_PASSWORD);
  });

  it("AUD-01: quarantine, freeze start/end and blackout add/remove each write one row", async () => {
    const device = await createTestDevice(db, place);
    const q = await oneAuditRow(() => quarantineDevice(ctxFor(db, userActor(biomed)), { deviceId: device.id, reason: "Cracked housing" }));
    expect(q.row).toMatchObject({ action: "device.quarantined", entityType: "device", entityId: String(device.id), reason: "Cracked housing", after: { serial: device.serial, status: "quarantined" } });

    await db.update(freezes).set({ endedAt: new Date() }).where(isNull(freezes.endedAt));
    const started = await oneAuditRow(() => startFreeze(ctxFor(db, userActor(biomed)), { reason: "Vendor advisory" }));
    expect(started.row).toMatchObject({ action: "freeze.started", entityType: "freeze", reason: "Vendor advisory", actorId: String(biomed.id) });
    const ended = await oneAuditRow(() => endFreeze(ctxFor(db, userActor(admin)), {}));
    expect(ended.row).toMatchObject({ action: "freeze.ended", entityType: "freeze", entityId: started.row.entityId, actorId: String(admin.id) });

    const own = await createTestPlace(db);
    let id = 0;
    const added = await oneAuditRow(async () => {
      id = (await addBlackout(ctxFor(db, userActor(biomed)), { unitId: own.unit.id, startsOn: "2099-12-24", endsOn: "2099-12-26", reason: "Holidays" })).id;
    });
    expect(added.row).toMatchObject({ action: "blackout.added", entityType: "blackout", entityId: String(id) });
    expect(added.row.after).toEqual({ unitId: own.unit.id, startsOn: "2099-12-24", endsOn: "2099-12-26", reason: "Holidays" });
    const removed = await oneAuditRow(() => removeBlackout(ctxFor(db, userActor(biomed)), { blackoutId: id }));
    expect(removed.row).toMatchObject({ action: "blackout.removed", entityId: String(id) });
    expect(removed.row.before).toEqual({ startsOn: "2099-12-24", endsOn: "2099-12-26", unitId: own.unit.id, siteId: null, reason: "Holidays" });
  });

  it("AUD-01: reverting a rollout's devices records the new rollout and the revert with its reason", async () => {
    const rollout = await liveRollout();
    await finishFirstUpdate(rollout.id, "succeeded");
    const release = await approvedForRollouts();
    const rows = await auditOf(() => revertCohort(ctxFor(db, userActor(admin)), { rolloutId: rollout.id, releaseId: release.id, reason: "Alarm regression" }));
    const revert = rows.find((r) => r.action === "rollout.revert");
    expect(revert).toMatchObject({ entityId: String(rollout.id), reason: "Alarm regression", actorId: String(admin.id) });
    expect(revert!.after).toMatchObject({ releaseId: release.id, devices: 1, leftBelowFloor: 0 });
    expect(rows.filter((r) => r.action === "rollout.created")).toHaveLength(1);
  });
});

describe("AUD-01: invalid input is refused before anything is written", () => {
  let device: Device;
  beforeAll(async () => {
    device = await createTestDevice(db, place);
  });

  /** Asserts `fn` throws a ValidationError and leaves the database (audit trail included) untouched. */
  async function refused(fn: () => Promise<unknown>): Promise<ValidationError> {
    const hw = await auditHighWater(db);
    const before = await dataFingerprint(db);
    const err = await caught(fn);
    expect(err).toBeInstanceOf(ValidationError);
    expect(await auditRowsAfter(db, hw)).toEqual([]);
    expect(await dataFingerprint(db)).toEqual(before);
    return err as ValidationError;
  }
  const asBiomed = () => ctxFor(db, userActor(biomed));
  const asAdmin = () => ctxFor(db, userActor(admin));

  it("AUD-01: updateDevice with status \"broken\" names the allowed statuses", async () => {
    const err = await refused(() => updateDevice(asBiomed(), { deviceId: device.id, status: "broken" as never }));
    expect(err.message).toMatch(/status/i);
    expect(err.message).toContain("active, offline, maintenance, quarantined, retired");
    expect(Object.keys(err.fieldErrors)).toEqual(["status"]);
  });

  it("AUD-01: updateDevice to an unknown unit is refused with a readable message", async () => {
    const err = await refused(() => updateDevice(asBiomed(), { deviceId: device.id, unitId: 2_000_000_000 }));
    expect(err.message).toMatch(/unit/i);
    expect(err.message).toContain("Choose a unit from the list.");
    expect(err.fieldErrors).toEqual({ unitId: ["Choose a unit from the list."] });
  });

  it("AUD-01: updateDevice with an unit id beyond the integer range is a validation error, not a database error", async () => {
    const err = await refused(() => updateDevice(asBiomed(), { deviceId: device.id, unitId: 99_999_999_999 }));
    expect(err.fieldErrors).toHaveProperty("unitId");
  });

  it("AUD-01: an extra field such as approvedBy is refused and named", async () => {
    const err = await refused(() => updateDevice(asBiomed(), { deviceId: device.id, status: "offline", approvedBy: "someone" } as never));
    expect(err.message).toContain("approvedBy");
  });

  it("AUD-02: a client-supplied timestamp is not accepted", async () => {
    const err = await refused(() => updateDevice(asBiomed(), { deviceId: device.id, status: "offline", createdAt: "2001-01-01T00:00:00Z" } as never));
    expect(err.message).toContain("createdAt");
  });

  it("AUD-01: updateDevice with nothing to change is refused", async () => {
    const err = await refused(() => updateDevice(asBiomed(), { deviceId: device.id, reason: "just because" }));
    expect(err.message).toMatch(/nothing to change/i);
  });

  it("AUD-01: createUser with a short password names the password field", async () => {
    const err = await refused(() => createUser(asAdmin(), { username: unique("shorty."), displayName: "Short Pass", role: "clinician", password: "short1" }));
    expect(err.message).toMatch(/password/i);
    expect(err.message).toMatch(/at least 12 characters/);
    expect(err.fieldErrors).toEqual({ password: ["Use at least 12 characters."] });
    expect(err.message).not.toContain("short1");
  });

  it("AUD-01: createUser with an unknown role or an extra field is refused", async () => {
    const bad = await refused(() =>
      createUser(asAdmin(), { username: unique("rooty."), displayName: "Root Person", role: "root" as never, password: "violet staircase 1987 lantern" }),
    );
    expect(bad.message).toMatch(/admin, biomed/);
    const extra = await refused(() =>
      createUser(asAdmin(), {
        username: unique("extra."),
        displayName: "Extra Person",
        role: "clinician",
        password: "violet staircase 1987 lantern",
        approvedBy: "admin",
      } as never),
    );
    expect(extra.message).toContain("approvedBy");
  });

  it("AUD-01: updateUser of an unknown field or with nothing to change is refused", async () => {
    const target = await createTestUser(db, "vendor");
    const extra = await refused(() => updateUser(asAdmin(), { userId: target.id, passwordHash: "x" } as never));
    expect(extra.message).toContain("passwordHash");
    const nothing = await refused(() => updateUser(asAdmin(), { userId: target.id }));
    expect(nothing.message).toMatch(/nothing to change/i);
  });
});

// ---------------------------------------------------------------------------------------------------------

/**
 * How to make each command write its audit row: `prepare` sets up what the command needs and returns the
 * call, which must be repeatable after a rollback. `action` is the audit row that is made to fail.
 */
type SameTxCase = { action: string; changesData?: false; prepare: () => Promise<() => Promise<unknown>> };

const asAdmin = () => ctxFor(db, userActor(admin));
const asBiomed = () => ctxFor(db, userActor(biomed));
const draftWithPackage = async () => {
  const { release, pkg } = await releaseIn(gov, "draft");
  await upload(gov, gov.submitter.ctx, release.id, pkg);
  return { release, pkg };
};
const approvedWithBriefing = async () => {
  const clinician = await person(db, "clinician", "Tess Nurse");
  await setUserUnits(gov.admin.ctx, { userId: clinician.user.id, unitIds: [gov.place.unit.id] });
  return { clinician, release: (await releaseIn(gov, "approved", { briefing: true })).release };
};

const SAME_TRANSACTION: Record<string, SameTxCase> = {
  "users.create": {
    action: "user.create",
    prepare: async () => {
      const input = { username: unique("tx."), displayName: "Tx Person", role: "clinician" as const, password: "violet staircase 1987 lantern" };
      return () => createUser(asAdmin(), input);
    },
  },
  "users.update": {
    action: "user.update",
    prepare: async () => {
      const target = await createTestUser(db, "clinician");
      return () => updateUser(asAdmin(), { userId: target.id, displayName: "Tx Renamed" });
    },
  },
  "devices.update": {
    action: "device.update",
    prepare: async () => {
      const device = await createTestDevice(db, place);
      return () => updateDevice(asBiomed(), { deviceId: device.id, status: "maintenance", reason: "tx" });
    },
  },
  "audit.verify": {
    action: "audit.verify",
    changesData: false,
    prepare: async () => {
      const auditor = await createTestUser(db, "auditor");
      return () => verifyAuditChain(ctxFor(db, userActor(auditor)), {});
    },
  },
  "audit.export": {
    action: "audit.export",
    changesData: false,
    prepare: async () => {
      const auditor = await createTestUser(db, "auditor");
      return () => startAuditExport(ctxFor(db, userActor(auditor)), { action: "device." });
    },
  },
  "devices.provision_token": {
    action: "device.token_provisioned",
    prepare: async () => {
      const device = await createTestDevice(db, place);
      return () => provisionDeviceToken(asAdmin(), { deviceId: device.id });
    },
  },
  "devices.revoke_token": {
    action: "device.token_revoked",
    prepare: async () => {
      const device = await createTestDevice(db, place);
      await provisionDeviceToken(asAdmin(), { deviceId: device.id });
      return () => revokeDeviceToken(asAdmin(), { deviceId: device.id });
    },
  },
  "deployments.assign": {
    action: "deployment.assigned",
    prepare: async () => {
      const { release } = await releaseIn(gov, "approved");
      const device = await createTestDevice(db, gov.place);
      return () => assignRelease(asBiomed(), { deviceId: device.id, releaseId: release.id });
    },
  },
  "deployments.cancel": {
    action: "deployment.cancel",
    prepare: async () => {
      const { release } = await releaseIn(gov, "approved");
      const action = await assignRelease(asBiomed(), { deviceId: (await createTestDevice(db, gov.place)).id, releaseId: release.id });
      return () => cancelAction(asBiomed(), { actionId: action.id, reason: "tx" });
    },
  },
  "windows.set": {
    action: "unit.windows_set",
    prepare: async () => {
      const own = await createTestPlace(db);
      return () => setWindows(asBiomed(), { unitId: own.unit.id, windows: [{ rrule: "FREQ=DAILY", startsAt: "02:00", durationMinutes: 60 }] });
    },
  },
  "releases.create": { action: "release.created", prepare: async () => { const input = releaseInput(gov); return () => createRelease(gov.submitter.ctx, input); } },
  "releases.update": {
    action: "release.updated",
    prepare: async () => {
      const { release } = await releaseIn(gov, "draft");
      return () => updateRelease(gov.reviewer.ctx, contentOf(release, { changeLog: "Changed in a transaction." }));
    },
  },
  "releases.attach_sbom": {
    action: "release.sbom_attached",
    prepare: async () => {
      const { release, pkg } = await draftWithPackage();
      return () => attachSbom(gov.submitter.ctx, { releaseId: release.id, filename: "sbom.json", bytes: sbomBytes(pkg.sha256) });
    },
  },
  "releases.submit": {
    action: "release.state_changed",
    prepare: async () => {
      const { release } = await draftWithPackage();
      return () => submitRelease(gov.submitter.ctx, { releaseId: release.id });
    },
  },
  "releases.verify": {
    action: "release.state_changed",
    prepare: async () => {
      const { release } = await releaseIn(gov, "submitted");
      return () => verifyRelease(gov.reviewer.ctx, { releaseId: release.id });
    },
  },
  "releases.start_review": {
    action: "release.state_changed",
    prepare: async () => {
      const { release } = await releaseIn(gov, "verified");
      return () => startReview(gov.reviewer.ctx, { releaseId: release.id });
    },
  },
  "releases.add_evidence": {
    action: "release.evidence_added",
    prepare: async () => {
      const { release } = await releaseIn(gov, "verified");
      return () => addEvidence(gov.reviewer.ctx, { releaseId: release.id, kind: "functional", outcome: "passed", acceptanceCriteria: "Bench.", summary: "Passed." });
    },
  },
  "releases.sign": {
    action: "release.signed",
    prepare: async () => {
      const { release } = await releaseIn(gov, "in_review");
      await addEvidence(gov.reviewer.ctx, { releaseId: release.id, kind: "functional", outcome: "passed", acceptanceCriteria: "Bench.", summary: "Passed." });
      await signRelease(gov.approvers[0].ctx, { releaseId: release.id, meaning: "approved", password: TEST_PASSWORD });
      // The second approval also moves the release to approved: all of it rolls back together.
      return () => signRelease(gov.approvers[1].ctx, { releaseId: release.id, meaning: "approved", password: TEST_PASSWORD });
    },
  },
  "releases.withdraw": {
    action: "release.state_changed",
    prepare: async () => {
      const { release } = await releaseIn(gov, "approved");
      return () => withdrawRelease(gov.admin.ctx, { releaseId: release.id, password: TEST_PASSWORD, reason: "tx" });
    },
  },
  "releases.recall": {
    action: "release.state_changed",
    prepare: async () => {
      const { release } = await releaseIn(gov, "approved");
      return () => recallRelease(gov.admin.ctx, { releaseId: release.id, password: TEST_PASSWORD, reason: "tx" });
    },
  },
  "users.unlock_signing": {
    action: "signature.unlocked",
    // The lock lives in the audit trail, so lifting it changes no other table.
    changesData: false,
    prepare: async () => {
      const locked = await createTestUser(db, "biomed");
      await db.insert(auditEvents).values(Array.from({ length: SIGNING_FAILURE_LIMIT }, () => ({ actorType: "user", actorId: String(locked.id), action: "signature.password_rejected" })));
      return () => unlockSigning(asAdmin(), { userId: locked.id });
    },
  },
  "policies.save": {
    action: "policy.saved",
    prepare: async () => () =>
      savePolicy(asAdmin(), { criticality: "other", riskClass: "routine", requiredRoles: ["biomed"], minSigners: 2, requiredEvidence: ["functional"], maxIssueSeverity: "medium" }),
  },
  "vendor_keys.add": {
    action: "vendor_key.pinned",
    prepare: async () => {
      const pem = publicKeyPem(generateKeyPairSync("ed25519").privateKey);
      return () => addVendorKey(asAdmin(), { manufacturerId: gov.place.manufacturer.id, label: "tx key", pem });
    },
  },
  "vendor_keys.retire": {
    action: "vendor_key.retired",
    prepare: async () => {
      const key = await addVendorKey(asAdmin(), { manufacturerId: gov.place.manufacturer.id, label: "tx key", pem: publicKeyPem(generateKeyPairSync("ed25519").privateKey) });
      return () => retireVendorKey(asAdmin(), { keyId: key.id, reason: "compromised" });
    },
  },
  "briefings.save": {
    action: "briefing.saved",
    prepare: async () => {
      const { release } = await releaseIn(gov, "draft");
      return () => saveBriefing(gov.submitter.ctx, { releaseId: release.id, ...BRIEFING });
    },
  },
  "briefings.acknowledge": {
    action: "briefing.acknowledged",
    prepare: async () => {
      const { clinician, release } = await approvedWithBriefing();
      return () => acknowledgeBriefing(clinician.ctx, { releaseId: release.id, unitId: gov.place.unit.id });
    },
  },
  "briefings.report_problem": {
    action: "briefing.problem_reported",
    prepare: async () => {
      const { clinician, release } = await approvedWithBriefing();
      return () => reportProblem(clinician.ctx, { releaseId: release.id, unitId: gov.place.unit.id, description: "Alarm twice.", patientHarm: false });
    },
  },
  "users.set_units": {
    action: "user.units_set",
    prepare: async () => {
      const target = await createTestUser(db, "clinician");
      return () => setUserUnits(asAdmin(), { userId: target.id, unitIds: [gov.place.unit.id] });
    },
  },
  "rollouts.create": {
    action: "rollout.created",
    prepare: async () => {
      const release = await approvedForRollouts();
      const deviceIds = [await targetable()];
      return () => createRollout(asAdmin(), { name: "Tx rollout", filter: { releaseId: release.id, deviceIds }, waves: [{ kind: "general", name: "All", requireAcknowledgement: false }] });
    },
  },
  "rollouts.pause": {
    action: "rollout.paused",
    prepare: async () => {
      const rollout = await liveRollout();
      return () => pauseRollout(asBiomed(), { rolloutId: rollout.id, reason: "tx" });
    },
  },
  "rollouts.resume": {
    action: "rollout.resumed",
    prepare: async () => {
      const rollout = await liveRollout();
      await pauseRollout(asBiomed(), { rolloutId: rollout.id, reason: "tx" });
      return () => resumeRollout(asBiomed(), { rolloutId: rollout.id });
    },
  },
  "rollouts.cancel": {
    action: "rollout.canceled",
    prepare: async () => {
      const rollout = await liveRollout();
      return () => cancelRollout(asBiomed(), { rolloutId: rollout.id, reason: "tx" });
    },
  },
  "rollouts.halt_all": {
    action: "rollout.halted",
    prepare: async () => {
      await liveRollout();
      return () => haltAllRollouts(asAdmin(), { reason: "tx" });
    },
  },
  "rollouts.retry_failed": {
    action: "rollout.retry_failed",
    prepare: async () => {
      const rollout = await liveRollout();
      await finishFirstUpdate(rollout.id, "failed");
      return () => retryFailed(asBiomed(), { rolloutId: rollout.id });
    },
  },
  "rollouts.go_ahead": {
    action: "rollout.go_ahead_signed",
    prepare: async () => {
      const rollout = await liveRollout();
      const waveId = await secondWaveId(rollout.id);
      return () => goAheadWave(asAdmin(), { waveId, password: TEST_PASSWORD });
    },
  },
  "rollouts.revert": {
    action: "rollout.revert",
    prepare: async () => {
      const rollout = await liveRollout();
      await finishFirstUpdate(rollout.id, "succeeded");
      const release = await approvedForRollouts();
      return () => revertCohort(asAdmin(), { rolloutId: rollout.id, releaseId: release.id, reason: "tx" });
    },
  },
  "rollouts.downgrade_request": {
    action: "deployment.downgrade_requested",
    prepare: async () => {
      const { rollout, release } = await rolloutAboveFloor();
      return () => requestDowngrade(asAdmin(), { rolloutId: rollout.id, releaseId: release.id, safetyReason: "tx: a documented safety reason", password: TEST_PASSWORD });
    },
  },
  "rollouts.downgrade_sign": {
    action: "deployment.downgrade",
    prepare: async () => {
      const { rollout, release } = await rolloutAboveFloor();
      const exception = await requestDowngrade(asAdmin(), { rolloutId: rollout.id, releaseId: release.id, safetyReason: "tx: a documented safety reason", password: TEST_PASSWORD });
      return () => signDowngrade(asBiomed(), { exceptionId: exception.id, password: TEST_PASSWORD });
    },
  },
  "devices.quarantine": {
    action: "device.quarantined",
    prepare: async () => {
      const device = await createTestDevice(db, place);
      return () => quarantineDevice(asBiomed(), { deviceId: device.id, reason: "tx" });
    },
  },
  // Listed before freeze.end, which ends the freeze this one leaves in force.
  "freeze.start": {
    action: "freeze.started",
    prepare: async () => {
      await db.update(freezes).set({ endedAt: new Date() }).where(isNull(freezes.endedAt));
      return () => startFreeze(asBiomed(), { reason: "tx" });
    },
  },
  "freeze.end": {
    action: "freeze.ended",
    prepare: async () => {
      const [active] = await db.select({ id: freezes.id }).from(freezes).where(isNull(freezes.endedAt));
      if (!active) await startFreeze(asBiomed(), { reason: "tx" });
      return () => endFreeze(asBiomed(), {});
    },
  },
  "blackouts.add": {
    action: "blackout.added",
    prepare: async () => {
      const own = await createTestPlace(db);
      return () => addBlackout(asBiomed(), { unitId: own.unit.id, startsOn: "2099-12-24", endsOn: "2099-12-26", reason: "tx" });
    },
  },
  "blackouts.remove": {
    action: "blackout.removed",
    prepare: async () => {
      const own = await createTestPlace(db);
      const row = await addBlackout(asBiomed(), { unitId: own.unit.id, startsOn: "2099-12-24", endsOn: "2099-12-26", reason: "tx" });
      return () => removeBlackout(asBiomed(), { blackoutId: row.id });
    },
  },
  "incidents.create": {
    action: "incident.opened",
    prepare: async () => () => createIncident(asBiomed(), { title: "Tx incident", description: "tx", severity: "low" }),
  },
  "incidents.assign": {
    action: "incident.owner_assigned",
    prepare: async () => {
      const { incident } = await openTestIncident(db);
      return () => assignIncidentOwner(asBiomed(), { incidentId: incident.id, ownerId: admin.id });
    },
  },
  "incidents.set_severity": {
    action: "incident.severity_changed",
    prepare: async () => {
      const { incident } = await openTestIncident(db);
      return () => changeIncidentSeverity(asBiomed(), { incidentId: incident.id, severity: "critical", reason: "tx" });
    },
  },
  "incidents.transition": {
    action: "incident.status_changed",
    prepare: async () => {
      const { incident } = await openTestIncident(db);
      return () => transitionIncident(asBiomed(), { incidentId: incident.id, to: "contained" });
    },
  },
  "incidents.link_device": {
    action: "incident.devices_linked",
    prepare: async () => {
      const { incident } = await openTestIncident(db);
      const device = await createTestDevice(db, place);
      return () => linkIncidentDevice(asBiomed(), { incidentId: incident.id, serial: device.serial });
    },
  },
  "incidents.unlink_device": {
    action: "incident.device_unlinked",
    prepare: async () => {
      const device = await createTestDevice(db, place);
      const { incident } = await openTestIncident(db, { deviceIds: [device.id] });
      return () => unlinkIncidentDevice(asBiomed(), { incidentId: incident.id, deviceId: device.id });
    },
  },
  "incidents.add_note": {
    action: "incident.note",
    prepare: async () => {
      const { incident } = await openTestIncident(db);
      return () => addIncidentNote(asBiomed(), { incidentId: incident.id, note: "tx" });
    },
  },
  "incidents.sign_off": {
    action: "incident.signed_off",
    prepare: async () => {
      const { incident } = await openTestIncident(db, { rolloutId: (await liveRollout()).id });
      return () => signOffIncident(asBiomed(), { incidentId: incident.id, password: TEST_PASSWORD, reason: "tx" });
    },
  },
  "incidents.pause_rollout": {
    action: "incident.containment",
    prepare: async () => {
      const { incident } = await openTestIncident(db, { rolloutId: (await liveRollout()).id });
      return () => pauseIncidentRollout(asBiomed(), { incidentId: incident.id, reason: "tx" });
    },
  },
  "incidents.quarantine_device": {
    action: "incident.containment",
    prepare: async () => {
      const device = await createTestDevice(db, place);
      const { incident } = await openTestIncident(db, { deviceIds: [device.id] });
      return () => quarantineIncidentDevice(asBiomed(), { incidentId: incident.id, deviceId: device.id, reason: "tx" });
    },
  },
  "incidents.revert_rollout": {
    action: "incident.containment",
    prepare: async () => {
      const rollout = await liveRollout();
      await finishFirstUpdate(rollout.id, "succeeded");
      const release = await approvedForRollouts();
      const { incident } = await openTestIncident(db, { rolloutId: rollout.id });
      return () => revertIncidentRollout(asAdmin(), { incidentId: incident.id, releaseId: release.id, reason: "tx" });
    },
  },
  "incidents.save_escalation": {
    action: "settings.escalation_saved",
    // The defaults: later files sharing a PostgreSQL database see the same deadlines.
    prepare: async () => () => saveEscalationDeadlines(asAdmin(), { critical: 15, high: 60, medium: 240, low: 1440 }),
  },
  "incidents.save_webhook": {
    action: "settings.webhook_saved",
    // Removing a webhook that is not configured changes no row (a configured one would be global).
    changesData: false,
    prepare: async () => () => saveIncidentWebhook(asAdmin(), { url: "" }),
  },
  "compliance.export": {
    action: "compliance.export",
    changesData: false,
    prepare: async () => () => exportCompliance(asAdmin(), { figure: "incidents" }),
  },
  // The defaults: later files sharing a PostgreSQL database see the same settings.
  "telemetry.set_retention": {
    action: "telemetry.retention_changed",
    prepare: async () => () => setTelemetryRetention(asAdmin(), { rawDays: 30, hourlyDays: 400 }),
  },
  "health.set_thresholds": {
    action: "health.regression_thresholds_changed",
    prepare: async () => () => setRegressionThresholds(asAdmin(), { alpha: 0.01, minEffectPct: 25, minExposureHours: 6, minDevices: 5 }),
  },
  "notifications.mark_read": {
    action: "notifications.read",
    prepare: async () => {
      await openTestIncident(db);
      return () => markNotificationsRead(asBiomed(), {});
    },
  },
};

/** Runs `fn` while a trigger makes every insert of audit action `action` fail; returns what `fn` threw. */
async function withFailingAudit(action: string, fn: () => Promise<unknown>): Promise<unknown> {
  const fnName = sql.identifier(unique("test_fail_audit_fn_").toLowerCase());
  const trg = sql.identifier(unique("test_fail_audit_trg_").toLowerCase());
  if (!/^[a-z_.]+$/.test(action)) throw new Error(`unexpected action ${action}`);
  await db.execute(sql`CREATE FUNCTION ${fnName}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.action = '${sql.raw(action)}' THEN RAISE EXCEPTION 'injected audit failure for %', NEW.action; END IF;
      RETURN NEW;
    END $$`);
  await db.execute(sql`CREATE TRIGGER ${trg} BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION ${fnName}()`);
  try {
    return await caught(fn);
  } finally {
    await db.execute(sql`DROP TRIGGER IF EXISTS ${trg} ON audit_events`);
    await db.execute(sql`DROP FUNCTION IF EXISTS ${fnName}()`);
  }
}

describe("AUD-01: each command's audit row is written in the same transaction as its change", () => {
  for (const name of COVERED_COMMANDS) {
    it(`AUD-01: ${name}: when its audit row cannot be stored nothing changes; otherwise both are stored`, async () => {
      const c = SAME_TRANSACTION[name];
      if (!c) throw new Error(`No SAME_TRANSACTION case for ${name}`);
      const call = await c.prepare();
      const before = await dataFingerprint(db);
      const hw = await auditHighWater(db);
      const err = await withFailingAudit(c.action, call);
      expect(dbErrorOf(err).message).toContain(`injected audit failure for ${c.action}`);
      expect(await dataFingerprint(db)).toEqual(before);
      expect(await auditRowsAfter(db, hw)).toEqual([]);

      await call();
      const rows = await auditRowsAfter(db, hw);
      expect(rows.map((r) => r.action)).toContain(c.action);
      expect(rows.every((r) => r.outcome === "success")).toBe(true);
      if (c.changesData === false) expect(await dataFingerprint(db)).toEqual(before);
      else expect(await dataFingerprint(db)).not.toEqual(before);
    });
  }
});
