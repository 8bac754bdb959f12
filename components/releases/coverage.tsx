import { formatDateTime } from "@/components/format";
import { TableHead } from "@/components/table";
import { Badge } from "@/components/ui";
import type { briefingCoverage, problemReportsFor } from "@/lib/services/releases/briefings";

type Coverage = Awaited<ReturnType<typeof briefingCoverage>>;
type Reports = Awaited<ReturnType<typeof problemReportsFor>>;

/** Per unit using this model: how many of its clinicians acknowledged the current briefing, and problems reported. */
export function CoverageTable({ coverage }: { coverage: Coverage }) {
  if (coverage.length === 0) return <p className="text-sm text-slate-600">No unit uses this model.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="briefing-coverage">
        <TableHead columns={["Unit", "Devices", "Acknowledged", "Problem reports"]} />
        <tbody className="divide-y divide-slate-100">
          {coverage.map((u) => (
            <tr key={u.unit_id}>
              <td className="px-4 py-2">{u.unit_name} <span className="text-slate-600">· {u.site_name}</span></td>
              <td className="px-4 py-2">{u.devices}</td>
              <td className="px-4 py-2">
                {u.clinicians === 0 ? (
                  <span className="text-slate-600">No clinician assigned</span>
                ) : (
                  <>
                    <Badge tone={u.acknowledged === 0 ? "red" : u.acknowledged < u.clinicians ? "amber" : "green"}>{u.acknowledged} of {u.clinicians}</Badge>{" "}
                    <span className="text-xs text-slate-600">clinicians</span>
                  </>
                )}
              </td>
              <td className="px-4 py-2">{u.problems ? <Badge tone="red">{u.problems}</Badge> : "0"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ProblemReports({ reports }: { reports: Reports }) {
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
