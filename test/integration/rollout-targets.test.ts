import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devices } from "@/db/schema";
import { assignRelease } from "@/lib/services/deployments/actions";
import { ConflictError, ValidationError } from "@/lib/services/errors";
import { withdrawRelease } from "@/lib/services/releases/signatures";
import { createRollout } from "@/lib/services/rollouts/create";
import { tickRollouts } from "@/lib/services/rollouts/engine";
import { addBlackout, quarantineDevice } from "@/lib/services/rollouts/operations";
import { activeFreeze, deviceRollouts, listRollouts, maintenanceCalendar, rolloutDetail } from "@/lib/services/rollouts/queries";
import { previewTargets } from "@/lib/services/rollouts/targets";
import { auditHighWater, auditRowsAfter, caught, TEST_PASSWORD } from "../db";
import { ALWAYS_OPEN, closeWorld, createDevice, createPlace, createRelease, type Place, type World } from "../protocol-fixtures";
import {
  addUnit, deviceActions, drive, enrol, expectOffered, rolloutDeviceRows, snapshot, wave, waveMembers, wavesOf, type Member, openRolloutWorld, type Release,
} from "../rollout-fixtures";

/**
 * Who a rollout reaches: the compatibility report counts each reason a selected device is left out, and the
 * rollout is created for exactly the devices the report calls targets. UPD-04: no device is given a release
 * below its security floor, neither at creation nor when its wave starts later.
 */

let w: World;
let home: Place;
let release: Release;

beforeAll(async () => {
  ({ w, home, release } = await openRolloutWorld());
});
afterAll(() => closeWorld(w));

const DAY = 86_400_000;

/** Asserts `fn` throws `kind` and that no table (audit trail included) changed. */
async function refusedUnchanged(fn: () => Promise<unknown>, kind: typeof ConflictError | typeof ValidationError, message: RegExp) {
  const before = await snapshot(w.db);
  const hw = await auditHighWater(w.db);
  const err = await caught(fn);
  expect(err).toBeInstanceOf(kind);
  expect((err as Error).message).toMatch(message);
  expect(await snapshot(w.db)).toEqual(before);
  expect(await auditRowsAfter(w.db, hw)).toEqual([]);
  return err as ConflictError | ValidationError;
}

describe("The compatibility report (rollouts.preview)", () => {
  it("UPD-04: counts every exclusion reason exactly, each device once under its first reason, and the rollout reaches exactly the targets", async () => {
    const unit = await addUnit(w, home);
    const other = await createPlace(w);
    const now = new Date();
    const dev = (values: Parameters<typeof createDevice>[2] = {}) => createDevice(w, unit, { lastContactAt: now, ...values });
    const targets = [await dev(), await dev({ sandbox: true })];
    await createDevice(w, { unit: unit.unit, model: other.model }, { lastContactAt: now }); // wrong_model
    await dev({ hardwareRevision: "B" }); // wrong_hardware
    await dev({ hardwareRevision: "B", status: "quarantined" }); // wrong_hardware first
    await dev({ securityVersion: 5 }); // below_floor (UPD-04)
    await dev({ status: "quarantined" }); // not_active
    await dev({ status: "retired" }); // not_active
    const month = await dev({ lastContactAt: new Date(now.getTime() - 30 * DAY) }); // offline_too_long
    await dev({ lastContactAt: null }); // offline_too_long (never heard from)
    const busy = await dev(); // open_update
    await assignRelease(w.biomed, { deviceId: busy.id, releaseId: release.release.id });
    await dev({ firmwareVersion: release.release.version }); // already_installed

    const filter = { releaseId: release.release.id, modelIds: [home.model.id, other.model.id], unitIds: [unit.unit.id] };
    const report = await previewTargets(w.biomed, filter);
    expect(report).toEqual({
      selected: 12,
      targets: 2,
      sandbox: 1,
      excluded: { wrong_model: 1, wrong_hardware: 2, below_floor: 1, not_active: 2, offline_too_long: 2, open_update: 1, in_other_rollout: 0, already_installed: 1 },
      perUnit: [{ unitId: unit.unit.id, devices: 2 }],
      unknownSerials: [],
    });
    // The model filter defaults to the release's model; a longer offline allowance takes the month-old device.
    expect((await previewTargets(w.biomed, { releaseId: release.release.id, unitIds: [unit.unit.id] })).selected).toBe(11);
    const lenient = await previewTargets(w.biomed, { ...filter, offlineDays: 60 });
    expect(lenient.targets).toBe(3);
    expect(lenient.excluded.offline_too_long).toBe(1);

    const hw = await auditHighWater(w.db);
    const rollout = await createRollout(w.admin, { name: "Report check", filter, waves: [wave("general")] });
    expect((await rolloutDeviceRows(w.db, rollout.id)).map((r) => r.deviceId).sort()).toEqual(targets.map((d) => d.id).sort());
    expect(await deviceActions(w.db, month.id)).toEqual([]);
    const created = (await auditRowsAfter(w.db, hw)).find((r) => r.action === "rollout.created");
    expect(created?.after).toMatchObject({ releaseId: release.release.id, devices: 2, waves: [{ kind: "general", devices: 2 }] });

    // Those two now belong to this rollout (waiting for their wave, or already targeted): a second rollout does not take them.
    const again = await previewTargets(w.biomed, filter);
    expect(again.targets).toBe(0);
    expect(again.excluded.in_other_rollout + again.excluded.open_update).toBe(3);
  });
});

describe("Creating a rollout: refusals leave nothing behind", () => {
  it("ROL-01: an explicit list of serial numbers narrows the targets, and serials that match no device are named", async () => {
    const unit = await addUnit(w, home);
    const members = await enrol(w, unit, 3);
    const [a, b] = members.map((m) => m.device.serial);
    const preview = await previewTargets(w.biomed, { releaseId: release.release.id, unitIds: [unit.unit.id], serials: [a!, b!, "NO-SUCH-SERIAL", a!] });
    expect(preview).toMatchObject({ selected: 2, targets: 2, unknownSerials: ["NO-SUCH-SERIAL"] });
    const rollout = await createRollout(w.admin, { name: "By serial", filter: { releaseId: release.release.id, serials: [b!] }, waves: [wave("general")] });
    const detail = await rolloutDetail(w.admin, { rolloutId: rollout.id });
    expect(detail.progress.devices).toBe(1);
  });

  it("UPD-04: a release that is not approved is refused (409) for preview and creation", async () => {
    const withdrawn = await createRelease(w, home.model.id);
    await withdrawRelease(w.admin, { releaseId: withdrawn.release.id, password: TEST_PASSWORD, reason: "Vendor notice" });
    const unit = await addUnit(w, home);
    const members = await enrol(w, unit, 1, { idle: false });
    const filter = { releaseId: withdrawn.release.id, deviceIds: [members[0]!.device.id] };
    const err = await refusedUnchanged(() => previewTargets(w.biomed, filter), ConflictError, /Only an approved release can be rolled out; this one is withdrawn/);
    expect((err as ConflictError).status).toBe(409);
    await refusedUnchanged(() => createRollout(w.admin, { name: "Withdrawn", filter, waves: [wave("general")] }), ConflictError, /Only an approved release/);
  });

  it("ROL-01: no targets, an empty wave, or waves out of order are refused with a readable message and nothing written", async () => {
    const unit = await addUnit(w, home);
    const [floorDevice] = await enrol(w, unit, 1, { idle: false, device: { securityVersion: 9 } });
    const [plain] = await enrol(w, unit, 1, { idle: false });
    await refusedUnchanged(
      () => createRollout(w.admin, { name: "Nobody", filter: { releaseId: release.release.id, deviceIds: [floorDevice!.device.id] }, waves: [wave("general")] }),
      ValidationError,
      /No device can take this release/,
    );
    await refusedUnchanged(
      () => createRollout(w.admin, { name: "No lab", filter: { releaseId: release.release.id, deviceIds: [plain!.device.id] }, waves: [wave("lab", { name: "Bench" }), wave("general")] }),
      ValidationError,
      /Wave "Bench" would have no devices/,
    );
    await refusedUnchanged(
      () => createRollout(w.admin, { name: "Backwards", filter: { releaseId: release.release.id, deviceIds: [plain!.device.id] }, waves: [wave("general"), wave("lab")] }),
      ValidationError,
      /Waves go lab → pilot → general/,
    );
  });
});

describe("UPD-04 at wave start: a device that changed since creation is skipped with the reason", () => {
  it("UPD-04: a device whose security version rose above the release, or that was quarantined, gets no action when its wave starts", async () => {
    const unit = await addUnit(w, home);
    const [labDevice] = (await enrol(w, unit, 1, { sandbox: true })) as [Member];
    const later = await enrol(w, unit, 3);
    const [risen, quarantined, normal] = later as [Member, Member, Member];
    const rollout = await createRollout(w.admin, {
      name: "Skip check",
      filter: { releaseId: release.release.id, deviceIds: [labDevice, ...later].map((m) => m.device.id) },
      waves: [wave("lab"), wave("general")],
    });
    expect((await waveMembers(w.db, rollout.id))[1]).toHaveLength(3);
    // Meanwhile: one device took a newer release elsewhere (floor 7 > the release's 2); one was quarantined.
    await w.db.update(devices).set({ securityVersion: 7 }).where(eq(devices.id, risen.device.id));
    await quarantineDevice(w.biomed, { deviceId: quarantined.device.id, reason: "Dropped on the floor" });
    await drive(w, labDevice, "succeeded");
    const hw = await auditHighWater(w.db);
    expect((await tickRollouts(w.db, new Date()))[rollout.id]).toBe("started");
    expect(await deviceActions(w.db, risen.device.id)).toEqual([]);
    expect(await deviceActions(w.db, quarantined.device.id)).toEqual([]);
    await expectOffered(w, normal, "the unchanged device is targeted");
    const rows = await rolloutDeviceRows(w.db, rollout.id);
    for (const m of [risen, quarantined]) expect(rows.find((r) => r.deviceId === m.device.id)?.skippedReason).toMatch(/above the release's security version/);
    expect(rows.find((r) => r.deviceId === normal.device.id)?.skippedReason).toBeNull();
    const started = (await auditRowsAfter(w.db, hw)).find((r) => r.action === "rollout.wave_started");
    expect(started?.after).toMatchObject({ position: 2, targeted: 1, skipped: 2 });
    const history = await deviceRollouts(w.admin, { deviceId: risen.device.id });
    expect(history).toEqual([expect.objectContaining({ rollout_id: rollout.id, state: null, version: release.release.version })]);
    expect(history[0]!.skipped_reason).toMatch(/security version/);
  });
});

describe("What the console reads about rollouts", () => {
  it("ROL-01: the list, detail, calendar and freeze status report what the rollout did", async () => {
    const unit = await addUnit(w, home, { timeZone: "Europe/Berlin" });
    const members = await enrol(w, unit, 3);
    const rollout = await createRollout(w.admin, {
      name: "Console view",
      filter: { releaseId: release.release.id, deviceIds: members.map((m) => m.device.id) },
      waves: [wave("general", { percent: 34, name: "First", maxFailurePct: 100 }), wave("general", { name: "Rest" })],
    });
    const [first] = (await waveMembers(w.db, rollout.id)) as [number[]];
    const m = members.find((x) => x.device.id === first[0])!;
    await drive(w, m, "failed");
    const listed = (await listRollouts(w.biomed, {})).find((r) => r.id === rollout.id);
    expect(listed).toMatchObject({ name: "Console view", state: "running", version: release.release.version, progress: { devices: 3, waiting: 2, inProgress: 0, failed: 1, succeeded: 0, canceled: 0 } });
    const detail = await rolloutDetail(w.biomed, { rolloutId: rollout.id });
    expect(detail.waves.map((x) => [x.name, x.state, x.progress.devices])).toEqual([["First", "active", 1], ["Rest", "pending", 2]]);
    expect(detail.perUnit).toEqual([expect.objectContaining({ devices: 3, failed: 1, succeeded: 0 })]);
    expect(detail.events.map((e) => e.action)).toEqual(["rollout.wave_started", "rollout.created"]);
    expect((await wavesOf(w.db, rollout.id))[0]!.state).toBe("active");

    await addBlackout(w.biomed, { unitId: unit.unit.id, startsOn: "2099-12-24", endsOn: "2099-12-26", reason: "Holidays" });
    const calendar = await maintenanceCalendar(w.biomed, { siteId: unit.unit.siteId, count: 3 });
    const row = calendar.find((u) => u.id === unit.unit.id)!;
    expect(row.timeZone).toBe("Europe/Berlin");
    expect(row.windows).toEqual([{ label: null, modelId: null, ...ALWAYS_OPEN }]);
    expect(row.next).toHaveLength(3);
    expect(row.blackouts.map((b) => [b.startsOn, b.endsOn, b.reason])).toEqual([["2099-12-24", "2099-12-26", "Holidays"]]);
    expect(await activeFreeze(w.biomed, {})).toBeNull();
  });
});
