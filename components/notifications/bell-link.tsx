"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useState } from "react";
import { unreadNotificationsAction } from "@/lib/actions/incidents";

const EVERY_MS = 30_000;
/** Sent by forms that change the person's notifications, so the bell updates at once. */
export const NOTIFICATIONS_CHANGED = "corridor:notifications-changed";

/**
 * The layout is not re-rendered when someone moves between pages, so the count is fetched again on
 * every page change, when notifications are marked read, and every 30 s while the tab is visible.
 */
export function BellLink({ initialUnread }: { initialUnread: number }) {
  const [unread, setUnread] = useState(initialUnread);
  const pathname = usePathname();
  useEffect(() => {
    let live = true;
    const refresh = () => {
      if (document.visibilityState === "visible") void unreadNotificationsAction().then((n) => live && setUnread(n));
    };
    refresh();
    const timer = setInterval(refresh, EVERY_MS);
    document.addEventListener("visibilitychange", refresh);
    window.addEventListener(NOTIFICATIONS_CHANGED, refresh);
    return () => {
      live = false;
      clearInterval(timer);
      document.removeEventListener("visibilitychange", refresh);
      window.removeEventListener(NOTIFICATIONS_CHANGED, refresh);
    };
  }, [pathname]);
  const label = unread === 0 ? "Notifications: none unread" : `Notifications: ${unread} unread`;
  return (
    <Link href="/notifications" className="relative inline-flex items-center gap-2 rounded-md px-3 py-2 text-sm font-medium text-brand-100 hover:bg-brand-700 hover:text-white" aria-label={label} data-testid="notification-bell">
      <svg aria-hidden viewBox="0 0 20 20" className="h-5 w-5" fill="currentColor">
        <path d="M10 2a5 5 0 0 0-5 5v2.6l-1.3 2.6A1 1 0 0 0 4.6 14h10.8a1 1 0 0 0 .9-1.8L15 9.6V7a5 5 0 0 0-5-5Zm0 16a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 10 18Z" />
      </svg>
      <span aria-hidden>Notifications</span>
      {unread > 0 ? (
        <span aria-hidden className="rounded-full bg-red-600 px-1.5 py-0.5 text-xs font-semibold text-white tabular-nums" data-testid="notification-count">{unread > 99 ? "99+" : unread}</span>
      ) : null}
    </Link>
  );
}
