import type { ReactNode } from "react";
import { Badge } from "@/components/ui";
import { formatCount } from "@/components/format";
import type { SbomComponent, SbomVulnerability } from "@/lib/services/releases/sbom";
import { shortHash } from "./badges";
import type { ReleaseDetail, SbomDiffResult } from "./types";

function Check({ ok, children }: { ok: boolean; children: ReactNode }) {
  return (
    <li className="flex gap-2">
      <span aria-hidden className={ok ? "text-emerald-700" : "text-red-700"}>{ok ? "✓" : "✗"}</span>
      <span><span className="sr-only">{ok ? "Passes: " : "Fails: "}</span>{children}</span>
    </li>
  );
}

const componentName = (c: Pick<SbomComponent, "name" | "version">) => `${c.name}@${c.version}`;
const vulnList = (v: SbomVulnerability[]) => v.map((x) => `${x.id}${x.severity ? ` (${x.severity})` : ""}`).join(", ");

/** The SBOM's checks, its components, and what it changes against the firmware most devices run today. */
export function SbomSection({ sbom, artifactSha256, diff }: { sbom: NonNullable<ReleaseDetail["sbom"]>; artifactSha256: string | null; diff: SbomDiffResult }) {
  const r = sbom.report;
  const top = r.topComponent;
  const hashMatches = !!top?.sha256 && !!artifactSha256 && top.sha256.toLowerCase() === artifactSha256.toLowerCase();
  return (
    <div className="space-y-5" data-testid="sbom">
      <p className="text-sm">
        <span className="font-mono text-xs">{sbom.filename}</span> · CycloneDX {r.specVersion || "(version not stated)"} · sha256 <code className="font-mono text-xs" title={sbom.sha256}>{shortHash(sbom.sha256, 16)}</code>
      </p>
      <ul className="space-y-1 text-sm">
        <Check ok={r.schemaValid}>{r.schemaValid ? "Valid against the CycloneDX schema" : "Does not match the CycloneDX schema"}</Check>
        {r.schemaErrors.length ? <li><ul className="ml-6 list-disc pl-4 text-xs text-red-800">{r.schemaErrors.map((e) => <li key={e}>{e}</li>)}</ul></li> : null}
        <Check ok={r.ntiaMissing.length === 0}>{r.ntiaMissing.length === 0 ? "All NTIA minimum elements present" : `${r.ntiaMissing.length} NTIA minimum element${r.ntiaMissing.length === 1 ? "" : "s"} missing`}</Check>
        {r.ntiaMissing.length ? <li><ul className="ml-6 list-disc pl-4 text-xs text-red-800">{r.ntiaMissing.slice(0, 20).map((m, i) => <li key={i}>{m.element} — {m.where}</li>)}</ul></li> : null}
        <Check ok={hashMatches}>
          {!top ? "No top-level component describes the firmware" : !top.sha256 ? `The top component ${componentName(top)} has no SHA-256 hash${top.weakHashesOnly ? " (only weak hashes)" : ""}` : hashMatches ? `Describes this exact package: ${componentName(top)}, sha256 ${shortHash(top.sha256, 16)}` : `Describes a different file: its sha256 ${shortHash(top.sha256, 16)} is not the package’s ${shortHash(artifactSha256, 16)}`}
        </Check>
      </ul>

      <div>
        <h3 className="text-sm font-semibold">Compared with the firmware most devices run today</h3>
        {!diff ? (
          <p className="mt-1 text-sm text-slate-600">No installed release of this model to compare with.</p>
        ) : !diff.diff ? (
          <p className="mt-1 text-sm text-slate-600">Version {diff.baselineVersion} ({formatCount(diff.baselineDevices)} devices) has no SBOM on record, or is this release.</p>
        ) : (
          <div className="mt-2 text-sm" data-testid="sbom-diff">
            <p className="text-slate-700">Against version {diff.baselineVersion}, running on {formatCount(diff.baselineDevices)} devices:</p>
            <dl className="mt-2 grid gap-3 md:grid-cols-2">
              <DiffItem label={`Added (${diff.diff.added.length})`} items={diff.diff.added.map(componentName)} />
              <DiffItem label={`Removed (${diff.diff.removed.length})`} items={diff.diff.removed.map(componentName)} />
              <DiffItem label={`Changed (${diff.diff.changed.length})`} items={diff.diff.changed.map((c) => `${c.name} ${c.from} → ${c.to}`)} />
              <div>
                <dt className="text-xs font-semibold text-slate-600 uppercase">Vulnerabilities</dt>
                <dd className="mt-1">
                  {diff.diff.vulnerabilitiesIntroduced.length ? <p><Badge tone="red">Introduced</Badge> {vulnList(diff.diff.vulnerabilitiesIntroduced)}</p> : <p>None introduced.</p>}
                  {diff.diff.vulnerabilitiesFixed.length ? <p className="mt-1"><Badge tone="green">Fixed</Badge> {vulnList(diff.diff.vulnerabilitiesFixed)}</p> : null}
                </dd>
              </div>
            </dl>
          </div>
        )}
      </div>

      <details className="rounded-md border border-slate-200">
        <summary className="cursor-pointer px-4 py-2 text-sm font-medium">{formatCount(r.components.length)} components{r.vulnerabilities.length ? `, ${r.vulnerabilities.length} known vulnerabilities` : ""}</summary>
        <div className="max-h-96 overflow-auto border-t border-slate-200">
          <table className="min-w-full divide-y divide-slate-200 text-xs">
            <thead className="sticky top-0 bg-slate-50 text-left font-semibold tracking-wide text-slate-600 uppercase">
              <tr>{["Name", "Version", "Type", "Supplier", "Package URL"].map((h) => <th key={h} scope="col" className="px-3 py-2">{h}</th>)}</tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {r.components.map((c) => (
                <tr key={c.ref}>
                  <td className="px-3 py-1.5">{c.name}</td>
                  <td className="px-3 py-1.5 font-mono">{c.version}</td>
                  <td className="px-3 py-1.5">{c.type}</td>
                  <td className="px-3 py-1.5">{c.supplier ?? "—"}</td>
                  <td className="px-3 py-1.5 font-mono break-all">{c.purl ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}

function DiffItem({ label, items }: { label: string; items: string[] }) {
  return (
    <div>
      <dt className="text-xs font-semibold text-slate-600 uppercase">{label}</dt>
      <dd className="mt-1">{items.length ? <ul className="space-y-0.5 font-mono text-xs">{items.slice(0, 30).map((i) => <li key={i}>{i}</li>)}{items.length > 30 ? <li>…and {items.length - 30} more</li> : null}</ul> : "None"}</dd>
    </div>
  );
}
