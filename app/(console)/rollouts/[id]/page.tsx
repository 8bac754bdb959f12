import type { Metadata } from "next";
import Link from "next/link";
import { formatCount, formatDateTime } from "@/components/format";
import { Section } from "@/components/releases/section";
import { RolloutEvents } from "@/components/rollouts/events";
import { DowngradeExceptions } from "@/components/rollouts/downgrades";
import { CancelForm, HaltAllForm, LiveRefresh, PauseForm, ResumeForm, RetryFailedForm, RevertForm } from "@/components/rollouts/operations";
import { ProgressBar, RolloutStateBadge } from "@/components/rollouts/progress";
import { WaveCard } from "@/components/rollouts/waves";
import { RolloutHealth } from "@/components/telemetry/rollout-health";
import { TableHead } from "@/components/table";
import { BackLink, Field } from "@/components/ui";
import { can } from "@/lib/auth/permissions";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { orNotFound } from "@/lib/pages";
import { listReleases } from "@/lib/services/releases/queries";
import { downgradesOf } from "@/lib/services/rollouts/downgrade";
import { rolloutDetail } from "@/lib/services/rollouts/queries";

export const metadata: Metadata = { title: "Rollout" };

export default async function RolloutPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requirePagePermission("rollouts.read", "/rollouts/[id]");
  const ctx = await requestCtx();
  const { id } = await params;
  const detail = await orNotFound(rolloutDetail(ctx, { rolloutId: id }));
  const { rollout, waves, progress, perUnit, failures, events } = detail;
  const canManage = can(user.role, "rollouts.manage");
  const live = rollout.state === "running" || rollout.state === "paused";
  const knownGood = (canManage || can(user.role, "downgrades.sign")) && progress.succeeded > 0
    ? (await listReleases(ctx, { state: "approved" })).filter((r) => r.modelName === detail.modelName && r.id !== rollout.releaseId)
    : [];
  const canDowngrade = can(user.role, "downgrades.sign");
  const downgrades = await downgradesOf(ctx, { rolloutId: rollout.id });
  const reasonTone = rollout.state === "halted" ? "border-red-300 bg-red-50 text-red-900" : rollout.state === "paused" ? "border-amber-300 bg-amber-50 text-amber-950" : "border-slate-200 bg-slate-50 text-slate-800";
  const pct = progress.devices ? Math.round((progress.succeeded / progress.devices) * 100) : 0;

  return (
    <>
      {rollout.state === "running" ? <LiveRefresh /> : null}
      <BackLink href="/rollouts">Rollouts</BackLink>
      <div className="mb-2 flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold text-slate-900">{rollout.name}</h1>
        <span data-testid="rollout-state"><RolloutStateBadge state={rollout.state} /></span>
        {rollout.state === "running" ? <span className="text-xs text-slate-600">Updates itself every 5 s</span> : null}
      </div>
      <p className="mb-4 text-sm text-slate-600">
        <Link href={`/releases/${rollout.releaseId}`} className="link">{detail.modelName} <span className="font-mono">{detail.version}</span></Link> (security version {detail.securityVersion}) · created by {detail.createdByName ?? "system"} · {formatDateTime(rollout.createdAt)}
      </p>
      {rollout.stateReason ? (
        <p className={`mb-4 rounded-md border px-4 py-3 text-sm ${reasonTone}`} data-testid="rollout-reason">
          <span className="font-semibold">{rollout.state === "halted" ? "Halted: " : rollout.state === "paused" ? "Paused: " : rollout.state === "canceled" ? "Canceled: " : ""}</span>
          {rollout.stateReason}
        </p>
      ) : null}

      <section className="card mb-6 p-5" aria-labelledby="overall-heading">
        <div className="mb-3 flex flex-wrap items-baseline justify-between gap-2">
          <h2 id="overall-heading" className="text-base font-semibold">Overall progress</h2>
          <p className="text-sm text-slate-700 tabular-nums" data-testid="overall-summary">
            {formatCount(progress.succeeded)} of {formatCount(progress.devices)} devices updated ({pct}%)
          </p>
        </div>
        <ProgressBar progress={progress} legend />
        <dl className="mt-4 grid grid-cols-2 gap-4 md:grid-cols-4">
          <Field label="Waves">{waves.length}</Field>
          <Field label="Max updating at once">{formatCount(rollout.maxConcurrent)}</Field>
          <Field label="Last change">{formatDateTime(rollout.updatedAt)}</Field>
          <Field label="Finished">{rollout.finishedAt ? formatDateTime(rollout.finishedAt) : "—"}</Field>
        </dl>
      </section>

      <div className="mb-6"><RolloutHealth rolloutId={rollout.id} /></div>

      <div className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <section aria-labelledby="waves-heading">
            <h2 id="waves-heading" className="mb-3 text-base font-semibold">Waves</h2>
            <ol className="space-y-3" data-testid="waves">
              {waves.map((w, i) => (
                <WaveCard key={w.id} wave={w} previous={waves[i - 1] ?? null} rolloutId={rollout.id} canSign={canManage && live} printedName={user.name} />
              ))}
            </ol>
          </section>

          <Section id="units" title="By unit" description="Devices of this rollout in each unit.">
            {perUnit.length === 0 ? (
              <p className="text-sm text-slate-600">No device.</p>
            ) : (
              <div className="max-h-96 overflow-y-auto" tabIndex={0} role="region" aria-label="Devices by unit (scrollable)">
                <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="per-unit">
                  <TableHead columns={["Site · unit", "Devices", "Updated", "In progress", "Failed"]} />
                  <tbody className="divide-y divide-slate-100 tabular-nums">
                    {perUnit.map((u) => (
                      <tr key={`${u.site}-${u.unit}`}>
                        <td className="px-4 py-1.5">{u.site} · {u.unit}</td>
                        <td className="px-4 py-1.5">{formatCount(u.devices)}</td>
                        <td className="px-4 py-1.5">{formatCount(u.succeeded)}</td>
                        <td className="px-4 py-1.5">{formatCount(u.in_progress)}</td>
                        <td className={`px-4 py-1.5 ${u.failed ? "font-semibold text-red-700" : ""}`}>{formatCount(u.failed)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Section>

          <Section id="failures" title="Failure reasons" description="What failed devices reported, most frequent first.">
            {failures.length === 0 ? (
              <p className="text-sm text-slate-600" data-testid="no-failures">No device has failed.</p>
            ) : (
              <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="failures">
                <TableHead columns={["Reason", "Devices"]} />
                <tbody className="divide-y divide-slate-100">
                  {failures.map((f) => (
                    <tr key={f.reason}>
                      <td className="px-4 py-1.5">{f.reason}</td>
                      <td className="px-4 py-1.5 font-semibold text-red-700 tabular-nums">{formatCount(f.devices)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
        </div>

        <div className="space-y-6">
          {canManage && live ? (
            <section className="card space-y-5 p-5" aria-labelledby="operate-heading" data-testid="operations">
              <h2 id="operate-heading" className="text-base font-semibold">Operate</h2>
              {rollout.state === "running" ? <PauseForm rolloutId={rollout.id} /> : <ResumeForm rolloutId={rollout.id} belowGate={waves.some((w) => w.state === "active")} />}
              {progress.failed > 0 ? <div className="border-t border-slate-200 pt-4"><RetryFailedForm rolloutId={rollout.id} failed={progress.failed} /></div> : null}
              <details className="border-t border-slate-200 pt-4">
                <summary className="cursor-pointer text-sm font-medium text-red-700">Cancel this rollout</summary>
                <div className="mt-3"><CancelForm rolloutId={rollout.id} /></div>
              </details>
              <details className="border-t border-slate-200 pt-4">
                <summary className="cursor-pointer text-sm font-medium text-red-700">Halt every rollout</summary>
                <div className="mt-3"><HaltAllForm /></div>
              </details>
            </section>
          ) : null}
          {canManage && progress.succeeded > 0 ? (
            <section className="card p-5" aria-labelledby="revert-heading">
              <details>
                <summary id="revert-heading" className="cursor-pointer text-sm font-medium text-slate-900">Revert updated devices to a known-good release</summary>
                <div className="mt-3"><RevertForm rolloutId={rollout.id} updated={progress.succeeded} releases={knownGood} /></div>
              </details>
            </section>
          ) : null}
          {downgrades.length || (canDowngrade && progress.succeeded > 0) ? (
            <DowngradeExceptions rolloutId={rollout.id} exceptions={downgrades} releases={knownGood} canSign={canDowngrade} user={{ id: user.userId, name: user.name }} />
          ) : null}
          <Section id="events" title="Timeline" description="Every change to this rollout, newest first.">
            <RolloutEvents events={events} />
          </Section>
        </div>
      </div>
    </>
  );
}
