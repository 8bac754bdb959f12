import { and, asc, desc, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { queryRows } from "@/db/client";
import { deploymentActions, deviceModels, devices, manufacturers, releases, rollouts, telemetryHourly } from "@/db/schema";
import { HEALTH_METRICS, type HealthMetric } from "@/lib/domain";
import { RowId } from "@/lib/validation/ids";
import { NotFoundError } from "../errors";
import { query } from "../operation";
import { COHORT_SQL, METRIC_DEFS, updatedDevicesCte } from "./metrics";

// Live health charts, read from the hourly rollups only (never the raw samples). Every query is bounded
// by its hour range and a LIMIT of the hours in it, and is served by an index: the rollup's primary key
// (device_id, hour) for a device, telemetry_hourly_model_hour_idx for a model or a rollout's model.

const HOUR_MS = 3_600_000;

const Range = {
  days: z.coerce.number({ error: "Days: give a number." }).int("Days: a whole number.").min(1, "At least 1 day.").max(90, "At most 90 days.").default(7),
  /** The end of the range (default now); the hour it falls in is included. */
  until: z.coerce.date({ error: "until: give a time." }).optional(),
};

function hourRange(days: number, until = new Date()) {
  const to = Math.floor(until.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS;
  return { from: new Date(to - days * 24 * HOUR_MS), to: new Date(to), hours: days * 24 };
}

export type MetricValues = Record<HealthMetric, number | null>;
export type Band = { mean: number | null; lo: number | null; hi: number | null };
export type FirmwareMarker = { t: number; version: string; source: "install" | "reported" };

export type DeviceSeries = { deviceId: number; serial: string; from: number; to: number; points: ({ t: number; firmware: string | null } & MetricValues)[]; markers: FirmwareMarker[] };

/** One device: each metric per hour, and where its firmware changed (a succeeded install, or a new version it reported). */
export const deviceHealthSeries = query({
  name: "telemetry.device_series",
  permission: "devices.read",
  input: z.object({ deviceId: RowId("Unknown device."), ...Range }),
  run: async ({ db, input }): Promise<DeviceSeries> => {
    const { from, to, hours } = hourRange(input.days, input.until);
    // Two statements side by side: the rollup hours, and the device with its installs (a left join, so
    // a device without installs still answers and an unknown device answers nothing).
    const [rows, withInstalls] = await Promise.all([
      db
        .select()
        .from(telemetryHourly)
        .where(and(eq(telemetryHourly.deviceId, input.deviceId), gte(telemetryHourly.hour, from), lt(telemetryHourly.hour, to)))
        .orderBy(asc(telemetryHourly.hour))
        .limit(hours),
      db
        .select({ id: devices.id, serial: devices.serial, at: deploymentActions.finishedAt, version: releases.version })
        .from(devices)
        .leftJoin(
          deploymentActions,
          and(eq(deploymentActions.deviceId, devices.id), eq(deploymentActions.state, "succeeded"), gte(deploymentActions.finishedAt, from), lt(deploymentActions.finishedAt, to)),
        )
        .leftJoin(releases, eq(releases.id, deploymentActions.releaseId))
        .where(eq(devices.id, input.deviceId))
        .orderBy(desc(deploymentActions.id))
        .limit(50),
    ]);
    const device = withInstalls[0];
    const installs = withInstalls.flatMap((i) => (i.at && i.version ? [{ at: i.at, version: i.version }] : []));
    if (!device) throw new NotFoundError("No such device.");
    const points = rows.map((r) => ({
      t: r.hour.getTime(),
      firmware: r.firmwareVersion,
      ...(Object.fromEntries(HEALTH_METRICS.map((m) => [m, METRIC_DEFS[m].value(r)])) as MetricValues),
    }));
    const markers: FirmwareMarker[] = installs.map((i) => ({ t: i.at.getTime(), version: i.version, source: "install" }));
    // A version the device reported that no install explains (installed by hand, or by another server).
    let last: string | null = null;
    for (const p of points) {
      if (!p.firmware) continue;
      const explained = markers.some((m) => m.source === "install" && m.version === p.firmware && Math.abs(m.t - p.t) <= 2 * HOUR_MS);
      if (last !== null && p.firmware !== last && !explained) markers.push({ t: p.t, version: p.firmware, source: "reported" });
      last = p.firmware;
    }
    markers.sort((a, b) => a.t - b.t);
    return { deviceId: device.id, serial: device.serial, from: from.getTime(), to: to.getTime(), points, markers };
  },
});

/** Mean and a percentile band of every metric, as SQL select items named `<metric>__mean|lo|hi`. */
function bandColumns(lo: number, hi: number): SQL {
  return sql.join(
    HEALTH_METRICS.map((m) => {
      const e = METRIC_DEFS[m].sql;
      return sql`avg(${e}) AS ${sql.identifier(`${m}__mean`)},
        percentile_cont(${sql.raw(String(lo))}) WITHIN GROUP (ORDER BY ${e}) AS ${sql.identifier(`${m}__lo`)},
        percentile_cont(${sql.raw(String(hi))}) WITHIN GROUP (ORDER BY ${e}) AS ${sql.identifier(`${m}__hi`)}`;
    }),
    sql`, `,
  );
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function bands(row: Record<string, unknown>): Record<HealthMetric, Band> {
  return Object.fromEntries(HEALTH_METRICS.map((m) => [m, { mean: num(row[`${m}__mean`]), lo: num(row[`${m}__lo`]), hi: num(row[`${m}__hi`]) }])) as Record<HealthMetric, Band>;
}

export type ModelSeries = { modelId: number; from: number; to: number; points: { t: number; devices: number; metrics: Record<HealthMetric, Band> }[] };

/** One model: per hour, the mean across its reporting devices and the 10th–90th percentile band. */
export const modelHealthSeries = query({
  name: "telemetry.model_series",
  permission: "devices.read",
  input: z.object({ modelId: RowId("Unknown model."), ...Range }),
  run: async ({ db, input }): Promise<ModelSeries> => {
    const { from, to, hours } = hourRange(input.days, input.until);
    const rows = await queryRows<Record<string, unknown> & { hour: string | Date; devices: number }>(
      db,
      sql`SELECT h.hour, count(*)::int AS devices, ${bandColumns(0.1, 0.9)}
          FROM telemetry_hourly h
          WHERE h.model_id = ${input.modelId} AND h.hour >= ${from} AND h.hour < ${to}
          GROUP BY h.hour ORDER BY h.hour LIMIT ${hours}`,
    );
    return { modelId: input.modelId, from: from.getTime(), to: to.getTime(), points: rows.map((r) => ({ t: new Date(r.hour).getTime(), devices: Number(r.devices), metrics: bands(r) })) };
  },
});

/** The model's name and maker, for the model health page. */
export const modelSummary = query({
  name: "telemetry.model_summary",
  permission: "devices.read",
  input: z.object({ modelId: RowId("Unknown model.") }),
  run: async ({ db, input }) => {
    const [model] = await db
      .select({ id: deviceModels.id, name: deviceModels.name, deviceType: deviceModels.deviceType, manufacturer: manufacturers.name })
      .from(deviceModels)
      .innerJoin(manufacturers, eq(manufacturers.id, deviceModels.manufacturerId))
      .where(eq(deviceModels.id, input.modelId));
    if (!model) throw new NotFoundError("No such model.");
    return model;
  },
});

export type Cohort = { devices: number; metrics: Record<HealthMetric, Band> };
export type RolloutSeries = { rolloutId: number; version: string; from: number; to: number; points: { t: number; updated: Cohort | null; control: Cohort | null }[] };

/**
 * A rollout's model, split per hour into devices already updated by the rollout and devices not yet
 * updated (COHORT_SQL), each with its mean and 25th–75th percentile band. The range starts a day
 * before the rollout (the baseline) and ends at `until`, at most `days` long.
 */
export const rolloutHealthSeries = query({
  name: "telemetry.rollout_series",
  permission: "rollouts.read",
  input: z.object({ rolloutId: RowId("Unknown rollout."), ...Range }),
  run: async ({ db, input }): Promise<RolloutSeries> => {
    const [r] = await db
      .select({ id: rollouts.id, createdAt: rollouts.createdAt, modelId: releases.modelId, version: releases.version })
      .from(rollouts)
      .innerJoin(releases, eq(releases.id, rollouts.releaseId))
      .where(eq(rollouts.id, input.rolloutId));
    if (!r) throw new NotFoundError("No such rollout.");
    const range = hourRange(input.days, input.until);
    const from = new Date(Math.max(range.from.getTime(), Math.floor(r.createdAt.getTime() / HOUR_MS) * HOUR_MS - 24 * HOUR_MS));
    const rows = await queryRows<Record<string, unknown> & { hour: string | Date; cohort: "updated" | "control"; devices: number }>(
      db,
      sql`WITH u AS (${updatedDevicesCte(r.id)}),
          c AS (SELECT h.*, ${COHORT_SQL} AS cohort FROM telemetry_hourly h LEFT JOIN u ON u.device_id = h.device_id
                WHERE h.model_id = ${r.modelId} AND h.hour >= ${from} AND h.hour < ${range.to})
          SELECT h.hour, h.cohort, count(*)::int AS devices, ${bandColumns(0.25, 0.75)}
          FROM c h WHERE h.cohort IS NOT NULL
          GROUP BY h.hour, h.cohort ORDER BY h.hour LIMIT ${range.hours * 2}`,
    );
    const byHour = new Map<number, { t: number; updated: Cohort | null; control: Cohort | null }>();
    for (const row of rows) {
      const t = new Date(row.hour).getTime();
      const point = byHour.get(t) ?? { t, updated: null, control: null };
      point[row.cohort] = { devices: Number(row.devices), metrics: bands(row) };
      byHour.set(t, point);
    }
    return { rolloutId: r.id, version: r.version, from: from.getTime(), to: range.to.getTime(), points: [...byHour.values()] };
  },
});
