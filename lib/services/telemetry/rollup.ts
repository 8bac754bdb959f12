import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { telemetryHourly, telemetrySamples } from "@/db/schema";

export type SampleRow = typeof telemetrySamples.$inferInsert;
type HourRow = typeof telemetryHourly.$inferInsert;

const HOUR_MS = 3_600_000;

/**
 * Sums a batch of samples per (device, hour), so the hour rows merge by addition with what is stored.
 * The firmware of an hour is the one reported by its latest sample (in this batch) that names one.
 */
export function aggregateHourly(samples: readonly SampleRow[], modelOf: (deviceId: number) => number): HourRow[] {
  const byKey = new Map<string, HourRow & { fwAt: number }>();
  for (const s of samples) {
    const t = s.takenAt.getTime();
    const hourMs = Math.floor(t / HOUR_MS) * HOUR_MS;
    const key = `${s.deviceId}:${hourMs}`;
    let h = byKey.get(key);
    if (!h) {
      h = {
        deviceId: s.deviceId, hour: new Date(hourMs), modelId: modelOf(s.deviceId), firmwareVersion: null, fwAt: -Infinity, samples: 0,
        batterySum: 0, batteryN: 0, batteryMin: null, batteryMax: null, driftAbsSum: 0, driftN: 0, powerSum: 0, powerN: 0, alarms: 0, reboots: 0, errorCodes: 0,
      };
      byKey.set(key, h);
    }
    h.samples! += 1;
    if (s.batteryPct != null) {
      h.batterySum! += s.batteryPct;
      h.batteryN! += 1;
      h.batteryMin = h.batteryMin == null ? s.batteryPct : Math.min(h.batteryMin, s.batteryPct);
      h.batteryMax = h.batteryMax == null ? s.batteryPct : Math.max(h.batteryMax, s.batteryPct);
    }
    if (s.sensorDrift != null) {
      h.driftAbsSum! += Math.abs(s.sensorDrift);
      h.driftN! += 1;
    }
    if (s.powerDrawW != null) {
      h.powerSum! += s.powerDrawW;
      h.powerN! += 1;
    }
    h.alarms! += s.alarmCount ?? 0;
    h.reboots! += s.reboots ?? 0;
    h.errorCodes! += s.errorCodes?.length ?? 0;
    if (s.firmwareVersion && t >= h.fwAt) {
      h.firmwareVersion = s.firmwareVersion;
      h.fwAt = t;
    }
  }
  // A fixed order (device, hour) so concurrent batches lock rollup rows in the same order.
  return [...byKey.values()]
    .sort((a, b) => a.deviceId - b.deviceId || a.hour.getTime() - b.hour.getTime())
    .map(({ fwAt: _fwAt, ...row }) => row);
}

/**
 * Stores raw samples and brings their hourly rollups up to date in one statement: atomic (a chart never
 * sees a sample counted twice or not at all) and one round trip. Every column travels as one array
 * parameter (unnest), so batch size never meets the bind-parameter limit and planning stays cheap.
 * Hour rows merge by addition; min/max by least/greatest; the firmware is kept when a batch names none.
 * `modelOf` names each device's model (rollups are read by model).
 */
export async function recordSamples(db: Db, samples: readonly SampleRow[], modelOf: (deviceId: number) => number) {
  if (!samples.length) return;
  const s = <T>(f: (r: SampleRow) => T) => sql.param(samples.map(f));
  const hours = aggregateHourly(samples, modelOf);
  const h = <T>(f: (r: HourRow) => T) => sql.param(hours.map(f));
  await db.execute(sql`
    WITH raw AS (
      INSERT INTO ${telemetrySamples} (device_id, taken_at, battery_pct, sensor_drift, power_draw_w, alarm_count, reboots, error_codes, in_clinical_use, firmware_version)
      SELECT d, t, b, sd, p, a, r, CASE WHEN e IS NULL THEN NULL ELSE string_to_array(e, ${UNIT_SEPARATOR}) END, u, f
      FROM unnest(${s((r) => r.deviceId)}::int[], ${s((r) => r.takenAt.toISOString())}::timestamptz[], ${s((r) => r.batteryPct ?? null)}::real[],
        ${s((r) => r.sensorDrift ?? null)}::real[], ${s((r) => r.powerDrawW ?? null)}::real[], ${s((r) => r.alarmCount ?? null)}::int[],
        ${s((r) => r.reboots ?? null)}::int[], ${s((r) => (r.errorCodes?.length ? r.errorCodes.join(UNIT_SEPARATOR) : null))}::text[],
        ${s((r) => r.inClinicalUse ?? null)}::bool[], ${s((r) => r.firmwareVersion ?? null)}::text[]) AS x(d, t, b, sd, p, a, r, e, u, f)
    )
    INSERT INTO ${telemetryHourly} (device_id, hour, model_id, firmware_version, samples, battery_sum, battery_n, battery_min, battery_max,
      drift_abs_sum, drift_n, power_sum, power_n, alarms, reboots, error_codes)
    SELECT * FROM unnest(${h((r) => r.deviceId)}::int[], ${h((r) => r.hour.toISOString())}::timestamptz[], ${h((r) => r.modelId)}::int[],
      ${h((r) => r.firmwareVersion ?? null)}::text[], ${h((r) => r.samples)}::int[], ${h((r) => r.batterySum)}::real[], ${h((r) => r.batteryN)}::int[],
      ${h((r) => r.batteryMin ?? null)}::real[], ${h((r) => r.batteryMax ?? null)}::real[], ${h((r) => r.driftAbsSum)}::real[], ${h((r) => r.driftN)}::int[],
      ${h((r) => r.powerSum)}::real[], ${h((r) => r.powerN)}::int[], ${h((r) => r.alarms)}::int[], ${h((r) => r.reboots)}::int[], ${h((r) => r.errorCodes)}::int[])
    ON CONFLICT (device_id, hour) DO UPDATE SET
      firmware_version = coalesce(excluded.firmware_version, telemetry_hourly.firmware_version),
      samples = telemetry_hourly.samples + excluded.samples,
      battery_sum = telemetry_hourly.battery_sum + excluded.battery_sum,
      battery_n = telemetry_hourly.battery_n + excluded.battery_n,
      battery_min = least(telemetry_hourly.battery_min, excluded.battery_min),
      battery_max = greatest(telemetry_hourly.battery_max, excluded.battery_max),
      drift_abs_sum = telemetry_hourly.drift_abs_sum + excluded.drift_abs_sum,
      drift_n = telemetry_hourly.drift_n + excluded.drift_n,
      power_sum = telemetry_hourly.power_sum + excluded.power_sum,
      power_n = telemetry_hourly.power_n + excluded.power_n,
      alarms = telemetry_hourly.alarms + excluded.alarms,
      reboots = telemetry_hourly.reboots + excluded.reboots,
      error_codes = telemetry_hourly.error_codes + excluded.error_codes`);
}

/** Error codes of one sample travel as one text (ragged arrays cannot be unnested); codes never contain it. */
const UNIT_SEPARATOR = "\u001f";
