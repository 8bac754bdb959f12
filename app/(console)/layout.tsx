import { FreezeBanner } from "@/components/freeze/freeze-banner";
import { StartFreezeButton } from "@/components/freeze/freeze-controls";
import { NavLinks } from "@/components/nav-links";
import { NotificationBell } from "@/components/notifications/bell";
import { logoutAction } from "@/lib/actions/auth";
import { can } from "@/lib/auth/permissions";
import { requestCtx, requireUser } from "@/lib/auth/session";
import { ROLE_LABELS } from "@/lib/domain";
import { env } from "@/lib/env";
import { NAV } from "@/lib/navigation";
import { activeFreeze } from "@/lib/services/rollouts/queries";

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const user = await requireUser();
  const items = NAV.filter((item) => can(user.role, item.permission)).map(({ href, label }) => ({ href, label }));
  // A freeze in force is shown to everyone, on every page.
  const freeze = await activeFreeze(await requestCtx(), {});
  const canFreeze = can(user.role, "freeze.manage");
  return (
    <div className="flex min-h-screen">
      <aside className="flex w-56 shrink-0 print:hidden flex-col bg-brand-800 px-3 py-5 text-white">
        <p className="px-3 text-xl font-semibold tracking-tight">Corridor</p>
        <p className="mb-6 px-3 text-xs text-brand-100">{env.demo ? "Demo hospital" : "Clinical engineering"}</p>
        {can(user.role, "notifications.read") ? <div className="mb-4"><NotificationBell /></div> : null}
        <nav aria-label="Main">
          <NavLinks items={items} />
        </nav>
        {canFreeze && !freeze ? (
          <div className="mt-6 px-3 print:hidden">
            <StartFreezeButton variant="sidebar" />
          </div>
        ) : null}
        <div className="mt-auto border-t border-brand-700 px-3 pt-4 text-sm">
          <p className="font-medium" data-testid="whoami">{user.name}</p>
          <p className="text-xs text-brand-100" data-testid="role">{ROLE_LABELS[user.role]}</p>
          <form action={logoutAction} className="mt-3">
            <button type="submit" className="text-xs font-medium text-brand-100 underline hover:text-white">
              Sign out
            </button>
          </form>
        </div>
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        {freeze ? <FreezeBanner freeze={freeze} canManage={canFreeze} /> : null}
        <main className="min-w-0 flex-1 px-8 py-6 print:p-0">{children}</main>
      </div>
    </div>
  );
}
