import { formatDateTime } from "@/components/format";
import { Badge } from "@/components/ui";
import type { downgradesOf } from "@/lib/services/rollouts/downgrade";
import { DowngradeRequestForm, DowngradeSignForm } from "./operations";

type Exception = Awaited<ReturnType<typeof downgradesOf>>[number];

const STATE_TONE = { pending: "amber", executed: "green" } as const;
const STATE_LABEL = { pending: "Waiting for a second signature", executed: "Signed by two people; downgrade started" } as const;

/** Downgrade exceptions of a rollout (UPD-04): who asked, why, who signed, and the forms to sign. */
export function DowngradeExceptions({ rolloutId, exceptions, releases, canSign, user }: {
  rolloutId: number;
  exceptions: Exception[];
  releases: { id: number; version: string; securityVersion: number }[];
  canSign: boolean;
  user: { id: number; name: string };
}) {
  return (
    <section className="card space-y-4 p-5" aria-labelledby="downgrade-heading" data-testid="downgrades">
      <div>
        <h2 id="downgrade-heading" className="text-base font-semibold text-slate-900">Downgrade below the security floor</h2>
        <p className="text-sm text-slate-600">Only for a safety reason, signed by two different people, and logged.</p>
      </div>
      {exceptions.length ? (
        <ul className="space-y-3">
          {exceptions.map((e) => (
            <li key={e.id} className="rounded-md border border-slate-200 p-3 text-sm" data-testid="downgrade-exception">
              <div className="flex flex-wrap items-center gap-2">
                <span className="font-medium text-slate-900">Back to {e.version} for {e.deviceIds.length} device{e.deviceIds.length === 1 ? "" : "s"}</span>
                <Badge tone={STATE_TONE[e.state]}>{STATE_LABEL[e.state]}</Badge>
              </div>
              <p className="mt-1 text-slate-700">{e.safetyReason}</p>
              <ul className="mt-1 text-xs text-slate-600">
                {e.signatures.map((s) => <li key={s.userId}>Signed by {s.printedName} ({s.role}) on {formatDateTime(s.signedAt)}</li>)}
              </ul>
              {e.executedRolloutId ? <a className="link text-xs" href={`/rollouts/${e.executedRolloutId}`}>Open the downgrade rollout</a> : null}
              {canSign && e.state === "pending" && !e.signatures.some((s) => s.userId === user.id) ? <DowngradeSignForm rolloutId={rolloutId} exceptionId={e.id} printedName={user.name} /> : null}
            </li>
          ))}
        </ul>
      ) : null}
      {canSign ? (
        <details>
          <summary className="cursor-pointer text-sm font-medium text-red-700">Request a downgrade exception</summary>
          <div className="mt-3"><DowngradeRequestForm rolloutId={rolloutId} releases={releases} printedName={user.name} /></div>
        </details>
      ) : null}
    </section>
  );
}
