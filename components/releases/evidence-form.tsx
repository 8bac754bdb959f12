"use client";

import { FormMessage } from "@/components/ui";
import { addEvidenceAction } from "@/lib/actions/releases";
import { EVIDENCE_KINDS, EVIDENCE_KIND_LABELS, EVIDENCE_OUTCOMES, type EvidenceKind } from "@/lib/domain";
import { FieldError } from "./field-error";
import { useFormAction } from "./use-form-action";

const OUTCOME_LABELS = { passed: "Passed", failed: "Failed", inconclusive: "Inconclusive" } as const;

/** Records one verification result. Evidence is part of the signed content: adding it re-hashes the release. */
export function EvidenceForm({ releaseId, required }: { releaseId: number; required: EvidenceKind[] }) {
  const { state, onSubmit, pending, fieldError, formRef } = useFormAction(addEvidenceAction, { resetOnSuccess: true });
  return (
    <form ref={formRef} onSubmit={onSubmit} className="space-y-4" aria-label="Add verification evidence" data-testid="evidence-form">
      <input type="hidden" name="releaseId" value={releaseId} />
      <div className="grid gap-4 md:grid-cols-2">
        <div>
          <label htmlFor="evidence-kind" className="label">Kind of evidence</label>
          <select id="evidence-kind" name="kind" className="input" defaultValue={required[0] ?? "functional"}>
            {EVIDENCE_KINDS.map((k) => (
              <option key={k} value={k}>{EVIDENCE_KIND_LABELS[k]}{required.includes(k) ? " (required by the policy)" : ""}</option>
            ))}
          </select>
        </div>
        <fieldset>
          <legend className="label">Outcome</legend>
          <div className="flex gap-4 pt-2 text-sm">
            {EVIDENCE_OUTCOMES.map((o) => (
              <label key={o} className="flex items-center gap-2">
                <input type="radio" name="outcome" value={o} defaultChecked={o === "passed"} /> {OUTCOME_LABELS[o]}
              </label>
            ))}
          </div>
        </fieldset>
      </div>
      <div>
        <label htmlFor="acceptanceCriteria" className="label">Acceptance criteria</label>
        <textarea id="acceptanceCriteria" name="acceptanceCriteria" rows={2} required className="input" placeholder="What had to be true for this test to pass" aria-describedby={fieldError("acceptanceCriteria") ? "acceptanceCriteria-error" : undefined} />
        <FieldError id="acceptanceCriteria" message={fieldError("acceptanceCriteria")} />
      </div>
      <div>
        <label htmlFor="summary" className="label">Result summary</label>
        <textarea id="summary" name="summary" rows={3} required className="input" placeholder="What was done and what was observed" aria-describedby={fieldError("summary") ? "summary-error" : undefined} />
        <FieldError id="summary" message={fieldError("summary")} />
      </div>
      <div>
        <label htmlFor="attachment" className="label">Attachment (optional, up to 20 MB)</label>
        <input id="attachment" name="attachment" type="file" className="input" />
      </div>
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Adding…" : "Add evidence"}</button>
    </form>
  );
}
