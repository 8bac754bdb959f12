import type { ReactNode } from "react";
import type { problemReportsFor } from "@/lib/services/releases/briefings";
import { formatCount, formatDateTime } from "../format";
import { BRIEFING_FIELDS, type BriefingText as BriefingContent } from "../releases/briefing-sections";
import { Badge } from "../ui";

/** The briefing text as a nurse reads it: big headings, short paragraphs, nothing technical. */
export function BriefingText({ briefing, headingLevel = 3 }: { briefing: BriefingContent; headingLevel?: 3 | 4 }) {
  const H = headingLevel === 3 ? "h3" : "h4";
  return (
    <div className="space-y-5">
      {BRIEFING_FIELDS.map((s) => (
        <section key={s.key}>
          <H className="text-lg font-semibold text-slate-900">{s.readerTitle}</H>
          <p className="mt-1 max-w-3xl text-base leading-relaxed whitespace-pre-line text-slate-800">{briefing[s.key]}</p>
        </section>
      ))}
    </div>
  );
}

export type CoverageRow = { unit_id: number; unit_name: string; site_name: string; devices: number; clinicians: number; acknowledged: number; problems: number };

/**
 * Per unit: clinicians assigned, how many acknowledged the current text, problem reports. Units where no
 * clinician is assigned cannot acknowledge at all, so they are listed together as a warning.
 */
export function CoverageTable({ rows, caption }: { rows: CoverageRow[]; caption: string }) {
  if (rows.length === 0) return <p className="px-3 py-2 text-sm text-slate-600">No unit has a device of this model.</p>;
  const staffed = rows.filter((r) => r.clinicians > 0 || r.problems > 0);
  const empty = rows.filter((r) => r.clinicians === 0 && r.problems === 0);
  const place = (r: CoverageRow) => `${r.unit_name} (${r.site_name})`;
  return (
    <>
      {staffed.length ? (
        <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="coverage-table">
          <caption className="sr-only">{caption}</caption>
          <thead className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
            <tr>
              <th scope="col" className="px-3 py-2">Unit</th>
              <th scope="col" className="px-3 py-2 text-right">Devices</th>
              <th scope="col" className="px-3 py-2 text-right">Clinicians</th>
              <th scope="col" className="px-3 py-2">Acknowledged</th>
              <th scope="col" className="px-3 py-2 text-right">Problem reports</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {staffed.map((r) => (
              <tr key={r.unit_id}>
                <th scope="row" className="px-3 py-1.5 text-left font-medium">
                  {r.unit_name}
                  <span className="font-normal text-slate-600"> · {r.site_name}</span>
                </th>
                <td className="px-3 py-1.5 text-right tabular-nums">{formatCount(r.devices)}</td>
                <td className="px-3 py-1.5 text-right tabular-nums">{r.clinicians}</td>
                <td className="px-3 py-1.5"><Progress done={r.acknowledged} of={r.clinicians} /></td>
                <td className="px-3 py-1.5 text-right tabular-nums">{r.problems ? <span className="font-semibold text-red-700">{r.problems}</span> : "0"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {empty.length ? (
        <p className={`px-3 py-2 text-xs text-amber-900 ${staffed.length ? "border-t border-slate-200" : ""}`} data-testid="coverage-unstaffed">
          <span className="font-semibold">
            No clinician is assigned in {empty.length} unit{empty.length === 1 ? "" : "s"} using this model ({formatCount(empty.reduce((n, r) => n + r.devices, 0))} devices), so nobody there can acknowledge:
          </span>{" "}
          {empty.map(place).join(", ")}.
        </p>
      ) : null}
    </>
  );
}

function Progress({ done, of }: { done: number; of: number }): ReactNode {
  if (of === 0) return <span className="text-xs text-amber-800">no clinicians assigned</span>;
  const pct = Math.min(100, Math.round((done / of) * 100));
  const tone = pct === 100 ? "bg-emerald-600" : pct >= 50 ? "bg-amber-500" : "bg-red-600";
  return (
    <div className="flex items-center gap-2">
      <div className="h-2 w-24 overflow-hidden rounded-full border border-slate-200 bg-slate-100" aria-hidden>
        <div className={`h-full ${tone}`} style={{ width: `${pct}%` }} />
      </div>
      <span className="text-xs whitespace-nowrap text-slate-700 tabular-nums">{done} of {of}</span>
    </div>
  );
}

/** Problems clinicians reported after the update, newest first. */
export function ProblemReports({ reports }: { reports: Awaited<ReturnType<typeof problemReportsFor>> }) {
  if (reports.length === 0) return <p className="text-sm text-slate-600">No problem reported by clinicians.</p>;
  return (
    <ul className="divide-y divide-slate-200" data-testid="problem-reports">
      {reports.map((r) => (
        <li key={r.id} className="py-3">
          <p className="flex flex-wrap items-center gap-2 text-sm">
            <span className="font-medium">{r.unitName}</span>
            {r.patientHarm ? <Badge tone="red">Patient harmed or at risk</Badge> : null}
            <span className="text-xs text-slate-600">{r.reporter} · {formatDateTime(r.createdAt)}{r.deviceSerial ? ` · device ${r.deviceSerial}` : ""}</span>
          </p>
          <p className="mt-1 text-sm whitespace-pre-line">{r.description}</p>
        </li>
      ))}
    </ul>
  );
}
