"use client";

import { Area, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { HEALTH_METRICS, HEALTH_METRIC_LABELS } from "@/lib/domain";
import type { ModelSeries } from "@/lib/services/telemetry/charts";
import { ChartStatus, COLORS, formatTick, formatTime, formatValue, TelemetryQueryProvider, useChartData } from "./chart-kit";

/** A model's health: per metric, the mean across its devices and the band where 80 % of them lie. */
export function ModelHealth({ modelId }: { modelId: number }) {
  return (
    <TelemetryQueryProvider>
      <ModelHealthCharts modelId={modelId} />
    </TelemetryQueryProvider>
  );
}

function ModelHealthCharts({ modelId }: { modelId: number }) {
  const { data, isPending, error } = useChartData<ModelSeries>(`/api/telemetry/model/${modelId}?days=7`);
  const status = <ChartStatus loading={isPending} error={error} empty={!data?.points.length} emptyText="No health data from devices of this model in the last 7 days." />;
  if (!data || !data.points.length) return status;
  return (
    <div className="grid gap-4 md:grid-cols-2" data-testid="model-health-charts">
      {HEALTH_METRICS.map((metric) => {
        const rows = data.points.map((p) => ({ t: p.t, mean: p.metrics[metric].mean, band: [p.metrics[metric].lo, p.metrics[metric].hi], devices: p.devices }));
        return (
          <figure key={metric} className="rounded-md border border-slate-200 p-3" aria-label={`${HEALTH_METRIC_LABELS[metric]} across the model's devices, hourly, last 7 days`}>
            <figcaption className="mb-1 text-sm font-medium text-slate-900">{HEALTH_METRIC_LABELS[metric]}</figcaption>
            <div className="h-48">
              <ResponsiveContainer width="100%" height="100%">
                <ComposedChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
                  <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
                  <XAxis dataKey="t" type="number" scale="time" domain={[data.from, data.to]} tickFormatter={formatTick} tick={{ fontSize: 11, fill: COLORS.axis }} minTickGap={40} />
                  <YAxis tick={{ fontSize: 11, fill: COLORS.axis }} width={48} tickFormatter={formatValue} />
                  <Tooltip labelFormatter={formatTime} formatter={formatValue} />
                  <Legend wrapperStyle={{ fontSize: 12 }} />
                  <Area dataKey="band" name="10th–90th percentile" stroke="none" fill={COLORS.line} fillOpacity={0.18} isAnimationActive={false} connectNulls={false} />
                  <Line type="monotone" dataKey="mean" name="Mean" stroke={COLORS.line} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls={false} />
                </ComposedChart>
              </ResponsiveContainer>
            </div>
          </figure>
        );
      })}
    </div>
  );
}
