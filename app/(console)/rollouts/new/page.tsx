import type { Metadata } from "next";
import Link from "next/link";
import { RolloutWizard } from "@/components/rollouts/wizard";
import { BackLink, EmptyState, Notice, PageHeader } from "@/components/ui";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { ServiceError } from "@/lib/services/errors";
import { deviceFilterOptions } from "@/lib/services/inventory/list-devices";
import { listReleases, releaseDetail } from "@/lib/services/releases/queries";
import { EXCLUSIONS, EXCLUSION_LABELS, previewTargets } from "@/lib/services/rollouts/targets";

export const metadata: Metadata = { title: "New rollout" };

type Params = Record<string, string | string[] | undefined>;

export default async function NewRolloutPage({ searchParams }: { searchParams: Promise<Params> }) {
  await requirePagePermission("rollouts.manage", "/rollouts/new");
  const ctx = await requestCtx();
  const params = await searchParams;
  const releaseId = typeof params.releaseId === "string" ? params.releaseId : "";
  const approved = await listReleases(ctx, { state: "approved" });
  const chosen = approved.find((r) => String(r.id) === releaseId);

  const header = (
    <>
      <BackLink href="/rollouts">Rollouts</BackLink>
      <PageHeader
        title="New rollout"
        description="Choose the devices, check which ones cannot take the update and why, then plan the waves. Nothing is sent before you start it, and then only inside maintenance windows and never to a device in clinical use."
      />
    </>
  );

  if (approved.length === 0) {
    return (
      <>
        {header}
        <EmptyState title="No approved release to roll out" action={<Link href="/releases" className="btn-primary">Go to releases</Link>}>
          A release must be verified and approved before it can reach any device.
        </EmptyState>
      </>
    );
  }

  const picker = (
    <form method="get" action="/rollouts/new" className="card mb-6 flex flex-wrap items-end gap-3 p-5" aria-label="Choose the release">
      <div className="min-w-80 flex-1">
        <label htmlFor="releaseId" className="label">Approved release</label>
        <select id="releaseId" name="releaseId" className="input" defaultValue={chosen ? String(chosen.id) : ""} required>
          <option value="" disabled>Choose a release…</option>
          {approved.map((r) => (
            <option key={r.id} value={r.id}>{r.modelName} {r.version} (security version {r.securityVersion})</option>
          ))}
        </select>
      </div>
      <button type="submit" className="btn-secondary">{chosen ? "Change release" : "Continue"}</button>
    </form>
  );

  if (!chosen) {
    return (
      <>
        {header}
        {releaseId ? <div className="mb-4"><Notice tone="warning" title="This release cannot be rolled out">Only an approved release can be rolled out. Choose one below.</Notice></div> : null}
        {picker}
      </>
    );
  }

  const [{ release }, options] = await Promise.all([releaseDetail(ctx, { releaseId: chosen.id }), deviceFilterOptions(ctx, undefined)]);
  let preview: Awaited<ReturnType<typeof previewTargets>> | null = null;
  try {
    preview = await previewTargets(ctx, { releaseId: release.id });
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
  }

  return (
    <>
      {header}
      {picker}
      <RolloutWizard
        key={release.id}
        release={{
          id: release.id,
          modelId: release.modelId,
          modelName: release.modelName,
          version: release.version,
          securityVersion: release.securityVersion,
          hardwareRevisions: release.hardwareRevisions,
          lifeSustaining: release.criticality === "life_sustaining",
        }}
        sites={options.sites}
        units={options.units}
        models={options.models}
        initialPreview={preview}
        exclusions={EXCLUSIONS.map((e) => [e, EXCLUSION_LABELS[e]])}
      />
    </>
  );
}
