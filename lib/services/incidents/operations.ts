import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { incidentDevices, incidents, type Incident } from "@/db/schema";
import { INCIDENT_SEVERITIES, INCIDENT_STATUS_LABELS, INCIDENT_STATUSES, type IncidentStatus } from "@/lib/domain";
import { RowId } from "@/lib/validation/ids";
import type { Actor, Ctx, Origin } from "../actor";
import { ConflictError, ForbiddenError, NotFoundError } from "../errors";
import { command, type Operation } from "../operation";
import { reauthenticate } from "../releases/signatures";
import { pauseRollout, quarantineDevice } from "../rollouts/operations";
import { revertCohort } from "../rollouts/revert";
import { enqueueWebhook, notifyUsers, ON_CALL } from "./notify";
import { deadlineFrom, devicesBySerial, linkDevices, requireOwner } from "./open";
import type { Audit } from "../audit/record";

// Working an incident. Each operation locks the incident row, refuses (409, nothing changed) what its
// status does not allow, and leaves an audit row on the incident (its timeline).
//
// Status rules (IEC 62304 cl. 9: investigate, fix, verify, keep records):
//   triage → contained → resolved → lessons_learned (closed), one step at a time;
//   resolving needs a verification record (how the fix was verified, ROL-10);
//   closing needs the lessons learned;
//   the only way back is reopening a resolved incident (→ triage) with a reason: it starts a new
//   escalation deadline and clears an earlier sign-off. A closed incident is final.
// Escalation runs only in triage: containing an incident stops the clock.

const IncidentRef = z.object({ incidentId: RowId("Unknown incident.") });
const Text = (message: string, max = 4000) => z.string().trim().min(1, message).max(max);

async function lockIncident(tx: Db, incidentId: number): Promise<Incident> {
  const [incident] = await tx.select().from(incidents).where(eq(incidents.id, incidentId)).for("update");
  if (!incident) throw new NotFoundError("This incident does not exist.");
  return incident;
}

function requireNotClosed(incident: Incident, what: string) {
  if (incident.status === "lessons_learned") throw new ConflictError(`This incident is closed; you cannot ${what}.`);
}

const isOpen = (s: IncidentStatus) => s === "triage" || s === "contained";

export const assignIncidentOwner = command({
  name: "incidents.assign",
  permission: "incidents.manage",
  input: IncidentRef.extend({ ownerId: RowId("Choose an owner.") }).strict(),
  async run({ tx, actor, input, audit }) {
    const incident = await lockIncident(tx, input.incidentId);
    requireNotClosed(incident, "change its owner");
    if (incident.ownerId === input.ownerId) throw new ConflictError("This person already owns the incident.");
    const owner = await requireOwner(tx, input.ownerId);
    await tx.update(incidents).set({ ownerId: owner.id, updatedAt: sql`now()` }).where(eq(incidents.id, incident.id));
    const notified = actor.type === "user" && actor.userId === owner.id ? 0
      : await notifyUsers(tx, incident, { userIds: [owner.id] }, { title: `You own incident #${incident.id}: ${incident.title}`, body: `Severity ${incident.severity}, status ${INCIDENT_STATUS_LABELS[incident.status]}.` });
    await audit({ action: "incident.owner_assigned", entityType: "incident", entityId: incident.id, before: { ownerId: incident.ownerId }, after: { ownerId: owner.id, owner: owner.displayName, notified } });
    return { ownerId: owner.id };
  },
});

export const changeIncidentSeverity = command({
  name: "incidents.set_severity",
  permission: "incidents.manage",
  input: IncidentRef.extend({ severity: z.enum(INCIDENT_SEVERITIES, { error: `Severity: one of ${INCIDENT_SEVERITIES.join(", ")}.` }), reason: Text("Say why the severity changes.", 500) }).strict(),
  async run({ tx, input, audit }) {
    const incident = await lockIncident(tx, input.incidentId);
    requireNotClosed(incident, "change its severity");
    if (incident.severity === input.severity) throw new ConflictError(`The severity is already ${input.severity}.`);
    // In triage the deadline is counted again from now, with the new severity's time allowed.
    const [row] = await tx
      .update(incidents)
      .set({ severity: input.severity, updatedAt: sql`now()`, ...(incident.status === "triage" ? { escalationDueAt: await deadlineFrom(tx, input.severity) } : {}) })
      .where(eq(incidents.id, incident.id))
      .returning();
    await audit({
      action: "incident.severity_changed", entityType: "incident", entityId: incident.id,
      before: { severity: incident.severity, escalationDueAt: incident.escalationDueAt }, after: { severity: row!.severity, escalationDueAt: row!.escalationDueAt }, reason: input.reason,
    });
    return row!;
  },
});

/** The allowed moves: one step forward, or reopening a resolved incident. */
const NEXT: Record<IncidentStatus, readonly IncidentStatus[]> = {
  triage: ["contained"],
  contained: ["resolved"],
  resolved: ["lessons_learned", "triage"],
  lessons_learned: [],
};

const TransitionInput = IncidentRef.extend({
  to: z.enum(INCIDENT_STATUSES, { error: `Status: one of ${INCIDENT_STATUSES.join(", ")}.` }),
  verification: z.string().trim().max(4000).optional(),
  lessonsLearned: z.string().trim().max(4000).optional(),
  reason: z.string().trim().max(1000).optional(),
})
  .strict()
  .superRefine((v, ctx) => {
    if (v.to === "resolved" && !v.verification) ctx.addIssue({ code: "custom", path: ["verification"], message: "To resolve an incident, record how the fix was verified." });
    if (v.to === "lessons_learned" && !v.lessonsLearned) ctx.addIssue({ code: "custom", path: ["lessonsLearned"], message: "To close an incident, record the lessons learned." });
    if (v.to === "triage" && !v.reason) ctx.addIssue({ code: "custom", path: ["reason"], message: "Say why the incident is reopened." });
  });

export const transitionIncident = command({
  name: "incidents.transition",
  permission: "incidents.manage",
  input: TransitionInput,
  async run({ tx, actor, input, audit }) {
    const incident = await lockIncident(tx, input.incidentId);
    const from = incident.status;
    if (!NEXT[from].includes(input.to)) {
      const allowed = NEXT[from].map((s) => INCIDENT_STATUS_LABELS[s]).join(" or ");
      throw new ConflictError(`An incident in “${INCIDENT_STATUS_LABELS[from]}” cannot move to “${INCIDENT_STATUS_LABELS[input.to]}”${allowed ? `; it can move to ${allowed}` : "; it is closed"}.`);
    }
    const changes =
      input.to === "contained" ? { escalationDueAt: null }
      : input.to === "resolved" ? { verification: input.verification!, resolvedAt: sql`now()` }
      : input.to === "lessons_learned" ? { lessonsLearned: input.lessonsLearned! }
      : // Reopened: a new deadline, and an earlier sign-off no longer lets a rollout past it.
        { escalationLevel: 0, escalationDueAt: await deadlineFrom(tx, incident.severity), resolvedAt: null, signedOffBy: null, signedOffName: null, signedOffAt: null, signOffReason: null };
    const [row] = await tx.update(incidents).set({ status: input.to, updatedAt: sql`now()`, ...changes }).where(eq(incidents.id, incident.id)).returning();
    // The people on call and the owner hear of every status change (ROL-10: advise the relevant parties).
    const notified = await notifyUsers(
      tx,
      row!,
      { roles: ON_CALL[row!.source], userIds: [row!.ownerId] },
      { title: `Incident #${row!.id} is now ${INCIDENT_STATUS_LABELS[input.to].toLowerCase()}`, body: `${row!.title}${input.reason ? `. Reason: ${input.reason}` : ""}` },
    );
    await audit({
      action: "incident.status_changed",
      entityType: "incident",
      entityId: incident.id,
      before: { status: from },
      after: { status: input.to, verification: input.verification, lessonsLearned: input.lessonsLearned, by: actor.type === "user" ? actor.name : actor.type, notified },
      reason: input.reason,
    });
    await enqueueWebhook(tx, "incident.status_changed", row!, { from });
    return row!;
  },
});

export const linkIncidentDevice = command({
  name: "incidents.link_device",
  permission: "incidents.manage",
  input: IncidentRef.extend({ serial: z.string().trim().min(1, "Enter the device's serial number.").max(64) }).strict(),
  async run({ tx, input, audit }) {
    const incident = await lockIncident(tx, input.incidentId);
    requireNotClosed(incident, "link devices to it");
    const [deviceId] = await devicesBySerial(tx, [input.serial]);
    const linked = await linkDevices(tx, incident.id, [deviceId!]);
    if (!linked.length) throw new ConflictError(`Device ${input.serial} is already linked to this incident.`);
    await audit({ action: "incident.devices_linked", entityType: "incident", entityId: incident.id, after: { deviceIds: linked, serial: input.serial } });
    return { deviceId: deviceId! };
  },
});

export const unlinkIncidentDevice = command({
  name: "incidents.unlink_device",
  permission: "incidents.manage",
  input: IncidentRef.extend({ deviceId: RowId("Unknown device.") }).strict(),
  async run({ tx, input, audit }) {
    const incident = await lockIncident(tx, input.incidentId);
    requireNotClosed(incident, "unlink devices from it");
    const [gone] = await tx.delete(incidentDevices).where(and(eq(incidentDevices.incidentId, incident.id), eq(incidentDevices.deviceId, input.deviceId))).returning();
    if (!gone) throw new NotFoundError("This device is not linked to this incident.");
    await audit({ action: "incident.device_unlinked", entityType: "incident", entityId: incident.id, before: { deviceId: input.deviceId } });
    return { deviceId: input.deviceId };
  },
});

/** A note on the timeline (the timeline is the incident's audit trail). Allowed in every status. */
export const addIncidentNote = command({
  name: "incidents.add_note",
  permission: "incidents.manage",
  input: IncidentRef.extend({ note: Text("Write the note.") }).strict(),
  async run({ tx, input, audit }) {
    const incident = await lockIncident(tx, input.incidentId);
    await tx.update(incidents).set({ updatedAt: sql`now()` }).where(eq(incidents.id, incident.id));
    await audit({ action: "incident.note", entityType: "incident", entityId: incident.id, after: { note: input.note } });
    return { incidentId: incident.id };
  },
});

/**
 * The signed decision that a rollout blocked by this open incident may go on (password re-entry, the
 * same check and lockout as release signatures). Only for an open incident linked to a rollout.
 */
export const signOffIncident = command({
  name: "incidents.sign_off",
  permission: "incidents.signoff",
  input: IncidentRef.extend({ password: z.string().min(1, "Enter your password to sign.").max(256), reason: Text("Say why the rollout may go on.", 1000) }).strict(),
  async run({ tx, actor, input, audit }) {
    if (actor.type !== "user") throw new ForbiddenError("Only a person can sign off an incident.");
    const incident = await lockIncident(tx, input.incidentId);
    if (!isOpen(incident.status)) throw new ConflictError("Only an open incident (triage or contained) blocks a rollout; this one needs no sign-off.");
    if (!incident.rolloutId) throw new ConflictError("No rollout is linked to this incident, so there is nothing to sign off.");
    if (incident.signedOffAt) throw new ConflictError(`${incident.signedOffName} already signed this incident off.`);
    const signer = await reauthenticate(tx, actor, input.password, { entityType: "incident", entityId: incident.id });
    const [row] = await tx
      .update(incidents)
      .set({ signedOffBy: signer.userId, signedOffName: signer.printedName, signedOffAt: sql`clock_timestamp()`, signOffReason: input.reason, updatedAt: sql`now()` })
      .where(eq(incidents.id, incident.id))
      .returning();
    await audit({
      action: "incident.signed_off", entityType: "incident", entityId: incident.id,
      after: { printedName: signer.printedName, role: signer.role, signedAt: row!.signedOffAt, meaning: "the linked rollout may go on while this incident is open", rolloutId: incident.rolloutId },
      reason: input.reason,
    });
    return row!;
  },
});

// Containment from the incident page: the rollout operations themselves run (same checks, same audit
// rows, in this transaction), and the incident's timeline records that they were done for it. They
// need the rollout operations' own permission.

type Containment<In, Out> = { tx: Db; actor: Actor; origin: Origin | undefined; audit: Audit; incident: Incident; op: Operation<In, Out>; input: In; what: string; detail: Record<string, unknown>; reason: string };

async function contain<In, Out>({ tx, actor, origin, audit, incident, op, input, what, detail, reason }: Containment<In, Out>): Promise<Out> {
  requireNotClosed(incident, "contain it");
  const inner: Ctx = { db: tx, actor, origin };
  const result = await op(inner, input);
  await audit({ action: "incident.containment", entityType: "incident", entityId: incident.id, after: { step: what, ...detail }, reason });
  return result;
}

const Reason = Text("Give a reason.", 500);

export const pauseIncidentRollout = command({
  name: "incidents.pause_rollout",
  permission: "rollouts.manage",
  input: IncidentRef.extend({ reason: Reason }).strict(),
  async run({ tx, actor, origin, input, audit }) {
    const incident = await lockIncident(tx, input.incidentId);
    if (!incident.rolloutId) throw new ConflictError("No rollout is linked to this incident.");
    const reason = `Incident #${incident.id}: ${input.reason}`;
    return contain({ tx, actor, origin, audit, incident, op: pauseRollout, input: { rolloutId: incident.rolloutId, reason }, what: "rollout_paused", detail: { rolloutId: incident.rolloutId }, reason: input.reason });
  },
});

export const quarantineIncidentDevice = command({
  name: "incidents.quarantine_device",
  permission: "rollouts.manage",
  input: IncidentRef.extend({ deviceId: RowId("Unknown device."), reason: Reason }).strict(),
  async run({ tx, actor, origin, input, audit }) {
    const incident = await lockIncident(tx, input.incidentId);
    const [link] = await tx.select().from(incidentDevices).where(and(eq(incidentDevices.incidentId, incident.id), eq(incidentDevices.deviceId, input.deviceId)));
    if (!link) throw new NotFoundError("This device is not linked to this incident.");
    const reason = `Incident #${incident.id}: ${input.reason}`;
    return contain({ tx, actor, origin, audit, incident, op: quarantineDevice, input: { deviceId: input.deviceId, reason }, what: "device_quarantined", detail: { deviceId: input.deviceId }, reason: input.reason });
  },
});

export const revertIncidentRollout = command({
  name: "incidents.revert_rollout",
  permission: "rollouts.manage",
  input: IncidentRef.extend({ releaseId: RowId("Choose the known-good release."), reason: Reason }).strict(),
  async run({ tx, actor, origin, input, audit }) {
    const incident = await lockIncident(tx, input.incidentId);
    if (!incident.rolloutId) throw new ConflictError("No rollout is linked to this incident.");
    const reason = `Incident #${incident.id}: ${input.reason}`;
    const result = await contain({ tx, actor, origin, audit, incident, op: revertCohort, input: { rolloutId: incident.rolloutId, releaseId: input.releaseId, reason }, what: "rollout_reverted", detail: { rolloutId: incident.rolloutId, releaseId: input.releaseId }, reason: input.reason });
    return { revertRolloutId: result.rollout.id, devices: result.devices, belowFloor: result.belowFloor };
  },
});
