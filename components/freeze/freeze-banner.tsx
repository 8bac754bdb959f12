import { formatAgo, formatDateTime } from "../format";
import { EndFreezeButton } from "./freeze-controls";

export type ActiveFreeze = { id: number; reason: string; startedAt: Date; startedBy: string | null };

/** Shown at the top of every console page while a global freeze is in force. */
export function FreezeBanner({ freeze, canManage }: { freeze: ActiveFreeze; canManage: boolean }) {
  return (
    <section aria-label="Global update freeze" data-testid="freeze-banner" className="border-b border-red-800 bg-red-700 px-8 py-3 text-white print:border print:bg-white print:text-red-800">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="text-sm">
          <span className="font-semibold">All updates are frozen</span> since {formatDateTime(freeze.startedAt)} ({formatAgo(freeze.startedAt)}) by{" "}
          {freeze.startedBy ?? "the system"}: <span className="font-medium">{freeze.reason}</span>
        </p>
        {canManage ? <EndFreezeButton /> : null}
      </div>
    </section>
  );
}
