import { eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { appSettings } from "@/db/schema";

// Administrator-tuned settings, one JSON value per key in app_settings. Each owning service validates its
// own keys; these two functions are the only ones that touch the table.

/** The stored value of `key`, or undefined when it was never written. */
export async function storedSetting(db: Db, key: string): Promise<unknown> {
  const [row] = await db.select({ value: appSettings.value }).from(appSettings).where(eq(appSettings.key, key));
  return row?.value;
}

/** Writes `key` (insert or replace) in the caller's transaction, recording who changed it. */
export async function storeSetting(tx: Db, key: string, value: unknown, userId: number | null) {
  await tx
    .insert(appSettings)
    .values({ key, value, updatedBy: userId })
    .onConflictDoUpdate({ target: appSettings.key, set: { value, updatedBy: userId, updatedAt: sql`now()` } });
}
