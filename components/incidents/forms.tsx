"use client";

import { FieldError } from "@/components/releases/field-error";
import { useFormAction } from "@/components/releases/use-form-action";
import { FormMessage } from "@/components/ui";
import {
  addNoteAction, assignOwnerAction, changeSeverityAction, createIncidentAction, linkDeviceAction, pauseFromIncidentAction, quarantineFromIncidentAction,
  revertFromIncidentAction, signOffAction, transitionIncidentAction, unlinkDeviceAction,
} from "@/lib/actions/incidents";
import { INCIDENT_SEVERITIES, ROLE_LABELS, type IncidentSeverity, type IncidentStatus, type Role } from "@/lib/domain";

type Owner = { id: number; name: string; role: Role };

const SEVERITY_HELP: Record<IncidentSeverity, string> = {
  critical: "Critical: a patient may be harmed now",
  high: "High: care is affected or devices are at risk",
  medium: "Medium: needs attention soon",
  low: "Low: no effect on care",
};

function Field({ id, label, error, hint, children }: { id: string; label: string; error?: string; hint?: string; children: React.ReactNode }) {
  return (
    <div>
      <label htmlFor={id} className="label">{label}</label>
      {children}
      {hint ? <p id={`${id}-hint`} className="mt-1 text-xs text-slate-600">{hint}</p> : null}
      <FieldError id={id} message={error} />
    </div>
  );
}

const describedBy = (id: string, error?: string, hint?: boolean) => [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(" ") || undefined;

export function CreateIncidentForm({ rollouts, owners }: { rollouts: { id: number; name: string }[]; owners: Owner[] }) {
  const { state, onSubmit, pending, fieldError } = useFormAction(createIncidentAction);
  return (
    <form onSubmit={onSubmit} className="card max-w-3xl space-y-4 p-5" aria-label="Open an incident" data-testid="create-incident-form">
      <Field id="incident-title" label="What is wrong (short title)" error={fieldError("title")}>
        <input id="incident-title" name="title" required maxLength={200} className="input" placeholder="e.g. Pumps on ward 4 alarm without cause" aria-describedby={describedBy("incident-title", fieldError("title"))} />
      </Field>
      <Field id="incident-description" label="What happened" error={fieldError("description")}>
        <textarea id="incident-description" name="description" required maxLength={4000} rows={5} className="input" aria-describedby={describedBy("incident-description", fieldError("description"))} />
      </Field>
      <Field id="incident-severity" label="Severity" error={fieldError("severity")}>
        <select id="incident-severity" name="severity" required defaultValue="medium" className="input">
          {INCIDENT_SEVERITIES.map((s) => <option key={s} value={s}>{SEVERITY_HELP[s]}</option>)}
        </select>
      </Field>
      <Field id="incident-serials" label="Devices involved (serial numbers, optional)" error={fieldError("serials")} hint="Separate several serials with commas or spaces.">
        <input id="incident-serials" name="serials" maxLength={2000} className="input font-mono" aria-describedby={describedBy("incident-serials", fieldError("serials"), true)} />
      </Field>
      <Field id="incident-rollout" label="Rollout involved (optional)" error={fieldError("rolloutId")}>
        <select id="incident-rollout" name="rolloutId" defaultValue="" className="input">
          <option value="">None</option>
          {rollouts.map((r) => <option key={r.id} value={r.id}>{r.name}</option>)}
        </select>
      </Field>
      <Field id="incident-owner" label="Owner (optional)" error={fieldError("ownerId")}>
        <select id="incident-owner" name="ownerId" defaultValue="" className="input">
          <option value="">Nobody yet</option>
          {owners.map((o) => <option key={o.id} value={o.id}>{o.name} ({ROLE_LABELS[o.role]})</option>)}
        </select>
      </Field>
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Opening…" : "Open incident"}</button>
    </form>
  );
}

/** The form for the incident's next step, by its status (see the rules in incidents/operations.ts). */
export function StatusForms({ incidentId, status }: { incidentId: number; status: IncidentStatus }) {
  if (status === "triage") return <TransitionForm incidentId={incidentId} to="contained" button="Mark as contained" text="Contained means the harm cannot spread: for example the rollout is paused or the device is out of use. The escalation clock stops." />;
  if (status === "contained")
    return (
      <TransitionForm incidentId={incidentId} to="resolved" button="Mark as resolved" text="Resolved means the cause is fixed and the fix was checked.">
        {(error) => (
          <Field id="verification" label="How was the fix verified?" error={error("verification")}>
            <textarea id="verification" name="verification" required rows={3} maxLength={4000} className="input" placeholder="e.g. Release 2.1.4 passed bench test TC-44 on three pumps" aria-describedby={describedBy("verification", error("verification"))} />
          </Field>
        )}
      </TransitionForm>
    );
  if (status === "resolved")
    return (
      <div className="space-y-5">
        <TransitionForm incidentId={incidentId} to="lessons_learned" button="Close with lessons learned" text="Closing is final.">
          {(error) => (
            <Field id="lessons" label="Lessons learned" error={error("lessonsLearned")}>
              <textarea id="lessons" name="lessonsLearned" required rows={3} maxLength={4000} className="input" aria-describedby={describedBy("lessons", error("lessonsLearned"))} />
            </Field>
          )}
        </TransitionForm>
        <details className="border-t border-slate-200 pt-4">
          <summary className="cursor-pointer text-sm font-medium text-slate-900">Reopen (the problem is back)</summary>
          <div className="mt-3">
            <TransitionForm incidentId={incidentId} to="triage" button="Reopen" text="The incident goes back to triage with a new deadline; an earlier sign-off no longer counts.">
              {(error) => (
                <Field id="reopen-reason" label="Why reopen?" error={error("reason")}>
                  <input id="reopen-reason" name="reason" required maxLength={1000} className="input" aria-describedby={describedBy("reopen-reason", error("reason"))} />
                </Field>
              )}
            </TransitionForm>
          </div>
        </details>
      </div>
    );
  return <p className="text-sm text-slate-700">This incident is closed.</p>;
}

function TransitionForm({ incidentId, to, button, text, children }: { incidentId: number; to: IncidentStatus; button: string; text: string; children?: (error: (f: string) => string | undefined) => React.ReactNode }) {
  const { state, onSubmit, pending, fieldError } = useFormAction(transitionIncidentAction);
  return (
    <form onSubmit={onSubmit} className="space-y-3" aria-label={button} data-testid={`transition-${to}`}>
      <input type="hidden" name="incidentId" value={incidentId} />
      <input type="hidden" name="to" value={to} />
      <p className="text-sm text-slate-700">{text}</p>
      {children?.(fieldError)}
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Saving…" : button}</button>
    </form>
  );
}

export function OwnerForm({ incidentId, ownerId, owners }: { incidentId: number; ownerId: number | null; owners: Owner[] }) {
  const { state, onSubmit, pending } = useFormAction(assignOwnerAction);
  return (
    <form onSubmit={onSubmit} className="space-y-2" aria-label="Change the owner">
      <input type="hidden" name="incidentId" value={incidentId} />
      <label htmlFor="owner" className="label">Owner</label>
      <div className="flex gap-2">
        <select id="owner" name="ownerId" defaultValue={ownerId ?? ""} required className="input">
          <option value="" disabled>Choose someone</option>
          {owners.map((o) => <option key={o.id} value={o.id}>{o.name} ({ROLE_LABELS[o.role]})</option>)}
        </select>
        <button type="submit" className="btn-secondary" disabled={pending}>Assign</button>
      </div>
      <FormMessage ok={state.ok} message={state.message} />
    </form>
  );
}

export function SeverityForm({ incidentId, severity }: { incidentId: number; severity: IncidentSeverity }) {
  const { state, onSubmit, pending, fieldError } = useFormAction(changeSeverityAction);
  return (
    <form onSubmit={onSubmit} className="space-y-2" aria-label="Change the severity">
      <input type="hidden" name="incidentId" value={incidentId} />
      <Field id="severity" label="Severity">
        <select id="severity" name="severity" defaultValue={severity} className="input">
          {INCIDENT_SEVERITIES.map((s) => <option key={s} value={s}>{SEVERITY_HELP[s]}</option>)}
        </select>
      </Field>
      <Field id="severity-reason" label="Why change it?" error={fieldError("reason")}>
        <input id="severity-reason" name="reason" required maxLength={500} className="input" aria-describedby={describedBy("severity-reason", fieldError("reason"))} />
      </Field>
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-secondary" disabled={pending}>Change severity</button>
    </form>
  );
}

export function LinkDeviceForm({ incidentId }: { incidentId: number }) {
  const { state, onSubmit, pending, fieldError, formRef } = useFormAction(linkDeviceAction, { resetOnSuccess: true });
  return (
    <form ref={formRef} onSubmit={onSubmit} className="space-y-2" aria-label="Link a device">
      <input type="hidden" name="incidentId" value={incidentId} />
      <Field id="link-serial" label="Link a device by serial number" error={fieldError("serial") ?? fieldError("serials")}>
        <div className="flex gap-2">
          <input id="link-serial" name="serial" required maxLength={64} className="input font-mono" />
          <button type="submit" className="btn-secondary" disabled={pending}>Link</button>
        </div>
      </Field>
      <FormMessage ok={state.ok} message={state.message} />
    </form>
  );
}

export function UnlinkDeviceButton({ incidentId, deviceId, serial }: { incidentId: number; deviceId: number; serial: string }) {
  const { state, onSubmit, pending } = useFormAction(unlinkDeviceAction);
  return (
    <form onSubmit={onSubmit} aria-label={`Unlink ${serial}`}>
      <input type="hidden" name="incidentId" value={incidentId} />
      <input type="hidden" name="deviceId" value={deviceId} />
      <button type="submit" className="text-xs font-medium text-slate-700 underline" disabled={pending}>Unlink</button>
      {!state.ok ? <FormMessage ok={false} message={state.message} /> : null}
    </form>
  );
}

export function QuarantineButton({ incidentId, deviceId, serial }: { incidentId: number; deviceId: number; serial: string }) {
  const { state, onSubmit, pending, fieldError } = useFormAction(quarantineFromIncidentAction);
  const id = `quarantine-reason-${deviceId}`;
  return (
    <details>
      <summary className="cursor-pointer text-xs font-medium text-red-700">Quarantine</summary>
      <form onSubmit={onSubmit} className="mt-2 space-y-2" aria-label={`Quarantine ${serial}`}>
        <input type="hidden" name="incidentId" value={incidentId} />
        <input type="hidden" name="deviceId" value={deviceId} />
        <Field id={id} label="Reason" error={fieldError("reason")}>
          <input id={id} name="reason" required maxLength={500} className="input" aria-describedby={describedBy(id, fieldError("reason"))} />
        </Field>
        <FormMessage ok={state.ok} message={state.message} />
        <button type="submit" className="btn-danger" disabled={pending}>Quarantine {serial}</button>
      </form>
    </details>
  );
}

export function NoteForm({ incidentId }: { incidentId: number }) {
  const { state, onSubmit, pending, fieldError, formRef } = useFormAction(addNoteAction, { resetOnSuccess: true });
  return (
    <form ref={formRef} onSubmit={onSubmit} className="space-y-2" aria-label="Add a note">
      <input type="hidden" name="incidentId" value={incidentId} />
      <Field id="note" label="Add a note to the timeline" error={fieldError("note")}>
        <textarea id="note" name="note" required rows={2} maxLength={4000} className="input" aria-describedby={describedBy("note", fieldError("note"))} />
      </Field>
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-secondary" disabled={pending}>Add note</button>
    </form>
  );
}

export function SignOffForm({ incidentId, printedName }: { incidentId: number; printedName: string }) {
  const { state, onSubmit, pending, fieldError } = useFormAction(signOffAction);
  return (
    <form onSubmit={onSubmit} className="space-y-3 rounded-md border border-amber-200 bg-amber-50 p-3" aria-label="Sign off this incident" data-testid="sign-off-form">
      <input type="hidden" name="incidentId" value={incidentId} />
      <p className="text-sm text-amber-950">
        Your signature (<span className="font-medium">{printedName}</span>) records that the linked rollout may go on while this incident stays open. It is a legally binding electronic signature.
      </p>
      <Field id="signoff-reason" label="Why may the rollout go on?" error={fieldError("reason")}>
        <input id="signoff-reason" name="reason" required maxLength={1000} className="input" aria-describedby={describedBy("signoff-reason", fieldError("reason"))} />
      </Field>
      <Field id="signoff-password" label="Your password" error={fieldError("password")}>
        <input id="signoff-password" name="password" type="password" autoComplete="current-password" required className="input" aria-describedby={describedBy("signoff-password", fieldError("password"))} />
      </Field>
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Signing…" : "Sign off"}</button>
    </form>
  );
}

export function PauseRolloutForm({ incidentId }: { incidentId: number }) {
  const { state, onSubmit, pending, fieldError } = useFormAction(pauseFromIncidentAction);
  return (
    <form onSubmit={onSubmit} className="space-y-2" aria-label="Pause the linked rollout" data-testid="incident-pause-form">
      <input type="hidden" name="incidentId" value={incidentId} />
      <Field id="pause-reason" label="Pause the rollout: reason" error={fieldError("reason")}>
        <input id="pause-reason" name="reason" required maxLength={500} className="input" aria-describedby={describedBy("pause-reason", fieldError("reason"))} />
      </Field>
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-secondary" disabled={pending}>Pause rollout</button>
    </form>
  );
}

export function RevertRolloutForm({ incidentId, releases }: { incidentId: number; releases: { id: number; version: string; securityVersion: number }[] }) {
  const { state, onSubmit, pending, fieldError } = useFormAction(revertFromIncidentAction);
  if (releases.length === 0) return <p className="text-sm text-slate-700">No other approved release of this model to go back to.</p>;
  return (
    <form onSubmit={onSubmit} className="space-y-2" aria-label="Revert the linked rollout">
      <input type="hidden" name="incidentId" value={incidentId} />
      <p className="text-sm text-slate-700">Gives the devices this rollout updated a known-good release, through the same windows and clinical-use checks.</p>
      <Field id="revert-release" label="Known-good release">
        <select id="revert-release" name="releaseId" required className="input">
          {releases.map((r) => <option key={r.id} value={r.id}>{r.version} (security version {r.securityVersion})</option>)}
        </select>
      </Field>
      <Field id="revert-reason" label="Reason" error={fieldError("reason")}>
        <input id="revert-reason" name="reason" required maxLength={500} className="input" aria-describedby={describedBy("revert-reason", fieldError("reason"))} />
      </Field>
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-secondary" disabled={pending}>Revert updated devices</button>
    </form>
  );
}
