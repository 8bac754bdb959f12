import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/db/client";
import { applyFeedback, basePoll, putConfigData, refuseStartWhenGateClosed } from "@/lib/services/ddi/protocol";
import { ServiceError } from "@/lib/services/errors";
import { caught } from "../db";
import { actionRow, ALWAYS_OPEN, assignedDevice, closeWorld, createPlace, openWorld, FROM, ORIGIN, reportUse, session, sw, type Place, type World } from "../protocol-fixtures";

// An attempt that starts after the gate closed is turned away (non-2xx, so SWUpdate retries later
// instead of failing), and a device is asked for its attributes again after a successful update.

let db: Db;
let w: World;
let open: Place;

beforeAll(async () => {
  w = await openWorld();
  db = w.db;
  open = await createPlace(w, { timeZone: "UTC", windows: [ALWAYS_OPEN] });
});
afterAll(() => closeWorld(w));

describe("starting an attempt re-checks the install gate", () => {
  it("ROL-03: the first feedback of an attempt is refused (409) when the device went into clinical use after the offer", async () => {
    const r = await assignedDevice(w, open);
    const offered = await basePoll(db, await session(w, r.device.serial, r.tok), w.cfg, ORIGIN);
    expect(offered._links.deploymentBase).toBeDefined();
    await reportUse(w, await session(w, r.device.serial, r.tok), true);
    const inUse = await session(w, r.device.serial, r.tok);
    const err = await caught(() => refuseStartWhenGateClosed(db, inUse, w.cfg, r.action.id));
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).status).toBe(409);
    expect((await actionRow(db, r.action.id)).state).toBe("scheduled");
  });

  it("lets the attempt start while the gate is clear, and never interferes once it has started", async () => {
    const r = await assignedDevice(w, open);
    const d = await session(w, r.device.serial, r.tok);
    await expect(refuseStartWhenGateClosed(db, d, w.cfg, r.action.id)).resolves.toBeUndefined();
    await applyFeedback(db, d, r.action.id, "deployment", sw.installing(r.action.id), FROM);
    await reportUse(w, d, true);
    await expect(refuseStartWhenGateClosed(db, await session(w, r.device.serial, r.tok), w.cfg, r.action.id)).resolves.toBeUndefined();
  });
});

describe("attributes after an update", () => {
  it("offers configData again once an update succeeded, so the reported version is current", async () => {
    const r = await assignedDevice(w, open);
    let d = await session(w, r.device.serial, r.tok);
    await putConfigData(db, d, JSON.stringify({ data: { swVersion: r.device.firmwareVersion, clinicalUse: "idle" } }), FROM);
    d = await session(w, r.device.serial, r.tok);
    expect((await basePoll(db, d, w.cfg, ORIGIN))._links.configData).toBeUndefined();
    for (const body of [sw.installing(r.action.id), sw.allInstalled(r.action.id), sw.confirmed(r.action.id)]) await applyFeedback(db, d, r.action.id, "deployment", body, FROM);
    expect((await actionRow(db, r.action.id)).state).toBe("succeeded");
    d = await session(w, r.device.serial, r.tok);
    expect((await basePoll(db, d, w.cfg, ORIGIN))._links.configData).toBeDefined();
  });
});
