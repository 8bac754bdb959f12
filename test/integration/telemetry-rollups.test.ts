import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows, type Db, type DbHandle } from "@/db/client";
import { appSettings, telemetryHourly, telemetrySamples } from "@/db/schema";
import { ingestTelemetry } from "@/lib/services/ddi/protocol";
import { ForbiddenError, ValidationError } from "@/lib/services/errors";
import { pruneTelemetry } from "@/lib/services/telemetry/retention";
import { recordSamples } from "@/lib/services/telemetry/rollup";
import { readSetting, setTelemetryRetention } from "@/lib/services/telemetry/settings";
import { auditHighWater, auditRowsAfter, caught, createTestUser, ctxFor, openScratchDb, userActor } from "../db";
import { closeWorld, createDevice, createPlace, openWorld, provision, session, type World } from "../protocol-fixtures";

/** Hourly rollups kept current by ingest, and telemetry retention (issue 6 §1). */

let w: World;
beforeAll(async () => {
  w = await openWorld();
});
afterAll(() => closeWorld(w));

/** The rollup recomputed from the raw samples, as the stored rows should be. */
async function recomputed(db: Db, deviceId: number) {
  return queryRows<Record<string, unknown>>(
    db,
    sql`SELECT device_id, date_trunc('hour', taken_at) AS hour, count(*)::int AS samples,
          coalesce(sum(battery_pct), 0)::float8 AS battery_sum, count(battery_pct)::int AS battery_n,
          min(battery_pct)::float8 AS battery_min, max(battery_pct)::float8 AS battery_max,
          coalesce(sum(abs(sensor_drift)), 0)::float8 AS drift_abs_sum, count(sensor_drift)::int AS drift_n,
          coalesce(sum(power_draw_w), 0)::float8 AS power_sum, count(power_draw_w)::int AS power_n,
          coalesce(sum(alarm_count), 0)::int AS alarms, coalesce(sum(reboots), 0)::int AS reboots,
          coalesce(sum(cardinality(error_codes)), 0)::int AS error_codes,
          (array_agg(firmware_version ORDER BY taken_at DESC) FILTER (WHERE firmware_version IS NOT NULL))[1] AS firmware_version
        FROM telemetry_samples WHERE device_id = ${deviceId} GROUP BY 1, 2 ORDER BY 2`,
  );
}

async function stored(db: Db, deviceId: number) {
  return queryRows<Record<string, unknown>>(
    db,
    sql`SELECT device_id, hour, samples, battery_sum::float8, battery_n, battery_min::float8, battery_max::float8, drift_abs_sum::float8, drift_n,
          power_sum::float8, power_n, alarms, reboots, error_codes, firmware_version
        FROM telemetry_hourly WHERE device_id = ${deviceId} ORDER BY hour`,
  );
}

const norm = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : typeof v === "number" ? Math.round(v * 1000) / 1000 : v === null ? null : typeof v === "string" && k === "hour" ? new Date(v).toISOString() : v])));

describe("hourly rollups", () => {
  it("equal the aggregate recomputed from the raw rows after several batches, two of them in the same hour", async () => {
    const place = await createPlace(w);
    const device = await createDevice(w, place);
    const tok = await provision(w, device.id);
    const hourStart = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 5 * 3_600_000;
    const at = (h: number, min: number) => new Date(hourStart + h * 3_600_000 + min * 60_000).toISOString();
    const batches = [
      [
        { takenAt: at(0, 5), batteryPct: 90, sensorDrift: -0.4, powerDrawW: 10, alarmCount: 1, reboots: 0, errorCodes: ["E1"], firmwareVersion: "1.0.0" },
        { takenAt: at(0, 35), batteryPct: 86, sensorDrift: 0.2, powerDrawW: 12, alarmCount: 0 },
        { takenAt: at(1, 10), batteryPct: 80, alarmCount: 2, reboots: 1 },
      ],
      // Same hour (0) again, with a lower battery and a later firmware report; plus a bad sample.
      [
        { takenAt: at(0, 50), batteryPct: 70, sensorDrift: -1.5, alarmCount: 3, errorCodes: ["E2", "E3"], firmwareVersion: "1.1.0" },
        { takenAt: at(0, 55), batteryPct: 500 },
      ],
      // Same hour once more: a sample older than the batch before (min/max still merge).
      [{ takenAt: at(0, 1), batteryPct: 95, powerDrawW: 9 }, { takenAt: at(2, 0), powerDrawW: 11, inClinicalUse: false }],
    ];
    for (const samples of batches) await ingestTelemetry(w.db, await session(w, device.serial, tok), JSON.stringify({ samples }));

    const rows = await stored(w.db, device.id);
    expect(norm(rows)).toEqual(norm(await recomputed(w.db, device.id)));
    expect(rows).toHaveLength(3);
    // Hour 0 by hand: 4 good samples (the 0:55 one is refused); battery 95/90/86/70; alarms 1+0+3; errors 1+2; firmware last reported 1.1.0.
    expect(norm([rows[0]!])[0]).toMatchObject({ samples: 4, battery_n: 4, battery_min: 70, battery_max: 95, battery_sum: 341, alarms: 4, error_codes: 3, drift_n: 3, drift_abs_sum: 2.1, power_n: 3, power_sum: 31, firmware_version: "1.1.0" });
    const [hourRow] = await w.db.select({ modelId: telemetryHourly.modelId }).from(telemetryHourly).where(eq(telemetryHourly.deviceId, device.id)).limit(1);
    expect(hourRow!.modelId).toBe(place.model.id);
  });
});

describe("retention", () => {
  let scratch: DbHandle;
  beforeAll(async () => {
    scratch = await openScratchDb("telemetry_retention");
  });
  afterAll(() => scratch?.close());

  it("the setting is changed by health.configure only, audited, and bad input changes nothing", async () => {
    const db = scratch.db;
    const admin = ctxFor(db, userActor(await createTestUser(db, "admin")));
    const biomed = ctxFor(db, userActor(await createTestUser(db, "biomed")));
    expect(await readSetting(db, "telemetry.retention")).toEqual({ rawDays: 30, hourlyDays: 400 });

    const hw = await auditHighWater(db);
    await setTelemetryRetention(admin, { rawDays: "10", hourlyDays: "90" });
    expect(await readSetting(db, "telemetry.retention")).toEqual({ rawDays: 10, hourlyDays: 90 });
    const audit = (await auditRowsAfter(db, hw)).filter((r) => r.action === "telemetry.retention_changed");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ entityId: "telemetry.retention", before: { rawDays: 30, hourlyDays: 400 }, after: { rawDays: 10, hourlyDays: 90 } });

    for (const bad of [{ rawDays: 0, hourlyDays: 90 }, { rawDays: 60, hourlyDays: 30 }, { rawDays: "ten", hourlyDays: 90 }, { rawDays: 10, hourlyDays: 90, extra: 1 }]) {
      expect(await caught(() => setTelemetryRetention(admin, bad as never)), JSON.stringify(bad)).toBeInstanceOf(ValidationError);
    }
    expect(await caught(() => setTelemetryRetention(biomed, { rawDays: 1, hourlyDays: 7 }))).toBeInstanceOf(ForbiddenError);
    expect(await readSetting(db, "telemetry.retention")).toEqual({ rawDays: 10, hourlyDays: 90 });
    const [row] = await db.select().from(appSettings).where(eq(appSettings.key, "telemetry.retention"));
    expect(row!.updatedBy).toBe((admin.actor as { userId: number }).userId);
  });

  it("prunes only raw samples and rollups older than the setting, in batches, and audits the run", async () => {
    const db = scratch.db;
    const now = new Date("2026-11-23T12:00:00Z");
    const day = 86_400_000;
    // Retention is 10 days raw, 90 days hourly (set above). 12,000 old raw samples: more than one batch.
    const samples = [
      ...Array.from({ length: 12_000 }, (_, i) => ({ deviceId: 1 + (i % 40), takenAt: new Date(now.getTime() - 11 * day - i * 1000), alarmCount: 1 })),
      ...Array.from({ length: 50 }, (_, i) => ({ deviceId: 1, takenAt: new Date(now.getTime() - 9 * day - i * 60_000), alarmCount: 1 })),
      { deviceId: 2, takenAt: new Date(now.getTime() - 95 * day), alarmCount: 1 },
      { deviceId: 3, takenAt: new Date(now.getTime() - 85 * day), alarmCount: 1 },
    ];
    await recordSamples(db, samples, () => 1);
    const count = async (table: "telemetry_samples" | "telemetry_hourly", col: string, days: number) =>
      Number((await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM ${sql.identifier(table)} WHERE ${sql.identifier(col)} < ${new Date(now.getTime() - days * day)}`))[0]!.n);
    const hourlyOld = await count("telemetry_hourly", "hour", 90);
    expect(hourlyOld).toBe(1);
    const hourlyTotal = (await db.select().from(telemetryHourly)).length;

    const hw = await auditHighWater(db);
    expect(await pruneTelemetry(db, now)).toEqual({ samples: 12_002, hours: 1 });
    expect(await count("telemetry_samples", "taken_at", 10)).toBe(0);
    expect((await db.select().from(telemetrySamples)).length).toBe(50);
    expect((await db.select().from(telemetryHourly)).length).toBe(hourlyTotal - 1);
    const audit = (await auditRowsAfter(db, hw)).filter((r) => r.action === "telemetry.pruned");
    expect(audit).toHaveLength(1);
    expect(audit[0]!.after).toMatchObject({ samples: 12_002, hours: 1 });
    // Nothing left to prune: no second audit row.
    expect(await pruneTelemetry(db, now)).toEqual({ samples: 0, hours: 0 });
    expect((await auditRowsAfter(db, hw)).filter((r) => r.action === "telemetry.pruned")).toHaveLength(1);
  });
});
