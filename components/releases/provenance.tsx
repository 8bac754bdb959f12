import type { ReactNode } from "react";
import { Badge, Field } from "@/components/ui";
import { formatCount, formatDateTime } from "@/components/format";
import { isoUtc } from "./iso-time";
import type { ReleaseDetail, ReleaseHistory } from "./types";

const METHOD_LABELS = { "swu-cms": "CMS signature inside the .swu package", cms: "Detached CMS signature", ed25519: "Detached Ed25519 signature" } as const;

function Step({ n, title, children }: { n: number; title: string; children: ReactNode }) {
  return (
    <li className="relative border-l-2 border-brand-100 pb-6 pl-6 last:pb-0">
      <span aria-hidden className="absolute -left-[13px] top-0 flex h-6 w-6 items-center justify-center rounded-full bg-brand-700 text-xs font-semibold text-white">{n}</span>
      <h3 className="text-sm font-semibold text-slate-900">{title}</h3>
      <div className="mt-2 text-sm">{children}</div>
    </li>
  );
}

/** Where this firmware came from and who vouched for it at each step (ROL-14). */
export function Provenance({ detail, history }: { detail: ReleaseDetail; history: ReleaseHistory }) {
  const { release, artifact, pinnedKey, approval, deployments } = detail;
  const signer = release.packageSigner;
  const intake = history.find((h) => h.action === "release.package_verified");
  const verified = history.find((h) => h.action === "release.state_changed" && (h.after as { state?: string } | null)?.state === "verified");
  const approvals = approval.signatures.filter((s) => s.meaning === "approved");
  return (
    <ol className="ml-3" data-testid="provenance">
      <Step n={1} title="Vendor signature">
        {signer ? (
          <dl className="grid gap-x-6 gap-y-3 md:grid-cols-2">
            <Field label="Method">{METHOD_LABELS[signer.method]}</Field>
            <Field label="Signed by"><span className="break-all">{signer.subject}</span></Field>
            <Field label="Key fingerprint (SHA-256)"><code className="font-mono text-xs break-all">{signer.fingerprintSha256}</code></Field>
            <Field label="Pinned key">
              {pinnedKey ? <>{pinnedKey.label} {pinnedKey.retiredAt ? <Badge tone="amber">retired since {formatDateTime(pinnedKey.retiredAt)}</Badge> : <Badge tone="green">trusted</Badge>}</> : "—"}
            </Field>
          </dl>
        ) : (
          <p className="text-slate-600">No package has been verified yet.</p>
        )}
      </Step>
      <Step n={2} title="Intake verification">
        {artifact ? (
          <dl className="grid gap-x-6 gap-y-3 md:grid-cols-2">
            <Field label="Package file"><span className="font-mono text-xs">{release.filename}</span> ({formatCount(artifact.size)} bytes)</Field>
            <Field label="SHA-256"><code className="font-mono text-xs break-all">{artifact.sha256}</code></Field>
            <Field label="Signature checked">{intake ? `${formatDateTime(intake.createdAt)} by ${intake.actorName ?? "—"}` : "—"}</Field>
            <Field label="Release verified">{verified ? `${formatDateTime(verified.createdAt)} by ${verified.actorName ?? "—"}` : "Not yet"}</Field>
          </dl>
        ) : (
          <p className="text-slate-600">Waiting for the package.</p>
        )}
      </Step>
      <Step n={3} title="Approvals">
        {approvals.length ? (
          <ul className="space-y-1">
            {approvals.map((s) => (
              <li key={s.id}>
                {s.printedName} <span className="text-slate-600">· {isoUtc(s.signedAt)}</span> {s.status === "valid" ? <Badge tone="green">counts</Badge> : <Badge tone="slate">{s.status === "revoked" ? "revoked" : "no longer matches"}</Badge>}
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-slate-600">No approval signatures yet.</p>
        )}
      </Step>
      <Step n={4} title="Deployments">
        <p>{formatCount(deployments.total)} device updates assigned · {formatCount(deployments.succeeded)} succeeded · {formatCount(deployments.open)} in progress</p>
      </Step>
    </ol>
  );
}
