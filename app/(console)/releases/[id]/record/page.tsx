import type { Metadata } from "next";
import { formatDateTime } from "@/components/format";
import { ReleaseStateBadge } from "@/components/releases/badges";
import { CompatibilityTable, KnownIssuesTable } from "@/components/releases/content-lists";
import { isoUtc } from "@/components/releases/iso-time";
import { PrintButton } from "@/components/print-button";
import { SignaturesTable } from "@/components/releases/signatures-table";
import { BackLink, Field, Notice } from "@/components/ui";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { orNotFound } from "@/lib/pages";
import { RISK_CLASS_LABELS } from "@/lib/domain";
import { releaseDetail } from "@/lib/services/releases/queries";

export const metadata: Metadata = { title: "Signed record" };

function Hash({ value }: { value: string | null | undefined }) {
  return <code className="font-mono text-xs break-all">{value ?? "—"}</code>;
}

/** The release's signed record, laid out for paper: what was signed and every signature's manifestation. */
export default async function SignedRecordPage({ params }: { params: Promise<{ id: string }> }) {
  await requirePagePermission("releases.read", "/releases/[id]/record");
  const ctx = await requestCtx();
  const { id } = await params;
  const detail = await orNotFound(releaseDetail(ctx, { releaseId: id }));
  const { release, approval } = detail;

  return (
    <article className="mx-auto max-w-4xl space-y-6 bg-white p-8 text-slate-900 shadow-sm print:max-w-none print:p-0 print:shadow-none" data-testid="signed-record">
      <div className="flex items-start justify-between gap-4 print:hidden">
        <BackLink href={`/releases/${release.id}`}>Back to the release</BackLink>
        <PrintButton />
      </div>
      <header className="border-b border-slate-300 pb-4">
        <p className="text-xs font-semibold tracking-wide text-slate-600 uppercase">Corridor · signed release record</p>
        <h1 className="mt-1 text-2xl font-semibold">
          {detail.manufacturer} {release.modelName} <span className="font-mono">{release.version}</span>
        </h1>
        <p className="mt-2 flex items-center gap-2 text-sm">State: <ReleaseStateBadge state={release.state} /> <span className="text-slate-600">as of {isoUtc(new Date())}</span></p>
      </header>

      {!detail.contentHashIntact ? <Notice tone="error" title="Content does not match its stored hash">This record cannot be relied on until an administrator investigates.</Notice> : null}

      <section aria-labelledby="identity-heading" className="break-inside-avoid">
        <h2 id="identity-heading" className="mb-3 text-lg font-semibold">Release identity</h2>
        <dl className="grid grid-cols-2 gap-x-6 gap-y-3">
          <Field label="Release id">{release.id}</Field>
          <Field label="Security version">{release.securityVersion}</Field>
          <Field label="Hardware revisions">{release.hardwareRevisions.join(", ")}</Field>
          <Field label="Risk class">{RISK_CLASS_LABELS[release.riskClass]}</Field>
          <Field label="Package file"><span className="font-mono text-xs">{release.filename ?? "—"}</span></Field>
          <Field label="Created">{formatDateTime(release.createdAt)}{detail.createdByName ? ` by ${detail.createdByName}` : ""}</Field>
        </dl>
        <dl className="mt-4 grid gap-y-3">
          <Field label="Content hash (what signatures bind to)"><Hash value={release.contentHash} /></Field>
          <Field label="Artifact SHA-256"><Hash value={detail.artifact?.sha256} /></Field>
          <Field label="SBOM SHA-256"><Hash value={detail.sbom?.sha256} /></Field>
          <Field label="Vendor signer">{release.packageSigner ? `${release.packageSigner.subject} (key ${release.packageSigner.fingerprintSha256.slice(0, 16)}…)` : "—"}</Field>
        </dl>
      </section>

      <section aria-labelledby="changelog-heading">
        <h2 id="changelog-heading" className="mb-2 text-lg font-semibold">Change log</h2>
        <p className="text-sm whitespace-pre-line">{release.changeLog}</p>
      </section>

      <section aria-labelledby="issues-heading" className="break-inside-avoid">
        <h2 id="issues-heading" className="mb-2 text-lg font-semibold">Known issues</h2>
        <KnownIssuesTable issues={release.knownIssues} />
      </section>

      <section aria-labelledby="compat-heading" className="break-inside-avoid">
        <h2 id="compat-heading" className="mb-2 text-lg font-semibold">Compatibility</h2>
        <CompatibilityTable notes={release.compatibility} />
      </section>

      <section aria-labelledby="signatures-heading" className="break-inside-avoid">
        <h2 id="signatures-heading" className="mb-2 text-lg font-semibold">Electronic signatures</h2>
        <p className="mb-3 text-sm text-slate-700">
          Times are UTC (ISO 8601). A signature marked “Invalid — content changed” was made on earlier content (its hash differs from the content hash above) and does not count.
        </p>
        <SignaturesTable signatures={approval.signatures} printable />
        {approval.signatures.length ? (
          <ul className="mt-3 space-y-1 text-xs text-slate-600">
            {approval.signatures.map((s) => <li key={s.id}>#{s.id} signed content hash <span className="font-mono">{s.contentHash}</span></li>)}
          </ul>
        ) : null}
      </section>
    </article>
  );
}
