import ttest2 from "@stdlib/stats-ttest2";
import { eq, sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { releases, rollouts } from "@/db/schema";
import { HEALTH_METRICS, HEALTH_METRIC_LABELS, type HealthMetric } from "@/lib/domain";
import { NotFoundError } from "../errors";
import { METRIC_DEFS, updatedDevicesCte } from "./metrics";
import { readSetting, type RegressionSettings } from "./settings";

/**
 * The health-regression test of a rollout (ROL-…, issue 6 §3). How it decides, per metric:
 *
 * 1. Cohorts, both of the rollout's release model and both from its hourly rollups:
 *    - updated: devices whose install of this rollout succeeded; only the hours that start at or after
 *      the install count (their exposure);
 *    - control: devices of the same model this rollout has not updated, over the same period (from the
 *      hour of the first successful install to `until`). Devices that already report the release's
 *      version some other way are left out. A device is in one cohort only, so the samples are independent.
 * 2. Each device contributes one number: its metric's per-hour value (lib/services/telemetry/metrics.ts)
 *    averaged over its exposure, and only if it has at least `minExposureHours` hours with a value.
 * 3. With fewer than `minDevices` such devices in either cohort nothing is decided (not a regression).
 * 4. Welch's two-sample t-test (unequal variances; @stdlib/stats-ttest2), one-sided: is the updated
 *    cohort's mean higher than the control's? Higher is worse for every metric (more alarms, reboots,
 *    error codes, drift, power draw, battery drain).
 * 5. `alpha` is the family-wise level over all six metrics (Bonferroni: each metric is tested at
 *    alpha / 6), since six tests at alpha each would raise a false alarm far more often than alpha.
 *    The metric regressed when p < alpha / 6 AND the updated mean is at least `minEffectPct` % above the
 *    control mean (with a control mean of 0, any significant rise counts). Significance alone would flag
 *    tiny, clinically meaningless shifts in a large fleet; effect size alone would flag noise in a small one.
 */

export type DeviceExposure = { hours: number; mean: number };

export type MetricComparison = {
  metric: HealthMetric;
  updatedDevices: number;
  controlDevices: number;
  updatedMean: number | null;
  controlMean: number | null;
  /** (updated − control) / control; null when the control mean is 0 or a cohort is empty. */
  relativeChange: number | null;
  /** One-sided p-value; null when the test was not run. */
  pValue: number | null;
  regressed: boolean;
  reason: string;
};

export type CohortComparison = {
  rolloutId: number;
  modelId: number;
  version: string;
  since: string;
  until: string;
  settings: RegressionSettings;
  metrics: MetricComparison[];
  regressed: HealthMetric[];
  /** Hourly means of each cohort (the incident's evidence chart); same cohorts as the test. */
  series: { t: string; updated: Partial<Record<HealthMetric, number>>; control: Partial<Record<HealthMetric, number>> }[];
};

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const round = (x: number, digits = 4) => Number(x.toPrecision(digits));

/** The pure statistical decision for one metric (unit-tested on its own). */
export function decideMetric(metric: HealthMetric, updated: DeviceExposure[], control: DeviceExposure[], s: RegressionSettings): MetricComparison {
  const u = updated.filter((d) => d.hours >= s.minExposureHours).map((d) => d.mean);
  const c = control.filter((d) => d.hours >= s.minExposureHours).map((d) => d.mean);
  const base = { metric, updatedDevices: u.length, controlDevices: c.length, updatedMean: u.length ? mean(u) : null, controlMean: c.length ? mean(c) : null };
  const label = HEALTH_METRIC_LABELS[metric].toLowerCase();
  if (u.length < s.minDevices || c.length < s.minDevices) {
    return {
      ...base, relativeChange: null, pValue: null, regressed: false,
      reason: `Not enough data: ${u.length} updated and ${c.length} not-yet-updated devices with at least ${s.minExposureHours} h of ${label} (${s.minDevices} needed in each).`,
    };
  }
  const um = base.updatedMean!;
  const cm = base.controlMean!;
  const relativeChange = cm === 0 ? null : (um - cm) / Math.abs(cm);
  const pValue = oneSidedWelch(u, c);
  const threshold = s.alpha / HEALTH_METRICS.length;
  const significant = pValue < threshold;
  const large = relativeChange === null ? um > cm : relativeChange * 100 >= s.minEffectPct;
  const regressed = significant && large;
  const change = relativeChange === null ? (um > cm ? "up from 0" : "unchanged at 0") : `${relativeChange >= 0 ? "+" : ""}${Math.round(relativeChange * 100)} %`;
  const figures = `${label}: ${round(um)} updated vs ${round(cm)} not yet updated (${change}; p = ${pValue.toExponential(2)}, ${u.length} vs ${c.length} devices)`;
  const reason = regressed
    ? `Regressed: ${figures}.`
    : !significant
      ? `No significant worsening: ${figures}; p must be below ${round(threshold, 2)}.`
      : `Significant but small: ${figures}; a regression needs at least +${s.minEffectPct} %.`;
  return { ...base, relativeChange, pValue, regressed, reason };
}

/** P(updated mean > control mean) under Welch's test; cohorts with no spread at all are decided by their means. */
function oneSidedWelch(updated: number[], control: number[]): number {
  const flat = (xs: number[]) => xs.every((x) => x === xs[0]);
  if (flat(updated) && flat(control)) return updated[0]! > control[0]! ? 0 : 1;
  return ttest2(updated, control, { alternative: "greater" }).pValue;
}

type DeviceRow = { device_id: number; cohort: "updated" | "control" } & Record<string, number | string | null>;

/** Compares the updated and not-yet-updated cohorts of a rollout's model on every health metric. */
export async function compareCohorts(db: Db, opts: { rolloutId: number; since?: Date; until?: Date; settings?: RegressionSettings }): Promise<CohortComparison> {
  const settings = opts.settings ?? (await readSetting(db, "health.regression"));
  const [r] = await db
    .select({ id: rollouts.id, createdAt: rollouts.createdAt, modelId: releases.modelId, version: releases.version })
    .from(rollouts)
    .innerJoin(releases, eq(releases.id, rollouts.releaseId))
    .where(eq(rollouts.id, opts.rolloutId));
  if (!r) throw new NotFoundError("No such rollout.");
  const since = opts.since ?? new Date(Math.floor(r.createdAt.getTime() / 3_600_000) * 3_600_000);
  const until = opts.until ?? new Date();
  const classified = sql`WITH u AS (${updatedDevicesCte(r.id)}),
    c AS (SELECT h.*, CASE WHEN u.finished_at IS NULL THEN 'control' WHEN u.finished_at <= h.hour THEN 'updated' END AS cohort
          FROM telemetry_hourly h LEFT JOIN u ON u.device_id = h.device_id
          WHERE h.model_id = ${r.modelId} AND h.hour >= ${since} AND h.hour < ${until}
            AND (u.finished_at IS NOT NULL
                 OR (h.firmware_version IS DISTINCT FROM ${r.version} AND h.hour >= (SELECT date_trunc('hour', min(finished_at)) FROM u))))`;
  const perMetric = (agg: (e: ReturnType<typeof sql>, m: HealthMetric) => ReturnType<typeof sql>) =>
    sql.join(HEALTH_METRICS.map((m) => agg(METRIC_DEFS[m].sql, m)), sql`, `);
  // One row per device and cohort; a whole model's devices, which the test needs every one of.
  const devicesRows = await queryRows<DeviceRow>(
    db,
    sql`${classified} SELECT h.device_id, h.cohort,
          ${perMetric((e, m) => sql`count(${e})::int AS ${sql.identifier(`${m}__n`)}, avg(${e}) AS ${sql.identifier(`${m}__avg`)}`)}
        FROM c h WHERE h.cohort IS NOT NULL GROUP BY h.device_id, h.cohort`,
  );
  const hourRows = await queryRows<{ hour: string | Date; cohort: "updated" | "control" } & Record<string, number | string | null>>(
    db,
    sql`${classified} SELECT h.hour, h.cohort, ${perMetric((e, m) => sql`avg(${e}) AS ${sql.identifier(m)}`)}
        FROM c h WHERE h.cohort IS NOT NULL GROUP BY h.hour, h.cohort ORDER BY h.hour`,
  );

  const metrics = HEALTH_METRICS.map((m) => {
    const of = (cohort: "updated" | "control") =>
      devicesRows.filter((d) => d.cohort === cohort && Number(d[`${m}__n`]) > 0).map((d) => ({ hours: Number(d[`${m}__n`]), mean: Number(d[`${m}__avg`]) }));
    return decideMetric(m, of("updated"), of("control"), settings);
  });
  const series = new Map<string, CohortComparison["series"][number]>();
  for (const row of hourRows) {
    const t = new Date(row.hour).toISOString();
    const point = series.get(t) ?? { t, updated: {}, control: {} };
    for (const m of HEALTH_METRICS) if (row[m] !== null) point[row.cohort][m] = Number(row[m]);
    series.set(t, point);
  }
  return {
    rolloutId: r.id,
    modelId: r.modelId,
    version: r.version,
    since: since.toISOString(),
    until: until.toISOString(),
    settings,
    metrics,
    regressed: metrics.filter((m) => m.regressed).map((m) => m.metric),
    series: [...series.values()],
  };
}
