import { EvidenceChart, type SeriesPoint } from "./evidence-chart";

// Evidence is machine-made JSON (a gate's figures, a regression's series and test). It is shown as a
// key/value table; a `series` of { hour, updated, control } is drawn as a chart as well.

const isPoint = (p: unknown): p is SeriesPoint =>
  !!p && typeof p === "object" && "hour" in p && "updated" in p && "control" in p;

function text(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

const label = (key: string) => key.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

export function IncidentEvidence({ evidence }: { evidence: unknown }) {
  if (evidence === null || evidence === undefined) return <p className="text-sm text-slate-600">No machine-made evidence: this incident was reported by a person.</p>;
  const record: Record<string, unknown> = typeof evidence === "object" && !Array.isArray(evidence) ? (evidence as Record<string, unknown>) : { value: evidence };
  const series = Array.isArray(record.series) && record.series.length > 0 && record.series.every(isPoint) ? (record.series as SeriesPoint[]) : null;
  const rows = Object.entries(record).filter(([k]) => !(series && k === "series"));
  return (
    <div className="space-y-4">
      {series ? <EvidenceChart series={series} /> : null}
      {rows.length ? (
        <dl className="divide-y divide-slate-100 rounded-md border border-slate-200 text-sm" data-testid="incident-evidence">
          {rows.map(([k, v]) => (
            <div key={k} className="grid grid-cols-3 gap-3 px-3 py-1.5">
              <dt className="font-medium text-slate-700">{label(k)}</dt>
              <dd className="col-span-2 font-mono text-xs break-words text-slate-900">{text(v)}</dd>
            </div>
          ))}
        </dl>
      ) : null}
    </div>
  );
}
