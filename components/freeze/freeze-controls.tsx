"use client";

import { useActionState, useEffect, useId, useRef } from "react";
import { endFreezeAction, startFreezeAction } from "@/lib/actions/calendar";
import type { ActionState } from "@/lib/actions/run";

/**
 * "Freeze all updates": opens a dialog that asks for the reason and confirms. Ending a freeze is the
 * separate button in the banner.
 */
export function StartFreezeButton({ variant = "danger" }: { variant?: "danger" | "sidebar" }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(startFreezeAction, { ok: true });
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    if (state.ok && state.message) dialog.current?.close();
  }, [state]);
  const reason = state.values?.reason ?? "";
  return (
    <>
      <button
        type="button"
        className={variant === "sidebar" ? "w-full rounded-md border border-red-300 bg-red-50 px-3 py-1.5 text-xs font-semibold text-red-800 hover:bg-red-100" : "btn-danger"}
        onClick={() => dialog.current?.showModal()}
      >
        Freeze all updates
      </button>
      <dialog
        ref={dialog}
        aria-labelledby={`${id}-title`}
        className="m-auto w-full max-w-lg rounded-lg border border-slate-200 p-0 text-slate-900 shadow-xl backdrop:bg-slate-900/50"
      >
        <form action={action} className="space-y-4 p-6" key={reason}>
          <h2 id={`${id}-title`} className="text-lg font-semibold">Freeze all updates?</h2>
          <p className="text-sm text-slate-700">
            No device at any site is offered an update until the freeze ends, whatever its window or rollout. Every
            console page shows the freeze. Only admins and biomedical engineers can end it.
          </p>
          {!state.ok && state.message ? (
            <p className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-900" data-testid="form-message">{state.message}</p>
          ) : null}
          <div>
            <label htmlFor={`${id}-reason`} className="label">Reason (shown to everyone)</label>
            <textarea
              id={`${id}-reason`}
              name="reason"
              required
              maxLength={500}
              rows={3}
              className="input"
              placeholder="e.g. Vendor advisory for FlowPoint 400 under review"
              defaultValue={reason}
            />
          </div>
          <div className="flex justify-end gap-2">
            <button type="button" className="btn-secondary" onClick={() => dialog.current?.close()}>Keep updates running</button>
            <button type="submit" className="btn bg-red-700 text-white hover:bg-red-800" disabled={pending}>
              {pending ? "Freezing…" : "Freeze all updates now"}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

export function EndFreezeButton() {
  const [state, action, pending] = useActionState<ActionState, FormData>(endFreezeAction, { ok: true });
  return (
    <form action={action} className="flex items-center gap-2">
      {!state.ok ? <span className="text-xs">{state.message}</span> : null}
      <button type="submit" className="btn border border-white/70 bg-white px-3 py-1.5 text-red-800 hover:bg-red-50" disabled={pending}>
        {pending ? "Ending…" : "End the freeze"}
      </button>
    </form>
  );
}
