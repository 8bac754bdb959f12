import { INCIDENT_STATUS_LABELS, INCIDENT_STATUSES, type IncidentStatus } from "@/lib/domain";

/** triage → contained → resolved → lessons learned, with the current step marked. */
export function StatusStepper({ status }: { status: IncidentStatus }) {
  const current = INCIDENT_STATUSES.indexOf(status);
  return (
    <ol className="flex flex-wrap gap-2 text-sm" aria-label="Incident progress" data-testid="status-stepper">
      {INCIDENT_STATUSES.map((s, i) => (
        <li
          key={s}
          aria-current={i === current ? "step" : undefined}
          className={`rounded-full px-3 py-1 ring-1 ring-inset ${i === current ? "bg-brand-700 font-semibold text-white ring-brand-700" : i < current ? "bg-emerald-50 text-emerald-900 ring-emerald-200" : "bg-white text-slate-700 ring-slate-200"}`}
        >
          {i < current ? "✓ " : ""}
          {INCIDENT_STATUS_LABELS[s]}
        </li>
      ))}
    </ol>
  );
}
