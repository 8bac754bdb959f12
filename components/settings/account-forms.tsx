"use client";

import { useActionState } from "react";
import { setUserUnitsAction, unlockSigningAction } from "@/lib/actions/releases";
import type { ActionState } from "@/lib/actions/run";
import { FormMessage } from "../ui";

type Place = { sites: { id: number; name: string }[]; units: { id: number; name: string; siteId: number }[] };

/** The units a clinician works in, as checkboxes grouped by site. */
export function UserUnitsForm({ user, assigned, places }: { user: { id: number; username: string }; assigned: number[]; places: Place }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(setUserUnitsAction, { ok: true });
  // Unit names repeat across sites, so they are shown under their site.
  const groups = places.sites
    .map((s) => ({ site: s.name, units: places.units.filter((u) => u.siteId === s.id && assigned.includes(u.id)).map((u) => u.name) }))
    .filter((g) => g.units.length);
  return (
    <div className="min-w-56">
      {groups.length ? (
        <ul className="text-xs text-slate-700" data-testid={`units-of-${user.username}`}>
          {groups.map((g) => <li key={g.site}><span className="font-medium">{g.site}:</span> {g.units.join(", ")}</li>)}
        </ul>
      ) : (
        <p className="text-xs font-medium text-amber-800" data-testid={`units-of-${user.username}`}>No units: sees no briefings</p>
      )}
      <details className="mt-1 text-xs">
        <summary className="cursor-pointer font-medium text-brand-700">Choose units<span className="sr-only"> for {user.username}</span></summary>
        <form action={action} className="mt-2 space-y-2 rounded-md border border-slate-200 bg-white p-3" aria-label={`Units of ${user.username}`}>
          <input type="hidden" name="userId" value={user.id} />
          <div className="max-h-64 space-y-3 overflow-y-auto">
            {places.sites.map((s) => {
              const units = places.units.filter((u) => u.siteId === s.id);
              if (units.length === 0) return null;
              return (
                <fieldset key={s.id}>
                  <legend className="font-semibold text-slate-900">{s.name}</legend>
                  {units.map((u) => (
                    <label key={u.id} className="flex items-center gap-2 py-0.5 text-sm">
                      <input type="checkbox" name="unitIds" value={u.id} defaultChecked={assigned.includes(u.id)} className="h-4 w-4 accent-brand-700" />
                      {u.name}
                    </label>
                  ))}
                </fieldset>
              );
            })}
          </div>
          <button type="submit" className="btn-secondary py-1" disabled={pending}>{pending ? "Saving…" : `Save units for ${user.username}`}</button>
          <FormMessage ok={state.ok} message={state.message} />
        </form>
      </details>
    </div>
  );
}

/** Shown only for accounts locked after too many wrong signing passwords. */
export function UnlockSigningButton({ user }: { user: { id: number; username: string } }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(unlockSigningAction, { ok: true });
  return (
    <form action={action} className="space-y-1">
      <input type="hidden" name="userId" value={user.id} />
      <button type="submit" className="btn-secondary py-1" disabled={pending} aria-label={`Unlock signing for ${user.username}`}>
        {pending ? "Unlocking…" : "Unlock signing"}
      </button>
      {!state.ok ? <FormMessage ok={false} message={state.message} /> : null}
    </form>
  );
}
