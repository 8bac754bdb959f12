"use client";

import { useActionState, useId, useState } from "react";
import { setWindowsAction, type WindowsState } from "@/lib/actions/calendar";
import { buildRrule, describeWindow, parsePreset, WEEKDAYS, type EditableWindow, type Preset } from "./rules";

const PRESETS: [Preset, string][] = [
  ["daily", "Every day"],
  ["weekdays", "Weekdays (Mon–Fri)"],
  ["weekends", "Weekends (Sat, Sun)"],
  ["days", "Specific weekdays"],
  ["custom", "Custom RRULE"],
];

const blank = (): EditableWindow => ({ preset: "daily", days: [], custom: "", startsAt: "01:00", durationMinutes: 240, label: "" });

function toPayload(windows: EditableWindow[]) {
  return windows.map((w) => ({ rrule: buildRrule(w), startsAt: w.startsAt, durationMinutes: w.durationMinutes, ...(w.label.trim() ? { label: w.label.trim() } : {}) }));
}

export type WindowSets = { modelId: number | null; windows: EditableWindow[] }[];

/**
 * Edits one set of windows of a unit or a site: the set for every model, or the set for one model
 * (which overrides it for that model's devices). Saving replaces that set (setWindows).
 */
export function WindowEditor({ scope, ownerName, timeZone, sets, models }: {
  scope: { unitId: number } | { siteId: number };
  ownerName: string;
  timeZone: string;
  sets: WindowSets;
  models: { id: number; name: string }[];
}) {
  const [state, action, pending] = useActionState<WindowsState, FormData>(setWindowsAction, { ok: true });
  const [modelId, setModelId] = useState<number | null>(null);
  const setOf = (m: number | null) => sets.find((s) => s.modelId === m)?.windows ?? [];
  const [windows, setWindows] = useState<EditableWindow[]>(setOf(null));
  const id = useId();
  const update = (i: number, change: Partial<EditableWindow>) => setWindows((ws) => ws.map((w, j) => (j === i ? { ...w, ...change } : w)));

  return (
    <form action={action} className="space-y-3" aria-label={`Maintenance windows of ${ownerName}`}>
      {"unitId" in scope ? <input type="hidden" name="unitId" value={scope.unitId} /> : <input type="hidden" name="siteId" value={scope.siteId} />}
      <input type="hidden" name="modelId" value={modelId ?? ""} />
      <input type="hidden" name="windows" value={JSON.stringify(toPayload(windows))} />
      <div className="max-w-sm">
        <label htmlFor={`${id}-model`} className="label">Applies to</label>
        <select id={`${id}-model`} className="input" value={modelId ?? ""} onChange={(e) => {
          const next = e.target.value ? Number(e.target.value) : null;
          setModelId(next);
          setWindows(setOf(next));
        }}>
          <option value="">Every model</option>
          {models.map((m) => <option key={m.id} value={m.id}>Only {m.name}{sets.some((s) => s.modelId === m.id) ? " (has its own windows)" : ""}</option>)}
        </select>
      </div>
      <p className="text-xs text-slate-600">Times are local time ({timeZone}); daylight-saving changes are handled for you.{modelId !== null ? " Windows for one model replace the general ones for that model's devices; with none, they follow the general ones." : ""}</p>
      {windows.length === 0 && modelId === null ? <p className="text-sm text-amber-800">{"unitId" in scope ? "No window of its own: this unit follows its site's windows, and with none there nothing installs." : "No site-wide window: units without windows of their own install nothing."}</p> : null}
      <ol className="space-y-3">
        {windows.map((w, i) => {
          const p = `${id}-${i}`;
          const hours = Math.floor(w.durationMinutes / 60);
          const minutes = w.durationMinutes % 60;
          return (
            <li key={i} className="rounded-md border border-slate-200 bg-slate-50 p-3">
              <fieldset>
                <legend className="sr-only">Window {i + 1}</legend>
                <div className="grid gap-3 sm:grid-cols-[minmax(0,1.4fr)_9rem_minmax(0,1fr)_minmax(0,1fr)]">
                  <div>
                    <label htmlFor={`${p}-preset`} className="label">Repeats</label>
                    <select id={`${p}-preset`} className="input" value={w.preset} onChange={(e) => {
                      const preset = e.target.value as Preset;
                      // "Specific weekdays" starts from the days the window has now.
                      const days = preset === "days" ? (w.preset === "custom" ? [] : parsePreset(buildRrule(w)).days) : w.days;
                      update(i, { preset, days, custom: preset === "custom" && !w.custom ? buildRrule(w) : w.custom });
                    }}>
                      {PRESETS.map(([value, text]) => <option key={value} value={value}>{text}</option>)}
                    </select>
                  </div>
                  <div>
                    <label htmlFor={`${p}-start`} className="label">Starts</label>
                    <input id={`${p}-start`} type="time" className="input" value={w.startsAt} required onChange={(e) => update(i, { startsAt: e.target.value })} />
                  </div>
                  <div>
                    <span className="label" id={`${p}-dur`}>Lasts</span>
                    <div className="flex items-center gap-1 text-sm text-slate-700" role="group" aria-labelledby={`${p}-dur`}>
                      <input aria-label="Hours" type="number" min={0} max={24} className="input w-16" value={hours} onChange={(e) => update(i, { durationMinutes: Math.min(1440, Math.max(0, Number(e.target.value) || 0) * 60 + minutes) })} />
                      <span aria-hidden>h</span>
                      <input aria-label="Minutes" type="number" min={0} max={55} step={5} className="input w-16" value={minutes} onChange={(e) => update(i, { durationMinutes: Math.min(1440, hours * 60 + Math.max(0, Math.min(59, Number(e.target.value) || 0))) })} />
                      <span aria-hidden>min</span>
                    </div>
                  </div>
                  <div>
                    <label htmlFor={`${p}-label`} className="label">Label (optional)</label>
                    <input id={`${p}-label`} className="input" value={w.label} maxLength={80} placeholder="e.g. Night window" onChange={(e) => update(i, { label: e.target.value })} />
                  </div>
                </div>
                {w.preset === "days" ? (
                  <div className="mt-3 flex flex-wrap gap-3" role="group" aria-label={`Weekdays of window ${i + 1}`}>
                    {WEEKDAYS.map(([code, name]) => (
                      <label key={code} className="inline-flex items-center gap-1 text-sm text-slate-800">
                        <input type="checkbox" checked={w.days.includes(code)} onChange={(e) => update(i, { days: e.target.checked ? [...w.days, code] : w.days.filter((d) => d !== code) })} />
                        {name}
                      </label>
                    ))}
                  </div>
                ) : null}
                {w.preset === "custom" ? (
                  <div className="mt-3">
                    <label htmlFor={`${p}-rrule`} className="label">RRULE (RFC 5545)</label>
                    <input id={`${p}-rrule`} className="input font-mono" value={w.custom} placeholder="FREQ=MONTHLY;BYDAY=1SU" onChange={(e) => update(i, { custom: e.target.value })} />
                  </div>
                ) : null}
                <div className="mt-2 flex flex-wrap items-center justify-between gap-2">
                  <p className="text-xs text-slate-600" aria-live="polite">
                    {w.preset === "days" && w.days.length === 0 ? "Pick at least one weekday." : describeWindow({ rrule: buildRrule(w), startsAt: w.startsAt, durationMinutes: w.durationMinutes }, timeZone)}
                  </p>
                  <button type="button" className="text-xs font-medium text-red-700 underline" onClick={() => setWindows((ws) => ws.filter((_, j) => j !== i))}>
                    Remove window {i + 1}
                  </button>
                </div>
              </fieldset>
            </li>
          );
        })}
      </ol>
      {!state.ok || state.message ? (
        <div className={`rounded-md border px-3 py-2 text-sm ${state.ok ? "border-emerald-200 bg-emerald-50 text-emerald-900" : "border-red-200 bg-red-50 text-red-900"}`} data-testid="form-message">
          <p>{state.message}</p>
          {!state.ok && state.problems?.length ? (
            <ul className="mt-1 list-disc pl-5">{state.problems.map((m) => <li key={m}>{m}</li>)}</ul>
          ) : null}
        </div>
      ) : null}
      <div className="flex flex-wrap gap-2">
        <button type="button" className="btn-secondary" onClick={() => setWindows((ws) => [...ws, blank()])} disabled={windows.length >= 20}>
          Add a window
        </button>
        <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Saving…" : "Save windows"}</button>
      </div>
    </form>
  );
}
