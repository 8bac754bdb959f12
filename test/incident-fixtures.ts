import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { incidentDevices, incidents, notifications, users, type Incident } from "@/db/schema";
import { systemActor } from "@/lib/services/actor";
import { auditAs } from "@/lib/services/audit/record";
import { openIncident, type OpenIncidentInput } from "@/lib/services/incidents/open";
import { unique } from "./db";

// Fixtures for the incident tests: incidents opened through the real service (as a system actor, the
// way the rollout engine opens them), and readers for their devices and notifications.

export const MONITOR = systemActor("incident test");

/** Opens (or reuses) an incident in a transaction of its own. */
export function openTestIncident(db: Db, over: Partial<OpenIncidentInput> = {}) {
  return db.transaction((tx) =>
    openIncident(tx, MONITOR, auditAs(tx, MONITOR), { source: "failure_rate", title: unique("Test incident "), description: "Raised by a test.", severity: "high", ...over }),
  );
}

export async function incidentRow(db: Db, id: number): Promise<Incident> {
  const [row] = await db.select().from(incidents).where(eq(incidents.id, id));
  return row!;
}

export async function linkedDeviceIds(db: Db, incidentId: number): Promise<number[]> {
  const rows = await db.select({ id: incidentDevices.deviceId }).from(incidentDevices).where(eq(incidentDevices.incidentId, incidentId)).orderBy(asc(incidentDevices.deviceId));
  return rows.map((r) => r.id);
}

/** Incidents (any status) whose source key is `key`, oldest first. */
export function incidentsByKey(db: Db, key: string): Promise<Incident[]> {
  return db.select().from(incidents).where(eq(incidents.sourceKey, key)).orderBy(asc(incidents.id));
}

/** The roles of the people notified about an incident, with counts, e.g. { biomed: 3, security: 1 }. */
export async function notifiedRoles(db: Db, incidentId: number, titleLike = "%"): Promise<Record<string, number>> {
  const rows = await db
    .select({ role: users.role, n: sql<number>`count(*)::int` })
    .from(notifications)
    .innerJoin(users, eq(users.id, notifications.userId))
    .where(and(eq(notifications.incidentId, incidentId), sql`${notifications.title} like ${titleLike}`))
    .groupBy(users.role);
  return Object.fromEntries(rows.map((r) => [r.role, r.n]));
}

/** Moves an incident's deadline `minutes` into the past (or future, if negative): the tests' clock. */
export async function setDeadline(db: Db, incidentId: number, minutesAgo: number) {
  await db.update(incidents).set({ escalationDueAt: sql`now() - ${minutesAgo} * interval '1 minute'` }).where(eq(incidents.id, incidentId));
}
