import { formatDateTime } from "@/components/format";
import { Badge } from "@/components/ui";
import { RELEASE_STATE_LABELS, SIGNATURE_MEANING_LABELS, type ReleaseState, type SignatureMeaning } from "@/lib/domain";
import type { ReleaseHistory } from "./types";

const ACTIONS: Record<string, string> = {
  "release.created": "Created the draft",
  "release.updated": "Changed the details",
  "release.package_verified": "Uploaded the package; vendor signature verified",
  "release.package_quarantined": "Uploaded a package that was rejected and quarantined",
  "release.sbom_attached": "Attached the SBOM",
  "release.verification_failed": "Ran verification; it failed",
  "release.evidence_added": "Added evidence",
  "release.signed": "Signed",
  "briefing.saved": "Saved the clinician briefing",
  "briefing.acknowledged": "Acknowledged the briefing",
  "briefing.problem_reported": "Reported a problem",
  "signature.password_rejected": "Signing refused: wrong password",
  "signature.lockout": "Signing locked after wrong passwords",
  "authz.denied": "Refused",
  "deployment.cancel_for_release": "Unfinished updates stopped",
};

function describe(action: string, after: unknown): string {
  const a = (after ?? {}) as { state?: ReleaseState; meaning?: SignatureMeaning; contentHash?: string };
  if (action === "release.state_changed" && a.state) return `State changed to ${RELEASE_STATE_LABELS[a.state].toLowerCase()}`;
  if (action === "release.signed" && a.meaning) return `Signed: ${SIGNATURE_MEANING_LABELS[a.meaning]}`;
  return ACTIONS[action] ?? action;
}

/** The release's audit trail, oldest first. */
export function History({ history }: { history: ReleaseHistory }) {
  if (history.length === 0) return <p className="text-sm text-slate-600">Nothing recorded yet.</p>;
  return (
    <ol className="space-y-2 text-sm" data-testid="release-history">
      {history.map((h) => (
        <li key={h.seq} className="flex flex-wrap gap-x-3 border-b border-slate-100 pb-2">
          <span className="w-48 shrink-0 font-mono text-xs text-slate-600">{formatDateTime(h.createdAt)}</span>
          <span className="min-w-0 flex-1">
            <span className="font-medium">{h.actorName ?? "System"}</span> — {describe(h.action, h.after)}
            {h.outcome !== "success" ? <> <Badge tone="red">{h.outcome}</Badge></> : null}
            {h.reason ? <span className="block text-xs text-slate-600">Reason: {h.reason}</span> : null}
          </span>
        </li>
      ))}
    </ol>
  );
}
