"use client";

import { useId, useState } from "react";
import { Area, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { HEALTH_METRICS, HEALTH_METRIC_LABELS, type HealthMetric } from "@/lib/domain";
import type { RolloutSeries } from "@/lib/services/telemetry/charts";
import { ChartStatus, COLORS, formatTick, formatTime, formatValue, TelemetryQueryProvider, useChartData } from "./chart-kit";

/** The rollout page's health section: updated vs not-yet-updated devices of the model, one metric at a time. */
export function RolloutHealth({ rolloutId }: { rolloutId: number }) {
  return (
    <TelemetryQueryProvider>
      <RolloutHealthChart rolloutId={rolloutId} />
    </TelemetryQueryProvider>
  );
}

function RolloutHealthChart({ rolloutId }: { rolloutId: number }) {
  const [metric, setMetric] = useState<HealthMetric>("alarm_rate");
  const selectId = useId();
  const { data, isPending, error } = useChartData<RolloutSeries>(`/api/telemetry/rollout/${rolloutId}?days=7`);
  const rows = (data?.points ?? []).map((p) => ({
    t: p.t,
    updated: p.updated?.metrics[metric].mean ?? null,
    updatedBand: p.updated ? [p.updated.metrics[metric].lo, p.updated.metrics[metric].hi] : null,
    control: p.control?.metrics[metric].mean ?? null,
    controlBand: p.control ? [p.control.metrics[metric].lo, p.control.metrics[metric].hi] : null,
  }));
  return (
    <section className="card p-5" aria-labelledby="rollout-health-heading" data-testid="rollout-health">
      <div className="mb-3 flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id="rollout-health-heading" className="text-base font-semibold text-slate-900">Health: updated vs not yet updated</h2>
          <p className="mt-1 max-w-3xl text-sm text-slate-600">
            Devices of this model that this rollout has updated, against those it has not, hour by hour. Lines are means; shaded bands hold the middle half of the devices.
          </p>
        </div>
        <div>
          <label htmlFor={selectId} className="block text-xs font-medium text-slate-700">Metric</label>
          <select id={selectId} className="input mt-1" value={metric} onChange={(e) => setMetric(e.target.value as HealthMetric)}>
            {HEALTH_METRICS.map((m) => <option key={m} value={m}>{HEALTH_METRIC_LABELS[m]}</option>)}
          </select>
        </div>
      </div>
      {!data || !rows.length ? (
        <ChartStatus loading={isPending} error={error} empty={!rows.length} emptyText="No health data from devices of this model since a day before the rollout." />
      ) : (
        <figure aria-label={`${HEALTH_METRIC_LABELS[metric]}: updated vs not-yet-updated devices, hourly`} className="h-72">
          <ResponsiveContainer width="100%" height="100%">
            <ComposedChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: -8 }}>
              <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
              <XAxis dataKey="t" type="number" scale="time" domain={[data.from, data.to]} tickFormatter={formatTick} tick={{ fontSize: 11, fill: COLORS.axis }} minTickGap={50} />
              <YAxis tick={{ fontSize: 11, fill: COLORS.axis }} width={52} tickFormatter={formatValue} />
              <Tooltip labelFormatter={formatTime} formatter={formatValue} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              <Area dataKey="controlBand" name="Not yet updated (middle half)" stroke="none" fill={COLORS.control} fillOpacity={0.15} isAnimationActive={false} connectNulls={false} />
              <Area dataKey="updatedBand" name={`Updated to ${data.version} (middle half)`} stroke="none" fill={COLORS.updated} fillOpacity={0.15} isAnimationActive={false} connectNulls={false} />
              <Line type="monotone" dataKey="control" name="Not yet updated (mean)" stroke={COLORS.control} strokeWidth={2} strokeDasharray="6 3" dot={false} isAnimationActive={false} connectNulls={false} />
              <Line type="monotone" dataKey="updated" name={`Updated to ${data.version} (mean)`} stroke={COLORS.updated} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls={false} />
            </ComposedChart>
          </ResponsiveContainer>
        </figure>
      )}
    </section>
  );
}
