import { Badge } from "@/components/ui";
import { formatDateTime } from "@/components/format";
import { EVIDENCE_KIND_LABELS } from "@/lib/domain";
import type { ReleaseDetail } from "./types";

const OUTCOME = { passed: ["green", "Passed"], failed: ["red", "Failed"], inconclusive: ["amber", "Inconclusive"] } as const;

export function EvidenceList({ evidence }: { evidence: ReleaseDetail["evidence"] }) {
  if (evidence.length === 0) return <p className="text-sm text-slate-600">No evidence recorded yet.</p>;
  return (
    <ul className="divide-y divide-slate-200" data-testid="evidence-list">
      {evidence.map((e) => (
        <li key={e.id} className="py-3 first:pt-0">
          <div className="flex flex-wrap items-center gap-2">
            <span className="font-medium">{EVIDENCE_KIND_LABELS[e.kind]}</span>
            <Badge tone={OUTCOME[e.outcome][0]}>{OUTCOME[e.outcome][1]}</Badge>
            <span className="text-xs text-slate-600">{e.authorName} · {formatDateTime(e.createdAt)}</span>
          </div>
          <dl className="mt-2 grid gap-2 text-sm md:grid-cols-2">
            <div><dt className="text-xs font-semibold text-slate-600 uppercase">Acceptance criteria</dt><dd className="whitespace-pre-line">{e.acceptanceCriteria}</dd></div>
            <div><dt className="text-xs font-semibold text-slate-600 uppercase">Result</dt><dd className="whitespace-pre-line">{e.summary}</dd></div>
          </dl>
          {e.attachmentName ? (
            <a href={`/api/releases/evidence?id=${e.id}`} className="link mt-2 inline-block text-sm" download>
              Download {e.attachmentName} <span className="text-slate-600">({Math.max(1, Math.round((e.attachmentSize ?? 0) / 1024))} KB)</span>
            </a>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
