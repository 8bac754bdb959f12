"use client";

import { useState } from "react";
import { FormMessage } from "@/components/ui";
import { signReleaseAction } from "@/lib/actions/releases";
import { SIGNATURE_MEANING_LABELS } from "@/lib/domain";
import { FieldError } from "./field-error";
import { useFormAction } from "./use-form-action";

export type SignMeaning = "reviewed" | "approved" | "rejected" | "revoked";

const HELP: Record<SignMeaning, string> = {
  reviewed: "You have reviewed the release; this does not approve it.",
  approved: "You approve this exact content for use on patients’ devices. It counts toward the approval policy.",
  rejected: "You reject the release. It stops here and cannot be approved later; the vendor must submit a new version.",
  revoked: "You take back one of your own earlier signatures. The original stays on record.",
};

type Props = {
  releaseId: number;
  meanings: SignMeaning[];
  contentHash: string;
  printedName: string;
  /** The signer's own signatures that can still be revoked. */
  revocable: { id: number; label: string }[];
};

/** Electronic signature (21 CFR Part 11): meaning, re-entered password, reason; bound to the content hash. */
export function SignForm({ releaseId, meanings, contentHash, printedName, revocable }: Props) {
  const { state, onSubmit, pending, fieldError } = useFormAction(signReleaseAction);
  const [chosen, setMeaning] = useState<SignMeaning>(meanings[0]!);
  // The allowed meanings change with the release's state; fall back when the chosen one no longer applies.
  const meaning = meanings.includes(chosen) ? chosen : meanings[0]!;
  return (
    <form onSubmit={onSubmit} className="space-y-4" aria-label="Sign this release" data-testid="sign-form">
      <input type="hidden" name="releaseId" value={releaseId} />
      <div className="rounded-md border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">
        <p className="font-semibold">Your electronic signature is legally binding.</p>
        <p className="mt-1">
          It is the equivalent of your handwritten signature. It records your printed name (<span className="font-medium">{printedName}</span>), the time and what
          it means, and it is bound to this exact release content (hash <code className="font-mono" title={contentHash}>{contentHash.slice(0, 12)}…</code>). If the content
          changes afterwards, the signature no longer counts.
        </p>
      </div>
      <div className="grid gap-4 md:grid-cols-2">
        <div>
          <label htmlFor="sign-meaning" className="label">Meaning of your signature</label>
          <select id="sign-meaning" name="meaning" className="input" value={meaning} onChange={(e) => setMeaning(e.target.value as SignMeaning)}>
            {meanings.map((m) => <option key={m} value={m}>{SIGNATURE_MEANING_LABELS[m]}</option>)}
          </select>
          <p className="mt-1 text-xs text-slate-600">{HELP[meaning]}</p>
        </div>
        {meaning === "revoked" ? (
          <div>
            <label htmlFor="revokesId" className="label">Signature to revoke</label>
            <select id="revokesId" name="revokesId" className="input" required>
              {revocable.map((s) => <option key={s.id} value={s.id}>{s.label}</option>)}
            </select>
            <FieldError id="revokesId" message={fieldError("revokesId")} />
          </div>
        ) : null}
      </div>
      <div>
        <label htmlFor="sign-reason" className="label">Reason {meaning === "rejected" || meaning === "revoked" ? "" : "(optional)"}</label>
        <textarea
          id="sign-reason" name="reason" rows={2} className="input" required={meaning === "rejected"}
          placeholder={meaning === "rejected" ? "Why you reject this release" : "Anything the record should say with your signature"}
          aria-describedby={fieldError("reason") ? "reason-error" : undefined}
        />
        <FieldError id="reason" message={fieldError("reason")} />
      </div>
      <div className="max-w-sm">
        <label htmlFor="sign-password" className="label">Your password</label>
        <input id="sign-password" name="password" type="password" autoComplete="current-password" required className="input" aria-describedby="sign-password-help" />
        <p id="sign-password-help" className="mt-1 text-xs text-slate-600">Enter it again to confirm it is you signing.</p>
      </div>
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className={meaning === "rejected" ? "btn-danger" : "btn-primary"} disabled={pending}>
        {pending ? "Signing…" : `Sign: ${SIGNATURE_MEANING_LABELS[meaning]}`}
      </button>
    </form>
  );
}
