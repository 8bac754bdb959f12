"use client";

import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { HEALTH_METRICS, HEALTH_METRIC_LABELS } from "@/lib/domain";
import type { DeviceSeries } from "@/lib/services/telemetry/charts";
import { ChartStatus, COLORS, formatTick, formatTime, formatValue, TelemetryQueryProvider, useChartData } from "./chart-kit";

/** The device page's health section: one small chart per metric, firmware changes marked on each. */
export function DeviceHealth({ deviceId }: { deviceId: number }) {
  return (
    <TelemetryQueryProvider>
      <DeviceHealthCharts deviceId={deviceId} />
    </TelemetryQueryProvider>
  );
}

function DeviceHealthCharts({ deviceId }: { deviceId: number }) {
  const { data, isPending, error } = useChartData<DeviceSeries>(`/api/telemetry/device/${deviceId}?days=7`);
  const status = <ChartStatus loading={isPending} error={error} empty={!data?.points.length} emptyText="No health data from this device in the last 7 days." />;
  if (!data || !data.points.length) return status;
  return (
    <>
      {data.markers.length ? (
        <p className="mb-3 text-sm text-slate-700" data-testid="firmware-markers">
          Firmware changed: {data.markers.map((m) => `${m.version} (${m.source === "install" ? "installed" : "reported"} ${formatTime(m.t)})`).join("; ")}. Dashed lines mark it on each chart.
        </p>
      ) : null}
      <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3" data-testid="device-health-charts">
        {HEALTH_METRICS.map((metric) => (
          <figure key={metric} className="rounded-md border border-slate-200 p-3" aria-label={`${HEALTH_METRIC_LABELS[metric]}, hourly, last 7 days`}>
            <figcaption className="mb-1 text-sm font-medium text-slate-900">{HEALTH_METRIC_LABELS[metric]}</figcaption>
            <div className="h-40">
              <ResponsiveContainer width="100%" height="100%">
                <LineChart data={data.points} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
                  <CartesianGrid stroke={COLORS.grid} strokeDasharray="3 3" />
                  <XAxis dataKey="t" type="number" scale="time" domain={[data.from, data.to]} tickFormatter={formatTick} tick={{ fontSize: 11, fill: COLORS.axis }} minTickGap={40} />
                  <YAxis tick={{ fontSize: 11, fill: COLORS.axis }} width={48} tickFormatter={formatValue} />
                  <Tooltip labelFormatter={formatTime} formatter={formatValue} />
                  <Legend wrapperStyle={{ fontSize: 12 }} />
                  {data.markers.map((m) => (
                    <ReferenceLine key={`${m.t}-${m.version}`} x={m.t} stroke={COLORS.marker} strokeDasharray="4 3" label={{ value: m.version, position: "insideTopLeft", fontSize: 10, fill: COLORS.marker }} />
                  ))}
                  <Line type="monotone" dataKey={metric} name={HEALTH_METRIC_LABELS[metric]} stroke={COLORS.line} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls={false} />
                </LineChart>
              </ResponsiveContainer>
            </div>
          </figure>
        ))}
      </div>
    </>
  );
}
