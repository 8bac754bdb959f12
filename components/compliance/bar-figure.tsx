"use client";

import { Bar, BarChart, CartesianGrid, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export type Series = { key: string; label: string; color: string; stack?: string };

/**
 * One bar chart of a compliance figure. The chart is a picture for sighted readers: it is exposed as a
 * single image whose label is the figure's plain-language summary, and the numbers are in the table
 * next to it. Colours come from PALETTE (colour-blind safe, at least 3:1 against white).
 */
export function BarFigure({
  data, category, series, summary, horizontalBars = false, max, unit = "", average, height,
}: {
  data: Record<string, string | number | null>[];
  category: string;
  series: Series[];
  summary: string;
  horizontalBars?: boolean;
  max?: number;
  unit?: string;
  average?: { value: number; label: string };
  height?: number;
}) {
  const h = height ?? (horizontalBars ? Math.max(160, 48 + data.length * 40) : 260);
  const valueAxis = { type: "number" as const, domain: [0, max ?? "auto"] as [number, number | "auto"], allowDecimals: false, unit, tick: { fill: "#475569", fontSize: 12 } };
  const categoryAxis = { type: "category" as const, dataKey: category, tick: { fill: "#475569", fontSize: 12 }, interval: 0 };
  return (
    <div role="img" aria-label={summary} className="w-full" data-testid="compliance-chart">
      <ResponsiveContainer width="100%" height={h}>
        <BarChart data={data} layout={horizontalBars ? "vertical" : "horizontal"} margin={{ top: 8, right: 24, bottom: 8, left: 8 }} accessibilityLayer={false}>
          <CartesianGrid stroke="#e2e8f0" strokeDasharray="3 3" />
          {horizontalBars ? (
            <>
              <XAxis {...valueAxis} />
              <YAxis {...categoryAxis} width={230} />
            </>
          ) : (
            <>
              <XAxis {...categoryAxis} />
              <YAxis {...valueAxis} width={48} />
            </>
          )}
          <Tooltip formatter={(v) => (v == null ? "—" : `${String(v)}${unit}`)} />
          {series.length > 1 ? <Legend /> : null}
          {average ? (
            horizontalBars
              ? <ReferenceLine x={average.value} stroke="#334155" strokeDasharray="4 2" label={{ value: average.label, fill: "#334155", fontSize: 12, position: "top" }} />
              : <ReferenceLine y={average.value} stroke="#334155" strokeDasharray="4 2" label={{ value: average.label, fill: "#334155", fontSize: 12, position: "insideTopRight" }} />
          ) : null}
          {series.map((s) => (
            <Bar key={s.key} dataKey={s.key} name={s.label} fill={s.color} stackId={s.stack} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
