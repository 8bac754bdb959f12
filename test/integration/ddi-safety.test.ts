import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/db/client";
import { devices } from "@/db/schema";
import type { DeviceStatus } from "@/lib/domain";
import type { DeviceSession } from "@/lib/services/ddi/device-auth";
import { applyFeedback, basePoll, cancelActionJson, deploymentBase, pollSleep, putConfigData } from "@/lib/services/ddi/protocol";
import { cancelAction } from "@/lib/services/deployments/actions";
import { setWindows } from "@/lib/services/deployments/windows";
import { NotFoundError } from "@/lib/services/errors";
import { caught } from "../db";
import {
  ALWAYS_OPEN, assignedDevice, closedWindow, closeWorld, createPlace, openWorld, FROM, HH_MM_SS, ORIGIN, reportUse, session, sw,
  type Place, type Ready, type World,
} from "../protocol-fixtures";

/**
 * The clinical-safety invariant at the protocol layer (product §6, docs/ddi-protocol.md §0): an assigned
 * update is offered to a device (`_links.deploymentBase`) only while its unit's window is open, it has
 * recently reported that it is not in clinical use, and it is active. A waiting device gets no link —
 * never `update: "skip"`, which SWUpdate would report as a successful install.
 */

let db: Db;
let w: World;
let open: Place;
let closed: Place;
let noWindow: Place;

beforeAll(async () => {
  w = await openWorld();
  db = w.db;
  open = await createPlace(w, { timeZone: "UTC", windows: [ALWAYS_OPEN] });
  closed = await createPlace(w, { timeZone: "America/Chicago", windows: [closedWindow("America/Chicago")] });
  noWindow = await createPlace(w, { timeZone: "Europe/Berlin", windows: [] });
});
afterAll(() => closeWorld(w));

/** A base poll, with the checks that hold for every answer: a valid polling interval and never "skip". */
async function poll(d: DeviceSession) {
  const body = await basePoll(db, d, w.cfg, ORIGIN);
  expect(body.config.polling.sleep).toMatch(HH_MM_SS);
  expect(JSON.stringify(body)).not.toMatch(/skip/i);
  return body;
}

const fresh = (r: Ready) => session(w, r.device.serial, r.tok);

async function expectNotOffered(r: Ready, why: string) {
  const d = await fresh(r);
  const body = await poll(d);
  expect(body._links.deploymentBase, why).toBeUndefined();
  expect(body._links.cancelAction, why).toBeUndefined();
  const err = await caught(() => deploymentBase(db, d, w.cfg, ORIGIN, r.action.id, FROM));
  expect(err, why).toBeInstanceOf(NotFoundError);
}

async function expectOffered(r: Ready) {
  const d = await fresh(r);
  const body = await poll(d);
  expect(body._links.deploymentBase?.href).toMatch(
    new RegExp(`^${ORIGIN}/api/ddi/DEFAULT/controller/v1/${r.device.serial}/deploymentBase/${r.action.id}\\?c=\\d+$`),
  );
  return deploymentBase(db, d, w.cfg, ORIGIN, r.action.id, FROM);
}

describe("UPD / clinical safety: when basePoll offers an assigned update", () => {
  it("offers it when the window is open, the device reported 'not in use' just now and it is active; the deployment is one SWUpdate installs", async () => {
    const r = await assignedDevice(w, open);
    const dep = await expectOffered(r);
    expect(dep.id).toBe(String(r.action.id));
    expect(Number(dep.id)).toBeLessThanOrEqual(2147483647);
    expect(dep.deployment.update).toBe("forced");
    expect(dep.deployment.download).toBe("forced");
    const [chunk] = dep.deployment.chunks;
    expect(chunk).toMatchObject({ part: "os", version: r.release.release.version });
    expect(typeof chunk!.name).toBe("string");
    const [artifact] = chunk!.artifacts;
    expect(artifact!.filename).toBe(r.release.release.filename);
    expect(artifact!.hashes).toEqual({ sha1: r.release.file.sha1, md5: r.release.file.md5, sha256: r.release.file.sha256 });
    expect(artifact!.hashes.sha1).toMatch(/^[0-9a-f]{40}$/);
    expect(artifact!.size).toBe(r.release.bytes.length);
    expect(Number.isInteger(artifact!.size)).toBe(true);
    expect(artifact!._links["download-http"].href).toBe(
      `${ORIGIN}/api/ddi/DEFAULT/controller/v1/${r.device.serial}/softwaremodules/${r.release.release.id}/artifacts/${r.release.release.filename}`,
    );
  });

  const blocked: { name: string; place: () => Place; idle: boolean; after?: (r: Ready) => Promise<void> }[] = [
    { name: "the device reports that it is in clinical use", place: () => open, idle: false, after: async (r) => reportUse(w, await fresh(r), true) },
    { name: "the device never reported its clinical use (unknown)", place: () => open, idle: false },
    { name: "its 'not in use' report is stale (2 h old, limit 30 min)", place: () => open, idle: false, after: async (r) => reportUse(w, await fresh(r), false, 2 * 3_600_000) },
    { name: "its unit's window is closed (unit in America/Chicago)", place: () => closed, idle: true },
    { name: "its unit has no window at all", place: () => noWindow, idle: true },
    ...(["quarantined", "maintenance", "offline"] as DeviceStatus[]).map((status) => ({
      name: `the device's status is ${status}`,
      place: () => open,
      idle: true,
      after: async (r: Ready) => {
        await db.update(devices).set({ status }).where(eq(devices.id, r.device.id));
      },
    })),
  ];
  for (const c of blocked) {
    it(`offers no deploymentBase (and deploymentBase() refuses) when ${c.name}`, async () => {
      const r = await assignedDevice(w, c.place(), { idle: c.idle });
      await c.after?.(r);
      await expectNotOffered(r, c.name);
    });
  }

  it("follows the device's latest state poll by poll: in use → not offered, idle → offered, window closed → not offered, quarantined → not offered", async () => {
    const place = await createPlace(w, { timeZone: "Asia/Kolkata", windows: [ALWAYS_OPEN] });
    const r = await assignedDevice(w, place);
    await expectOffered(r);
    await reportUse(w, await fresh(r), true);
    await expectNotOffered(r, "in use");
    await reportUse(w, await fresh(r), false);
    await expectOffered(r);
    await setWindows(w.admin, { unitId: place.unit.id, windows: [closedWindow("Asia/Kolkata")] });
    await expectNotOffered(r, "window closed");
    await setWindows(w.admin, { unitId: place.unit.id, windows: [ALWAYS_OPEN] });
    await expectOffered(r);
    await db.update(devices).set({ status: "quarantined" }).where(eq(devices.id, r.device.id));
    await expectNotOffered(r, "quarantined");
  });

  it("a device whose gate closes mid-install gets no deploymentBase either (it is re-fetched before installing)", async () => {
    const r = await assignedDevice(w, open);
    await applyFeedback(db, await fresh(r), r.action.id, "deployment", sw.installing(r.action.id), FROM);
    await reportUse(w, await fresh(r), true);
    await expectNotOffered(r, "in use while downloading");
  });

  // SWUpdate started with `-c 1`, or restarted without its RAM-only state (Debian's default bootloader
  // "none"), installs the offered action again (docs/ddi-protocol.md §3.6, §3.7): an offer made to a device
  // awaiting confirmation is an offer to install, so it must pass the same gate.
  it("offers no deploymentBase to a device awaiting confirmation while it is in clinical use", async () => {
    const r = await assignedDevice(w, open);
    for (const body of [sw.installing(r.action.id), sw.allInstalled(r.action.id)]) {
      await applyFeedback(db, await fresh(r), r.action.id, "deployment", body, FROM);
    }
    expect((await fresh(r)).action?.state).toBe("installed_awaiting_confirmation");
    await expectOffered(r); // gate clear: the device can confirm
    await reportUse(w, await fresh(r), true);
    await expectNotOffered(r, "awaiting confirmation, in clinical use");
  });

  it("offers cancelAction (no query string, no deploymentBase) while a cancel is pending, even when the device is in use", async () => {
    const r = await assignedDevice(w, open);
    await applyFeedback(db, await fresh(r), r.action.id, "deployment", sw.installing(r.action.id), FROM);
    await cancelAction(w.biomed, { actionId: r.action.id });
    await reportUse(w, await fresh(r), true);
    const d = await fresh(r);
    const body = await poll(d);
    expect(body._links.deploymentBase).toBeUndefined();
    expect(body._links.cancelAction?.href).toBe(`${ORIGIN}/api/ddi/DEFAULT/controller/v1/${r.device.serial}/cancelAction/${r.action.id}`);
    expect(await cancelActionJson(db, d, r.action.id, FROM)).toEqual({ id: String(r.action.id), cancelAction: { stopId: String(r.action.id) } });
    expect(await caught(() => deploymentBase(db, d, w.cfg, ORIGIN, r.action.id, FROM))).toBeInstanceOf(NotFoundError);
  });
});

describe("DDI base poll: polling interval and configData (SWUpdate's traps)", () => {
  it("always carries config.polling.sleep as HH:MM:SS (hours ≤ 23, never 00:00:00), whatever the configured interval", async () => {
    for (const pollSeconds of [0, 1, 5, 59, 60, 300, 3599, 3600, 86_399, 86_400, 1_000_000]) {
      for (const deviceId of [1, 2, 3, 17, 1000, 65_535, 2_147_483_647]) {
        const s = pollSleep({ ...w.cfg, pollSeconds }, deviceId);
        expect(s, `${pollSeconds}s / device ${deviceId}`).toMatch(HH_MM_SS);
        expect(s).not.toBe("00:00:00");
      }
    }
    // With and without an action, gate open or closed: always present (checked inside poll()).
    const r = await assignedDevice(w, closed);
    await poll(await fresh(r));
  });

  it("offers _links.configData until the device's first configData PUT, then never again", async () => {
    const r = await assignedDevice(w, open, { idle: false });
    const before = await poll(await fresh(r));
    expect(before._links.configData?.href).toBe(`${ORIGIN}/api/ddi/DEFAULT/controller/v1/${r.device.serial}/configData`);
    await reportUse(w, await fresh(r), false); // a clinical-use report is not an attributes PUT
    expect((await poll(await fresh(r)))._links.configData).toBeDefined();

    // SWUpdate's body, verbatim (§3.9).
    await putConfigData(
      db,
      await fresh(r),
      `{"id":"","time":"20261123T194329","status":{"result":{"finished":"success"},"execution":"closed","details":[""]},"data":{"swVersion":"1.0.0","hwRevision":"1.0","board":"ddi-spike-board"}}`,
      FROM,
    );
    const after = await poll(await fresh(r));
    expect(after._links.configData).toBeUndefined();
    expect(after._links.deploymentBase).toBeDefined();
    expect((await poll(await fresh(r)))._links.configData).toBeUndefined();
  });
});

describe("clinical-use reports: the newest report wins", () => {
  // The ingest accepts samples stamped up to 5 minutes ahead of the server clock (device clock skew), and
  // configData reports are stamped with the server clock. An "idle" sample from a device whose clock runs
  // 4 minutes fast must not outrank the "in_use" report the same device sends a minute later.
  it("a device that reports 'in_use' is not offered the update because an earlier sample was stamped a few minutes ahead", async () => {
    const r = await assignedDevice(w, open, { idle: false });
    await reportUse(w, await fresh(r), false, -4 * 60_000); // device clock 4 min fast
    await expectOffered(r);
    await putConfigData(db, await fresh(r), JSON.stringify({ data: { clinicalUse: "in_use" } }), FROM);
    expect((await fresh(r)).inClinicalUse).toBe(true);
    await expectNotOffered(r, "reported in_use after a future-stamped idle sample");
  });
});
