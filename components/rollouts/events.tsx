import { formatCount, formatDateTime } from "@/components/format";

type Event = { seq: number; createdAt: Date; actorName: string | null; action: string; after: unknown; reason: string | null };

const LABELS: Record<string, string> = {
  "rollout.created": "Rollout created",
  "rollout.wave_started": "Wave started",
  "rollout.wave_completed": "Wave completed",
  "rollout.paused": "Paused",
  "rollout.resumed": "Resumed",
  "rollout.halted": "Halted",
  "rollout.canceled": "Canceled",
  "rollout.completed": "Rollout completed",
  "rollout.retry_failed": "Failed devices retried",
  "rollout.go_ahead_signed": "Go-ahead signed",
  "signature.password_rejected": "Go-ahead refused: wrong password",
};

const n = (v: unknown) => (typeof v === "number" ? formatCount(v) : "?");

/** A short line saying what the event changed, from its audit record. */
function summary(action: string, after: unknown): string | null {
  if (!after || typeof after !== "object") return null;
  const a = after as Record<string, unknown>;
  switch (action) {
    case "rollout.created":
      return `${n(a.devices)} devices in ${Array.isArray(a.waves) ? a.waves.map((w: { name?: string; devices?: number }) => `${w.name} (${n(w.devices)})`).join(", ") : "?"}`;
    case "rollout.wave_started":
      return `“${a.wave}”: ${n(a.targeted)} devices given the update${a.skipped ? `, ${n(a.skipped)} skipped` : ""}`;
    case "rollout.wave_completed":
      return `“${a.wave}”: ${n(a.succeeded)} succeeded, ${n(a.failed)} failed, ${n(a.canceled)} canceled`;
    case "rollout.paused":
      return a.cause ? `“${a.wave}”: ${a.cause} (${a.successPct}% succeeded)` : null;
    case "rollout.halted":
    case "rollout.canceled":
      return typeof a.canceled === "number" ? `${n(a.canceled)} updates canceled, ${n(a.cancelRequested)} devices asked to cancel` : null;
    case "rollout.retry_failed":
      return `${n(a.retried)} devices`;
    case "rollout.go_ahead_signed":
      return `“${a.wave}” by ${a.printedName}`;
    default:
      return null;
  }
}

export function RolloutEvents({ events }: { events: Event[] }) {
  if (events.length === 0) return <p className="text-sm text-slate-600">Nothing recorded yet.</p>;
  return (
    <ol className="space-y-3" data-testid="rollout-events">
      {events.map((e) => {
        const text = summary(e.action, e.after);
        return (
          <li key={e.seq} className={`border-l-2 pl-3 text-sm ${e.action === "rollout.halted" ? "border-red-400" : "border-brand-100"}`}>
            <p>
              <span className="font-medium">{LABELS[e.action] ?? e.action}</span> <span className="text-slate-600">by {e.actorName ?? "system"}</span>
            </p>
            <p className="text-xs text-slate-600">{formatDateTime(e.createdAt)}</p>
            {text ? <p className="text-slate-700">{text}</p> : null}
            {e.reason ? <p className={e.action === "rollout.halted" ? "text-red-800" : "text-slate-700"}>Reason: {e.reason}</p> : null}
          </li>
        );
      })}
    </ol>
  );
}
