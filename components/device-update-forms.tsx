"use client";

import { useActionState } from "react";
import { assignReleaseAction, cancelDeploymentAction, provisionTokenAction, revokeTokenAction } from "@/lib/actions/deployments";
import type { ActionState } from "@/lib/actions/run";
import { FormMessage } from "./ui";

function Message({ state }: { state: ActionState }) {
  return <FormMessage ok={state.ok} message={state.message} />;
}

export function AssignReleaseForm({ deviceId, releases }: { deviceId: number; releases: { id: number; version: string; securityVersion: number }[] }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(assignReleaseAction, { ok: true });
  if (releases.length === 0) return <p className="text-sm text-slate-600">No approved release fits this device (model, hardware revision and security floor).</p>;
  return (
    <form action={action} className="space-y-3" aria-label="Assign an update">
      <Message state={state} />
      <input type="hidden" name="deviceId" value={deviceId} />
      <div>
        <label htmlFor="releaseId" className="label">Release</label>
        <select id="releaseId" name="releaseId" className="input">
          {releases.map((r) => (
            <option key={r.id} value={r.id}>{r.version} (security version {r.securityVersion})</option>
          ))}
        </select>
      </div>
      <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Assigning…" : "Assign update"}</button>
    </form>
  );
}

export function CancelDeploymentForm({ deviceId, actionId }: { deviceId: number; actionId: number }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(cancelDeploymentAction, { ok: true });
  return (
    <form action={action} className="mt-3 space-y-2" aria-label="Cancel this update">
      <Message state={state} />
      <input type="hidden" name="deviceId" value={deviceId} />
      <input type="hidden" name="actionId" value={actionId} />
      <button type="submit" className="btn-danger" disabled={pending}>{pending ? "Canceling…" : "Cancel this update"}</button>
    </form>
  );
}

export function TokenForms({ deviceId, hasToken }: { deviceId: number; hasToken: boolean }) {
  const [issued, issue, issuing] = useActionState<ActionState<{ token: string; controllerId: string }>, FormData>(provisionTokenAction, { ok: true });
  const [revoked, revoke, revoking] = useActionState<ActionState, FormData>(revokeTokenAction, { ok: true });
  return (
    <div className="space-y-3">
      {issued.ok && issued.data ? (
        <div className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm" data-testid="new-token">
          <p className="font-semibold text-amber-900">Copy this token now. It is shown only once and is not stored.</p>
          <p className="mt-2">Controller id: <code className="font-mono">{issued.data.controllerId}</code></p>
          <p className="mt-1 break-all">Target token: <code className="font-mono select-all">{issued.data.token}</code></p>
        </div>
      ) : null}
      {!issued.ok ? <Message state={issued} /> : null}
      <Message state={revoked} />
      <div className="flex flex-wrap gap-2">
        <form action={issue}>
          <input type="hidden" name="deviceId" value={deviceId} />
          <button type="submit" className="btn-secondary" disabled={issuing}>{hasToken ? "Rotate token" : "Issue a device token"}</button>
        </form>
        {hasToken ? (
          <form action={revoke}>
            <input type="hidden" name="deviceId" value={deviceId} />
            <button type="submit" className="btn-danger" disabled={revoking}>Revoke token</button>
          </form>
        ) : null}
      </div>
    </div>
  );
}
