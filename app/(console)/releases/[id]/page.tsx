import type { Metadata } from "next";
import Link from "next/link";
import { formatCount, formatDateTime } from "@/components/format";
import { ApprovalSummary } from "@/components/releases/approval-summary";
import { ReleaseStateBadge, RiskBadge, shortHash } from "@/components/releases/badges";
import { BriefingEditor } from "@/components/releases/briefing-editor";
import { BriefingView } from "@/components/releases/briefing-view";
import { CompatibilityTable, KnownIssuesTable } from "@/components/releases/content-lists";
import { ContentEditForm } from "@/components/releases/content-edit-form";
import { CoverageTable, ProblemReports } from "@/components/briefings/briefing-view";
import { EvidenceForm } from "@/components/releases/evidence-form";
import { EvidenceList } from "@/components/releases/evidence-list";
import { History } from "@/components/releases/history";
import { NextStep } from "@/components/releases/next-step";
import { Provenance } from "@/components/releases/provenance";
import { RetireForm } from "@/components/releases/retire-form";
import { SbomForm } from "@/components/releases/sbom-form";
import { SbomSection } from "@/components/releases/sbom-section";
import { Section } from "@/components/releases/section";
import { SignForm, type SignMeaning } from "@/components/releases/sign-form";
import { SignaturesTable } from "@/components/releases/signatures-table";
import { BackLink, Field, Notice } from "@/components/ui";
import { can } from "@/lib/auth/permissions";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { orNotFound } from "@/lib/pages";
import { CRITICALITY_LABELS, SIGNATURE_MEANING_LABELS, type ReleaseState } from "@/lib/domain";
import { briefingCoverage, problemReportsFor } from "@/lib/services/releases/briefings";
import { releaseDetail, releaseHistory, sbomDiffForRelease } from "@/lib/services/releases/queries";
import { isoUtc } from "@/components/releases/iso-time";

export const metadata: Metadata = { title: "Release" };

const HOSPITAL_EDITABLE: ReleaseState[] = ["draft", "submitted", "verified", "in_review", "approved"];
const EVIDENCE_STATES: ReleaseState[] = ["submitted", "verified", "in_review", "approved"];

const NAV = [
  ["next-step", "Next step"], ["overview", "Overview"], ["notes", "Release notes"], ["known-issues", "Known issues"], ["compatibility", "Compatibility"],
  ["provenance", "Provenance"], ["sbom", "SBOM"], ["evidence", "Evidence"], ["signatures", "Signatures"], ["briefing", "Briefing"], ["history", "History"],
] as const;

export default async function ReleasePage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requirePagePermission("releases.read", "/releases/[id]");
  const ctx = await requestCtx();
  const { id } = await params;
  const detail = await orNotFound(releaseDetail(ctx, { releaseId: id }));
  const { release, approval } = detail;
  const role = user.role;
  const seesCoverage = can(role, "acknowledgements.read");
  const [history, sbomDiff, coverage, reports] = await Promise.all([
    releaseHistory(ctx, { releaseId: release.id }),
    sbomDiffForRelease(ctx, { releaseId: release.id }),
    seesCoverage ? briefingCoverage(ctx, { releaseId: release.id }) : Promise.resolve(null),
    seesCoverage ? problemReportsFor(ctx, { releaseId: release.id }) : Promise.resolve(null),
  ]);

  const editableStates = role === "vendor" ? ["draft"] : HOSPITAL_EDITABLE;
  const canEdit = can(role, "releases.edit") && editableStates.includes(release.state);
  const canBrief = can(role, "briefings.write") && editableStates.includes(release.state);
  const canEvidence = can(role, "releases.evidence") && EVIDENCE_STATES.includes(release.state);
  const isSubmitter = user.userId === release.submittedBy || user.userId === release.createdBy;
  const revocable = approval.signatures
    .filter((s) => s.userId === user.userId && s.meaning !== "revoked" && s.status !== "revoked")
    .map((s) => ({ id: s.id, label: `#${s.id} ${SIGNATURE_MEANING_LABELS[s.meaning]}, ${isoUtc(s.signedAt)}` }));
  const meanings: SignMeaning[] = !can(role, "releases.sign")
    ? []
    : release.state === "verified"
      ? ["reviewed"]
      : release.state === "in_review"
        ? [...(["reviewed"] as const), ...(isSubmitter ? [] : (["approved", "rejected"] as const)), ...(revocable.length ? (["revoked"] as const) : [])]
        : release.state === "approved" && revocable.length
          ? ["revoked"]
          : [];
  const signed = approval.signatures.length > 0;

  return (
    <>
      <BackLink href="/releases">Releases</BackLink>
      <div className="mb-2 flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold text-slate-900">
          {release.modelName} <span className="font-mono">{release.version}</span>
        </h1>
        <ReleaseStateBadge state={release.state} />
        <RiskBadge risk={release.riskClass} />
      </div>
      <p className="mb-4 flex flex-wrap items-center gap-x-3 text-sm text-slate-600">
        <span>{detail.manufacturer} · security version {release.securityVersion} · content hash <code className="font-mono" title={release.contentHash}>{shortHash(release.contentHash)}</code></span>
        <Link href={`/releases/${release.id}/record`} className="link">Signed record (print)</Link>
      </p>

      <div className="mb-4 space-y-3">
        {release.state === "recalled" ? (
          <div data-testid="recall-notice">
            <Notice tone="error" title="Recalled: do not use this firmware">
              {detail.devicesRunning > 0 ? (
                <>
                  <span className="font-semibold">{formatCount(detail.devicesRunning)} device{detail.devicesRunning === 1 ? " still runs" : "s still run"} version {release.version}.</span>{" "}
                  They are flagged in the inventory. <Link href={`/inventory?model=${release.modelId}&firmware=${encodeURIComponent(release.version)}`} className="link">See the devices</Link>
                </>
              ) : "No device runs it any more."}
            </Notice>
          </div>
        ) : null}
        {release.state === "withdrawn" ? <Notice tone="warning" title="Withdrawn">No device can be given this release. {formatCount(detail.devicesRunning)} devices still run it.</Notice> : null}
        {!detail.contentHashIntact ? (
          <Notice tone="error" title="The stored content does not match its hash">Someone changed this release outside Corridor. Signatures cannot be trusted until an administrator investigates.</Notice>
        ) : null}
      </div>

      <nav aria-label="On this page" className="mb-6 print:hidden">
        <ul className="flex flex-wrap gap-x-4 gap-y-1 border-b border-slate-200 pb-3 text-sm">
          {NAV.map(([anchor, label]) => <li key={anchor}><a href={`#${anchor}`} className="link">{label}</a></li>)}
        </ul>
      </nav>

      <div className="space-y-6">
        <NextStep detail={detail} role={role} userId={user.userId} lastRejection={history.findLast((h) => h.action === "release.package_quarantined")?.reason ?? null} />

        <Section id="overview" title="Overview">
          <dl className="grid grid-cols-2 gap-x-6 gap-y-4 md:grid-cols-4">
            <Field label="Manufacturer">{detail.manufacturer}</Field>
            <Field label="Model">{release.modelName} <span className="text-slate-600">({CRITICALITY_LABELS[release.criticality].toLowerCase()})</span></Field>
            <Field label="Version"><span className="font-mono">{release.version}</span></Field>
            <Field label="Security version">{release.securityVersion}</Field>
            <Field label="Hardware revisions">{release.hardwareRevisions.join(", ")}</Field>
            <Field label="Risk class"><RiskBadge risk={release.riskClass} /></Field>
            <Field label="Created">{formatDateTime(release.createdAt)}{detail.createdByName ? ` by ${detail.createdByName}` : ""}</Field>
            <Field label="Submitted by">{detail.submittedByName ?? "Not submitted yet"}</Field>
            <Field label="Privacy impact">{release.privacyImpact ? release.privacyNote : "None declared"}</Field>
          </dl>
          {canEdit ? (
            <details className="mt-5 rounded-md border border-slate-200">
              <summary className="cursor-pointer px-4 py-2 text-sm font-medium">Edit details</summary>
              <div className="space-y-4 border-t border-slate-200 p-4">
                <ContentEditForm
                  releaseId={release.id}
                  isDraft={release.state === "draft"}
                  signed={signed}
                  initial={{
                    securityVersion: release.securityVersion, hardwareRevisions: release.hardwareRevisions, riskClass: release.riskClass, changeLog: release.changeLog,
                    knownIssues: release.knownIssues, compatibility: release.compatibility, privacyImpact: release.privacyImpact, privacyNote: release.privacyNote,
                  }}
                />
              </div>
            </details>
          ) : null}
        </Section>

        <Section id="notes" title="Release notes" description="As the vendor describes this version. These notes are part of what approvers sign.">
          <div className="space-y-6">
            <div>
              <h3 className="mb-2 text-sm font-semibold">Change log</h3>
              <p className="text-sm whitespace-pre-line">{release.changeLog}</p>
            </div>
            <div id="known-issues" className="scroll-mt-6">
              <h3 className="mb-2 text-sm font-semibold">Known issues</h3>
              <KnownIssuesTable issues={release.knownIssues} />
            </div>
            <div id="compatibility" className="scroll-mt-6">
              <h3 className="mb-2 text-sm font-semibold">Compatibility</h3>
              <CompatibilityTable notes={release.compatibility} />
            </div>
          </div>
        </Section>

        <Section id="provenance" title="Provenance" description="Where this firmware came from and who vouched for it, step by step.">
          <Provenance detail={detail} history={history} />
        </Section>

        <Section id="sbom" title="Software bill of materials (SBOM)">
          {detail.sbom ? <SbomSection sbom={detail.sbom} artifactSha256={detail.artifact?.sha256 ?? null} diff={sbomDiff} /> : <p className="text-sm text-slate-600">No SBOM attached yet. The release cannot be verified without one.</p>}
          {can(role, "releases.edit") && (release.state === "draft" || release.state === "submitted") ? (
            <div className="mt-4 max-w-xl border-t border-slate-200 pt-4"><SbomForm releaseId={release.id} replacing={!!detail.sbom} /></div>
          ) : null}
        </Section>

        <Section id="evidence" title="Verification evidence" description="Test results recorded by clinical engineering and IT security. Evidence is part of what approvers sign.">
          <EvidenceList evidence={detail.evidence} />
          {canEvidence ? (
            <div className="mt-5 border-t border-slate-200 pt-5">
              <h3 className="mb-3 text-sm font-semibold">Add evidence</h3>
              <EvidenceForm releaseId={release.id} required={approval.policy.requiredEvidence} />
            </div>
          ) : null}
        </Section>

        <Section id="signatures" title="Electronic signatures" description="Each signature shows who signed, when (UTC) and what it means. A signature made before the content changed is shown as invalid and no longer counts.">
          <div className="space-y-5">
            <ApprovalSummary detail={detail} />
            <SignaturesTable signatures={approval.signatures} />
            {meanings.length ? (
              <div id="sign" className="scroll-mt-6 border-t border-slate-200 pt-5">
                <h3 className="mb-3 text-sm font-semibold">Sign</h3>
                <SignForm releaseId={release.id} meanings={meanings} contentHash={release.contentHash} printedName={user.name} revocable={revocable} />
              </div>
            ) : can(role, "releases.sign") && release.state === "in_review" && isSubmitter ? (
              <p className="text-sm text-slate-700">You created or submitted this release, so you cannot approve or reject it.</p>
            ) : null}
            {release.state === "approved" && can(role, "releases.withdraw") ? (
              <details className="rounded-md border border-red-200">
                <summary className="cursor-pointer px-4 py-2 text-sm font-medium text-red-800">Withdraw or recall this release</summary>
                <div className="border-t border-red-200 p-4"><RetireForm releaseId={release.id} devicesRunning={detail.devicesRunning} /></div>
              </details>
            ) : null}
          </div>
        </Section>

        <Section id="briefing" title="Clinician briefing" description="Plain-language notes clinical leads read and acknowledge for their unit before their devices are updated.">
          <div className="space-y-6">
            {detail.briefing ? <BriefingView briefing={detail.briefing} /> : <p className="text-sm text-slate-600">No briefing written yet.</p>}
            {canBrief ? (
              <details className="rounded-md border border-slate-200" open={!detail.briefing}>
                <summary className="cursor-pointer px-4 py-2 text-sm font-medium">{detail.briefing ? "Edit the briefing" : "Write the briefing"}</summary>
                <div className="border-t border-slate-200 p-4">
                  <BriefingEditor releaseId={release.id} initial={detail.briefing} signedWarning={signed} />
                </div>
              </details>
            ) : null}
            {coverage ? (
              <div>
                <h3 className="mb-2 text-sm font-semibold">Acknowledgements by unit</h3>
                <div className="overflow-x-auto rounded-md border border-slate-200" data-testid="briefing-coverage">
                  <CoverageTable rows={coverage} caption={`Acknowledgement coverage for version ${release.version}`} />
                </div>
              </div>
            ) : null}
            {reports ? (
              <div>
                <h3 className="mb-2 text-sm font-semibold">Problem reports</h3>
                <ProblemReports reports={reports} />
              </div>
            ) : null}
          </div>
        </Section>

        <Section id="history" title="Audit history"><History history={history} /></Section>
      </div>
    </>
  );
}
