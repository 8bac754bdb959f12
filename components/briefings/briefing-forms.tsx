"use client";

import { useActionState, useState } from "react";
import { acknowledgeBriefingAction, reportProblemAction } from "@/lib/actions/releases";
import type { ActionState } from "@/lib/actions/run";
import { FormMessage } from "../ui";

/** One unit's acknowledgement: a button until the clinician has read it, then the time they did. */
export function AcknowledgeUnit({ releaseId, unit, acknowledgedAt }: { releaseId: number; unit: { id: number; name: string }; acknowledgedAt: string | null }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(acknowledgeBriefingAction, { ok: true });
  if (acknowledgedAt) {
    return (
      <p className="flex items-center gap-2 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-base text-emerald-900" data-testid={`acknowledged-${unit.id}`}>
        <span aria-hidden className="text-lg">✓</span>
        <span><span className="font-semibold">{unit.name}:</span> Acknowledged {acknowledgedAt}</span>
      </p>
    );
  }
  return (
    <form action={action} className="space-y-2" aria-label={`Acknowledge for ${unit.name}`}>
      <input type="hidden" name="releaseId" value={releaseId} />
      <input type="hidden" name="unitId" value={unit.id} />
      <button type="submit" className="btn-primary w-full px-4 py-3 text-base sm:w-auto" disabled={pending} data-testid={`acknowledge-${unit.id}`}>
        {pending ? "Saving…" : `I have read this — acknowledge for ${unit.name}`}
      </button>
      {!state.ok ? <FormMessage ok={false} message={state.message} /> : null}
    </form>
  );
}

/** "I saw a problem after this update": goes to clinical engineering, never blocks the nurse. */
export function ReportProblemForm({ releaseId, title, units }: { releaseId: number; title: string; units: { id: number; name: string }[] }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(reportProblemAction, { ok: true });
  const [dismissed, setDismissed] = useState<ActionState | null>(null);
  const v = state.values ?? {};
  const id = (f: string) => `${f}-${releaseId}`;
  if (state.ok && state.message && state !== dismissed) {
    return (
      <div className="rounded-md border border-sky-200 bg-sky-50 px-4 py-4 text-base text-sky-950" data-testid="report-sent">
        <p className="font-semibold">Thank you for telling us.</p>
        <p className="mt-1">{state.message}</p>
        <button type="button" className="btn-secondary mt-3" onClick={() => setDismissed(state)}>Report another problem</button>
      </div>
    );
  }
  return (
    <form action={action} className="space-y-4" aria-label={`Report a problem after ${title}`} key={JSON.stringify(v)} data-testid="report-problem-form">
      <input type="hidden" name="releaseId" value={releaseId} />
      {!state.ok ? <FormMessage ok={false} message={state.message} /> : null}
      <div className="grid gap-4 sm:grid-cols-2">
        <div>
          <label htmlFor={id("unit")} className="label">Your unit</label>
          <select id={id("unit")} name="unitId" className="input" defaultValue={v.unitId ?? String(units[0]?.id ?? "")} required>
            {units.map((u) => (
              <option key={u.id} value={u.id}>{u.name}</option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={id("serial")} className="label">Device serial (optional)</label>
          <input id={id("serial")} name="deviceSerial" className="input" defaultValue={v.deviceSerial} maxLength={64} autoComplete="off" placeholder="on the label, e.g. MFP4-1002" />
        </div>
      </div>
      <div>
        <label htmlFor={id("description")} className="label">What you saw</label>
        <textarea id={id("description")} name="description" className="input min-h-28" defaultValue={v.description} required maxLength={4000}
          placeholder="What happened, on which screen, and what you did about it." />
      </div>
      <div className="flex items-start gap-3">
        <input id={id("harm")} name="patientHarm" type="checkbox" className="mt-1 h-4 w-4 accent-red-700" defaultChecked={v.patientHarm === "on"} />
        <label htmlFor={id("harm")} className="text-sm text-slate-900">A patient was harmed or nearly harmed</label>
      </div>
      <button type="submit" className="btn-secondary px-4 py-2.5 text-base" disabled={pending}>{pending ? "Sending…" : "Send report"}</button>
    </form>
  );
}
