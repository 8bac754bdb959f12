import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deviceReports, rolloutWaves } from "@/db/schema";
import { refuseStartWhenGateClosed } from "@/lib/services/ddi/protocol";
import { assignRelease } from "@/lib/services/deployments/actions";
import { setWindows } from "@/lib/services/deployments/windows";
import { ConflictError } from "@/lib/services/errors";
import { updateDevice } from "@/lib/services/inventory/device";
import { addBlackout, endFreeze, pauseRollout, quarantineDevice, removeBlackout, resumeRollout, startFreeze } from "@/lib/services/rollouts/operations";
import { BLOCKER_LABELS, localDate, type Blocker } from "@/lib/services/safety/install-gate";
import { auditHighWater, auditRowsAfter, caught } from "../db";
import { ALWAYS_OPEN, closedWindow, closeWorld, reportUse, type Place, type World } from "../protocol-fixtures";
import {
  addUnit, drive, endAnyFreeze, enrol, expectOffered, expectWithheld, fresh, newRollout, offerOf, pageBlockers, snapshot, wave, wavesOf,
  type Member, openRolloutWorld, type Release,
} from "../rollout-fixtures";

/**
 * ROL-02 and the rule that nothing may break, at the DDI layer: a device of a rollout is offered its update
 * (basePoll's deploymentBase link) only while every fact of the install gate holds, and the device page
 * names the same blocker the protocol applies.
 */

let w: World;
let home: Place;
let release: Release;

beforeAll(async () => {
  ({ w, home, release } = await openRolloutWorld());
});
afterEach(() => endAnyFreeze(w.db));
afterAll(() => closeWorld(w));

const DAY = 86_400_000;

/** Asserts `fn` is refused with 409 and that no table (audit trail included) changed. */
async function refused409(fn: () => Promise<unknown>, message: RegExp) {
  const before = await snapshot(w.db);
  const hw = await auditHighWater(w.db);
  const err = await caught(fn);
  expect(err).toBeInstanceOf(ConflictError);
  expect((err as ConflictError).status).toBe(409);
  expect((err as Error).message).toMatch(message);
  expect(await snapshot(w.db)).toEqual(before);
  expect(await auditRowsAfter(w.db, hw)).toEqual([]);
}

/** A one-wave rollout of `n` devices in a unit of their own (windows always open), every gate clear. */
async function clearRollout(n = 1, maxConcurrent?: number) {
  const unit = await addUnit(w, home);
  const members = await enrol(w, unit, n);
  const rollout = await newRollout(w, release, members, [wave("general")], { maxConcurrent });
  return { unit, members, rollout };
}

type Case = {
  blocker: Blocker;
  name: string;
  /** Members beyond the subject, for facts that need other devices (the rate limit). */
  others?: number;
  maxConcurrent?: number;
  apply: (c: { unit: Place; subject: Member; others: Member[]; rolloutId: number }) => Promise<void>;
  restore: (c: { unit: Place; subject: Member; others: Member[]; rolloutId: number }) => Promise<void>;
};

const dayOffset = (days: number) => localDate(new Date(Date.now() + days * DAY), "UTC");
let blackoutId = 0;

const CASES: Case[] = [
  {
    blocker: "wave_not_active",
    name: "its wave is not active (state set to pending directly: no service path leaves an open action in an inactive wave)",
    apply: async ({ rolloutId }) => {
      await w.db.update(rolloutWaves).set({ state: "pending" }).where(eq(rolloutWaves.rolloutId, rolloutId));
    },
    restore: async ({ rolloutId }) => {
      await w.db.update(rolloutWaves).set({ state: "active" }).where(eq(rolloutWaves.rolloutId, rolloutId));
    },
  },
  {
    blocker: "rollout_not_running",
    name: "its rollout is paused",
    apply: async ({ rolloutId }) => void (await pauseRollout(w.biomed, { rolloutId, reason: "gate test" })),
    restore: async ({ rolloutId }) => void (await resumeRollout(w.biomed, { rolloutId })),
  },
  {
    blocker: "outside_window",
    name: "its unit's maintenance window is closed",
    apply: async ({ unit }) => void (await setWindows(w.admin, { unitId: unit.unit.id, windows: [closedWindow("UTC")] })),
    restore: async ({ unit }) => void (await setWindows(w.admin, { unitId: unit.unit.id, windows: [ALWAYS_OPEN] })),
  },
  {
    blocker: "no_window_defined",
    name: "its unit has no maintenance window",
    apply: async ({ unit }) => void (await setWindows(w.admin, { unitId: unit.unit.id, windows: [] })),
    restore: async ({ unit }) => void (await setWindows(w.admin, { unitId: unit.unit.id, windows: [ALWAYS_OPEN] })),
  },
  {
    blocker: "in_clinical_use",
    name: "it reports that it is in clinical use",
    apply: async ({ subject }) => reportUse(w, await fresh(w, subject), true),
    restore: async ({ subject }) => reportUse(w, await fresh(w, subject), false),
  },
  {
    blocker: "clinical_use_unknown",
    name: "its last 'not in use' report is 2 hours old (limit 30 minutes)",
    apply: async ({ subject }) => {
      // Only a newer report replaces an older one, so the stale report goes in through the table.
      await w.db.update(deviceReports).set({ clinicalUseAt: new Date(Date.now() - 2 * 3_600_000) }).where(eq(deviceReports.deviceId, subject.device.id));
    },
    restore: async ({ subject }) => reportUse(w, await fresh(w, subject), false),
  },
  {
    blocker: "device_not_active",
    name: "the device is in maintenance",
    apply: async ({ subject }) => void (await updateDevice(w.biomed, { deviceId: subject.device.id, status: "maintenance", reason: "gate test" })),
    restore: async ({ subject }) => void (await updateDevice(w.biomed, { deviceId: subject.device.id, status: "active", reason: "gate test" })),
  },
  {
    blocker: "freeze_active",
    name: "a global freeze is in force",
    apply: async () => void (await startFreeze(w.biomed, { reason: "gate test" })),
    restore: async () => void (await endFreeze(w.biomed, {})),
  },
  {
    blocker: "blackout_day",
    name: "today is a blackout day for its unit",
    apply: async ({ unit }) => {
      blackoutId = (await addBlackout(w.biomed, { unitId: unit.unit.id, startsOn: dayOffset(-1), endsOn: dayOffset(1), reason: "gate test" })).id;
    },
    restore: async () => void (await removeBlackout(w.biomed, { blackoutId })),
  },
  {
    blocker: "rate_limited",
    name: "its rollout already has maxConcurrent (1) devices downloading",
    others: 1,
    maxConcurrent: 1,
    apply: async ({ others }) => void (await drive(w, others[0]!, "downloading")),
    restore: async ({ others }) => void (await drive(w, others[0]!, "succeeded")),
  },
];

describe("ROL-02: each fact of the install gate alone withholds a rollout's offer (basePoll) and the device page names it", () => {
  it("ROL-02: the table covers every blocker the install gate knows", async () => {
    expect(CASES.map((c) => c.blocker).sort()).toEqual(Object.keys(BLOCKER_LABELS).sort());
  });

  for (const c of CASES) {
    it(`ROL-02: ${c.blocker}: withheld while ${c.name}; offered again once it no longer holds`, async () => {
      const { unit, members, rollout } = await clearRollout(1 + (c.others ?? 0), c.maxConcurrent);
      // The subject is the last device; the others (if any) are in the same rollout and wave.
      const subject = members.at(-1)!;
      const others = members.slice(0, -1);
      const ctx = { unit, subject, others, rolloutId: rollout.id };
      expect((await wavesOf(w.db, rollout.id)).map((x) => x.state)).toEqual(["active"]);
      // Every gate is clear first: the positive control.
      await expectOffered(w, subject, "with every fact holding");
      expect(await pageBlockers(w, subject)).toEqual([]);

      await c.apply(ctx);
      await expectWithheld(w, subject, c.name);
      expect(await pageBlockers(w, subject)).toEqual([c.blocker]);

      await c.restore(ctx);
      await expectOffered(w, subject, `after ${c.name} ended`);
      expect(await pageBlockers(w, subject)).toEqual([]);
    });
  }

  it("ROL-02: the device page and the protocol agree on a device blocked by several facts at once", async () => {
    const { unit, members } = await clearRollout(1);
    const [m] = members as [Member];
    await reportUse(w, await fresh(w, m), true);
    await setWindows(w.admin, { unitId: unit.unit.id, windows: [closedWindow("UTC")] });
    await expectWithheld(w, m, "in use and outside the window");
    expect((await pageBlockers(w, m)).sort()).toEqual(["in_clinical_use", "outside_window"]);
  });
});

describe("Freeze: one action stops every offer at once, in this instance, and ending it restores them", () => {
  it("ROL-02: startFreeze withholds every offer immediately (also from a device mid-download) and endFreeze restores them", async () => {
    const a = await clearRollout(2);
    const b = await clearRollout(1);
    const [waiting, downloading] = a.members as [Member, Member];
    const [other] = b.members as [Member];
    await drive(w, downloading, "downloading");
    // Warm this instance's freeze cache with "no freeze" (it keeps answers for 2 s).
    for (const m of [waiting, downloading, other]) await expectOffered(w, m, "before the freeze");

    const freeze = await startFreeze(w.biomed, { reason: "Vendor advisory" });
    expect(freeze.endedAt).toBeNull();
    for (const m of [waiting, downloading, other]) {
      await expectWithheld(w, m, "during the freeze");
      expect(await pageBlockers(w, m)).toEqual(["freeze_active"]);
    }
    // The device mid-download keeps its action (the freeze stops offers, not updates' records).
    expect((await fresh(w, downloading)).action?.state).toBe("downloading");
    await refused409(() => startFreeze(w.biomed, { reason: "again" }), /already in force/);

    await endFreeze(w.admin, {});
    for (const m of [waiting, downloading, other]) await expectOffered(w, m, "after the freeze");
    await refused409(() => endFreeze(w.admin, {}), /No freeze is in force/);
  });
});

describe("Rate limit: a rollout has at most maxConcurrent devices updating at once", () => {
  it("ROL-02: with maxConcurrent 2, a third device is not offered while two download or install; when one finishes it is", async () => {
    const { members } = await clearRollout(3, 2);
    const [a, b, c] = members as [Member, Member, Member];
    // Nothing has started: everyone may start.
    for (const m of members) await expectOffered(w, m, "nobody updating yet");
    const d0 = await fresh(w, c);
    await refuseStartWhenGateClosed(w.db, d0, w.cfg, d0.action!.id!); // would be allowed to start now
    await drive(w, a, "downloading");
    await expectOffered(w, c, "one updating, limit 2");
    await drive(w, b, "installing");
    await expectWithheld(w, c, "two updating, limit 2");
    expect(await pageBlockers(w, c)).toEqual(["rate_limited"]);
    // A device offered before the limit was reached is turned away when it tries to start (SWUpdate retries later).
    const start = await caught(() => refuseStartWhenGateClosed(w.db, d0, w.cfg, d0.action!.id!));
    expect(start).toMatchObject({ status: 409, code: "not_now" });
    expect((start as Error).message).toContain("rate_limited");
    // The two that started are not held back by the limit they make up.
    await expectOffered(w, a, "already downloading");
    await expectOffered(w, b, "already installing");
    await drive(w, a, "installing");
    await expectWithheld(w, c, "still two installing");
    await drive(w, a, "succeeded");
    await expectOffered(w, c, "one finished");
    expect(await pageBlockers(w, c)).toEqual([]);
  });
});

describe("Quarantine: a device taken out of service is offered nothing at once", () => {
  it("ROL-02: quarantineDevice withholds the device's offer on its next poll, is audited, and is refused (409, nothing changed) when repeated", async () => {
    const { members } = await clearRollout(2);
    const [m, neighbour] = members as [Member, Member];
    await expectOffered(w, m, "before quarantine");
    const hw = await auditHighWater(w.db);
    await quarantineDevice(w.biomed, { deviceId: m.device.id, reason: "Cracked housing" });
    const rows = await auditRowsAfter(w.db, hw);
    expect(rows.map((r) => [r.action, r.entityId, r.reason])).toEqual([["device.quarantined", String(m.device.id), "Cracked housing"]]);
    await expectWithheld(w, m, "quarantined");
    expect(await pageBlockers(w, m)).toEqual(["device_not_active"]);
    await expectOffered(w, neighbour, "its neighbour is unaffected");

    await refused409(() => quarantineDevice(w.biomed, { deviceId: m.device.id, reason: "again" }), /already quarantined/);
  });

  it("ROL-02: a manual assignment outside any rollout is not held back by rollout facts, but a freeze stops it too", async () => {
    const unit = await addUnit(w, home);
    const [m] = (await enrol(w, unit, 1)) as [Member];
    await assignRelease(w.biomed, { deviceId: m.device.id, releaseId: release.release.id });
    expect((await fresh(w, m)).action?.rolloutId).toBeNull();
    await expectOffered(w, m, "manual assignment, gate clear");
    await startFreeze(w.biomed, { reason: "manual too" });
    await expectWithheld(w, m, "freeze stops manual assignments");
    expect(await pageBlockers(w, m)).toEqual(["freeze_active"]);
    expect((await offerOf(w, m)).deploymentBase).toBeUndefined();
  });
});
