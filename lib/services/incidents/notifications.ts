import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { notifications } from "@/db/schema";
import { RowId } from "@/lib/validation/ids";
import type { Actor } from "../actor";
import { ForbiddenError } from "../errors";
import { command, query } from "../operation";

// In-app notifications. Each person sees and marks only their own.

function me(actor: Actor): number {
  if (actor.type !== "user") throw new ForbiddenError("Notifications belong to people.");
  return actor.userId;
}

/** The newest notifications and how many are unread. */
export const myNotifications = query({
  name: "notifications.list",
  permission: "notifications.read",
  input: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }).strict(),
  async run({ db, actor, input }) {
    const userId = me(actor);
    const [items, [count]] = await Promise.all([
      db.select().from(notifications).where(eq(notifications.userId, userId)).orderBy(desc(notifications.id)).limit(input.limit),
      db.select({ unread: sql<number>`count(*)::int` }).from(notifications).where(and(eq(notifications.userId, userId), isNull(notifications.readAt))),
    ]);
    return { items, unread: count?.unread ?? 0 };
  },
});

/** Marks the listed notifications (or, without ids, all of them) as read. */
export const markNotificationsRead = command({
  name: "notifications.mark_read",
  permission: "notifications.read",
  input: z.object({ ids: z.array(RowId("Unknown notification.")).max(200).optional() }).strict(),
  async run({ tx, actor, input, audit }) {
    const userId = me(actor);
    const rows = await tx
      .update(notifications)
      .set({ readAt: sql`now()` })
      .where(and(eq(notifications.userId, userId), isNull(notifications.readAt), input.ids ? inArray(notifications.id, input.ids) : undefined))
      .returning({ id: notifications.id });
    await audit({ action: "notifications.read", entityType: "user", entityId: userId, after: { marked: rows.length } });
    return { marked: rows.length };
  },
});
