import { Badge } from "@/components/ui";
import { formatDateTime } from "@/components/format";
import { READING_GRADE_LIMIT } from "@/lib/services/releases/reading-level";
import { BRIEFING_FIELDS } from "./briefing-sections";
import type { ReleaseDetail } from "./types";

/** The briefing as clinicians will read it. */
export function BriefingView({ briefing }: { briefing: NonNullable<ReleaseDetail["briefing"]> }) {
  return (
    <div className="space-y-4" data-testid="briefing">
      <p className="flex flex-wrap items-center gap-2 text-sm">
        <Badge tone={briefing.readingGrade > READING_GRADE_LIMIT ? "amber" : "green"}>Reading level: grade {briefing.readingGrade}</Badge>
        <span className="text-slate-600">Last changed {formatDateTime(briefing.updatedAt)}</span>
      </p>
      {briefing.readingGrade > READING_GRADE_LIMIT ? <p className="text-sm text-amber-800">Above grade {READING_GRADE_LIMIT}: consider simpler wording before clinicians read it.</p> : null}
      <dl className="grid gap-4 md:grid-cols-2">
        {BRIEFING_FIELDS.map((f) => (
          <div key={f.key}>
            <dt className="text-sm font-semibold text-slate-900">{f.title}</dt>
            <dd className="mt-1 text-sm whitespace-pre-line text-slate-800">{briefing[f.key]}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
