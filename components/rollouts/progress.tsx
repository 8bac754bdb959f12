import { formatCount } from "@/components/format";
import { Badge } from "@/components/ui";
import { ROLLOUT_STATE_LABELS, type RolloutState } from "@/lib/domain";

export type Progress = { devices: number; waiting: number; inProgress: number; succeeded: number; failed: number; canceled: number };

const PARTS = [
  { key: "succeeded", label: "succeeded", bar: "bg-emerald-600", dot: "bg-emerald-600" },
  { key: "failed", label: "failed", bar: "bg-red-600", dot: "bg-red-600" },
  { key: "inProgress", label: "in progress", bar: "bg-sky-500", dot: "bg-sky-500" },
  { key: "waiting", label: "waiting", bar: "bg-slate-300", dot: "bg-slate-300" },
  { key: "canceled", label: "canceled", bar: "bg-slate-500", dot: "bg-slate-500" },
] as const;

/** One sentence with every count, for screen readers and the bar's tooltip. */
export const progressText = (p: Progress) =>
  p.devices === 0 ? "no devices" : `${formatCount(p.devices)} devices: ${PARTS.map((part) => `${formatCount(p[part.key])} ${part.label}`).join(", ")}`;

/** Devices by outcome as one stacked bar; the legend (counts) is optional. */
export function ProgressBar({ progress, legend = false, className = "" }: { progress: Progress; legend?: boolean; className?: string }) {
  const total = progress.devices;
  return (
    <div className={className}>
      <div className="flex h-2.5 w-full overflow-hidden rounded-full border border-slate-200 bg-slate-100" role="img" aria-label={progressText(progress)} title={progressText(progress)}>
        {total > 0
          ? PARTS.map((part) => (progress[part.key] > 0 ? <div key={part.key} className={`h-full ${part.bar}`} style={{ width: `${(progress[part.key] / total) * 100}%` }} /> : null))
          : null}
      </div>
      {legend ? (
        <ul className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-700" aria-hidden>
          {PARTS.map((part) => (
            <li key={part.key} className="inline-flex items-center gap-1.5 tabular-nums">
              <span className={`inline-block h-2 w-2 rounded-full ${part.dot}`} />
              <span className={part.key === "failed" && progress.failed > 0 ? "font-semibold text-red-700" : ""}>{formatCount(progress[part.key])} {part.label}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

const STATE_TONE: Record<RolloutState, "slate" | "green" | "amber" | "red" | "blue"> = {
  running: "blue",
  paused: "amber",
  halted: "red",
  completed: "green",
  canceled: "slate",
};

export function RolloutStateBadge({ state }: { state: RolloutState }) {
  return <Badge tone={STATE_TONE[state]}>{ROLLOUT_STATE_LABELS[state]}</Badge>;
}
