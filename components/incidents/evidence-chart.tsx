"use client";

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export type SeriesPoint = { hour: string | number; updated: number | null; control: number | null };

const hourLabel = (h: string | number) => {
  const d = new Date(h);
  return Number.isNaN(d.getTime()) ? String(h) : d.toISOString().slice(5, 16).replace("T", " ");
};

/** The regression evidence: the compared metric for updated and not-yet-updated devices, hour by hour. */
export function EvidenceChart({ series }: { series: SeriesPoint[] }) {
  const rows = series.map((p) => ({ ...p, label: hourLabel(p.hour) }));
  return (
    <figure className="h-64" aria-label="Updated vs not-yet-updated devices, hour by hour" data-testid="evidence-chart">
      <figcaption className="mb-1 text-sm font-medium text-slate-800">Updated vs not-yet-updated devices</figcaption>
      <ResponsiveContainer width="100%" height="90%">
        <LineChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: -8 }}>
          <CartesianGrid stroke="#e2e8f0" strokeDasharray="3 3" />
          <XAxis dataKey="label" tick={{ fontSize: 11, fill: "#475569" }} minTickGap={40} />
          <YAxis tick={{ fontSize: 11, fill: "#475569" }} width={48} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Line type="monotone" dataKey="control" name="Not yet updated" stroke="#475569" strokeWidth={2} strokeDasharray="6 3" dot={false} isAnimationActive={false} />
          <Line type="monotone" dataKey="updated" name="Updated" stroke="#b91c1c" strokeWidth={2} dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}
