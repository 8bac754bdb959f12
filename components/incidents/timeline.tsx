import { formatDateTime } from "@/components/format";
import { INCIDENT_STATUS_LABELS, type IncidentStatus } from "@/lib/domain";

type Event = { seq: number; createdAt: Date; actorName: string | null; action: string; outcome: string; after: unknown; reason: string | null };

const LABELS: Record<string, string> = {
  "incident.opened": "Opened",
  "incident.devices_linked": "Devices linked",
  "incident.device_unlinked": "Device unlinked",
  "incident.owner_assigned": "Owner assigned",
  "incident.severity_changed": "Severity changed",
  "incident.status_changed": "Status changed",
  "incident.escalated": "Escalated",
  "incident.note": "Note",
  "incident.signed_off": "Signed off",
  "incident.containment": "Containment",
  "signature.password_rejected": "Sign-off refused: wrong password",
  "signature.lockout": "Sign-off refused: signing locked",
};

const STEPS: Record<string, string> = { rollout_paused: "Rollout paused", device_quarantined: "Device quarantined", rollout_reverted: "Revert rollout started" };

function summary(action: string, after: unknown): string | null {
  if (!after || typeof after !== "object") return null;
  const a = after as Record<string, unknown>;
  switch (action) {
    case "incident.opened":
      return `${a.severity} · told ${a.notified ?? 0} people`;
    case "incident.status_changed":
      return [`Now ${INCIDENT_STATUS_LABELS[a.status as IncidentStatus] ?? a.status}`, a.verification ? `Verification: ${a.verification}` : null, a.lessonsLearned ? `Lessons learned: ${a.lessonsLearned}` : null, `told ${a.notified ?? 0} people`].filter(Boolean).join(" · ");
    case "incident.escalated":
      return `Level ${a.escalationLevel} · told ${a.notified ?? 0} people`;
    case "incident.owner_assigned":
      return String(a.owner ?? "");
    case "incident.severity_changed":
      return `Now ${a.severity}`;
    case "incident.note":
      return String(a.note ?? "");
    case "incident.signed_off":
      return `by ${a.printedName}`;
    case "incident.containment":
      return STEPS[String(a.step)] ?? String(a.step);
    case "incident.devices_linked":
      return Array.isArray(a.deviceIds) ? `${a.deviceIds.length} device${a.deviceIds.length === 1 ? "" : "s"}` : null;
    default:
      return null;
  }
}

/** The incident's history, from its audit trail, newest first. */
export function IncidentTimeline({ events }: { events: Event[] }) {
  if (events.length === 0) return <p className="text-sm text-slate-600">Nothing recorded yet.</p>;
  return (
    <ol className="space-y-3" data-testid="incident-timeline">
      {events.map((e) => {
        const text = summary(e.action, e.after);
        const bad = e.outcome !== "success" || e.action === "incident.escalated";
        return (
          <li key={e.seq} className={`border-l-2 pl-3 text-sm ${bad ? "border-red-400" : "border-brand-100"}`}>
            <p>
              <span className="font-medium">{LABELS[e.action] ?? e.action}</span> <span className="text-slate-600">by {e.actorName ?? "system"}</span>
            </p>
            <p className="text-xs text-slate-600">{formatDateTime(e.createdAt)}</p>
            {text ? <p className="break-words text-slate-700">{text}</p> : null}
            {e.reason ? <p className="break-words text-slate-700">Reason: {e.reason}</p> : null}
          </li>
        );
      })}
    </ol>
  );
}
