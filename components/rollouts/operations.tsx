"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { FieldError } from "@/components/releases/field-error";
import { useFormAction } from "@/components/releases/use-form-action";
import { FormMessage } from "@/components/ui";
import {
  cancelRolloutAction, goAheadAction, haltAllRolloutsAction, pauseRolloutAction, requestDowngradeAction, resumeRolloutAction, retryFailedAction, revertRolloutAction, signDowngradeAction,
} from "@/lib/actions/rollouts";

function ReasonField({ id, label, placeholder, error }: { id: string; label: string; placeholder: string; error?: string }) {
  return (
    <div>
      <label htmlFor={id} className="label">{label}</label>
      <input id={id} name="reason" required maxLength={500} className="input" placeholder={placeholder} aria-describedby={error ? `${id}-error` : undefined} />
      <FieldError id={id} message={error} />
    </div>
  );
}

function PasswordField({ id, error }: { id: string; error?: string }) {
  return (
    <div className="max-w-sm">
      <label htmlFor={id} className="label">Your password</label>
      <input id={id} name="password" type="password" autoComplete="current-password" required className="input" aria-describedby={error ? `${id}-error` : undefined} />
      <FieldError id={id} message={error} />
    </div>
  );
}

export function PauseForm({ rolloutId }: { rolloutId: number }) {
  const { state, onSubmit, pending, fieldError, formRef } = useFormAction(pauseRolloutAction, { resetOnSuccess: true });
  return (
    <form ref={formRef} onSubmit={onSubmit} className="space-y-3" aria-label="Pause this rollout" data-testid="pause-form">
      <input type="hidden" name="rolloutId" value={rolloutId} />
      <p className="text-sm text-slate-700">No device is offered the update while the rollout is paused. Updates already under way finish.</p>
      <ReasonField id="pause-reason" label="Reason" placeholder="e.g. waiting for the vendor to confirm a field report" error={fieldError("reason")} />
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-secondary" disabled={pending}>{pending ? "Pausing…" : "Pause rollout"}</button>
    </form>
  );
}

export function ResumeForm({ rolloutId, belowGate }: { rolloutId: number; belowGate: boolean }) {
  const { state, onSubmit, pending } = useFormAction(resumeRolloutAction);
  return (
    <form onSubmit={onSubmit} className="space-y-3" aria-label="Resume this rollout" data-testid="resume-form">
      <input type="hidden" name="rolloutId" value={rolloutId} />
      {belowGate ? <p className="text-sm text-slate-700">Resuming accepts the current wave as it stands (below its success gate) and lets the next wave start when its own gates pass.</p> : null}
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Resuming…" : "Resume rollout"}</button>
    </form>
  );
}

export function CancelForm({ rolloutId }: { rolloutId: number }) {
  const { state, onSubmit, pending, fieldError } = useFormAction(cancelRolloutAction);
  return (
    <form onSubmit={onSubmit} className="space-y-3" aria-label="Cancel this rollout" data-testid="cancel-form">
      <input type="hidden" name="rolloutId" value={rolloutId} />
      <ul className="list-disc space-y-1 pl-5 text-sm text-slate-700">
        <li>Devices that have not started are canceled and waves not yet started never start.</li>
        <li>Devices already downloading or installing are asked to cancel; a device may still finish if it is too far along.</li>
        <li>Devices that already installed the update keep it.</li>
      </ul>
      <ReasonField id="cancel-reason" label="Reason" placeholder="e.g. the vendor withdrew this version" error={fieldError("reason")} />
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-danger" disabled={pending}>{pending ? "Canceling…" : "Cancel rollout"}</button>
    </form>
  );
}

export function RetryFailedForm({ rolloutId, failed }: { rolloutId: number; failed: number }) {
  const { state, onSubmit, pending } = useFormAction(retryFailedAction);
  return (
    <form onSubmit={onSubmit} className="space-y-3" aria-label="Retry failed devices" data-testid="retry-form">
      <input type="hidden" name="rolloutId" value={rolloutId} />
      <p className="text-sm text-slate-700">Failed devices are never retried automatically. This gives the {failed} failed device{failed === 1 ? "" : "s"} of started waves the update again.</p>
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-secondary" disabled={pending}>{pending ? "Retrying…" : `Retry ${failed} failed device${failed === 1 ? "" : "s"}`}</button>
    </form>
  );
}

type OlderRelease = { id: number; version: string; securityVersion: number };

function ReleaseSelect({ id, label, releases }: { id: string; label: string; releases: OlderRelease[] }) {
  return (
    <div>
      <label htmlFor={id} className="label">{label}</label>
      <select id={id} name="releaseId" required className="input">
        {releases.map((r) => <option key={r.id} value={r.id}>{r.version} (security version {r.securityVersion})</option>)}
      </select>
    </div>
  );
}

/** Puts the devices this rollout updated back on an earlier approved release, as a rollout of its own. */
export function RevertForm({ rolloutId, updated, releases }: { rolloutId: number; updated: number; releases: OlderRelease[] }) {
  const { state, onSubmit, pending, fieldError } = useFormAction(revertRolloutAction);
  if (releases.length === 0) return <p className="text-sm text-slate-700">No other approved release of this model to go back to.</p>;
  return (
    <form onSubmit={onSubmit} className="space-y-3" aria-label="Revert updated devices" data-testid="revert-form">
      <input type="hidden" name="rolloutId" value={rolloutId} />
      <p className="text-sm text-slate-700">
        Gives the {updated} updated device{updated === 1 ? "" : "s"} a known-good release, through the same windows and clinical-use checks. Devices now above its security version are left out: taking them lower is a downgrade.
      </p>
      <ReleaseSelect id="revert-release" label="Known-good release" releases={releases} />
      <ReasonField id="revert-reason" label="Reason" placeholder="e.g. alarm volume complaints after the update" error={fieldError("reason")} />
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-secondary" disabled={pending}>{pending ? "Starting…" : "Revert updated devices"}</button>
    </form>
  );
}

/**
 * Asks for a downgrade exception (UPD-04): the devices above the chosen release's security floor go back
 * to it only after a second person signs too. The requester's signature is the first.
 */
export function DowngradeRequestForm({ rolloutId, releases, printedName }: { rolloutId: number; releases: OlderRelease[]; printedName: string }) {
  const { state, onSubmit, pending, fieldError } = useFormAction(requestDowngradeAction);
  if (releases.length === 0) return <p className="text-sm text-slate-700">No other approved release of this model to go back to.</p>;
  return (
    <form onSubmit={onSubmit} className="space-y-3" aria-label="Request a downgrade exception" data-testid="downgrade-request-form">
      <input type="hidden" name="rolloutId" value={rolloutId} />
      <p className="text-sm text-slate-700">
        For safety reasons only. The updated devices now above the chosen release&apos;s security version get it back with new signed metadata; a second person must sign before anything is sent. Your signature (<span className="font-medium">{printedName}</span>) is the first.
      </p>
      <ReleaseSelect id="downgrade-release" label="Go back to" releases={releases} />
      <div>
        <label htmlFor="downgrade-reason" className="label">Safety reason</label>
        <textarea id="downgrade-reason" name="safetyReason" required rows={3} maxLength={1000} className="input" placeholder="e.g. alarm tones inaudible after the update; the vendor confirms the older version is safe" aria-describedby={fieldError("safetyReason") ? "downgrade-reason-error" : undefined} />
        <FieldError id="downgrade-reason" message={fieldError("safetyReason")} />
      </div>
      <PasswordField id="downgrade-request-password" error={fieldError("password")} />
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-danger" disabled={pending}>{pending ? "Signing…" : "Sign and request the downgrade"}</button>
    </form>
  );
}

export function DowngradeSignForm({ rolloutId, exceptionId, printedName }: { rolloutId: number; exceptionId: number; printedName: string }) {
  const { state, onSubmit, pending, fieldError } = useFormAction(signDowngradeAction);
  const id = `downgrade-sign-password-${exceptionId}`;
  return (
    <form onSubmit={onSubmit} className="mt-2 space-y-3" aria-label="Sign the downgrade exception" data-testid="downgrade-sign-form">
      <input type="hidden" name="rolloutId" value={rolloutId} />
      <input type="hidden" name="exceptionId" value={exceptionId} />
      <p className="text-sm text-slate-700">Your signature (<span className="font-medium">{printedName}</span>) as the second person starts the downgrade, through the same windows and clinical-use checks.</p>
      <PasswordField id={id} error={fieldError("password")} />
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-danger" disabled={pending}>{pending ? "Signing…" : "Sign as second person"}</button>
    </form>
  );
}

export function HaltAllForm() {
  const { state, onSubmit, pending, fieldError, formRef } = useFormAction(haltAllRolloutsAction, { resetOnSuccess: true });
  return (
    <form ref={formRef} onSubmit={onSubmit} className="space-y-3" aria-label="Halt every rollout" data-testid="halt-all-form">
      <p className="text-sm text-slate-700">
        Stops every running or paused rollout at once, for example after a safety notice. Devices that have not started are canceled; started ones are asked to cancel; installed ones keep the update. A halted rollout cannot be resumed.
      </p>
      <ReasonField id="halt-reason" label="Reason" placeholder="e.g. manufacturer field safety notice" error={fieldError("reason")} />
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-danger" disabled={pending}>{pending ? "Halting…" : "Halt every rollout"}</button>
    </form>
  );
}

export function GoAheadForm({ rolloutId, waveId, waveName, printedName }: { rolloutId: number; waveId: number; waveName: string; printedName: string }) {
  const { state, onSubmit, pending, fieldError } = useFormAction(goAheadAction);
  const id = `go-ahead-password-${waveId}`;
  return (
    <form onSubmit={onSubmit} className="mt-3 space-y-3 rounded-md border border-amber-200 bg-amber-50 p-3" aria-label={`Sign the go-ahead for ${waveName}`} data-testid="go-ahead-form">
      <input type="hidden" name="rolloutId" value={rolloutId} />
      <input type="hidden" name="waveId" value={waveId} />
      <p className="text-sm text-amber-950">
        Your signature (<span className="font-medium">{printedName}</span>) records that you allow “{waveName}” to start once its other gates pass. It is a legally binding electronic signature.
      </p>
      <PasswordField id={id} error={fieldError("password")} />
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Signing…" : "Sign the go-ahead"}</button>
    </form>
  );
}

/** Refreshes the server-rendered page every few seconds while the tab is visible. */
export function LiveRefresh({ everyMs = 5000 }: { everyMs?: number }) {
  const router = useRouter();
  useEffect(() => {
    let timer: ReturnType<typeof setInterval> | undefined;
    const start = () => {
      if (timer === undefined && document.visibilityState === "visible") timer = setInterval(() => router.refresh(), everyMs);
    };
    const stop = () => {
      clearInterval(timer);
      timer = undefined;
    };
    const onVisibility = () => {
      if (document.visibilityState === "visible") {
        router.refresh();
        start();
      } else stop();
    };
    start();
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      stop();
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [router, everyMs]);
  return null;
}
