"use client";

import { useMemo, useState } from "react";
import { FormMessage } from "@/components/ui";
import { saveBriefingAction } from "@/lib/actions/releases";
import { READING_GRADE_LIMIT, readingLevel } from "@/lib/services/releases/reading-level";
import { BRIEFING_FIELDS, type BriefingText } from "./briefing-sections";
import { FieldError } from "./field-error";
import { useFormAction } from "./use-form-action";

const EMPTY: BriefingText = { bedsideChanges: "", alarmsAndScreens: "", staffActions: "", howToReport: "", patientGuidance: "" };

/** The clinician briefing, with its reading level measured as it is typed. */
export function BriefingEditor({ releaseId, initial, signedWarning }: { releaseId: number; initial: BriefingText | null; signedWarning: boolean }) {
  const { state, onSubmit, pending, fieldError } = useFormAction(saveBriefingAction);
  const [text, setText] = useState<BriefingText>(initial ?? EMPTY);
  const level = useMemo(() => readingLevel(BRIEFING_FIELDS.map((f) => text[f.key]).join("\n\n")), [text]);
  const tooHard = level.grade > READING_GRADE_LIMIT;
  return (
    <form onSubmit={onSubmit} className="space-y-4" aria-label="Edit the clinician briefing" data-testid="briefing-editor">
      <input type="hidden" name="releaseId" value={releaseId} />
      {BRIEFING_FIELDS.map((f) => (
        <div key={f.key}>
          <label htmlFor={`briefing-${f.key}`} className="label">{f.title}</label>
          <textarea
            id={`briefing-${f.key}`} name={f.key} rows={3} required className="input" value={text[f.key]}
            onChange={(e) => setText((t) => ({ ...t, [f.key]: e.target.value }))}
            aria-describedby={`briefing-${f.key}-help${fieldError(f.key) ? ` ${f.key}-error` : ""}`}
          />
          <p id={`briefing-${f.key}-help`} className="mt-1 text-xs text-slate-600">{f.prompt}</p>
          <FieldError id={f.key} message={fieldError(f.key)} />
        </div>
      ))}
      <div
        aria-live="polite"
        data-testid="reading-level"
        className={`rounded-md border px-4 py-3 text-sm ${tooHard ? "border-amber-300 bg-amber-50 text-amber-900" : "border-emerald-200 bg-emerald-50 text-emerald-900"}`}
      >
        <p className="font-semibold">
          Reading level: grade {level.grade} {level.words > 0 ? `(${level.words} words, ${level.sentences} sentences)` : ""}
        </p>
        {tooHard ? (
          <>
            <p className="mt-1">Above grade {READING_GRADE_LIMIT}: some readers will struggle. Use shorter sentences and everyday words.</p>
            {level.longestSentences.length ? (
              <ul className="mt-2 list-disc pl-5 text-xs">
                {level.longestSentences.map((s) => <li key={s}>Shorten: “{s}”</li>)}
              </ul>
            ) : null}
          </>
        ) : (
          <p className="mt-1">At or below grade {READING_GRADE_LIMIT}: good for a busy bedside.</p>
        )}
      </div>
      {signedWarning ? (
        <p className="text-xs text-amber-800">The briefing is part of the signed content: saving a change invalidates the signatures made so far.</p>
      ) : null}
      <FormMessage ok={state.ok} message={state.message} />
      <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Saving…" : "Save briefing"}</button>
    </form>
  );
}
