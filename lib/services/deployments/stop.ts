import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { Db } from "@/db/client";
import { deploymentActions } from "@/db/schema";

/**
 * Stops unfinished updates the way a single cancel does, in bulk: one a device never touched is canceled
 * at once; one it has started becomes cancel_requested, for the device to acknowledge. Installed updates
 * awaiting confirmation are left alone: the device can only finish them.
 */
export async function stopOpenActions(tx: Db, which: SQL | undefined) {
  const untouched = await tx
    .update(deploymentActions)
    .set({ state: "canceled", cancelRequestedAt: sql`now()`, finishedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(which, eq(deploymentActions.state, "scheduled"), eq(deploymentActions.feedbackCount, 0)))
    .returning({ id: deploymentActions.id });
  const started = await tx
    .update(deploymentActions)
    .set({ state: "cancel_requested", cancelRequestedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(which, inArray(deploymentActions.state, ["scheduled", "downloading", "downloaded", "installing"])))
    .returning({ id: deploymentActions.id });
  return { canceled: untouched.length, cancelRequested: started.length };
}
