import type { Metadata } from "next";
import Link from "next/link";
import { formatDateTime } from "@/components/format";
import { MarkReadButton, UnreadSync } from "@/components/notifications/mark-read";
import { EmptyState, PageHeader } from "@/components/ui";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { myNotifications } from "@/lib/services/incidents/notifications";

export const metadata: Metadata = { title: "Notifications" };

export default async function NotificationsPage() {
  await requirePagePermission("notifications.read", "/notifications");
  const { items, unread } = await myNotifications(await requestCtx(), { limit: 100 });
  return (
    <>
      <UnreadSync unread={unread} />
      <PageHeader
        title="Notifications"
        description="Messages for you about incidents: new ones, escalations and changes. The newest are first."
        actions={unread > 0 ? <MarkReadButton label="Mark all as read" /> : null}
      />
      {items.length === 0 ? (
        <EmptyState title="No notifications">When an incident needs you, a message appears here and the bell in the menu shows a number.</EmptyState>
      ) : (
        <ul className="card divide-y divide-slate-100" data-testid="notifications">
          {items.map((n) => (
            <li key={n.id} className={`flex flex-wrap items-start justify-between gap-3 px-5 py-3 ${n.readAt ? "" : "bg-sky-50"}`}>
              <div className="min-w-0">
                <p className="text-sm font-medium text-slate-900">
                  {n.readAt ? null : <span className="sr-only">Unread: </span>}
                  {n.href ? <Link href={n.href} className="link">{n.title}</Link> : n.title}
                </p>
                <p className="text-sm break-words text-slate-700">{n.body}</p>
                <p className="text-xs text-slate-600">{formatDateTime(n.createdAt)}</p>
              </div>
              {n.readAt ? <span className="text-xs text-slate-600">Read</span> : <MarkReadButton id={n.id} label="Mark as read" />}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
