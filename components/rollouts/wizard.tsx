"use client";

import { useRouter } from "next/navigation";
import { useEffect, useMemo, useRef, useState, useTransition, type ReactNode } from "react";
import { formatCount } from "@/components/format";
import { FormMessage } from "@/components/ui";
import { createRolloutAction, previewRolloutAction, type RolloutPreview } from "@/lib/actions/rollouts";
import type { WaveKind } from "@/lib/domain";
import { WAVE_KIND_LABELS } from "./wave-labels";

export type WizardRelease = {
  id: number;
  modelId: number;
  modelName: string;
  version: string;
  securityVersion: number;
  hardwareRevisions: string[];
  lifeSustaining: boolean;
};

type Option = { id: number; name: string };
type UnitOption = Option & { siteId: number };

type WaveDraft = {
  key: number;
  kind: WaveKind;
  name: string;
  /** Pilot only: named units, or a sample of every unit. */
  pilotMode: "percent" | "units";
  unitIds: number[];
  percent: number;
  minSuccessPct: number;
  maxFailurePct: number;
  minSample: number;
  soakMinutes: number;
  requireAcknowledgement: boolean;
  requireGoAhead: boolean;
};

const ORDER: WaveKind[] = ["lab", "pilot", "general"];

function newWave(key: number, kind: WaveKind, lifeSustaining: boolean, percent = 100): WaveDraft {
  const base = { key, kind, pilotMode: "percent" as const, unitIds: [], percent, requireAcknowledgement: true, requireGoAhead: false };
  if (kind === "lab") return { ...base, name: "Lab", percent: 100, minSuccessPct: 100, maxFailurePct: 0, minSample: 1, soakMinutes: 60, requireAcknowledgement: false };
  if (kind === "pilot") return { ...base, name: "Pilot", percent: 10, minSuccessPct: 95, maxFailurePct: 5, minSample: 5, soakMinutes: 24 * 60 };
  return { ...base, name: "General", minSuccessPct: 95, maxFailurePct: 5, minSample: 10, soakMinutes: 60, requireGoAhead: lifeSustaining };
}

/** Lab (when there are sandbox devices) → pilot 10% of every unit → general, the rest. */
function defaultWaves(sandbox: number, lifeSustaining: boolean): WaveDraft[] {
  const kinds: WaveKind[] = sandbox > 0 ? ["lab", "pilot", "general"] : ["pilot", "general"];
  return kinds.map((k, i) => newWave(i + 1, k, lifeSustaining));
}

const splitList = (text: string) => text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
const toggle = <T,>(list: T[], value: T) => (list.includes(value) ? list.filter((v) => v !== value) : [...list, value]);

/** Rough wave sizes, following how the service splits targets; exact numbers appear once created. */
function estimate(waves: WaveDraft[], preview: RolloutPreview | null): (number | null)[] {
  if (!preview) return waves.map(() => null);
  let left = preview.targets;
  const lastGeneral = waves.map((w) => w.kind).lastIndexOf("general");
  const unitSize = new Map(preview.perUnit.map((u) => [u.unitId, u.devices]));
  return waves.map((w, i) => {
    let n: number;
    if (w.kind === "lab") n = preview.sandbox;
    else if (w.kind === "pilot" && w.pilotMode === "units") n = w.unitIds.reduce((s, id) => s + (unitSize.get(id) ?? 0), 0);
    else if (w.kind === "pilot") n = preview.perUnit.reduce((s, u) => s + Math.ceil((u.devices * w.percent) / 100), 0);
    else if (i === lastGeneral) n = left;
    else n = Math.round((preview.targets * w.percent) / 100);
    n = Math.max(0, Math.min(n, left));
    left -= n;
    return n;
  });
}

function Step({ n, title, children, aside }: { n: number; title: string; children: ReactNode; aside?: ReactNode }) {
  return (
    <section className="card p-5" aria-labelledby={`step-${n}`}>
      <div className="mb-4 flex flex-wrap items-start justify-between gap-3">
        <h2 id={`step-${n}`} className="text-base font-semibold text-slate-900">
          <span className="mr-2 inline-flex h-6 w-6 items-center justify-center rounded-full bg-brand-700 text-xs text-white" aria-hidden>{n}</span>
          {title}
        </h2>
        {aside}
      </div>
      {children}
    </section>
  );
}

function NumberField({ id, label, value, onChange, min, max, suffix, disabled }: { id: string; label: string; value: number; onChange: (v: number) => void; min: number; max: number; suffix?: string; disabled?: boolean }) {
  return (
    <div>
      <label htmlFor={id} className="label">{label}</label>
      <div className="flex items-center gap-1">
        <input id={id} type="number" inputMode="numeric" min={min} max={max} value={Number.isFinite(value) ? value : ""} disabled={disabled} onChange={(e) => onChange(e.target.valueAsNumber)} className="input w-24 disabled:bg-slate-100" />
        {suffix ? <span className="text-sm text-slate-600">{suffix}</span> : null}
      </div>
    </div>
  );
}

function CheckList({ legend, options, chosen, onToggle, empty, hint, testId }: { legend: string; options: { id: number | string; label: string; group?: string }[]; chosen: (number | string)[]; onToggle: (id: number | string) => void; empty: string; hint?: string; testId?: string }) {
  return (
    <fieldset data-testid={testId}>
      <legend className="label">{legend}</legend>
      {hint ? <p className="mb-1 text-xs text-slate-600">{hint}</p> : null}
      {options.length === 0 ? (
        <p className="text-sm text-slate-600">{empty}</p>
      ) : (
        <div className="max-h-48 space-y-0.5 overflow-y-auto rounded-md border border-slate-200 p-2">
          {options.map((o, i) => {
            const heading = o.group && o.group !== options[i - 1]?.group ? o.group : null;
            return (
              <div key={o.id}>
                {heading ? <p className="mt-1 text-xs font-semibold text-slate-600 first:mt-0">{heading}</p> : null}
                <label className="flex items-center gap-2 text-sm">
                  <input type="checkbox" checked={chosen.includes(o.id)} onChange={() => onToggle(o.id)} />
                  {o.label}
                </label>
              </div>
            );
          })}
        </div>
      )}
    </fieldset>
  );
}

export function RolloutWizard({
  release,
  sites,
  units,
  models,
  initialPreview,
  exclusions,
}: {
  release: WizardRelease;
  /** Why devices are left out, in report order (from the service, so the words match). */
  exclusions: [keyof RolloutPreview["excluded"], string][];
  sites: Option[];
  units: UnitOption[];
  models: Option[];
  initialPreview: RolloutPreview | null;
}) {
  const router = useRouter();
  const [name, setName] = useState(`${release.modelName} ${release.version}`);
  const [hardware, setHardware] = useState<string[]>([]);
  const [siteIds, setSiteIds] = useState<number[]>([]);
  const [unitIds, setUnitIds] = useState<number[]>([]);
  const [modelIds, setModelIds] = useState<number[]>([]);
  const [versions, setVersions] = useState("");
  const [explicit, setExplicit] = useState("");
  const [offlineDays, setOfflineDays] = useState(7);
  const [maxConcurrent, setMaxConcurrent] = useState(50);
  const [waves, setWaves] = useState<WaveDraft[]>(() => defaultWaves(initialPreview?.sandbox ?? 0, release.lifeSustaining));
  const [preview, setPreview] = useState<RolloutPreview | null>(initialPreview);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [counting, setCounting] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; message?: string; fieldErrors?: Record<string, string[]> } | null>(null);
  const [creating, startCreating] = useTransition();
  const keys = useRef(100);

  const siteName = useMemo(() => new Map(sites.map((s) => [s.id, s.name])), [sites]);
  const unitLabel = useMemo(() => new Map(units.map((u) => [u.id, `${siteName.get(u.siteId) ?? ""} · ${u.name}`])), [units, siteName]);

  const filter = useMemo(
    () => ({
      releaseId: release.id,
      modelIds: modelIds.length ? modelIds : undefined,
      hardwareRevisions: hardware.length ? hardware : undefined,
      siteIds: siteIds.length ? siteIds : undefined,
      unitIds: unitIds.length ? unitIds : undefined,
      currentVersions: splitList(versions).length ? splitList(versions) : undefined,
      serials: splitList(explicit).length ? splitList(explicit) : undefined,
      offlineDays: Number.isFinite(offlineDays) ? offlineDays : 7,
    }),
    [release.id, modelIds, hardware, siteIds, unitIds, versions, explicit, offlineDays],
  );
  const filterKey = JSON.stringify(filter);
  const firstRun = useRef(true);
  const latest = useRef(0);

  // The live count: asked again 400 ms after the last change; an older answer never overwrites a newer one.
  useEffect(() => {
    if (firstRun.current && initialPreview) {
      firstRun.current = false;
      return;
    }
    firstRun.current = false;
    const ticket = ++latest.current;
    setCounting(true);
    const timer = setTimeout(async () => {
      const answer = await previewRolloutAction(JSON.parse(filterKey));
      if (ticket !== latest.current) return;
      setCounting(false);
      if (answer.ok) {
        setPreview(answer.data!);
        setPreviewError(null);
      } else setPreviewError(answer.message ?? "The devices could not be counted.");
    }, 400);
    return () => clearTimeout(timer);
  }, [filterKey, initialPreview]);

  const visibleUnits = units.filter((u) => siteIds.length === 0 || siteIds.includes(u.siteId));
  const targetUnits = (preview?.perUnit ?? []).map((u) => ({ id: u.unitId, label: `${unitLabel.get(u.unitId) ?? `Unit ${u.unitId}`} (${u.devices})` })).sort((a, b) => a.label.localeCompare(b.label));
  const sizes = estimate(waves, preview);
  const lastGeneral = waves.map((w) => w.kind).lastIndexOf("general");

  const update = (key: number, patch: Partial<WaveDraft>) => setWaves((ws) => ws.map((w) => (w.key === key ? { ...w, ...patch } : w)));
  const addWave = (kind: WaveKind) => {
    const key = keys.current++;
    setWaves((ws) => {
      const added = newWave(key, kind, release.lifeSustaining, kind === "general" ? 50 : 100);
      if (kind === "general") added.name = `General ${ws.filter((w) => w.kind === "general").length + 1}`;
      return [...ws, added].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
    });
  };

  const problems: string[] = [];
  if (preview && preview.targets === 0) problems.push("No device can take this release with these choices. Widen the selection; the report shows why devices are left out.");
  const unknown = preview?.unknownSerials ?? [];
  if (unknown.length) problems.push(`No device has the serial number${unknown.length > 1 ? "s" : ""} ${unknown.slice(0, 3).join(", ")}${unknown.length > 3 ? ` and ${unknown.length - 3} more` : ""}. Check the list.`);
  waves.forEach((w, i) => {
    if (w.kind === "lab" && preview && preview.sandbox === 0) problems.push(`“${w.name}”: none of the chosen devices is a lab (sandbox) device. Remove the lab wave.`);
    if (w.kind === "pilot" && w.pilotMode === "units" && w.unitIds.length === 0) problems.push(`“${w.name}”: choose the pilot units.`);
    if (sizes[i] === 0 && !(w.kind === "lab" && preview?.sandbox === 0)) problems.push(`“${w.name}” would have no devices.`);
    if (!w.name.trim()) problems.push("Name each wave.");
  });

  const create = () => {
    setResult(null);
    startCreating(async () => {
      const answer = await createRolloutAction({
        name,
        filter,
        maxConcurrent,
        waves: waves.map((w, i) => ({
          kind: w.kind,
          name: w.name,
          unitIds: w.kind === "pilot" && w.pilotMode === "units" ? w.unitIds : undefined,
          percent: w.kind === "pilot" && w.pilotMode === "percent" ? w.percent : w.kind === "general" && i !== lastGeneral ? w.percent : undefined,
          minSuccessPct: w.minSuccessPct,
          maxFailurePct: w.maxFailurePct,
          minSample: w.minSample,
          soakMinutes: w.soakMinutes,
          requireAcknowledgement: w.requireAcknowledgement,
          requireGoAhead: w.requireGoAhead,
        })),
      });
      if (answer.ok) router.push(`/rollouts/${answer.data!.id}`);
      else setResult(answer);
    });
  };

  const report = (
    <div aria-live="polite" data-testid="preview">
      {previewError ? (
        <FormMessage ok={false} message={previewError} />
      ) : !preview ? (
        <p className="text-sm text-slate-600">Counting…</p>
      ) : (
        <>
          <p className="text-3xl font-semibold text-slate-900 tabular-nums" data-testid="target-count">{formatCount(preview.targets)}</p>
          <p className="text-sm text-slate-700">
            device{preview.targets === 1 ? "" : "s"} will get {release.version}
            {counting ? <span className="ml-2 text-xs text-slate-500">updating…</span> : null}
          </p>
          <p className="mt-1 text-xs text-slate-600">
            of {formatCount(preview.selected)} selected · {formatCount(preview.sandbox)} lab (sandbox) · in {formatCount(preview.perUnit.length)} unit{preview.perUnit.length === 1 ? "" : "s"}
          </p>
          <h3 className="mt-4 text-sm font-semibold text-slate-800">Compatibility report</h3>
          {preview.selected === preview.targets ? (
            <p className="mt-1 text-sm text-emerald-800">Every selected device can take this release.</p>
          ) : (
            <ul className="mt-1 space-y-1 text-sm" data-testid="exclusions">
              {exclusions.filter(([e]) => preview.excluded[e] > 0).map(([e, label]) => (
                <li key={e} className="flex justify-between gap-3">
                  <span className="text-slate-700">{label}</span>
                  <span className="font-medium text-amber-800 tabular-nums">{formatCount(preview.excluded[e])} left out</span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );

  return (
    <div className="space-y-6">
      <Step n={1} title="Choose the devices">
        <div className="grid gap-6 lg:grid-cols-3">
          <div className="grid gap-4 sm:grid-cols-2 lg:col-span-2">
            <CheckList
              legend="Sites"
              hint="None ticked: every site."
              options={sites.map((s) => ({ id: s.id, label: s.name }))}
              chosen={siteIds}
              onToggle={(id) => setSiteIds((l) => toggle(l, id as number))}
              empty="No sites."
            />
            <CheckList
              legend="Units"
              hint="None ticked: every unit of the chosen sites."
              options={visibleUnits.map((u) => ({ id: u.id, label: u.name, group: siteName.get(u.siteId) }))}
              chosen={unitIds}
              onToggle={(id) => setUnitIds((l) => toggle(l, id as number))}
              empty="No units."
            />
            <CheckList
              legend="Hardware revisions"
              hint={`The release supports ${release.hardwareRevisions.join(", ")}. None ticked: all.`}
              options={release.hardwareRevisions.map((h) => ({ id: h, label: h }))}
              chosen={hardware}
              onToggle={(id) => setHardware((l) => toggle(l, id as string))}
              empty="—"
            />
            <CheckList
              legend="Models"
              hint={`None ticked: ${release.modelName}. Other models are only counted, as incompatible.`}
              options={models.map((m) => ({ id: m.id, label: m.id === release.modelId ? `${m.name} (this release)` : m.name }))}
              chosen={modelIds}
              onToggle={(id) => setModelIds((l) => toggle(l, id as number))}
              empty="No models."
            />
            <div>
              <label htmlFor="current-versions" className="label">Current firmware versions</label>
              <input id="current-versions" className="input" value={versions} onChange={(e) => setVersions(e.target.value)} placeholder="e.g. 4.2.0, 4.2.3 (empty: any)" />
            </div>
            <div>
              <label htmlFor="device-serials" className="label">Only these devices (serial numbers)</label>
              <textarea id="device-serials" rows={2} className="input font-mono" value={explicit} onChange={(e) => setExplicit(e.target.value)} placeholder="e.g. MFP4-00012, MFP4-00048 (empty: all that match)" aria-describedby="device-serials-help" />
              <p id="device-serials-help" className="mt-1 text-xs text-slate-600">Separated by commas, spaces or new lines, as printed on the device label.</p>
            </div>
            <NumberField id="offline-days" label="Leave out devices silent for more than" value={offlineDays} onChange={setOfflineDays} min={1} max={365} suffix="days" />
          </div>
          <div className="rounded-lg border border-slate-200 bg-slate-50 p-4 lg:sticky lg:top-4 lg:self-start">{report}</div>
        </div>
      </Step>

      <Step
        n={2}
        title="Plan the waves"
        aside={
          <div className="flex flex-wrap gap-2">
            {!waves.some((w) => w.kind === "lab") ? <button type="button" className="btn-secondary" onClick={() => addWave("lab")}>Add a lab wave</button> : null}
            {!waves.some((w) => w.kind === "pilot") ? <button type="button" className="btn-secondary" onClick={() => addWave("pilot")}>Add a pilot wave</button> : null}
            {waves.length < 10 ? <button type="button" className="btn-secondary" onClick={() => addWave("general")}>Add a general wave</button> : null}
          </div>
        }
      >
        <p className="mb-4 text-sm text-slate-600">
          Each wave starts only when the one before it finished, met its success gate and soaked, and when its own gates pass. A wave halts the whole rollout automatically when its failures pass the limit.
          Devices update only inside their unit’s maintenance window and never while in clinical use.
        </p>
        <ol className="space-y-4" data-testid="wave-plan">
          {waves.map((w, i) => {
            const id = (f: string) => `wave-${w.key}-${f}`;
            return (
              <li key={w.key} className="rounded-lg border border-slate-200 p-4" data-testid={`plan-${w.kind}`} aria-label={`Wave ${i + 1}: ${w.name}`}>
                <div className="flex flex-wrap items-end gap-4">
                  <p className="w-full text-xs font-semibold tracking-wide text-brand-700 uppercase">
                    Wave {i + 1} · {WAVE_KIND_LABELS[w.kind]}
                    {sizes[i] !== null ? <span className="ml-2 font-normal tracking-normal text-slate-600 normal-case" data-testid="wave-estimate">≈ {formatCount(sizes[i]!)} devices</span> : null}
                  </p>
                  <div>
                    <label htmlFor={id("name")} className="label">Name</label>
                    <input id={id("name")} className="input w-48" value={w.name} maxLength={80} onChange={(e) => update(w.key, { name: e.target.value })} />
                  </div>
                  {w.kind === "lab" ? <p className="pb-2 text-sm text-slate-700">All lab (sandbox) devices among the targets.</p> : null}
                  {w.kind === "pilot" ? (
                    <fieldset className="pb-1">
                      <legend className="label">Devices</legend>
                      <div className="flex flex-wrap gap-4 text-sm">
                        <label className="flex items-center gap-2"><input type="radio" name={id("mode")} checked={w.pilotMode === "percent"} onChange={() => update(w.key, { pilotMode: "percent" })} /> A sample of every unit</label>
                        <label className="flex items-center gap-2"><input type="radio" name={id("mode")} checked={w.pilotMode === "units"} onChange={() => update(w.key, { pilotMode: "units" })} /> Named units</label>
                      </div>
                    </fieldset>
                  ) : null}
                  {(w.kind === "pilot" && w.pilotMode === "percent") || (w.kind === "general" && i !== lastGeneral) ? (
                    <NumberField id={id("percent")} label={w.kind === "pilot" ? "Share of each unit" : "Share of all targets"} value={w.percent} onChange={(v) => update(w.key, { percent: v })} min={1} max={100} suffix="%" />
                  ) : null}
                  {w.kind === "general" && i === lastGeneral ? <p className="pb-2 text-sm text-slate-700">Takes every target not in an earlier wave.</p> : null}
                  {waves.length > 1 ? (
                    <button type="button" className="btn-secondary ml-auto" onClick={() => setWaves((ws) => ws.filter((x) => x.key !== w.key))} aria-label={`Remove wave ${w.name}`}>Remove</button>
                  ) : null}
                </div>
                {w.kind === "pilot" && w.pilotMode === "units" ? (
                  <div className="mt-3 max-w-xl">
                    <CheckList
                      legend="Pilot units"
                      options={targetUnits}
                      chosen={w.unitIds}
                      onToggle={(u) => update(w.key, { unitIds: toggle(w.unitIds, u as number) })}
                      empty="No unit has a target device."
                      hint="Units with target devices (how many)."
                    />
                  </div>
                ) : null}
                <div className="mt-4 flex flex-wrap items-end gap-4 border-t border-slate-100 pt-3">
                  <NumberField id={id("success")} label="Minimum success" value={w.minSuccessPct} onChange={(v) => update(w.key, { minSuccessPct: v })} min={0} max={100} suffix="%" />
                  <NumberField id={id("failure")} label="Halt above failures" value={w.maxFailurePct} onChange={(v) => update(w.key, { maxFailurePct: v })} min={0} max={100} suffix="%" />
                  <NumberField id={id("sample")} label="…after results" value={w.minSample} onChange={(v) => update(w.key, { minSample: v })} min={1} max={10000} />
                  <NumberField id={id("soak")} label="Soak afterwards" value={w.soakMinutes} onChange={(v) => update(w.key, { soakMinutes: v })} min={0} max={43200} suffix="min" />
                  <div className="space-y-1 pb-1 text-sm">
                    <label className="flex items-center gap-2">
                      <input type="checkbox" checked={w.requireAcknowledgement} onChange={(e) => update(w.key, { requireAcknowledgement: e.target.checked })} />
                      Units’ clinicians acknowledged the briefing
                    </label>
                    <label className="flex items-center gap-2">
                      <input type="checkbox" checked={w.requireGoAhead} onChange={(e) => update(w.key, { requireGoAhead: e.target.checked })} />
                      Signed go-ahead before it starts
                    </label>
                  </div>
                </div>
              </li>
            );
          })}
        </ol>
        {release.lifeSustaining ? <p className="mt-3 text-xs text-slate-600">{release.modelName} is life-sustaining: general waves require a signed go-ahead by default.</p> : null}
      </Step>

      <Step n={3} title="Name and start">
        <div className="flex flex-wrap items-end gap-4">
          <div className="min-w-72 flex-1">
            <label htmlFor="rollout-name" className="label">Rollout name</label>
            <input id="rollout-name" className="input" value={name} maxLength={120} onChange={(e) => setName(e.target.value)} />
          </div>
          <NumberField id="max-concurrent" label="Max devices updating at once" value={maxConcurrent} onChange={setMaxConcurrent} min={1} max={10000} />
        </div>
        {problems.length ? (
          <ul className="mt-4 list-disc space-y-1 rounded-md border border-amber-200 bg-amber-50 py-2 pr-3 pl-8 text-sm text-amber-950" data-testid="plan-problems">
            {[...new Set(problems)].map((p) => <li key={p}>{p}</li>)}
          </ul>
        ) : null}
        {result && !result.ok ? (
          <div className="mt-4">
            <FormMessage ok={false} message={result.message} />
          </div>
        ) : null}
        <div className="mt-4 flex flex-wrap items-center gap-3">
          <button type="button" className="btn-primary" disabled={creating || counting || !preview || problems.length > 0 || !name.trim()} onClick={create} data-testid="create-rollout">
            {creating ? "Creating…" : preview ? `Start the rollout to ${formatCount(preview.targets)} device${preview.targets === 1 ? "" : "s"}` : "Start the rollout"}
          </button>
          <p className="text-xs text-slate-600">The first wave starts when its gates pass; you can pause or cancel at any time.</p>
        </div>
      </Step>
    </div>
  );
}
