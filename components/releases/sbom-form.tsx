"use client";

import { FormMessage } from "@/components/ui";
import { attachSbomAction } from "@/lib/actions/releases";
import { useFormAction } from "./use-form-action";

export function SbomForm({ releaseId, replacing }: { releaseId: number; replacing: boolean }) {
  const { state, onSubmit, pending, formRef } = useFormAction(attachSbomAction, { resetOnSuccess: true });
  return (
    <form ref={formRef} onSubmit={onSubmit} className="space-y-3" aria-label={replacing ? "Replace the SBOM" : "Attach the SBOM"}>
      <input type="hidden" name="releaseId" value={releaseId} />
      <div>
        <label htmlFor="sbom-file" className="label">{replacing ? "New SBOM (CycloneDX JSON)" : "SBOM (CycloneDX JSON)"}</label>
        <input id="sbom-file" name="sbom" type="file" accept=".json,application/json" required className="input" />
      </div>
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-secondary" disabled={pending}>{pending ? "Checking…" : replacing ? "Replace SBOM" : "Attach SBOM"}</button>
    </form>
  );
}
