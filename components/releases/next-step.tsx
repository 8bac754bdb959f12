import Link from "next/link";
import type { ReactNode } from "react";
import { can, rolesWith, type Permission } from "@/lib/auth/permissions";
import { ROLE_LABELS, type Role } from "@/lib/domain";
import { PackageUploader } from "./package-uploader";
import { StepForm } from "./step-form";
import type { ReleaseDetail } from "./types";

const who = (permission: Permission) => rolesWith(permission).filter((r) => r !== "admin").map((r) => ROLE_LABELS[r].toLowerCase()).join(" or ");

function Needs({ items }: { items: string[] }) {
  return (
    <ul className="mt-2 list-disc space-y-1 pl-5 text-sm" data-testid="next-step-needs">
      {items.map((i) => <li key={i}>{i}</li>)}
    </ul>
  );
}

/**
 * What the release needs next, in words, and the button for it when this person may press it. The
 * service checks everything again; this only makes the path obvious.
 */
export function NextStep({ detail, role, userId, lastRejection }: { detail: ReleaseDetail; role: Role; userId: number; lastRejection: string | null }) {
  const { release, approval, verificationBlockers } = detail;
  const id = release.id;
  const isSubmitter = userId === release.submittedBy || userId === release.createdBy;
  let tone: "blue" | "green" | "amber" | "red" | "slate" = "blue";
  let title: string;
  let body: ReactNode;

  switch (release.state) {
    case "draft": {
      title = !release.artifactId ? "Upload the vendor-signed package" : !release.sbomId ? "Attach the SBOM, then submit" : "Submit for verification";
      const canCreate = can(role, "releases.create");
      body = (
        <>
          <p className="text-sm">A draft can be changed freely. Submitting hands it to clinical engineering for verification.</p>
          {verificationBlockers.length ? <Needs items={verificationBlockers} /> : null}
          {!release.artifactId && lastRejection ? (
            <p className="mt-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-900" data-testid="last-rejection">
              The last upload was rejected and quarantined: {lastRejection}
            </p>
          ) : null}
          {!release.artifactId && canCreate ? <div className="mt-4 max-w-2xl"><PackageUploader releaseId={id} /></div> : null}
          {release.artifactId && !release.sbomId && can(role, "releases.edit") ? <p className="mt-3 text-sm"><a href="#sbom" className="link">Attach the SBOM</a> (CycloneDX JSON) in the SBOM section below.</p> : null}
          {release.artifactId && canCreate ? <div className="mt-4"><StepForm releaseId={id} step="submit" /></div> : null}
          {!canCreate ? <p className="mt-3 text-sm text-slate-700">A {who("releases.create")} completes and submits the draft.</p> : null}
          {!detail.briefing && can(role, "briefings.write") ? <p className="mt-3 text-sm">Also write the <a href="#briefing" className="link">clinician briefing</a>: clinical leads must acknowledge it before their units are updated.</p> : null}
        </>
      );
      break;
    }
    case "submitted": {
      const ready = verificationBlockers.length === 0;
      title = ready ? "Run verification" : "Fix what blocks verification";
      body = (
        <>
          <p className="text-sm">Verification checks the vendor signature, the package hashes and the SBOM (schema, NTIA minimum elements, and that it describes this exact file).</p>
          {ready ? <p className="mt-2 text-sm font-medium">All checks are ready to pass.</p> : <Needs items={verificationBlockers} />}
          {!ready && can(role, "releases.edit") ? <p className="mt-3 text-sm">See the <a href="#sbom" className="link">SBOM section</a> for the details; you can attach a corrected SBOM there.</p> : null}
          {ready && can(role, "releases.verify") ? <div className="mt-4"><StepForm releaseId={id} step="verify" /></div> : null}
          {ready && !can(role, "releases.verify") ? <p className="mt-3 text-sm text-slate-700">Waiting for a {who("releases.verify")} to run verification.</p> : null}
        </>
      );
      break;
    }
    case "verified":
      title = "Start the review";
      body = (
        <>
          <p className="text-sm">Verified: the package and SBOM check out. Starting the review lets approvers sign. Evidence can be added now or during the review.</p>
          {approval.missing.length ? <><p className="mt-2 text-sm font-medium">Approval will still need:</p><Needs items={approval.missing} /></> : null}
          {can(role, "releases.review") ? <div className="mt-4"><StepForm releaseId={id} step="review" /></div> : <p className="mt-3 text-sm text-slate-700">Waiting for a {who("releases.review")} to start the review.</p>}
        </>
      );
      break;
    case "in_review":
      tone = "amber";
      title = approval.missing.length ? "Waiting for approval" : "Approval policy met";
      body = (
        <>
          {approval.signatures.some((s) => s.meaning === "approved" && s.status === "stale") ? (
            <p className="mb-2 text-sm font-medium">Earlier approvals no longer count: the content changed after they were signed. Approvers must review and sign again.</p>
          ) : null}
          <p className="text-sm">The release becomes approved automatically when the policy is met. Still needed:</p>
          <Needs items={approval.missing} />
          <div className="mt-3 flex flex-wrap gap-3 text-sm">
            {can(role, "releases.evidence") ? <a href="#evidence" className="link">Add evidence</a> : null}
            {can(role, "releases.sign") && !isSubmitter ? <a href="#sign" className="link">Sign the release</a> : null}
          </div>
          {isSubmitter ? <p className="mt-2 text-sm text-slate-700">You created or submitted this release, so someone else must approve it.</p> : null}
          {!detail.briefing ? <p className="mt-2 text-sm">No <a href="#briefing" className="link">clinician briefing</a> yet: write it before approval, because changing it later invalidates the signatures.</p> : null}
        </>
      );
      break;
    case "approved":
      tone = "green";
      title = "Approved: ready for rollout";
      body = (
        <>
          <p className="text-sm">Approved by {approval.approvers.map((a) => a.printedName).join(" and ")}. Devices can be given this release; changing its content sends it back to review.</p>
          {can(role, "rollouts.manage") ? (
            <p className="mt-4">
              <Link href={`/rollouts/new?releaseId=${id}`} className="btn-primary" data-testid="roll-out-release">Roll out this release</Link>
            </p>
          ) : null}
        </>
      );
      break;
    case "rejected":
      tone = "red";
      title = "Rejected";
      body = <p className="text-sm">This release will not reach any device. The vendor must submit a new version.</p>;
      break;
    case "withdrawn":
      tone = "slate";
      title = "Withdrawn";
      body = <p className="text-sm">No device can be given this release any more. Devices already running it were left alone.</p>;
      break;
    case "recalled":
      tone = "red";
      title = "Recalled";
      body = <p className="text-sm">See the notice above for the devices still running it.</p>;
      break;
  }

  const styles = {
    blue: "border-sky-300 bg-sky-50 text-sky-950",
    green: "border-emerald-300 bg-emerald-50 text-emerald-950",
    amber: "border-amber-300 bg-amber-50 text-amber-950",
    red: "border-red-300 bg-red-50 text-red-950",
    slate: "border-slate-300 bg-slate-50 text-slate-900",
  }[tone];
  return (
    <section id="next-step" aria-labelledby="next-step-heading" className={`scroll-mt-6 rounded-lg border-2 p-5 ${styles}`} data-testid="next-step">
      <p className="text-xs font-semibold tracking-wide uppercase opacity-80">Next step</p>
      <h2 id="next-step-heading" className="mt-1 text-lg font-semibold">{title}</h2>
      <div className="mt-2">{body}</div>
    </section>
  );
}
