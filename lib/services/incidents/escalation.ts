import { and, asc, eq, lte, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { incidents } from "@/db/schema";
import type { Role } from "@/lib/domain";
import { systemActor } from "../actor";
import { recordAudit } from "../audit/record";
import { enqueueWebhook, notifyUsers, ON_CALL } from "./notify";
import { deadlineFrom } from "./open";
import { deliverWebhooks } from "./webhook";
import { startTicker } from "../ticker";

// Escalation: an incident left in triage past its deadline (set per severity in the incident settings)
// goes up one level, once per deadline:
//   level 1 — its owner and the on-call roles of its source are told again, and a new deadline is set;
//   level 2 (the top) — managers and administrators are told as well; no further deadline.
// Containing the incident stops the clock. The tick uses the database clock and locks the rows it
// escalates (SKIP LOCKED), so several app instances may tick at once and each deadline escalates once.

const ESCALATION = systemActor("incident-escalation");
export const TOP_ESCALATION_LEVEL = 2;

const TOP_LEVEL_ROLES: readonly Role[] = ["manager", "admin"];

/** Escalates every incident past its deadline; returns their ids. */
export async function tickEscalations(db: Db): Promise<number[]> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select()
      .from(incidents)
      .where(and(eq(incidents.status, "triage"), lte(incidents.escalationDueAt, sql`now()`)))
      .orderBy(asc(incidents.escalationDueAt))
      .limit(100)
      .for("update", { skipLocked: true });
    for (const incident of due) {
      const level = incident.escalationLevel + 1;
      const [row] = await tx
        .update(incidents)
        .set({ escalationLevel: level, escalationDueAt: level >= TOP_ESCALATION_LEVEL ? null : await deadlineFrom(tx, incident.severity), updatedAt: sql`now()` })
        .where(eq(incidents.id, incident.id))
        .returning();
      const notified = await notifyUsers(
        tx,
        row!,
        { roles: [...ON_CALL[row!.source], ...(level >= TOP_ESCALATION_LEVEL ? TOP_LEVEL_ROLES : [])], userIds: [row!.ownerId] },
        { title: `Escalated to level ${level}: ${row!.title}`, body: `This ${row!.severity} incident has waited in triage past its deadline. Contain it or hand it to someone who can.` },
      );
      await recordAudit(tx, ESCALATION, undefined, {
        action: "incident.escalated",
        entityType: "incident",
        entityId: row!.id,
        before: { escalationLevel: incident.escalationLevel, escalationDueAt: incident.escalationDueAt },
        after: { escalationLevel: level, escalationDueAt: row!.escalationDueAt, notified },
      });
      await enqueueWebhook(tx, "incident.escalated", row!);
    }
    return due.map((i) => i.id);
  });
}

/** Escalates and delivers webhook events every `everyMs` (one round at a time per process). */
export function startIncidentTicker(db: Db, everyMs: number): () => void {
  return startTicker("incident", everyMs, () => tickEscalations(db).then(() => deliverWebhooks(db)));
}
