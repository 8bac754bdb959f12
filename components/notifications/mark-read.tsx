"use client";

import { useEffect } from "react";
import { useFormAction } from "@/components/releases/use-form-action";
import { FormMessage } from "@/components/ui";
import { markNotificationsReadAction } from "@/lib/actions/incidents";
import { NOTIFICATIONS_CHANGED } from "./bell-link";

/** Marks one notification (with `id`) or all of them as read. */
export function MarkReadButton({ id, label }: { id?: number; label: string }) {
  const { state, onSubmit, pending } = useFormAction(markNotificationsReadAction);
  return (
    <form onSubmit={onSubmit} aria-label={label}>
      {id ? <input type="hidden" name="id" value={id} /> : null}
      <button type="submit" className={id ? "text-xs font-medium text-brand-700 underline" : "btn-secondary"} disabled={pending}>{label}</button>
      {!state.ok ? <FormMessage ok={false} message={state.message} /> : null}
    </form>
  );
}

/** Tells the bell when the unread count this page shows has changed (after marking read). */
export function UnreadSync({ unread }: { unread: number }) {
  useEffect(() => {
    window.dispatchEvent(new Event(NOTIFICATIONS_CHANGED));
  }, [unread]);
  return null;
}
