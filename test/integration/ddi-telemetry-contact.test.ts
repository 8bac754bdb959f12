import { asc, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Db } from "@/db/client";
import { deviceReports, devices, telemetryHourly, telemetrySamples } from "@/db/schema";
import { flushContacts, noteContact, stopContactFlusher } from "@/lib/services/ddi/context";
import { basePoll, ingestTelemetry, TELEMETRY_MAX_BATCH } from "@/lib/services/ddi/protocol";
import { ValidationError } from "@/lib/services/errors";
import { caught } from "../db";
import { closeWorld, createDevice, createPlace, openWorld, deviceRow, ORIGIN, provision, session, type Place, type World } from "../protocol-fixtures";

/** Health telemetry ingest (per-sample validation, clinical-use reports) and batched last-contact writes. */

let db: Db;
let w: World;
let place: Place;

beforeAll(async () => {
  w = await openWorld();
  db = w.db;
  place = await createPlace(w);
});
afterAll(() => closeWorld(w));

async function newDevice() {
  const device = await createDevice(w, place);
  const tok = await provision(w, device.id);
  return { device, tok, fresh: () => session(w, device.serial, tok) };
}

const iso = (offsetMs: number, base = Date.now()) => new Date(base + offsetMs).toISOString();
const samplesOf = (deviceId: number) => db.select().from(telemetrySamples).where(eq(telemetrySamples.deviceId, deviceId)).orderBy(asc(telemetrySamples.takenAt));
const reportOf = async (deviceId: number) => (await db.select().from(deviceReports).where(eq(deviceReports.deviceId, deviceId)))[0];

describe("telemetry ingest", () => {
  it("keeps every good sample and rejects each bad one with its index and a readable error", async () => {
    const { device, fresh } = await newDevice();
    const now = Date.now();
    const samples = [
      { takenAt: iso(-60_000, now), batteryPct: 80, sensorDrift: -0.5, powerDrawW: 12.5, alarmCount: 2, reboots: 0, errorCodes: ["E12"], firmwareVersion: "1.0.0" },
      { batteryPct: 50 }, // no takenAt
      { takenAt: iso(-50_000, now), batteryPct: 150 }, // out of range
      { takenAt: iso(-40_000, now), batteryPct: 40, colour: "blue" }, // unknown field
      { takenAt: iso(3_600_000, now), batteryPct: 40 }, // an hour in the future
      { takenAt: iso(-30_000, now), batteryPct: 79, inClinicalUse: false },
      { takenAt: "yesterday", batteryPct: 40 },
      "not an object",
      { takenAt: iso(-20_000, now), alarmCount: 1.5 },
      { takenAt: iso(-10_000, now), powerDrawW: 11 },
    ];
    const res = await ingestTelemetry(db, await fresh(), JSON.stringify({ samples }));
    expect(res.accepted).toBe(3);
    expect(res.rejected.map((x) => x.index)).toEqual([1, 2, 3, 4, 6, 7, 8]);
    const error = (i: number) => res.rejected.find((x) => x.index === i)!.error;
    expect(error(1)).toMatch(/takenAt/);
    expect(error(2)).toMatch(/batteryPct/);
    expect(error(2)).toMatch(/100/);
    expect(error(3)).toMatch(/colour/);
    expect(error(4)).toMatch(/future/);
    expect(error(6)).toMatch(/takenAt.*ISO 8601/);
    expect(error(8)).toMatch(/alarmCount/);
    for (const r of res.rejected) {
      expect(r.error.length, `error of sample ${r.index}`).toBeGreaterThan(5);
      expect(r.error.length).toBeLessThan(300);
      expect(r.error).not.toMatch(/\[object|undefined/);
    }

    const rows = await samplesOf(device.id);
    expect(rows.map((r) => r.takenAt.toISOString())).toEqual([samples[0], samples[5], samples[9]].map((s) => (s as { takenAt: string }).takenAt));
    expect(rows[0]).toMatchObject({ batteryPct: 80, sensorDrift: -0.5, powerDrawW: 12.5, alarmCount: 2, reboots: 0, errorCodes: ["E12"], firmwareVersion: "1.0.0", inClinicalUse: null });
    expect(rows[1]).toMatchObject({ batteryPct: 79, inClinicalUse: false });
    expect(rows[2]).toMatchObject({ powerDrawW: 11, batteryPct: null });
    // The hourly rollups count the accepted samples only (hours split by where the samples fell).
    const hours = await db.select().from(telemetryHourly).where(eq(telemetryHourly.deviceId, device.id));
    expect(hours.reduce((n, h) => n + h.samples, 0)).toBe(3);
    expect(hours.reduce((n, h) => n + h.alarms, 0)).toBe(2);
    expect(hours.reduce((n, h) => n + h.batteryN, 0)).toBe(2);
  });

  it("takes the device's clinical use from the newest sample that reports it, whatever the order in the batch", async () => {
    const { device, fresh } = await newDevice();
    const now = Date.now();
    await ingestTelemetry(
      db,
      await fresh(),
      JSON.stringify({
        samples: [
          { takenAt: iso(-120_000, now), inClinicalUse: false },
          { takenAt: iso(-10_000, now), inClinicalUse: true },
          { takenAt: iso(-5_000, now), batteryPct: 60 }, // newer, but says nothing about clinical use
          { takenAt: iso(-60_000, now), inClinicalUse: false },
        ],
      }),
    );
    const report = await reportOf(device.id);
    expect(report).toMatchObject({ inClinicalUse: true, clinicalUseAt: new Date(iso(-10_000, now)) });
    const d = await fresh();
    expect(d.inClinicalUse).toBe(true);
  });

  it("a late batch with an older sample does not overwrite a newer clinical-use report", async () => {
    const { device, fresh } = await newDevice();
    const now = Date.now();
    await ingestTelemetry(db, await fresh(), JSON.stringify({ samples: [{ takenAt: iso(-10_000, now), inClinicalUse: true }] }));
    await ingestTelemetry(db, await fresh(), JSON.stringify({ samples: [{ takenAt: iso(-300_000, now), inClinicalUse: false }] }));
    expect(await reportOf(device.id)).toMatchObject({ inClinicalUse: true, clinicalUseAt: new Date(iso(-10_000, now)) });
    // The late sample itself is still kept as telemetry.
    expect((await samplesOf(device.id)).map((s) => s.inClinicalUse)).toEqual([false, true]);
    // A genuinely newer report does replace it.
    await ingestTelemetry(db, await fresh(), JSON.stringify({ samples: [{ takenAt: iso(-1_000), inClinicalUse: false }] }));
    expect(await reportOf(device.id)).toMatchObject({ inClinicalUse: false });
  });

  it("refuses a body that is not a batch (not JSON, no samples array, too many samples) and stores nothing", async () => {
    const { device, fresh } = await newDevice();
    const d = await fresh();
    const tooMany = JSON.stringify({ samples: Array.from({ length: TELEMETRY_MAX_BATCH + 1 }, () => ({ takenAt: iso(-1000), batteryPct: 50 })) });
    for (const body of ["{not json", "null", "[]", `{"samples":{}}`, tooMany]) {
      expect(await caught(() => ingestTelemetry(db, d, body)), body.slice(0, 20)).toBeInstanceOf(ValidationError);
    }
    expect(await samplesOf(device.id)).toEqual([]);
    expect(await db.select().from(telemetryHourly).where(eq(telemetryHourly.deviceId, device.id))).toEqual([]);
    expect(await reportOf(device.id)).toBeUndefined();
    // An empty batch is fine.
    expect(await ingestTelemetry(db, d, JSON.stringify({ samples: [] }))).toEqual({ accepted: 0, rejected: [] });
  });
});

describe("last contact is written in batches", () => {
  // The background flusher (every 5 s) must not run in the middle of a test: fake only the interval
  // timer; the clock stays real.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** The same database, seen through an object that counts `execute` calls (the flush is one). */
  function countingDb() {
    const calls: unknown[] = [];
    const wrapped = Object.create(db) as Db;
    Object.defineProperty(wrapped, "execute", {
      value: (query: Parameters<Db["execute"]>[0]) => {
        calls.push(query);
        return db.execute(query);
      },
    });
    return { db: wrapped, calls };
  }

  it("several base polls write nothing; one flush sets last_contact_at for every polled device in one UPDATE", async () => {
    const c = countingDb();
    try {
      const devs = [await newDevice(), await newDevice(), await newDevice()];
      const sessions = await Promise.all(devs.map((x) => x.fresh()));
      let lastPoll = 0;
      for (let round = 0; round < 3; round++) {
        for (const s of sessions) {
          lastPoll = Date.now();
          await basePoll(c.db, s, w.cfg, ORIGIN);
        }
      }
      const afterPolls = Date.now();
      for (const x of devs) expect((await deviceRow(db, x.device.id)).lastContactAt, "no write per poll").toBeNull();
      expect(c.calls).toHaveLength(0);

      expect(await flushContacts(c.db)).toBe(3);
      expect(c.calls).toHaveLength(1);
      for (const x of devs) {
        const at = (await deviceRow(db, x.device.id)).lastContactAt!.getTime();
        expect(at).toBeGreaterThanOrEqual(lastPoll - 1000);
        expect(at).toBeLessThanOrEqual(afterPolls);
      }
      // Nothing pending: the next flush writes nothing.
      expect(await flushContacts(c.db)).toBe(0);
      expect(c.calls).toHaveLength(1);
    } finally {
      stopContactFlusher(c.db);
    }
  });

  it("the background flusher writes pending contacts on its 5-second tick", async () => {
    const c = countingDb();
    try {
      const x = await newDevice();
      await basePoll(c.db, await x.fresh(), w.cfg, ORIGIN);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(4_999);
      expect(c.calls).toHaveLength(0);
      vi.advanceTimersByTime(1);
      for (let i = 0; i < 100 && !(await deviceRow(db, x.device.id)).lastContactAt; i++) await new Promise((r) => setTimeout(r, 20));
      expect(c.calls).toHaveLength(1);
      expect((await deviceRow(db, x.device.id)).lastContactAt).toBeInstanceOf(Date);
    } finally {
      stopContactFlusher(c.db);
    }
  });

  it("the stored last contact never moves backwards", async () => {
    const c = countingDb();
    try {
      const x = await newDevice();
      const s = await x.fresh();
      await basePoll(c.db, s, w.cfg, ORIGIN);
      await flushContacts(c.db);
      const first = (await deviceRow(db, x.device.id)).lastContactAt!;

      // An older contact noted later (e.g. from a slow request) does not move it back.
      noteContact(c.db, x.device.id, new Date(first.getTime() - 60_000));
      await flushContacts(c.db);
      expect((await deviceRow(db, x.device.id)).lastContactAt).toEqual(first);

      // Nor does a poll "now" when the stored value is later (another instance, clock ahead).
      const later = new Date(Date.now() + 3_600_000);
      await db.update(devices).set({ lastContactAt: later }).where(eq(devices.id, x.device.id));
      await basePoll(c.db, s, w.cfg, ORIGIN);
      await flushContacts(c.db);
      expect((await deviceRow(db, x.device.id)).lastContactAt).toEqual(later);

      // And a genuinely newer contact moves it forward.
      const newer = new Date(later.getTime() + 1000);
      noteContact(c.db, x.device.id, newer);
      await flushContacts(c.db);
      expect((await deviceRow(db, x.device.id)).lastContactAt).toEqual(newer);
    } finally {
      stopContactFlusher(c.db);
    }
  });
});
