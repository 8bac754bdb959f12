"use client";

import { FormMessage } from "@/components/ui";
import { updateReleaseAction } from "@/lib/actions/releases";
import { ReleaseContentFields, type ReleaseContent } from "./release-content-fields";
import { useFormAction } from "./use-form-action";

/** Changes the release's details. Saving re-hashes the content, so earlier signatures stop counting. */
export function ContentEditForm({ releaseId, initial, isDraft, signed }: { releaseId: number; initial: ReleaseContent; isDraft: boolean; signed: boolean }) {
  const { state, onSubmit, pending } = useFormAction(updateReleaseAction);
  return (
    <form onSubmit={onSubmit} className="space-y-4" aria-label="Edit release details" data-testid="content-edit-form">
      <input type="hidden" name="releaseId" value={releaseId} />
      <ReleaseContentFields initial={initial} errors={state.fieldErrors} securityVersionLocked={!isDraft} />
      {signed ? (
        <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          Saving changes the signed content: every signature made so far will show as invalid, and an approved release goes back to review.
        </p>
      ) : null}
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Saving…" : "Save details"}</button>
    </form>
  );
}
