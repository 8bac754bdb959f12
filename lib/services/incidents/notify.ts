import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { webhookDeliveries, type Incident } from "@/db/schema";
import type { IncidentSource, Role } from "@/lib/domain";
import { webhookConfig } from "./settings";

// Telling people and other systems about an incident. Both are written in the caller's transaction:
// a notification or webhook event exists exactly when the change it reports was committed.

/** Who is on call for each kind of incident: biomed always; IT security too when a device's security is at stake. */
export const ON_CALL: Record<IncidentSource, readonly Role[]> = {
  failure_rate: ["biomed"],
  health_regression: ["biomed"],
  problem_report: ["biomed"],
  manual: ["biomed"],
  device_malfunction: ["biomed"],
  device_verification: ["biomed", "security"],
  credential_abuse: ["biomed", "security"],
  security_event: ["biomed", "security"],
};

const incidentHref = (id: number) => `/incidents/${id}`;

/**
 * One in-app notification per active user who holds one of `roles` or is listed in `userIds`
 * (each person once). Returns how many were written.
 */
export async function notifyUsers(
  tx: Db,
  incident: Pick<Incident, "id">,
  to: { roles?: readonly Role[]; userIds?: (number | null | undefined)[] },
  message: { title: string; body: string },
): Promise<number> {
  const roles = [...(to.roles ?? [])];
  const ids = (to.userIds ?? []).filter((id): id is number => typeof id === "number");
  if (!roles.length && !ids.length) return 0;
  const result = (await tx.execute(sql`
    INSERT INTO notifications (user_id, title, body, href, incident_id)
    SELECT u.id, ${message.title.slice(0, 200)}, ${message.body.slice(0, 2000)}, ${incidentHref(incident.id)}, ${incident.id}
    FROM users u
    WHERE u.active AND (u.role::text = ANY(${sql.param(roles)}::text[]) OR u.id = ANY(${sql.param(ids)}::int[]))`)) as unknown as { rowCount?: number | null; affectedRows?: number };
  return result.rowCount ?? result.affectedRows ?? 0;
}

type IncidentEvent = "incident.opened" | "incident.escalated" | "incident.status_changed";

/** Queues an event for the outgoing webhook (delivered by the incident ticker); nothing when none is configured. */
export async function enqueueWebhook(tx: Db, event: IncidentEvent, incident: Incident, extra: Record<string, unknown> = {}) {
  if (!(await webhookConfig(tx))) return;
  await tx.insert(webhookDeliveries).values({
    event,
    payload: {
      event,
      occurredAt: new Date().toISOString(),
      incident: {
        id: incident.id,
        title: incident.title,
        source: incident.source,
        severity: incident.severity,
        status: incident.status,
        escalationLevel: incident.escalationLevel,
        escalationDueAt: incident.escalationDueAt?.toISOString() ?? null,
        rolloutId: incident.rolloutId,
        releaseId: incident.releaseId,
        path: incidentHref(incident.id),
      },
      ...extra,
    },
  });
}
