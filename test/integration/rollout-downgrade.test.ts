import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downgradeExceptions, rollouts } from "@/db/schema";
import { checkManifest, manifestKey, type SignedManifest } from "@/lib/services/ddi/manifest";
import { deploymentManifest } from "@/lib/services/ddi/protocol";
import { assignRelease } from "@/lib/services/deployments/actions";
import { ConflictError, ValidationError } from "@/lib/services/errors";
import { downgradesOf, requestDowngrade, signDowngrade } from "@/lib/services/rollouts/downgrade";
import { revertCohort } from "@/lib/services/rollouts/revert";
import { auditHighWater, auditRowsAfter, caught, TEST_PASSWORD } from "../db";
import { closeWorld, createPlace, createRelease, deviceRow, FROM, type World } from "../protocol-fixtures";
import { drive, enrol, expectOffered, fresh, newRollout, openRolloutWorld, snapshot, wave, type Member, type Release } from "../rollout-fixtures";

/**
 * UPD-04: no rollback by default; the only way below a device's security floor is a downgrade exception
 * with a safety reason signed by two different people. It issues the older image with new metadata whose
 * counter is above the floor, the device installs it, and a replay of the old, lower-counter manifest is
 * still refused.
 */

let w: World;
let older: Release;
let newer: Release;
let device: Member;
let updated: { id: number };
let oldManifest: SignedManifest;
let publicKeyPem: string;

const SAFETY = "Alarm tones inaudible in the NICU after 3.x; vendor confirms 2.x is safe.";

beforeAll(async () => {
  ({ w } = await openRolloutWorld());
  const place = await createPlace(w);
  older = await createRelease(w, place.model.id, { securityVersion: 1 });
  newer = await createRelease(w, place.model.id, { securityVersion: 3 });
  device = (await enrol(w, place, 1, { sandbox: true, device: { securityVersion: 0 } }))[0]!;
  publicKeyPem = (await manifestKey(w.db, w.cfg.manifestKeyPem)).publicKeyPem;

  // The device first installs the older release; its manifest (counter 1) is kept to be replayed later.
  await newRollout(w, older, [device!], [wave("lab")]);
  const first = await fresh(w, device!);
  oldManifest = await deploymentManifest(w.db, first, w.cfg, first.action!.id!, FROM);
  await drive(w, device!, "succeeded");
  updated = await newRollout(w, newer, [device!], [wave("lab")]);
  await drive(w, device!, "succeeded");
  expect(await deviceRow(w.db, device!.device.id)).toMatchObject({ firmwareVersion: newer.release.version, securityVersion: 3 });
});
afterAll(() => closeWorld(w));

const [biomed, biomed2] = [() => w.approvers[0]!.ctx, () => w.approvers[1]!.ctx];

describe("UPD-04 authorised downgrade", () => {
  let exceptionId: number;

  it("a plain revert below the floor is refused and audited as a blocked rollback", async () => {
    const hw = await auditHighWater(w.db);
    const err = await caught(() => revertCohort(biomed(), { rolloutId: updated.id, releaseId: older.release.id, reason: "alarm tones" }));
    expect(err).toBeInstanceOf(ConflictError);
    expect((await auditRowsAfter(w.db, hw)).map((r) => [r.action, r.outcome])).toEqual([["deployment.rollback_blocked", "denied"]]);
  });

  it("a request needs a real safety reason; a refused request changes nothing", async () => {
    const before = await snapshot(w.db);
    const err = await caught(() => requestDowngrade(biomed(), { rolloutId: updated.id, releaseId: older.release.id, safetyReason: "because", password: TEST_PASSWORD }));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(/safety reason/);
    expect(await snapshot(w.db)).toEqual(before);
  });

  it("one signature (the requester's) does not run it, and the same person cannot sign twice", async () => {
    const hw = await auditHighWater(w.db);
    const exception = await requestDowngrade(biomed(), { rolloutId: updated.id, releaseId: older.release.id, safetyReason: SAFETY, password: TEST_PASSWORD });
    exceptionId = exception.id;
    expect(exception).toMatchObject({ state: "pending", deviceIds: [device!.device.id] });
    expect((await auditRowsAfter(w.db, hw)).map((r) => r.action)).toEqual(["deployment.downgrade_requested"]);

    const err = await caught(() => signDowngrade(biomed(), { exceptionId, password: TEST_PASSWORD }));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(/second person/);
    const [listed] = await downgradesOf(w.admin, { rolloutId: updated.id });
    expect(listed).toMatchObject({ state: "pending", signatures: [{ printedName: expect.any(String) }] });
    expect(await w.db.select().from(rollouts).where(eq(rollouts.downgradeExceptionId, exceptionId))).toEqual([]);
    expect((await auditRowsAfter(w.db, hw)).map((r) => [r.action, r.outcome]).slice(-1)).toEqual([["deployment.downgrade_refused", "denied"]]);
  });

  it("a wrong password from the second person signs nothing", async () => {
    const err = await caught(() => signDowngrade(biomed2(), { exceptionId, password: "not the password" }));
    expect((err as Error).message).toMatch(/Wrong password/);
    const [row] = await w.db.select().from(downgradeExceptions).where(eq(downgradeExceptions.id, exceptionId));
    expect(row!.state).toBe("pending");
  });

  it("the second signature runs it: new metadata with a higher counter for the older image, logged as a downgrade", async () => {
    const hw = await auditHighWater(w.db);
    const result = await signDowngrade(biomed2(), { exceptionId, password: TEST_PASSWORD });
    expect(result.executed).toBe(true);
    const audits = await auditRowsAfter(w.db, hw);
    const logged = audits.find((r) => r.action === "deployment.downgrade");
    expect(logged).toMatchObject({ entityType: "downgrade_exception", entityId: String(exceptionId), reason: SAFETY });
    expect((logged!.after as { signedBy: string[] }).signedBy).toHaveLength(2);

    await expectOffered(w, device!, "the downgrade rollout offers the older image");
    const d = await fresh(w, device!);
    const signed = await deploymentManifest(w.db, d, w.cfg, d.action!.id!, FROM);
    const check = checkManifest(signed, publicKeyPem, { controllerId: d.serial, sha256: older.file.sha256, size: older.file.size, installedSecurityVersion: 3, now: new Date() });
    expect(check).toMatchObject({ ok: true, payload: { release: { version: older.release.version, securityVersion: 4 } } });

    await drive(w, device!, "succeeded");
    expect(await deviceRow(w.db, device!.device.id)).toMatchObject({ firmwareVersion: older.release.version, securityVersion: 4 });
  });

  it("the replayed old manifest (counter 1) is refused by the device, and no plain assignment goes below the new floor", async () => {
    const replay = checkManifest(oldManifest, publicKeyPem, { controllerId: device!.device.serial, sha256: older.file.sha256, size: older.file.size, installedSecurityVersion: 4, now: new Date() });
    expect(replay).toEqual({ ok: false, reason: "rollback refused: security version below the installed one" });
    const err = await caught(() => assignRelease(w.biomed, { deviceId: device!.device.id, releaseId: newer.release.id }));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(/below this device's floor/);
  });

  it("an executed exception cannot be signed again", async () => {
    const err = await caught(() => signDowngrade(w.admin, { exceptionId, password: TEST_PASSWORD }));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(/already executed/);
  });
});
