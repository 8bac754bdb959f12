import { createPublicKey, verify } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "@/db/client";
import { deploymentActions, devices, serverKeys } from "@/db/schema";
import { OPEN_ACTION_STATES } from "@/lib/domain";
import { checkManifest, manifestKey, type ManifestPayload, type SignedManifest } from "@/lib/services/ddi/manifest";
import { applyFeedback, deploymentManifest } from "@/lib/services/ddi/protocol";
import { assignRelease } from "@/lib/services/deployments/actions";
import { ConflictError, NotFoundError } from "@/lib/services/errors";
import { withdrawRelease } from "@/lib/services/releases/signatures";
import { auditHighWater, auditRowsAfter, caught, TEST_PASSWORD } from "../db";
import {
  assignedDevice, closeWorld, createDevice, createPlace, createRelease, openWorld, deviceRow, FROM, session, sw,
  type Place, type Ready, type World,
} from "../protocol-fixtures";

/** UPD-04 (no rollback), UPD-09 (hardware binding), UPD-03 (signed manifests) at assignment and delivery. */

let db: Db;
let w: World;
let place: Place;
let otherModel: Place;

beforeAll(async () => {
  w = await openWorld();
  db = w.db;
  place = await createPlace(w);
  otherModel = await createPlace(w);
});
afterAll(() => closeWorld(w));

const openActionsOf = (deviceId: number) =>
  db.select().from(deploymentActions).where(and(eq(deploymentActions.deviceId, deviceId), inArray(deploymentActions.state, [...OPEN_ACTION_STATES])));

async function refused(deviceId: number, releaseId: number, message: RegExp) {
  const err = await caught(() => assignRelease(w.biomed, { deviceId, releaseId }));
  expect(err).toBeInstanceOf(ConflictError);
  expect((err as ConflictError).status).toBe(409);
  expect((err as Error).message).toMatch(message);
}

/** Runs SWUpdate's successful sequence for an action. */
async function install(r: Pick<Ready, "device" | "tok">, actionId: number) {
  for (const body of [sw.installing(actionId), sw.allInstalled(actionId), sw.confirmed(actionId)]) {
    await applyFeedback(db, await session(w, r.device.serial, r.tok), actionId, "deployment", body, FROM);
  }
}

describe("UPD-04 / UPD-09: assignRelease refuses what a device must never be given", () => {
  // A model of its own per test: a model's release security versions only ever rise (intake refuses a
  // lower one), and these tests need releases both below and above a device's floor.
  let place: Place;
  beforeEach(async () => {
    place = await createPlace(w);
  });

  it("refuses a release whose security version is below the device's floor (409), and creates no action", async () => {
    const device = await createDevice(w, place, { securityVersion: 5, firmwareVersion: "5.0.0" });
    const old = await createRelease(w, place.model.id, { securityVersion: 4 });
    await refused(device.id, old.release.id, /security version 4 is below .* floor of 5/);
    expect(await openActionsOf(device.id)).toEqual([]);
    // The floor itself is allowed (a fix release at the same counter).
    const same = await createRelease(w, place.model.id, { securityVersion: 5 });
    expect((await assignRelease(w.biomed, { deviceId: device.id, releaseId: same.release.id })).state).toBe("scheduled");
  });

  // UPD-04: "Creating a deployment with seq 41 returns 409 and logs ROLLBACK_BLOCKED"; AUD-09: downgrade
  // and rollback attempts are security events. The refusal above leaves no trace in the audit trail.
  it("records the refused rollback attempt in the audit trail (UPD-04, AUD-09)", async () => {
    const device = await createDevice(w, place, { securityVersion: 7, firmwareVersion: "7.0.0" });
    const old = await createRelease(w, place.model.id, { securityVersion: 3 });
    const hw = await auditHighWater(db);
    await refused(device.id, old.release.id, /anti-rollback/);
    const rows = (await auditRowsAfter(db, hw)).filter((r) => /rollback|downgrade/i.test(`${r.action} ${r.reason ?? ""}`));
    expect(rows, "an audit row for the blocked rollback").toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: "denied", actorType: "user", actorId: String((w.biomed.actor as { userId: number }).userId) });
    const about = rows[0]!.entityId === String(device.id) || (rows[0]!.after as { deviceId?: number } | null)?.deviceId === device.id;
    expect(about, "the row names the device").toBe(true);
  });

  // Every other state is refused too: release-signatures.test.ts walks a release through each one.
  it("refuses a release that is no longer approved (withdrawn)", async () => {
    const device = await createDevice(w, place);
    const r = await createRelease(w, place.model.id);
    await withdrawRelease(w.approvers[0]!.ctx, { releaseId: r.release.id, password: TEST_PASSWORD, reason: "superseded" });
    await refused(device.id, r.release.id, /approved/);
    expect(await openActionsOf(device.id)).toEqual([]);
  });

  it("refuses a release for another model", async () => {
    const device = await createDevice(w, place);
    const foreign = await createRelease(w, otherModel.model.id);
    await refused(device.id, foreign.release.id, /different device model/);
  });

  it("refuses a release that does not support the device's hardware revision; accepts one that lists it", async () => {
    const device = await createDevice(w, place, { hardwareRevision: "B" });
    const revA = await createRelease(w, place.model.id, { hardwareRevisions: "A" });
    await refused(device.id, revA.release.id, /hardware revision B/);
    const revAB = await createRelease(w, place.model.id, { hardwareRevisions: "A, B" });
    expect((await assignRelease(w.biomed, { deviceId: device.id, releaseId: revAB.release.id })).state).toBe("scheduled");
  });

  it("refuses a quarantined or retired device", async () => {
    const r = await createRelease(w, place.model.id);
    for (const status of ["quarantined", "retired"] as const) {
      const device = await createDevice(w, place, { status });
      await refused(device.id, r.release.id, new RegExp(status));
      expect(await openActionsOf(device.id)).toEqual([]);
    }
  });

  it("refuses a second open action; after the first finishes, a new one is accepted", async () => {
    const r = await assignedDevice(w, place);
    const second = await createRelease(w, place.model.id, { securityVersion: 3 });
    await refused(r.device.id, second.release.id, /unfinished update/);
    await install(r, r.action.id);
    expect((await assignRelease(w.biomed, { deviceId: r.device.id, releaseId: second.release.id })).state).toBe("scheduled");
  });

  it("ROL-13: two assignments racing for one device: exactly one action is created", async () => {
    const device = await createDevice(w, place);
    const [a, b] = [await createRelease(w, place.model.id), await createRelease(w, place.model.id)];
    const results = await Promise.allSettled([a, b, a, b].map((x) => assignRelease(w.biomed, { deviceId: device.id, releaseId: x.release.id })));
    expect(results.filter((x) => x.status === "fulfilled")).toHaveLength(1);
    for (const x of results) if (x.status === "rejected") expect(x.reason).toBeInstanceOf(ConflictError);
    expect(await openActionsOf(device.id)).toHaveLength(1);
  });

  it("the device's security version only ever rises: raised by a confirmed install, never lowered by one", async () => {
    const lower = await createRelease(w, place.model.id, { securityVersion: 2 });
    const r = await assignedDevice(w, place, { release: await createRelease(w, place.model.id, { securityVersion: 3 }) });
    await install(r, r.action.id);
    expect(await deviceRow(db, r.device.id)).toMatchObject({ securityVersion: 3, firmwareVersion: r.release.release.version });

    await refused(r.device.id, lower.release.id, /anti-rollback/);

    // An install at the floor that completes after the floor was raised elsewhere keeps the higher floor.
    const atFloor = await createRelease(w, place.model.id, { securityVersion: 3 });
    const action = await assignRelease(w.biomed, { deviceId: r.device.id, releaseId: atFloor.release.id });
    await db.update(devices).set({ securityVersion: 9 }).where(eq(devices.id, r.device.id));
    await install(r, action.id);
    expect(await deviceRow(db, r.device.id)).toMatchObject({ securityVersion: 9, firmwareVersion: atFloor.release.version });
  });
});

describe("UPD-03 / UPD-04: the signed deployment manifest", () => {
  let r: Ready;
  let signed: SignedManifest;
  let publicKeyPem: string;
  let expectFor: Parameters<typeof checkManifest>[2];
  let t0: number;

  beforeAll(async () => {
    r = await assignedDevice(w, place, { release: await createRelease(w, place.model.id, { securityVersion: 4 }) });
    t0 = Date.now();
    signed = await deploymentManifest(db, await session(w, r.device.serial, r.tok), w.cfg, r.action.id, FROM);
    const [stored] = await db.select().from(serverKeys).where(eq(serverKeys.purpose, "manifest"));
    publicKeyPem = stored!.publicKeyPem;
    expectFor = { controllerId: r.device.serial, sha256: r.release.file.sha256, size: r.release.bytes.length, installedSecurityVersion: 1, now: new Date() };
  });

  it("is signed (Ed25519) by the key stored in server_keys and binds device, action, release, security version, artifact and expiry", async () => {
    expect(signed.alg).toBe("Ed25519");
    expect(verify(null, Buffer.from(signed.manifest), createPublicKey(publicKeyPem), Buffer.from(signed.signature, "base64"))).toBe(true);
    expect(signed.keyId).toBe((await manifestKey(db)).keyId);
    const check = checkManifest(signed, publicKeyPem, expectFor);
    expect(check.ok).toBe(true);
    const p = JSON.parse(signed.manifest) as ManifestPayload;
    expect(p).toMatchObject({
      v: 1,
      controllerId: r.device.serial,
      actionId: r.action.id,
      release: { version: r.release.release.version, securityVersion: 4 },
      artifact: { filename: r.release.release.filename, sha256: r.release.file.sha256, size: r.release.bytes.length },
    });
    const issued = Date.parse(p.issuedAt);
    expect(issued).toBeGreaterThanOrEqual(t0 - 1000);
    expect(issued).toBeLessThanOrEqual(Date.now() + 1000);
    expect(Date.parse(p.expiresAt) - issued).toBe(w.cfg.manifestTtlHours * 3_600_000);
  });

  it("fails verification when any signed field or the signature is tampered with", () => {
    const p = JSON.parse(signed.manifest) as ManifestPayload;
    const tampered: ManifestPayload[] = [
      { ...p, controllerId: "SOMEONE-ELSE" },
      { ...p, release: { ...p.release, securityVersion: p.release.securityVersion + 10 } },
      { ...p, artifact: { ...p.artifact, sha256: "0".repeat(64) } },
      { ...p, artifact: { ...p.artifact, size: p.artifact.size + 1 } },
      { ...p, expiresAt: new Date(Date.parse(p.expiresAt) + 365 * 86_400_000).toISOString() },
    ];
    for (const t of tampered) {
      const forged = { ...signed, manifest: JSON.stringify(t) };
      expect(checkManifest(forged, publicKeyPem, { ...expectFor, controllerId: t.controllerId, sha256: t.artifact.sha256, size: t.artifact.size })).toEqual({
        ok: false,
        reason: "manifest signature invalid",
      });
    }
    const sig = Buffer.from(signed.signature, "base64");
    sig[0] = sig[0]! ^ 1;
    expect(checkManifest({ ...signed, signature: sig.toString("base64") }, publicKeyPem, expectFor)).toMatchObject({ ok: false, reason: "manifest signature invalid" });
  });

  it("is refused by another device, for other bytes, once expired, and as a rollback", async () => {
    expect(checkManifest(signed, publicKeyPem, { ...expectFor, controllerId: "DDI-OTHER" })).toMatchObject({ ok: false, reason: expect.stringMatching(/another device/) });
    expect(checkManifest(signed, publicKeyPem, { ...expectFor, sha256: "f".repeat(64) })).toMatchObject({ ok: false, reason: expect.stringMatching(/does not match/) });
    expect(checkManifest(signed, publicKeyPem, { ...expectFor, size: expectFor.size - 1 })).toMatchObject({ ok: false, reason: expect.stringMatching(/does not match/) });
    const p = JSON.parse(signed.manifest) as ManifestPayload;
    expect(checkManifest(signed, publicKeyPem, { ...expectFor, now: new Date(p.expiresAt) })).toMatchObject({ ok: false, reason: "manifest expired" });
    expect(checkManifest(signed, publicKeyPem, { ...expectFor, installedSecurityVersion: 5 })).toMatchObject({ ok: false, reason: expect.stringMatching(/rollback/) });
    expect(checkManifest(signed, publicKeyPem, { ...expectFor, installedSecurityVersion: 4 }).ok).toBe(true);
    // A manifest issued with no lifetime is already expired.
    const instant = await deploymentManifest(db, await session(w, r.device.serial, r.tok), { ...w.cfg, manifestTtlHours: 0 }, r.action.id, FROM);
    expect(checkManifest(instant, publicKeyPem, { ...expectFor, now: new Date() })).toMatchObject({ ok: false, reason: "manifest expired" });
  });

  it("is not issued for a finished action", async () => {
    const done = await assignedDevice(w, place, { release: await createRelease(w, place.model.id, { securityVersion: 4 }) });
    await install(done, done.action.id);
    const err = await caught(async () => deploymentManifest(db, await session(w, done.device.serial, done.tok), w.cfg, done.action.id, FROM));
    expect(err).toBeInstanceOf(NotFoundError);
  });

  it("uses one key across calls (the stored key is created once)", async () => {
    const keys = await db.select({ n: sql<number>`count(*)::int` }).from(serverKeys).where(eq(serverKeys.purpose, "manifest"));
    expect(keys[0]!.n).toBe(1);
    expect((await manifestKey(db)).publicKeyPem).toBe(publicKeyPem);
  });
});
