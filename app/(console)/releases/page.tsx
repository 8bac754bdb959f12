import type { Metadata } from "next";
import { formatDateTime } from "@/components/format";
import { ReleaseUploadForm } from "@/components/release-upload-form";
import { Badge, EmptyState, PageHeader } from "@/components/ui";
import { can } from "@/lib/auth/permissions";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { listModels, listReleases } from "@/lib/services/deployments/releases";
import { TableHead } from "@/components/table";

export const metadata: Metadata = { title: "Releases" };

export default async function ReleasesPage() {
  const user = await requirePagePermission("releases.read", "/releases");
  const ctx = await requestCtx();
  const canUpload = can(user.role, "releases.upload");
  const [releases, models] = await Promise.all([listReleases(ctx, {}), canUpload ? listModels(ctx, {}) : Promise.resolve([])]);
  return (
    <>
      <PageHeader
        title="Releases"
        description="Firmware packages that devices can be given. Release intake with vendor signature checks, evidence and electronic approvals is not built yet; until then an administrator's upload counts as the approval, and the audit trail records it as such."
      />
      {canUpload ? (
        <section className="card mb-6 p-5" aria-labelledby="upload">
          <h2 id="upload" className="mb-4 text-base font-semibold">Upload a firmware package</h2>
          <ReleaseUploadForm models={models} />
        </section>
      ) : null}
      {releases.length === 0 ? (
        <EmptyState title="No releases yet">{canUpload ? "Upload a package above to make it available for assignment." : "An administrator has not uploaded any firmware package yet."}</EmptyState>
      ) : (
        <div className="card overflow-x-auto">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <TableHead columns={["Model", "Version", "Hardware", "State", "Package", "Uploaded"]} />
            <tbody className="divide-y divide-slate-100" data-testid="release-rows">
              {releases.map((r) => (
                <tr key={r.id}>
                  <td className="px-4 py-2">{r.modelName}</td>
                  <td className="px-4 py-2"><span className="font-mono">{r.version}</span><div className="text-xs text-slate-600">security v{r.securityVersion}</div></td>
                  <td className="px-4 py-2">{r.hardwareRevisions.join(", ")}</td>
                  <td className="px-4 py-2"><Badge tone={r.state === "approved" ? "green" : "slate"}>{r.state}</Badge></td>
                  <td className="px-4 py-2 text-xs"><span className="font-mono">{r.filename}</span><div className="font-mono text-slate-600" title={r.sha256}>sha256 {r.sha256.slice(0, 16)}… · {(r.size / 1048576).toFixed(1)} MB</div></td>
                  <td className="px-4 py-2 text-xs">{formatDateTime(r.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
