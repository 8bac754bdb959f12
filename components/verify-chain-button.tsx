"use client";

import { useActionState } from "react";
import { verifyAuditChainAction } from "@/lib/actions/audit";
import type { ActionState } from "@/lib/actions/run";

export function VerifyChainButton() {
  const [state, action, pending] = useActionState<ActionState>(verifyAuditChainAction, { ok: true });
  return (
    <form action={action} className="flex items-center gap-3">
      <button type="submit" className="btn-secondary" disabled={pending}>{pending ? "Verifying…" : "Verify the whole chain now"}</button>
      {!state.ok && state.message ? <span className="text-sm text-red-700">{state.message}</span> : null}
    </form>
  );
}
