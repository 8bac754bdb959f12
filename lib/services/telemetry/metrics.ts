import { sql, type SQL } from "drizzle-orm";
import type { TelemetryHour } from "@/db/schema";
import type { HealthMetric } from "@/lib/domain";

/**
 * The one definition of each health metric's value for one device in one hour, computed from its
 * rollup row (`telemetry_hourly`). Charts and the regression gate both read it from here: `sql` for
 * aggregates in the database (over a row aliased `h`), `value` for rows already read.
 *
 * - alarm_rate, reboots, error_codes: the counts reported during that hour (per device-hour).
 * - sensor_drift: mean absolute drift of the hour's readings.
 * - power_draw: mean power draw (W) of the hour's readings.
 * - battery_drain: the battery level's range within the hour (max − min, in % points). It needs two
 *   readings; with one, the hour has no value rather than a misleading 0. A device that charges
 *   within the hour shows its range too: the band is about stability, not direction.
 */
type Row = Pick<TelemetryHour, "alarms" | "reboots" | "errorCodes" | "driftAbsSum" | "driftN" | "powerSum" | "powerN" | "batteryN" | "batteryMin" | "batteryMax">;

export const METRIC_DEFS: Record<HealthMetric, { sql: SQL; value: (r: Row) => number | null }> = {
  alarm_rate: { sql: sql`h.alarms::float8`, value: (r) => r.alarms },
  reboots: { sql: sql`h.reboots::float8`, value: (r) => r.reboots },
  error_codes: { sql: sql`h.error_codes::float8`, value: (r) => r.errorCodes },
  sensor_drift: { sql: sql`(h.drift_abs_sum / NULLIF(h.drift_n, 0))::float8`, value: (r) => (r.driftN ? r.driftAbsSum / r.driftN : null) },
  power_draw: { sql: sql`(h.power_sum / NULLIF(h.power_n, 0))::float8`, value: (r) => (r.powerN ? r.powerSum / r.powerN : null) },
  battery_drain: {
    sql: sql`(CASE WHEN h.battery_n >= 2 THEN h.battery_max - h.battery_min END)::float8`,
    value: (r) => (r.batteryN >= 2 && r.batteryMax !== null && r.batteryMin !== null ? r.batteryMax - r.batteryMin : null),
  },
};

/**
 * Which side of a rollout a device-hour is on, given `u.finished_at` (when the device's install of the
 * rollout succeeded, or null): updated for hours that start at or after it, not yet updated for hours
 * that end before it (or when it never happened). The hour the install happened in is neither.
 */
export const COHORT_SQL = sql`CASE WHEN u.finished_at <= h.hour THEN 'updated'
  WHEN u.finished_at IS NULL OR u.finished_at >= h.hour + interval '1 hour' THEN 'control' END`;

/** `u`: each device's first successful install of the rollout (uses deployment_actions_rollout_idx). */
export const updatedDevicesCte = (rolloutId: number) =>
  sql`SELECT device_id, min(finished_at) AS finished_at FROM deployment_actions
      WHERE rollout_id = ${rolloutId} AND state = 'succeeded' GROUP BY device_id`;
