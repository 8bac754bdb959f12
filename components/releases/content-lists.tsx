import { Badge } from "@/components/ui";
import type { CompatibilityRow, KnownIssueRow } from "./list-editors";

const SEVERITY_TONE = { low: "slate", medium: "amber", high: "red", critical: "red" } as const;

export function KnownIssuesTable({ issues }: { issues: KnownIssueRow[] }) {
  if (issues.length === 0) return <p className="text-sm text-slate-600">The vendor lists no known issues.</p>;
  return (
    <table className="min-w-full divide-y divide-slate-200 text-sm">
      <thead className="text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
        <tr><th scope="col" className="py-2 pr-4">Severity</th><th scope="col" className="py-2 pr-4">Symptom</th><th scope="col" className="py-2">Workaround</th></tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {issues.map((i, n) => (
          <tr key={n}>
            <td className="py-2 pr-4 align-top"><Badge tone={SEVERITY_TONE[i.severity]}>{i.severity}</Badge></td>
            <td className="py-2 pr-4 align-top">{i.symptom}</td>
            <td className="py-2 align-top">{i.workaround || <span className="text-slate-600">None</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CompatibilityTable({ notes }: { notes: CompatibilityRow[] }) {
  if (notes.length === 0) return <p className="text-sm text-slate-600">No compatibility notes.</p>;
  return (
    <table className="min-w-full divide-y divide-slate-200 text-sm">
      <thead className="text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
        <tr><th scope="col" className="py-2 pr-4">System or model</th><th scope="col" className="py-2 pr-4">Required versions</th><th scope="col" className="py-2">Notes</th></tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {notes.map((c, n) => (
          <tr key={n}>
            <td className="py-2 pr-4 align-top">{c.system}</td>
            <td className="py-2 pr-4 align-top font-mono text-xs">{c.requiredVersions}</td>
            <td className="py-2 align-top">{c.notes}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
