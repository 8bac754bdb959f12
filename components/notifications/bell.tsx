import { requestCtx } from "@/lib/auth/session";
import { myNotifications } from "@/lib/services/incidents/notifications";
import { BellLink } from "./bell-link";

/** The console's notification bell: the unread count now, kept current by the browser. */
export async function NotificationBell() {
  const { unread } = await myNotifications(await requestCtx(), { limit: 1 });
  return <BellLink initialUnread={unread} />;
}
