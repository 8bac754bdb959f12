"use client";

import { useActionState } from "react";
import { addBlackoutAction, removeBlackoutAction } from "@/lib/actions/calendar";
import type { ActionState } from "@/lib/actions/run";
import { FormMessage } from "../ui";

type Site = { id: number; name: string; units: { id: number; name: string }[] };

function FieldError({ id, messages }: { id: string; messages?: string[] }) {
  if (!messages?.length) return null;
  return <p id={id} className="mt-1 text-xs text-red-700">{messages.join(" ")}</p>;
}

export function AddBlackoutForm({ sites, today }: { sites: Site[]; today: string }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(addBlackoutAction, { ok: true });
  const v = state.values ?? {};
  const errors = state.fieldErrors ?? {};
  // After a failed submit React resets the form; restore what was typed (keyed so defaults re-apply).
  const key = JSON.stringify(v);
  const described = (name: string) => (errors[name]?.length ? `blackout-${name}-error` : undefined);
  return (
    <form action={action} className="space-y-3" aria-label="Add a blackout" key={key}>
      <FormMessage ok={state.ok} message={state.message} />
      {errors._?.length ? <p className="text-sm text-red-800">{errors._.join(" ")}</p> : null}
      <div className="grid gap-3 md:grid-cols-[minmax(0,1.3fr)_10rem_10rem_minmax(0,1.5fr)]">
        <div>
          <label htmlFor="blackout-scope" className="label">Applies to</label>
          <select id="blackout-scope" name="scope" className="input" defaultValue={v.scope ?? "all"} aria-describedby={described("unitId")}>
            <option value="all">Every unit, every site</option>
            {sites.map((s) => (
              <optgroup key={s.id} label={s.name}>
                <option value={`site:${s.id}`}>All of {s.name}</option>
                {s.units.map((u) => <option key={u.id} value={`unit:${u.id}`}>{u.name} ({s.name})</option>)}
              </optgroup>
            ))}
          </select>
          <FieldError id="blackout-unitId-error" messages={errors.unitId} />
        </div>
        <div>
          <label htmlFor="blackout-from" className="label">From</label>
          <input id="blackout-from" name="startsOn" type="date" className="input" required min={today} defaultValue={v.startsOn ?? ""} aria-describedby={described("startsOn")} />
          <FieldError id="blackout-startsOn-error" messages={errors.startsOn} />
        </div>
        <div>
          <label htmlFor="blackout-to" className="label">To (inclusive)</label>
          <input id="blackout-to" name="endsOn" type="date" className="input" min={today} defaultValue={v.endsOn ?? ""} aria-describedby={described("endsOn") ?? "blackout-to-hint"} />
          {errors.endsOn?.length ? <FieldError id="blackout-endsOn-error" messages={errors.endsOn} /> : <p id="blackout-to-hint" className="mt-1 text-xs text-slate-600">Empty: one day.</p>}
        </div>
        <div>
          <label htmlFor="blackout-reason" className="label">Reason</label>
          <input id="blackout-reason" name="reason" className="input" required maxLength={500} placeholder="e.g. Joint Commission survey" defaultValue={v.reason ?? ""} aria-describedby={described("reason")} />
          <FieldError id="blackout-reason-error" messages={errors.reason} />
        </div>
      </div>
      <p className="text-xs text-slate-600">Days are local to each unit&apos;s time zone. Nothing installs on a blackout day, even inside the window.</p>
      <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Adding…" : "Add blackout"}</button>
    </form>
  );
}

export function RemoveBlackoutButton({ blackoutId, description }: { blackoutId: number; description: string }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(removeBlackoutAction, { ok: true });
  return (
    <form action={action} className="flex items-center justify-end gap-2">
      {!state.ok ? <span className="text-xs text-red-700">{state.message}</span> : null}
      <input type="hidden" name="blackoutId" value={blackoutId} />
      <button type="submit" className="btn-danger px-2 py-1 text-xs" disabled={pending} aria-label={`Remove blackout: ${description}`}>
        {pending ? "Removing…" : "Remove"}
      </button>
    </form>
  );
}
