import type { Metadata } from "next";
import Link from "next/link";
import { formatCount, formatDateTime } from "@/components/format";
import { HaltAllForm } from "@/components/rollouts/operations";
import { ProgressBar, RolloutStateBadge } from "@/components/rollouts/progress";
import { TableHead } from "@/components/table";
import { EmptyState, PageHeader } from "@/components/ui";
import { can } from "@/lib/auth/permissions";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { listRollouts } from "@/lib/services/rollouts/queries";

export const metadata: Metadata = { title: "Rollouts" };

export default async function RolloutsPage() {
  const user = await requirePagePermission("rollouts.read", "/rollouts");
  const ctx = await requestCtx();
  const rollouts = await listRollouts(ctx, {});
  const canManage = can(user.role, "rollouts.manage");
  const live = rollouts.filter((r) => r.state === "running" || r.state === "paused").length;

  return (
    <>
      <PageHeader
        title="Rollouts"
        description="Approved releases going out in waves (lab → pilot → general), only inside each unit's maintenance window and never to a device in clinical use."
        actions={canManage ? <Link href="/rollouts/new" className="btn-primary" data-testid="new-rollout">New rollout</Link> : null}
      />
      {canManage && live > 0 ? (
        <details className="card mb-4 p-4" data-testid="halt-all">
          <summary className="cursor-pointer text-sm font-medium text-red-700">Halt every rollout ({live} running or paused)</summary>
          <div className="mt-3 max-w-2xl"><HaltAllForm /></div>
        </details>
      ) : null}
      {rollouts.length === 0 ? (
        <EmptyState title="No rollouts yet" action={canManage ? <Link href="/releases?state=approved" className="btn-primary">See approved releases</Link> : null}>
          {canManage ? (
            <>
              A rollout starts from an approved release: open it and choose <span className="font-medium">Roll out this release</span>, or press{" "}
              <span className="font-medium">New rollout</span>. You choose the devices, see which ones cannot take the update and why, and set the waves before anything is sent.
            </>
          ) : (
            "When a biomedical engineer rolls out an approved release, its progress appears here."
          )}
        </EmptyState>
      ) : (
        <div className="card overflow-x-auto">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <TableHead columns={["Rollout", "Release", "State", "Progress", "Created"]} />
            <tbody className="divide-y divide-slate-100" data-testid="rollout-rows">
              {rollouts.map((r) => (
                <tr key={r.id} className="align-top hover:bg-slate-50">
                  <td className="px-4 py-2">
                    <Link href={`/rollouts/${r.id}`} className="link">{r.name}</Link>
                  </td>
                  <td className="px-4 py-2 whitespace-nowrap">
                    {r.modelName} <span className="font-mono">{r.version}</span>
                  </td>
                  <td className="px-4 py-2">
                    <RolloutStateBadge state={r.state} />
                    {r.stateReason && r.state !== "running" ? (
                      <div className={`mt-1 max-w-xs text-xs ${r.state === "halted" ? "text-red-700" : "text-slate-600"}`}>{r.stateReason}</div>
                    ) : null}
                  </td>
                  <td className="min-w-56 px-4 py-2">
                    <ProgressBar progress={r.progress} />
                    <div className="mt-1 text-xs text-slate-600 tabular-nums">
                      {formatCount(r.progress.succeeded)} of {formatCount(r.progress.devices)} updated
                      {r.progress.failed ? <span className="font-semibold text-red-700"> · {formatCount(r.progress.failed)} failed</span> : null}
                      {r.progress.inProgress ? ` · ${formatCount(r.progress.inProgress)} in progress` : null}
                    </div>
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
