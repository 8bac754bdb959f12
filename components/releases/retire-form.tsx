"use client";

import { useState } from "react";
import { FormMessage } from "@/components/ui";
import { retireReleaseAction } from "@/lib/actions/releases";
import { useFormAction } from "./use-form-action";

/** Withdraw or recall an approved release: a signed decision of its own, with a required reason. */
export function RetireForm({ releaseId, devicesRunning }: { releaseId: number; devicesRunning: number }) {
  const { state, onSubmit, pending } = useFormAction(retireReleaseAction);
  const [meaning, setMeaning] = useState<"withdrawn" | "recalled">("withdrawn");
  return (
    <form onSubmit={onSubmit} className="space-y-4" aria-label="Withdraw or recall this release" data-testid="retire-form">
      <input type="hidden" name="releaseId" value={releaseId} />
      <fieldset>
        <legend className="label">What to do</legend>
        <div className="space-y-2 text-sm">
          <label className="flex items-start gap-2">
            <input type="radio" name="meaning" value="withdrawn" checked={meaning === "withdrawn"} onChange={() => setMeaning("withdrawn")} className="mt-1" />
            <span><span className="font-medium">Withdraw</span>: no new devices get it; updates not yet finished are stopped. Devices already running it are left alone.</span>
          </label>
          <label className="flex items-start gap-2">
            <input type="radio" name="meaning" value="recalled" checked={meaning === "recalled"} onChange={() => setMeaning("recalled")} className="mt-1" />
            <span><span className="font-medium">Recall</span>: as withdraw, and the {devicesRunning} device{devicesRunning === 1 ? "" : "s"} already running it are flagged everywhere they appear.</span>
          </label>
        </div>
      </fieldset>
      <div>
        <label htmlFor="retire-reason" className="label">Reason</label>
        <textarea id="retire-reason" name="reason" rows={2} required className="input" placeholder="e.g. manufacturer field safety notice FSN-2026-014" />
      </div>
      <div className="max-w-sm">
        <label htmlFor="retire-password" className="label">Your password</label>
        <input id="retire-password" name="password" type="password" autoComplete="current-password" required className="input" />
        <p className="mt-1 text-xs text-slate-600">This is a legally binding electronic signature.</p>
      </div>
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-danger" disabled={pending}>{pending ? "Signing…" : meaning === "recalled" ? "Sign and recall" : "Sign and withdraw"}</button>
    </form>
  );
}
