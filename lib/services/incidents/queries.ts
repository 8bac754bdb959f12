import { and, asc, desc, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { auditEvents, deviceModels, devices, incidentDevices, incidents, notifications, releases, rollouts, units, users } from "@/db/schema";
import { rolesWith } from "@/lib/auth/permissions";
import { INCIDENT_SEVERITIES, INCIDENT_SOURCES, INCIDENT_STATUSES } from "@/lib/domain";
import { RowId } from "@/lib/validation/ids";
import { NotFoundError } from "../errors";
import { query } from "../operation";

const blank = <T extends z.ZodType>(schema: T) => z.union([z.literal("").transform(() => undefined), schema]).optional();

const IncidentFilter = z
  .object({
    // "open" (triage or contained) is the default view.
    status: blank(z.enum(["open", "all", ...INCIDENT_STATUSES])),
    severity: blank(z.enum(INCIDENT_SEVERITIES)),
    source: blank(z.enum(INCIDENT_SOURCES)),
  })
  .strict();

const owner = sql<string | null>`(SELECT display_name FROM users WHERE id = ${incidents.ownerId})`;

/** Incidents, most severe and most urgent first, with their owner, escalation level and deadline. */
export const listIncidents = query({
  name: "incidents.list",
  permission: "incidents.read",
  input: IncidentFilter,
  async run({ db, input }) {
    const where: SQL[] = [];
    const status = input.status ?? "open";
    if (status === "open") where.push(inArray(incidents.status, ["triage", "contained"]));
    else if (status !== "all") where.push(eq(incidents.status, status));
    if (input.severity) where.push(eq(incidents.severity, input.severity));
    if (input.source) where.push(eq(incidents.source, input.source));
    return db
      .select({
        id: incidents.id,
        title: incidents.title,
        source: incidents.source,
        severity: incidents.severity,
        status: incidents.status,
        escalationLevel: incidents.escalationLevel,
        escalationDueAt: incidents.escalationDueAt,
        createdAt: incidents.createdAt,
        rolloutId: incidents.rolloutId,
        signedOffAt: incidents.signedOffAt,
        ownerName: owner,
        devices: sql<number>`(SELECT count(*)::int FROM incident_devices d WHERE d.incident_id = ${incidents.id})`,
        now: sql<Date>`now()`,
      })
      .from(incidents)
      .where(where.length ? and(...where) : undefined)
      .orderBy(sql`array_position(array['critical','high','medium','low']::incident_severity[], ${incidents.severity})`, sql`${incidents.escalationDueAt} asc nulls last`, desc(incidents.id))
      .limit(200);
  },
});

/** Everything the incident page shows. */
export const incidentDetail = query({
  name: "incidents.get",
  permission: "incidents.read",
  input: z.object({ incidentId: RowId("Unknown incident.") }).strict(),
  async run({ db, input }) {
    const [row] = await db
      .select({
        incident: incidents,
        ownerName: owner,
        openedByName: sql<string | null>`(SELECT display_name FROM users WHERE id = ${incidents.openedBy})`,
        rolloutName: rollouts.name,
        rolloutState: rollouts.state,
        releaseVersion: releases.version,
        rolloutReleaseId: rollouts.releaseId,
        // For the revert form: the known-good release must be of the rollout's model.
        rolloutModelId: sql<number | null>`(SELECT r.model_id FROM releases r WHERE r.id = ${rollouts.releaseId})`,
        now: sql<Date>`now()`,
      })
      .from(incidents)
      .leftJoin(rollouts, eq(rollouts.id, incidents.rolloutId))
      .leftJoin(releases, eq(releases.id, incidents.releaseId))
      .where(eq(incidents.id, input.incidentId));
    if (!row) throw new NotFoundError("This incident does not exist.");
    const id = row.incident.id;
    const [linked, timeline, sent] = await Promise.all([
      db
        .select({ id: devices.id, serial: devices.serial, status: devices.status, firmwareVersion: devices.firmwareVersion, model: deviceModels.name, unit: units.name })
        .from(incidentDevices)
        .innerJoin(devices, eq(devices.id, incidentDevices.deviceId))
        .innerJoin(deviceModels, eq(deviceModels.id, devices.modelId))
        .innerJoin(units, eq(units.id, devices.unitId))
        .where(eq(incidentDevices.incidentId, id))
        .orderBy(asc(devices.serial))
        .limit(500),
      db
        .select({ seq: auditEvents.seq, createdAt: auditEvents.createdAt, actorName: auditEvents.actorName, action: auditEvents.action, outcome: auditEvents.outcome, before: auditEvents.before, after: auditEvents.after, reason: auditEvents.reason })
        .from(auditEvents)
        .where(and(eq(auditEvents.entityType, "incident"), eq(auditEvents.entityId, String(id))))
        .orderBy(desc(auditEvents.seq))
        .limit(200),
      // ROL-10: a record of who was told, and when.
      db
        .select({ id: notifications.id, title: notifications.title, createdAt: notifications.createdAt, readAt: notifications.readAt, userName: users.displayName, role: users.role })
        .from(notifications)
        .innerJoin(users, eq(users.id, notifications.userId))
        .where(eq(notifications.incidentId, id))
        .orderBy(desc(notifications.id))
        .limit(200),
    ]);
    return { ...row, devices: linked, timeline, notifications: sent };
  },
});

/** Who may own an incident: active people who can manage incidents. */
export const incidentOwners = query({
  name: "incidents.owners",
  permission: "incidents.manage",
  input: z.object({}).strict(),
  run: ({ db }) =>
    db
      .select({ id: users.id, name: users.displayName, role: users.role })
      .from(users)
      .where(and(eq(users.active, true), inArray(users.role, [...rolesWith("incidents.manage")])))
      .orderBy(asc(users.displayName)),
});

export type BlockingIncident = { id: number; title: string; severity: string };

/**
 * The rollout gate: incidents linked to this rollout that are open (triage or contained) and not signed
 * off. While any exists, the rollout's next wave must not start.
 */
export async function openIncidentBlocking(db: Db, rolloutId: number): Promise<BlockingIncident[]> {
  return db
    .select({ id: incidents.id, title: incidents.title, severity: incidents.severity })
    .from(incidents)
    .where(and(eq(incidents.rolloutId, rolloutId), inArray(incidents.status, ["triage", "contained"]), isNull(incidents.signedOffAt)))
    .orderBy(asc(incidents.id));
}
