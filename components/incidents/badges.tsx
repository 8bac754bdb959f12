import { Badge } from "@/components/ui";
import { INCIDENT_STATUS_LABELS, type IncidentSeverity, type IncidentStatus } from "@/lib/domain";

const SEVERITY_TONE: Record<IncidentSeverity, "red" | "amber" | "blue" | "slate"> = { critical: "red", high: "amber", medium: "blue", low: "slate" };
const SEVERITY_LABEL: Record<IncidentSeverity, string> = { critical: "Critical", high: "High", medium: "Medium", low: "Low" };

export function SeverityBadge({ severity }: { severity: IncidentSeverity }) {
  return <Badge tone={SEVERITY_TONE[severity]}>{SEVERITY_LABEL[severity]}</Badge>;
}

const STATUS_TONE: Record<IncidentStatus, "red" | "amber" | "green" | "slate"> = { triage: "red", contained: "amber", resolved: "green", lessons_learned: "slate" };

export function IncidentStatusBadge({ status }: { status: IncidentStatus }) {
  return <Badge tone={STATUS_TONE[status]}>{INCIDENT_STATUS_LABELS[status]}</Badge>;
}

/** "in 12 min" / "3 h overdue" from the database's now, or a dash when no deadline runs. */
export function timeToDeadline(due: Date | null, now: Date): string {
  if (!due) return "—";
  const min = Math.round((due.getTime() - now.getTime()) / 60_000);
  const span = (m: number) => (m < 60 ? `${m} min` : m < 2880 ? `${Math.round(m / 60)} h` : `${Math.round(m / 1440)} days`);
  return min >= 0 ? `in ${span(min)}` : `${span(-min)} overdue`;
}
