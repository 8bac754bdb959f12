import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { incidents, notifications } from "@/db/schema";
import { applyFeedback, ingestTelemetry } from "@/lib/services/ddi/protocol";
import { revokeDeviceToken } from "@/lib/services/deployments/credentials";
import { reportProblem } from "@/lib/services/releases/briefings";
import { BAD_TOKEN_LIMIT } from "@/lib/services/incidents/sources";
import { auditHighWater, auditRowsAfter, caught, createTestUser } from "../db";
import { incidentsByKey, linkedDeviceIds } from "../incident-fixtures";
import { closeWorld, FROM, session, sw, token, type Place, type World } from "../protocol-fixtures";
import { acknowledgeIn, addUnit, drive, enrol, fresh, newRollout, openRolloutWorld, wave, type Member, type Release } from "../rollout-fixtures";
import { authenticateDevice } from "@/lib/services/ddi/device-auth";

/**
 * ROL-10 / ROL-15: the automatic sources. Each opens exactly one incident (repeats reuse it), linked to
 * the device and, when the device takes part in a rollout, to that rollout; the on-call roles are told.
 */

let w: World;
let home: Place;
let release: Release;

beforeAll(async () => {
  ({ w, home, release } = await openRolloutWorld());
});
afterAll(() => closeWorld(w));

/** `n` devices in a running rollout of the world's release. */
async function inRollout(n: number) {
  const unit = await addUnit(w, home);
  const members = await enrol(w, unit, n);
  const rollout = await newRollout(w, release, members, [wave("general")]);
  return { unit, members, rollout };
}

async function notifiedUser(userId: number, incidentId: number) {
  return w.db.select({ title: notifications.title }).from(notifications).where(and(eq(notifications.userId, userId), eq(notifications.incidentId, incidentId)));
}

describe("ROL-15: device telemetry events", () => {
  it("ROL-15: a telemetry event attack_detected=freeze opens one incident linked to the device and its rollout, and notifies the on-call roles (biomed and security)", async () => {
    const security = await createTestUser(w.db, "security");
    const biomed = await createTestUser(w.db, "biomed");
    const { members, rollout } = await inRollout(1);
    const m = members[0]!;
    const body = JSON.stringify({ samples: [{ takenAt: new Date().toISOString(), batteryPct: 80, event: { kind: "attack_detected", detail: "freeze" } }] });
    expect(await ingestTelemetry(w.db, await fresh(w, m), body)).toEqual({ accepted: 1, rejected: [] });
    const [incident] = await incidentsByKey(w.db, `device_event:${m.device.id}:attack_detected`);
    expect(incident).toMatchObject({ source: "security_event", severity: "critical", status: "triage", rolloutId: rollout.id, releaseId: release.release.id });
    expect(incident!.description).toContain("freeze");
    expect(await linkedDeviceIds(w.db, incident!.id)).toEqual([m.device.id]);
    expect(await notifiedUser(security.id, incident!.id)).toHaveLength(1);
    expect(await notifiedUser(biomed.id, incident!.id)).toHaveLength(1);

    // The same event again: no second incident, no second notification.
    await ingestTelemetry(w.db, await fresh(w, m), body);
    expect(await incidentsByKey(w.db, `device_event:${m.device.id}:attack_detected`)).toHaveLength(1);
    expect(await notifiedUser(security.id, incident!.id)).toHaveLength(1);
  });

  it("ROL-15: a malfunction and a failed verification each open their own incident; a malformed event is rejected with the sample and opens nothing", async () => {
    const [m] = (await enrol(w, await addUnit(w, home), 1)) as [Member];
    const res = await ingestTelemetry(w.db, await fresh(w, m), JSON.stringify({
      samples: [
        { takenAt: new Date().toISOString(), event: { kind: "malfunction", detail: "occlusion sensor stuck" } },
        { takenAt: new Date().toISOString(), event: { kind: "verification_failed" } },
        { takenAt: new Date().toISOString(), event: { kind: "lightning" } },
      ],
    }));
    expect(res.accepted).toBe(2);
    expect(res.rejected).toHaveLength(1);
    expect(res.rejected[0]!.error).toMatch(/^event\.kind/);
    const malfunction = await incidentsByKey(w.db, `device_event:${m.device.id}:malfunction`);
    expect(malfunction).toMatchObject([{ source: "device_malfunction", severity: "high", rolloutId: null }]);
    expect(await incidentsByKey(w.db, `device_event:${m.device.id}:verification_failed`)).toMatchObject([{ source: "device_verification" }]);
    expect(await incidentsByKey(w.db, `device_event:${m.device.id}:lightning`)).toEqual([]);
  });
});

describe("ROL-10: devices that refuse a package", () => {
  it("ROL-10: failed updates whose reason names a signature/verification failure share one incident per release, linked to each device and the rollout; other failures open none", async () => {
    const { members, rollout } = await inRollout(3);
    const [a, b, c] = members as [Member, Member, Member];
    for (const m of [a, b]) {
      const id = await drive(w, m, "downloading");
      await applyFeedback(w.db, await fresh(w, m), id, "deployment", sw.failure(id, ["ERROR : Signature verification failed", "Image invalid or corrupted. Not installing ..."]), FROM);
    }
    const key = `device_verification:release:${release.release.id}`;
    const found = await incidentsByKey(w.db, key);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ source: "device_verification", severity: "high", rolloutId: rollout.id, releaseId: release.release.id });
    expect(await linkedDeviceIds(w.db, found[0]!.id)).toEqual([a.device.id, b.device.id].sort((x, y) => x - y));
    expect(found[0]!.evidence).toMatchObject({ messages: ["ERROR : Signature verification failed"] });

    const id = await drive(w, c, "downloading");
    await applyFeedback(w.db, await fresh(w, c), id, "deployment", sw.failure(id, ["ERROR : No space left on device"]), FROM);
    expect(await linkedDeviceIds(w.db, found[0]!.id)).not.toContain(c.device.id);
  });
});

describe("ROL-10: device-credential abuse", () => {
  const authFails = (serial: string, tok: string) => caught(() => authenticateDevice(w.db, serial, token(tok), FROM));

  it("ROL-10: a revoked token in use opens one high incident linked to the device and its rollout", async () => {
    const { members, rollout } = await inRollout(1);
    const m = members[0]!;
    await revokeDeviceToken(w.admin, { deviceId: m.device.id });
    await authFails(m.device.serial, m.tok);
    await authFails(m.device.serial, m.tok);
    const found = await incidentsByKey(w.db, `credential_abuse:device:${m.device.id}`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ source: "credential_abuse", severity: "high", rolloutId: rollout.id });
    expect(await linkedDeviceIds(w.db, found[0]!.id)).toEqual([m.device.id]);
  });

  it("ROL-10: a device's token used for another controller id links both devices", async () => {
    const [a, b] = (await enrol(w, await addUnit(w, home), 2)) as [Member, Member];
    await authFails(b.device.serial, a.tok);
    const [incident] = await incidentsByKey(w.db, `credential_abuse:device:${a.device.id}`);
    expect(incident!.description).toContain(`The token of ${a.device.serial} was presented for ${b.device.serial}`);
    expect(await linkedDeviceIds(w.db, incident!.id)).toEqual([a.device.id, b.device.id].sort((x, y) => x - y));
  });

  it(`ROL-10: bad tokens for a known controller id open a medium incident on the ${BAD_TOKEN_LIMIT}th failure, not before; unknown controller ids open none`, async () => {
    const [m] = (await enrol(w, await addUnit(w, home), 1)) as [Member];
    const key = `credential_abuse:device:${m.device.id}`;
    for (let i = 1; i < BAD_TOKEN_LIMIT; i++) await authFails(m.device.serial, `wrong-token-${i}-xxxxxxxxxxxx`);
    expect(await incidentsByKey(w.db, key)).toEqual([]);
    const hw = await auditHighWater(w.db);
    await authFails(m.device.serial, "wrong-token-last-xxxxxxxxxx");
    const found = await incidentsByKey(w.db, key);
    expect(found).toMatchObject([{ severity: "medium", source: "credential_abuse" }]);
    expect((await auditRowsAfter(w.db, hw)).map((r) => [r.action, r.actorName])).toEqual([["device.auth_failed", null], ["incident.opened", "device-security"]]);
    // The device itself still works with its own token.
    expect((await session(w, m.device.serial, m.tok)).id).toBe(m.device.id);

    const before = await w.db.select({ id: incidents.id }).from(incidents);
    for (let i = 0; i < BAD_TOKEN_LIMIT + 1; i++) await authFails("NO-SUCH-DEVICE-1", `wrong-token-${i}-xxxxxxxxxxxx`);
    expect(await w.db.select({ id: incidents.id }).from(incidents)).toHaveLength(before.length);
  });
});

describe("ROL-10: clinicians' problem reports", () => {
  it("ROL-10: a report naming a device opens a high incident (patient harm) linked to the device and its rollout; a second report about it joins the same incident", async () => {
    const { unit, members, rollout } = await inRollout(1);
    const m = members[0]!;
    const clinician = await acknowledgeIn(w, release.release.id, [unit.unit.id]);
    await reportProblem(clinician, { releaseId: release.release.id, unitId: unit.unit.id, deviceSerial: m.device.serial, description: "Pump stopped mid-infusion.", patientHarm: true });
    await reportProblem(clinician, { releaseId: release.release.id, unitId: unit.unit.id, deviceSerial: m.device.serial, description: "Again on the next shift.", patientHarm: false });
    const found = await incidentsByKey(w.db, `problem_report:release:${release.release.id}:device:${m.device.id}`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ source: "problem_report", severity: "high", rolloutId: rollout.id, releaseId: release.release.id, description: "Pump stopped mid-infusion." });
    expect(await linkedDeviceIds(w.db, found[0]!.id)).toEqual([m.device.id]);
  });

  it("ROL-10: a report without a known device opens a medium incident of its own, linked to the rollout that reached the reporting unit", async () => {
    const { unit, rollout } = await inRollout(1);
    const clinician = await acknowledgeIn(w, release.release.id, [unit.unit.id]);
    const report = await reportProblem(clinician, { releaseId: release.release.id, unitId: unit.unit.id, deviceSerial: "NOT-A-SERIAL", description: "Alarm tone changed.", patientHarm: false });
    const [incident] = await w.db.select().from(incidents).where(and(eq(incidents.source, "problem_report"), eq(incidents.description, "Alarm tone changed.")));
    expect(incident).toMatchObject({ severity: "medium", sourceKey: null, rolloutId: rollout.id, evidence: { problemReportId: report.id, deviceSerial: "NOT-A-SERIAL" } });
    expect(await linkedDeviceIds(w.db, incident!.id)).toEqual([]);

    // From a unit no rollout of this release reached: no rollout is linked.
    const elsewhere = await addUnit(w, home);
    const nurse = await acknowledgeIn(w, release.release.id, [elsewhere.unit.id]);
    await reportProblem(nurse, { releaseId: release.release.id, unitId: elsewhere.unit.id, description: "Screen flickers.", patientHarm: false });
    const [other] = await w.db.select().from(incidents).where(eq(incidents.description, "Screen flickers."));
    expect(other).toMatchObject({ rolloutId: null, severity: "medium" });
  });
});
