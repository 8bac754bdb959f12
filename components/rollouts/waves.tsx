import { formatCount, formatDateTime } from "@/components/format";
import { Badge } from "@/components/ui";
import type { WaveKind, WaveState } from "@/lib/domain";
import { GoAheadForm } from "./operations";
import { ProgressBar, type Progress } from "./progress";
import { WAVE_KIND_LABELS } from "./wave-labels";


const WAVE_STATE: Record<WaveState, { label: string; tone: "slate" | "blue" | "green" }> = {
  pending: { label: "Waiting", tone: "slate" },
  active: { label: "Updating", tone: "blue" },
  completed: { label: "Completed", tone: "green" },
  canceled: { label: "Canceled", tone: "slate" },
};

export type WaveView = {
  id: number;
  position: number;
  name: string;
  kind: WaveKind;
  state: WaveState;
  minSuccessPct: number;
  maxFailurePct: number;
  minSample: number;
  soakMinutes: number;
  requireAcknowledgement: boolean;
  requireGoAhead: boolean;
  goAheadName: string | null;
  goAheadAt: Date | null;
  gates: { gate: string; ok: boolean; detail: string }[];
  startedAt: Date | null;
  completedAt: Date | null;
  progress: Progress;
};

const minutes = (m: number) => (m >= 60 && m % 60 === 0 ? `${m / 60} h` : `${m} min`);

/** What a pending wave will wait for, before the engine has judged its gates. */
function configuredGates(wave: WaveView, previous: WaveView | null): string[] {
  return [
    previous ? `“${previous.name}” has finished and met its success gate` : null,
    previous && previous.soakMinutes > 0 ? `and has soaked for ${minutes(previous.soakMinutes)} since` : null,
    "no open incident on this rollout that nobody has signed off",
    wave.requireAcknowledgement ? "the briefing acknowledged by the clinicians of every unit in this wave" : null,
    wave.requireGoAhead ? "a signed go-ahead" : null,
  ].filter((g): g is string => g !== null);
}

export function WaveCard({ wave, previous, rolloutId, canSign, printedName }: { wave: WaveView; previous: WaveView | null; rolloutId: number; canSign: boolean; printedName: string }) {
  const st = WAVE_STATE[wave.state];
  const pendingGates = wave.state === "pending" && wave.gates.length === 0;
  const blocked = wave.gates.filter((g) => !g.ok);
  return (
    <li className="card p-4" data-testid={`wave-${wave.position}`} aria-labelledby={`wave-${wave.id}-name`}>
      <div className="flex flex-wrap items-center gap-2">
        <h3 id={`wave-${wave.id}-name`} className="font-semibold text-slate-900">{wave.position}. {wave.name}</h3>
        <Badge tone="violet">{WAVE_KIND_LABELS[wave.kind]}</Badge>
        <Badge tone={st.tone}>{st.label}</Badge>
        <span className="ml-auto text-xs text-slate-600 tabular-nums">{formatCount(wave.progress.devices)} device{wave.progress.devices === 1 ? "" : "s"}</span>
      </div>
      <ProgressBar progress={wave.progress} legend className="mt-3" />
      <p className="mt-3 text-xs text-slate-600">
        Needs {wave.minSuccessPct}% success · halts above {wave.maxFailurePct}% failures (after {wave.minSample} result{wave.minSample === 1 ? "" : "s"}) · then soaks {minutes(wave.soakMinutes)}
        {wave.requireAcknowledgement ? " · briefing acknowledged" : ""}
        {wave.requireGoAhead ? " · signed go-ahead" : ""}
        {wave.startedAt ? ` · started ${formatDateTime(wave.startedAt)}` : ""}
        {wave.completedAt ? ` · completed ${formatDateTime(wave.completedAt)}` : ""}
      </p>
      {pendingGates ? (
        <div className="mt-3 text-sm" data-testid="wave-waits-for">
          <p className="font-medium text-slate-800">Starts when:</p>
          <ul className="mt-1 list-disc space-y-0.5 pl-5 text-slate-700">
            {configuredGates(wave, previous).map((g) => <li key={g}>{g}</li>)}
          </ul>
        </div>
      ) : wave.gates.length ? (
        <div className="mt-3" data-testid="wave-gates">
          <p className="text-sm font-medium text-slate-800">
            {wave.state === "pending" ? (blocked.length ? "Waiting for:" : "Gates passed; starting on the next check.") : wave.state === "active" ? "Gates while updating:" : "Gates:"}
          </p>
          <ul className="mt-1 space-y-1 text-sm">
            {wave.gates.map((g) => (
              <li key={g.gate} className="flex items-start gap-2">
                <span aria-hidden className={`mt-0.5 font-bold ${g.ok ? "text-emerald-700" : "text-amber-700"}`}>{g.ok ? "✓" : "…"}</span>
                <span>
                  <span className="font-medium">{g.gate}</span>
                  <span className="sr-only">{g.ok ? " (met)" : " (not met)"}</span>: <span className={g.ok ? "text-slate-700" : "text-amber-900"}>{g.detail}</span>
                </span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {wave.requireGoAhead && wave.goAheadAt ? (
        <p className="mt-2 text-sm text-emerald-800">Go-ahead signed by {wave.goAheadName} · {formatDateTime(wave.goAheadAt)}</p>
      ) : null}
      {wave.state === "pending" && wave.requireGoAhead && !wave.goAheadAt && canSign ? (
        <GoAheadForm rolloutId={rolloutId} waveId={wave.id} waveName={wave.name} printedName={printedName} />
      ) : null}
    </li>
  );
}
