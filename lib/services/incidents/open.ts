/**
 * Opening an incident: the one function every source calls, inside the caller's own transaction.
 *
 *   openIncident(tx, actor, audit, input): Promise<{ incident, created }>
 *
 * - `tx`: the caller's transaction — a command() body's `tx`, the rollout engine's tick transaction, or
 *   a device request's transaction. Everything below commits or rolls back with the caller's change.
 * - `actor`: who opens it — a person, a device, or a system actor such as the rollout engine. Only a
 *   person is stored as `opened_by`; the audit row names any actor.
 * - `audit`: the caller's audit writer (inside command() pass its `audit`; elsewhere `auditAs(tx, actor, origin)`).
 * - `input.sourceKey`: one open incident per cause. If an incident with this key is open (triage or
 *   contained), it is reused: new devices are linked to it and nobody is notified again. The partial
 *   unique index makes this safe when two requests race (INSERT … ON CONFLICT DO NOTHING, then SELECT).
 *
 * A new incident gets its escalation deadline from the per-severity setting (database clock), an
 * `incident.opened` audit row, in-app notifications to the on-call roles of its source (see ON_CALL)
 * plus its owner, and a webhook event when a webhook is configured.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { devices, incidentDevices, incidents, rollouts, users, type Incident } from "@/db/schema";
import { can } from "@/lib/auth/permissions";
import { INCIDENT_SEVERITIES, INCIDENT_SOURCE_LABELS, type IncidentSeverity, type IncidentSource } from "@/lib/domain";
import { RowId } from "@/lib/validation/ids";
import type { Actor } from "../actor";
import type { Audit } from "../audit/record";
import { NotFoundError, ValidationError } from "../errors";
import { command } from "../operation";
import { enqueueWebhook, notifyUsers, ON_CALL } from "./notify";
import { escalationDeadlines } from "./settings";

export type OpenIncidentInput = {
  source: IncidentSource;
  sourceKey?: string;
  title: string;
  description: string;
  severity: IncidentSeverity;
  releaseId?: number;
  rolloutId?: number;
  deviceIds?: number[];
  ownerId?: number;
  evidence?: unknown;
};

/** The deadline for an incident of `severity` entering triage now (database clock). */
export async function deadlineFrom(tx: Db, severity: IncidentSeverity) {
  const minutes = (await escalationDeadlines(tx))[severity];
  return sql`now() + ${minutes} * interval '1 minute'`;
}

/** Links devices to an incident; returns the ids that were not linked before. */
export async function linkDevices(tx: Db, incidentId: number, deviceIds: number[]): Promise<number[]> {
  if (!deviceIds.length) return [];
  const rows = await tx
    .insert(incidentDevices)
    .values([...new Set(deviceIds)].map((deviceId) => ({ incidentId, deviceId })))
    .onConflictDoNothing()
    .returning({ deviceId: incidentDevices.deviceId });
  return rows.map((r) => r.deviceId);
}

export async function openIncident(tx: Db, actor: Actor, audit: Audit, input: OpenIncidentInput): Promise<{ incident: Incident; created: boolean }> {
  const [inserted] = await tx
    .insert(incidents)
    .values({
      title: input.title.slice(0, 200),
      description: input.description.slice(0, 4000),
      source: input.source,
      sourceKey: input.sourceKey ?? null,
      severity: input.severity,
      ownerId: input.ownerId ?? null,
      escalationDueAt: await deadlineFrom(tx, input.severity),
      releaseId: input.releaseId ?? null,
      rolloutId: input.rolloutId ?? null,
      evidence: input.evidence ?? null,
      openedBy: actor.type === "user" ? actor.userId : null,
    })
    .onConflictDoNothing({ target: incidents.sourceKey, where: sql`status in ('triage','contained') and source_key is not null` })
    .returning();

  if (!inserted) {
    // Another trigger of the same cause: the open incident gains the new devices, nothing else.
    const [open] = await tx
      .select()
      .from(incidents)
      .where(and(eq(incidents.sourceKey, input.sourceKey!), inArray(incidents.status, ["triage", "contained"])))
      .for("update");
    if (!open) throw new Error(`incident with source key ${input.sourceKey} conflicted but is not open`);
    const linked = await linkDevices(tx, open.id, input.deviceIds ?? []);
    if (linked.length) await audit({ action: "incident.devices_linked", entityType: "incident", entityId: open.id, after: { deviceIds: linked, source: input.source } });
    return { incident: open, created: false };
  }

  const linked = await linkDevices(tx, inserted.id, input.deviceIds ?? []);
  const notified = await notifyUsers(
    tx,
    inserted,
    { roles: ON_CALL[inserted.source], userIds: [inserted.ownerId] },
    { title: `New ${inserted.severity} incident: ${inserted.title}`, body: `${INCIDENT_SOURCE_LABELS[inserted.source]}. ${inserted.description}` },
  );
  await audit({
    action: "incident.opened",
    entityType: "incident",
    entityId: inserted.id,
    after: {
      title: inserted.title,
      source: inserted.source,
      sourceKey: inserted.sourceKey,
      severity: inserted.severity,
      releaseId: inserted.releaseId,
      rolloutId: inserted.rolloutId,
      deviceIds: linked,
      ownerId: inserted.ownerId,
      escalationDueAt: inserted.escalationDueAt,
      notified,
    },
  });
  await enqueueWebhook(tx, "incident.opened", inserted);
  return { incident: inserted, created: true };
}

/** An active person who may manage incidents, for owner fields. */
export async function requireOwner(tx: Db, userId: number) {
  const [user] = await tx.select({ id: users.id, displayName: users.displayName, role: users.role, active: users.active }).from(users).where(eq(users.id, userId));
  if (!user?.active || !can(user.role, "incidents.manage")) {
    throw new ValidationError("The owner must be an active account that can manage incidents.", { ownerId: ["Choose someone who can manage incidents."] });
  }
  return user;
}

/** Device ids for serials typed by a person; an unknown serial is an input error naming it. */
export async function devicesBySerial(tx: Db, serials: string[]): Promise<number[]> {
  if (!serials.length) return [];
  const rows = await tx.select({ id: devices.id, serial: devices.serial }).from(devices).where(inArray(devices.serial, serials));
  const missing = serials.filter((s) => !rows.some((r) => r.serial === s));
  if (missing.length) throw new ValidationError(`No device has the serial ${missing.join(", ")}.`, { serials: [`Unknown serial: ${missing.join(", ")}`] });
  return rows.map((r) => r.id);
}

const Serials = z
  .string()
  .max(2000)
  .default("")
  .transform((s) => [...new Set(s.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean))])
  .refine((a) => a.length <= 100, "At most 100 devices at once.");

const CreateIncidentInput = z
  .object({
    title: z.string().trim().min(3, "Give the incident a short title.").max(200),
    description: z.string().trim().min(1, "Describe what happened.").max(4000),
    severity: z.enum(INCIDENT_SEVERITIES, { error: `Severity: one of ${INCIDENT_SEVERITIES.join(", ")}.` }),
    serials: Serials,
    rolloutId: z.union([z.literal("").transform(() => undefined), RowId("Unknown rollout.")]).optional(),
    ownerId: z.union([z.literal("").transform(() => undefined), RowId("Unknown account.")]).optional(),
  })
  .strict();

/** Opening an incident by hand. */
export const createIncident = command({
  name: "incidents.create",
  permission: "incidents.manage",
  input: CreateIncidentInput,
  async run({ tx, actor, input, audit }) {
    if (input.ownerId) await requireOwner(tx, input.ownerId);
    let releaseId: number | undefined;
    if (input.rolloutId) {
      const [rollout] = await tx.select({ releaseId: rollouts.releaseId }).from(rollouts).where(eq(rollouts.id, input.rolloutId));
      if (!rollout) throw new NotFoundError("This rollout does not exist.");
      releaseId = rollout.releaseId;
    }
    const { incident } = await openIncident(tx, actor, audit, {
      source: "manual",
      title: input.title,
      description: input.description,
      severity: input.severity,
      rolloutId: input.rolloutId,
      releaseId,
      ownerId: input.ownerId,
      deviceIds: await devicesBySerial(tx, input.serials),
    });
    return incident;
  },
});
