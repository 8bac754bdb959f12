"use client";

import { useActionState } from "react";
import { FormMessage } from "@/components/ui";
import { releaseStepAction } from "@/lib/actions/releases";
import type { ActionState } from "@/lib/actions/run";

const LABELS = { submit: "Submit for verification", verify: "Run verification", review: "Start review" } as const;
const PENDING = { submit: "Submitting…", verify: "Verifying…", review: "Starting…" } as const;

/** The one button that moves a release to its next step (the service re-checks state and permission). */
export function StepForm({ releaseId, step }: { releaseId: number; step: keyof typeof LABELS }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(releaseStepAction, { ok: true });
  return (
    <form action={action} className="space-y-3">
      <input type="hidden" name="releaseId" value={releaseId} />
      <input type="hidden" name="step" value={step} />
      <button type="submit" className="btn-primary" disabled={pending} data-testid={`step-${step}`}>{pending ? PENDING[step] : LABELS[step]}</button>
      <FormMessage ok={state.ok} message={state.message} />
    </form>
  );
}
