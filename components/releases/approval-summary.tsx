import { Badge } from "@/components/ui";
import { CRITICALITY_LABELS, EVIDENCE_KIND_LABELS, RISK_CLASS_LABELS, ROLE_LABELS } from "@/lib/domain";
import type { ReleaseDetail } from "./types";

/** The policy this release is judged by, and how far it has got. */
export function ApprovalSummary({ detail }: { detail: ReleaseDetail }) {
  const { approval, release } = detail;
  const p = approval.policy;
  return (
    <div className="grid gap-4 rounded-md border border-slate-200 bg-slate-50 p-4 text-sm md:grid-cols-2" data-testid="approval-summary">
      <div>
        <h3 className="font-semibold">Policy for {CRITICALITY_LABELS[release.criticality].toLowerCase()} devices, {RISK_CLASS_LABELS[release.riskClass].toLowerCase()} releases{p.isDefault ? " (built-in default)" : ""}</h3>
        <ul className="mt-2 list-disc space-y-1 pl-5">
          <li>At least {p.minSigners} different people approve, including {p.requiredRoles.map((r) => ROLE_LABELS[r].toLowerCase()).join(" and ")}</li>
          <li>Passing evidence: {p.requiredEvidence.map((k) => EVIDENCE_KIND_LABELS[k].toLowerCase()).join(", ") || "none"}</li>
          <li>Known issues no worse than {p.maxIssueSeverity}</li>
          <li>The person who created or submitted it never counts</li>
        </ul>
      </div>
      <div>
        <h3 className="font-semibold">Approvals that count ({approval.approvers.length} of {p.minSigners})</h3>
        {approval.approvers.length ? (
          <ul className="mt-2 space-y-1">{approval.approvers.map((a) => <li key={a.userId}>{a.printedName} <span className="text-slate-600">({ROLE_LABELS[a.role]})</span></li>)}</ul>
        ) : <p className="mt-2 text-slate-600">None yet.</p>}
        <p className="mt-3">{approval.met ? <Badge tone="green">Policy met</Badge> : <Badge tone="amber">{approval.missing.length} requirement{approval.missing.length === 1 ? "" : "s"} open</Badge>}</p>
      </div>
    </div>
  );
}
