"use client";

import { FieldError } from "@/components/releases/field-error";
import { useFormAction } from "@/components/releases/use-form-action";
import { FormMessage } from "@/components/ui";
import { saveEscalationAction, saveWebhookAction } from "@/lib/actions/incidents";
import { INCIDENT_SEVERITIES, type IncidentSeverity } from "@/lib/domain";

type Settings = { deadlines: Record<IncidentSeverity, number>; webhook: { url: string; secretSet: boolean } | null };

/** Escalation deadlines per severity and the outgoing webhook (admin only). */
export function IncidentSettings({ settings }: { settings: Settings }) {
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <EscalationForm deadlines={settings.deadlines} />
      <WebhookForm webhook={settings.webhook} />
    </div>
  );
}

function EscalationForm({ deadlines }: { deadlines: Settings["deadlines"] }) {
  const { state, onSubmit, pending, fieldError } = useFormAction(saveEscalationAction);
  return (
    <form onSubmit={onSubmit} className="space-y-3" aria-label="Escalation deadlines" data-testid="escalation-form">
      <h3 className="text-sm font-semibold text-slate-900">Time allowed in triage</h3>
      <p className="text-sm text-slate-600">An incident not contained within this time is escalated: first the owner and the people on call are told again, then managers and administrators.</p>
      <div className="grid grid-cols-2 gap-3">
        {[...INCIDENT_SEVERITIES].reverse().map((s) => (
          <div key={s}>
            <label htmlFor={`deadline-${s}`} className="label">{s[0]!.toUpperCase() + s.slice(1)} (minutes)</label>
            <input id={`deadline-${s}`} name={s} type="number" min={1} max={10080} required defaultValue={deadlines[s]} className="input" aria-describedby={fieldError(s) ? `deadline-${s}-error` : undefined} />
            <FieldError id={`deadline-${s}`} message={fieldError(s)} />
          </div>
        ))}
      </div>
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-primary" disabled={pending}>Save deadlines</button>
    </form>
  );
}

function WebhookForm({ webhook }: { webhook: Settings["webhook"] }) {
  const { state, onSubmit, pending, fieldError } = useFormAction(saveWebhookAction);
  return (
    <form onSubmit={onSubmit} className="space-y-3" aria-label="Outgoing webhook" data-testid="webhook-form">
      <h3 className="text-sm font-semibold text-slate-900">Outgoing webhook</h3>
      <p className="text-sm text-slate-600">
        Another system (paging, ticketing) can receive each new, escalated or changed incident as a signed JSON POST. The signature is HMAC-SHA256 of
        “timestamp.body” with the secret, in the X-Corridor-Signature header. Leave the address empty to stop sending.
      </p>
      <div>
        <label htmlFor="webhook-url" className="label">Address (URL)</label>
        <input id="webhook-url" name="url" type="url" maxLength={500} defaultValue={webhook?.url ?? ""} className="input" placeholder="https://pager.example.org/corridor" aria-describedby={fieldError("url") ? "webhook-url-error" : undefined} />
        <FieldError id="webhook-url" message={fieldError("url")} />
      </div>
      <div>
        <label htmlFor="webhook-secret" className="label">Signing secret</label>
        <input id="webhook-secret" name="secret" type="password" autoComplete="off" maxLength={200} className="input" aria-describedby={`webhook-secret-hint${fieldError("secret") ? " webhook-secret-error" : ""}`} />
        <p id="webhook-secret-hint" className="mt-1 text-xs text-slate-600">{webhook?.secretSet ? "A secret is set and is never shown. Leave empty to keep it, or type a new one (16 characters or more)." : "16 characters or more. It is never shown again."}</p>
        <FieldError id="webhook-secret" message={fieldError("secret")} />
      </div>
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-primary" disabled={pending}>Save webhook</button>
    </form>
  );
}
