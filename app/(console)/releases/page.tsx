import type { Metadata } from "next";
import Link from "next/link";
import { formatDateTime } from "@/components/format";
import { ReleaseStateBadge, RiskBadge, shortHash } from "@/components/releases/badges";
import { TableHead } from "@/components/table";
import { EmptyState, Notice, PageHeader } from "@/components/ui";
import { can } from "@/lib/auth/permissions";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { RELEASE_STATES, RELEASE_STATE_LABELS, RISK_CLASSES, RISK_CLASS_LABELS } from "@/lib/domain";
import { ServiceError } from "@/lib/services/errors";
import { listModels, listReleases } from "@/lib/services/releases/queries";

export const metadata: Metadata = { title: "Releases" };

type Params = Record<string, string | string[] | undefined>;

export default async function ReleasesPage({ searchParams }: { searchParams: Promise<Params> }) {
  const user = await requirePagePermission("releases.read", "/releases");
  const ctx = await requestCtx();
  const params = await searchParams;
  const value = (k: string) => (typeof params[k] === "string" ? (params[k] as string) : "");
  const filter = { modelId: value("model") || undefined, state: value("state") || undefined, riskClass: value("risk") || undefined };
  const filtered = Object.values(filter).some(Boolean);
  const canCreate = can(user.role, "releases.create");
  const models = await listModels(ctx, {});
  let releases: Awaited<ReturnType<typeof listReleases>> = [];
  let problem: string | null = null;
  try {
    releases = await listReleases(ctx, filter as Parameters<typeof listReleases>[1]);
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    problem = err.message;
  }
  const newButton = canCreate ? <Link href="/releases/new" className="btn-primary" data-testid="new-release">New release</Link> : null;

  return (
    <>
      <PageHeader
        title="Releases"
        description="Vendor firmware releases and where each stands: draft → submitted → verified → in review → approved (or rejected). Open a release to see what it still needs."
        actions={newButton}
      />

      <form method="get" action="/releases" className="card mb-4 grid grid-cols-1 gap-3 p-4 sm:grid-cols-2 lg:grid-cols-4" role="search" aria-label="Filter releases">
        <div>
          <label htmlFor="model" className="label">Model</label>
          <select id="model" name="model" className="input" defaultValue={value("model")}>
            <option value="">All models</option>
            {models.map((m) => <option key={m.id} value={m.id}>{m.manufacturer} {m.name}</option>)}
          </select>
        </div>
        <div>
          <label htmlFor="state" className="label">State</label>
          <select id="state" name="state" className="input" defaultValue={value("state")}>
            <option value="">All states</option>
            {RELEASE_STATES.map((s) => <option key={s} value={s}>{RELEASE_STATE_LABELS[s]}</option>)}
          </select>
        </div>
        <div>
          <label htmlFor="risk" className="label">Risk class</label>
          <select id="risk" name="risk" className="input" defaultValue={value("risk")}>
            <option value="">All risk classes</option>
            {RISK_CLASSES.map((r) => <option key={r} value={r}>{RISK_CLASS_LABELS[r]}</option>)}
          </select>
        </div>
        <div className="flex items-end gap-2">
          <button type="submit" className="btn-primary">Apply filters</button>
          {filtered ? <Link href="/releases" className="btn-secondary">Clear</Link> : null}
        </div>
      </form>

      {problem ? (
        <Notice tone="error" title="These filters cannot be used">
          {problem} <Link href="/releases" className="link">Clear the filters</Link>
        </Notice>
      ) : releases.length === 0 ? (
        filtered ? (
          <EmptyState title="No releases match these filters" action={<Link href="/releases" className="btn-secondary">Clear the filters</Link>}>
            Remove a filter to see more releases.
          </EmptyState>
        ) : (
          <EmptyState title="No releases yet" action={newButton}>
            {canCreate
              ? "Start with “New release”: describe the firmware, then upload the vendor-signed package and its SBOM. Corridor checks the signature before keeping the file."
              : "When a vendor or a biomedical engineer takes in a firmware release, it appears here."}
          </EmptyState>
        )
      ) : (
        <div className="card overflow-x-auto">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <TableHead columns={["Release", "Model", "State", "Risk", "Package", "Created"]} />
            <tbody className="divide-y divide-slate-100" data-testid="release-rows">
              {releases.map((r) => (
                <tr key={r.id} className="hover:bg-slate-50">
                  <td className="px-4 py-2">
                    <Link href={`/releases/${r.id}`} className="link font-mono">{r.version}</Link>
                    <div className="text-xs text-slate-600">security version {r.securityVersion}</div>
                  </td>
                  <td className="px-4 py-2">
                    {r.modelName}
                    <div className="text-xs text-slate-600">{r.manufacturer}</div>
                  </td>
                  <td className="px-4 py-2"><ReleaseStateBadge state={r.state} /></td>
                  <td className="px-4 py-2"><RiskBadge risk={r.riskClass} /></td>
                  <td className="px-4 py-2 text-xs">
                    {r.filename ? (
                      <>
                        <span className="font-mono">{r.filename}</span>
                        <div className="font-mono text-slate-600" title={r.sha256 ?? undefined}>sha256 {shortHash(r.sha256)}</div>
                      </>
                    ) : (
                      <span className="text-slate-600">No package yet</span>
                    )}
                  </td>
                  <td className="px-4 py-2 text-xs whitespace-nowrap">{formatDateTime(r.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
