import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { incidents, notifications, rollouts } from "@/db/schema";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "@/lib/services/errors";
import { tickEscalations, TOP_ESCALATION_LEVEL } from "@/lib/services/incidents/escalation";
import { markNotificationsRead, myNotifications } from "@/lib/services/incidents/notifications";
import { createIncident } from "@/lib/services/incidents/open";
import {
  addIncidentNote, assignIncidentOwner, changeIncidentSeverity, linkIncidentDevice, pauseIncidentRollout, quarantineIncidentDevice, revertIncidentRollout,
  signOffIncident, transitionIncident, unlinkIncidentDevice,
} from "@/lib/services/incidents/operations";
import { incidentDetail, listIncidents, openIncidentBlocking } from "@/lib/services/incidents/queries";
import { SignatureRefused } from "@/lib/services/releases/signatures";
import { auditHighWater, auditRowsAfter, backend, caught, createTestUser, ctxFor, dataFingerprint, TEST_PASSWORD, unique, userActor } from "../db";
import { incidentRow, incidentsByKey, linkedDeviceIds, notifiedRoles, openTestIncident, setDeadline } from "../incident-fixtures";
import { closeWorld, createRelease, type Place, type World } from "../protocol-fixtures";
import { addUnit, deviceActions, enrol, newRollout, openRolloutWorld, rolloutRow, wave, type Release } from "../rollout-fixtures";

/**
 * ROL-10: incidents — opening (by hand and through openIncident with deduplication), the status machine
 * with its verification and lessons-learned records, escalation past the deadline, notifications,
 * sign-off with password re-entry, and containment through the rollout operations.
 */

let w: World;
let home: Place;
let release: Release;

beforeAll(async () => {
  ({ w, home, release } = await openRolloutWorld());
});
afterAll(() => closeWorld(w));

/** Asserts `fn` is refused with `type`, and that no table (audit trail included) changed. */
async function refused(fn: () => Promise<unknown>, type: new (...a: never[]) => Error, message: RegExp) {
  const before = await dataFingerprint(w.db);
  const hw = await auditHighWater(w.db);
  const err = await caught(fn);
  expect(err).toBeInstanceOf(type);
  expect((err as Error).message).toMatch(message);
  expect(await dataFingerprint(w.db)).toEqual(before);
  expect(await auditRowsAfter(w.db, hw)).toEqual([]);
}

const incidentAudit = async (hw: number, id: number) =>
  (await auditRowsAfter(w.db, hw)).filter((r) => r.entityType === "incident" && r.entityId === String(id));

describe("ROL-10: opening an incident", () => {
  it("ROL-10: a biomed engineer opens one by hand: deadline from its severity, audited, the on-call role and the owner notified", async () => {
    const owner = await createTestUser(w.db, "security");
    const [device] = await enrol(w, await addUnit(w, home), 1);
    const hw = await auditHighWater(w.db);
    const incident = await createIncident(w.biomed, { title: "Pump screen freezes", description: "Seen twice on nights.", severity: "critical", serials: device!.device.serial, ownerId: String(owner.id) });
    expect(incident).toMatchObject({ source: "manual", severity: "critical", status: "triage", escalationLevel: 0, ownerId: owner.id, openedBy: w.biomed.actor!.type === "user" ? w.biomed.actor!.userId : -1 });
    // Critical: 15 minutes by default, counted on the database clock.
    const [due] = await queryRows<{ minutes: number }>(w.db, sql`SELECT round(extract(epoch FROM (escalation_due_at - created_at)) / 60)::int AS minutes FROM incidents WHERE id = ${incident.id}`);
    expect(due!.minutes).toBe(15);
    expect(await linkedDeviceIds(w.db, incident.id)).toEqual([device!.device.id]);
    const rows = await incidentAudit(hw, incident.id);
    expect(rows.map((r) => [r.action, r.actorType])).toEqual([["incident.opened", "user"]]);
    expect(rows[0]!.after).toMatchObject({ source: "manual", severity: "critical", deviceIds: [device!.device.id], ownerId: owner.id });
    const roles = await notifiedRoles(w.db, incident.id);
    expect(roles.biomed).toBeGreaterThanOrEqual(2);
    expect(roles.security).toBe(1); // the owner; security is not on call for manual incidents
    expect((rows[0]!.after as { notified: number }).notified).toBe(Object.values(roles).reduce((a, b) => a + b, 0));
  });

  it("ROL-10: bad input is refused with a clear message and changes nothing; clinicians may read incidents but not open them", async () => {
    await refused(() => createIncident(w.biomed, { title: "x", description: "", severity: "high" }), ValidationError, /short title/);
    await refused(() => createIncident(w.biomed, { title: "Unknown pump", description: "d", severity: "high", serials: "NO-SUCH-SERIAL" }), ValidationError, /No device has the serial NO-SUCH-SERIAL/);
    await refused(() => createIncident(w.biomed, { title: "Bad level", description: "d", severity: "urgent" as never }), ValidationError, /Severity: one of low, medium, high, critical/);
    const clinician = ctxFor(w.db, userActor(await createTestUser(w.db, "clinician")));
    expect(await caught(() => createIncident(clinician, { title: "Nurse report", description: "d", severity: "low" }))).toBeInstanceOf(ForbiddenError);
    const { incident } = await openTestIncident(w.db);
    expect((await incidentDetail(clinician, { incidentId: incident.id })).incident.id).toBe(incident.id);
    expect((await listIncidents(clinician, {})).map((i) => i.id)).toContain(incident.id);
  });

  it("ROL-10: repeated triggers with one source key make one incident that gains the new devices; once resolved, the next trigger opens a new one", async () => {
    const unit = await addUnit(w, home);
    const [a, b] = await enrol(w, unit, 2);
    const key = unique("rollout:dedupe:");
    const first = await openTestIncident(w.db, { sourceKey: key, deviceIds: [a!.device.id] });
    const hw = await auditHighWater(w.db);
    const notes = await w.db.select({ n: sql<number>`count(*)::int` }).from(notifications).where(eq(notifications.incidentId, first.incident.id));
    const again = await openTestIncident(w.db, { sourceKey: key, deviceIds: [a!.device.id, b!.device.id] });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, incident: { id: first.incident.id } });
    expect(await linkedDeviceIds(w.db, first.incident.id)).toEqual([a!.device.id, b!.device.id].sort((x, y) => x - y));
    // The repeat is recorded (new device linked), nobody is notified twice.
    expect((await incidentAudit(hw, first.incident.id)).map((r) => r.action)).toEqual(["incident.devices_linked"]);
    expect(await w.db.select({ n: sql<number>`count(*)::int` }).from(notifications).where(eq(notifications.incidentId, first.incident.id))).toEqual(notes);
    // A third trigger adding nothing new writes nothing at all.
    const hw2 = await auditHighWater(w.db);
    await openTestIncident(w.db, { sourceKey: key, deviceIds: [b!.device.id] });
    expect(await auditRowsAfter(w.db, hw2)).toEqual([]);

    // Concurrent triggers (separate connections on PostgreSQL) still make one.
    const raced = unique("rollout:race:");
    const results = await Promise.all([1, 2, 3, 4].map(() => openTestIncident(w.db, { sourceKey: raced, deviceIds: [a!.device.id] })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await incidentsByKey(w.db, raced)).toHaveLength(1);

    await transitionIncident(w.biomed, { incidentId: first.incident.id, to: "contained" });
    await transitionIncident(w.biomed, { incidentId: first.incident.id, to: "resolved", verification: "Re-ran the bench test." });
    const later = await openTestIncident(w.db, { sourceKey: key });
    expect(later.created).toBe(true);
    expect((await incidentsByKey(w.db, key)).map((i) => i.status)).toEqual(["resolved", "triage"]);
  });
});

describe("ROL-10: the status machine", () => {
  it("ROL-10: triage → contained → resolved (needs a verification record) → lessons learned (needs lessons); illegal moves refused with no change", async () => {
    const { incident } = await openTestIncident(w.db);
    const id = incident.id;
    await refused(() => transitionIncident(w.biomed, { incidentId: id, to: "resolved", verification: "skipping" }), ConflictError, /“Triage” cannot move to “Resolved”; it can move to Contained/);
    await refused(() => transitionIncident(w.biomed, { incidentId: id, to: "lessons_learned", lessonsLearned: "x" }), ConflictError, /cannot move to “Lessons learned \(closed\)”/);

    const hw = await auditHighWater(w.db);
    const contained = await transitionIncident(w.biomed, { incidentId: id, to: "contained" });
    // Containing stops the escalation clock.
    expect(contained).toMatchObject({ status: "contained", escalationDueAt: null });
    await refused(() => transitionIncident(w.biomed, { incidentId: id, to: "triage", reason: "back" }), ConflictError, /“Contained” cannot move to “Triage”; it can move to Resolved/);

    // ROL-10: closing needs a linked verification record.
    const noVerification = await caught(() => transitionIncident(w.biomed, { incidentId: id, to: "resolved" }));
    expect(noVerification).toBeInstanceOf(ValidationError);
    expect((noVerification as ValidationError).fieldErrors).toEqual({ verification: ["To resolve an incident, record how the fix was verified."] });
    await refused(() => transitionIncident(w.biomed, { incidentId: id, to: "resolved", verification: "   " }), ValidationError, /record how the fix was verified/);
    const resolved = await transitionIncident(w.biomed, { incidentId: id, to: "resolved", verification: "Release 2.1 passed the bench test TC-44 on 3 pumps." });
    expect(resolved).toMatchObject({ status: "resolved", verification: "Release 2.1 passed the bench test TC-44 on 3 pumps." });
    expect(resolved.resolvedAt).toBeInstanceOf(Date);

    await refused(() => transitionIncident(w.biomed, { incidentId: id, to: "lessons_learned" }), ValidationError, /record the lessons learned/);
    const closed = await transitionIncident(w.biomed, { incidentId: id, to: "lessons_learned", lessonsLearned: "Bench-test alarm volume before every pilot." });
    expect(closed).toMatchObject({ status: "lessons_learned", lessonsLearned: "Bench-test alarm volume before every pilot." });
    await refused(() => transitionIncident(w.biomed, { incidentId: id, to: "triage", reason: "again" }), ConflictError, /it is closed/);
    await refused(() => changeIncidentSeverity(w.biomed, { incidentId: id, severity: "low", reason: "x" }), ConflictError, /closed/);

    const rows = await incidentAudit(hw, id);
    expect(rows.map((r) => [r.action, (r.before as { status: string }).status, (r.after as { status: string }).status])).toEqual([
      ["incident.status_changed", "triage", "contained"],
      ["incident.status_changed", "contained", "resolved"],
      ["incident.status_changed", "resolved", "lessons_learned"],
    ]);
    // ROL-10: every "advise the relevant parties" step is recorded: each change notified people.
    expect(rows.every((r) => (r.after as { notified: number }).notified > 0)).toBe(true);
  });

  it("ROL-10: a resolved incident may be reopened with a reason: back to triage with a new deadline, an earlier sign-off cleared", async () => {
    const { members, rollout } = await liveRollout();
    const { incident } = await openTestIncident(w.db, { rolloutId: rollout.id, deviceIds: [members[0]!.device.id] });
    await signOffIncident(w.biomed, { incidentId: incident.id, password: TEST_PASSWORD, reason: "Vendor confirmed a display-only fault." });
    await transitionIncident(w.biomed, { incidentId: incident.id, to: "contained" });
    await transitionIncident(w.biomed, { incidentId: incident.id, to: "resolved", verification: "Fixed in 2.1." });
    await refused(() => transitionIncident(w.biomed, { incidentId: incident.id, to: "triage" }), ValidationError, /Say why the incident is reopened/);
    const reopened = await transitionIncident(w.biomed, { incidentId: incident.id, to: "triage", reason: "Seen again on ward 4." });
    expect(reopened).toMatchObject({ status: "triage", escalationLevel: 0, resolvedAt: null, signedOffAt: null, signedOffName: null });
    expect(reopened.escalationDueAt!.getTime()).toBeGreaterThan(Date.now() - 5_000);
    expect(await openIncidentBlocking(w.db, rollout.id)).toEqual([{ id: incident.id, title: incident.title, severity: "high" }]);
  });

  it("ROL-10: owner, severity (re-computes the deadline), devices and notes: each audited on the incident's timeline", async () => {
    const { incident } = await openTestIncident(w.db, { severity: "low" });
    const owner = await createTestUser(w.db, "biomed");
    const [device] = await enrol(w, await addUnit(w, home), 1);
    const hw = await auditHighWater(w.db);
    await assignIncidentOwner(w.biomed, { incidentId: incident.id, ownerId: owner.id });
    expect(await w.db.select({ title: notifications.title }).from(notifications).where(and(eq(notifications.userId, owner.id), eq(notifications.incidentId, incident.id)))).toEqual([
      { title: `You own incident #${incident.id}: ${incident.title}` },
    ]);
    const clinician = await createTestUser(w.db, "clinician");
    await refused(() => assignIncidentOwner(w.biomed, { incidentId: incident.id, ownerId: clinician.id }), ValidationError, /owner must be an active account that can manage incidents/);

    const raised = await changeIncidentSeverity(w.biomed, { incidentId: incident.id, severity: "critical", reason: "Patient harm suspected." });
    // Low allows a day; critical 15 minutes, from now.
    expect(raised.escalationDueAt!.getTime()).toBeLessThan(incident.escalationDueAt!.getTime());
    expect(raised.escalationDueAt!.getTime() - Date.now()).toBeLessThan(16 * 60_000);

    await linkIncidentDevice(w.biomed, { incidentId: incident.id, serial: device!.device.serial });
    await refused(() => linkIncidentDevice(w.biomed, { incidentId: incident.id, serial: device!.device.serial }), ConflictError, /already linked/);
    await unlinkIncidentDevice(w.biomed, { incidentId: incident.id, deviceId: device!.device.id });
    await refused(() => unlinkIncidentDevice(w.biomed, { incidentId: incident.id, deviceId: device!.device.id }), NotFoundError, /not linked/);
    await addIncidentNote(w.biomed, { incidentId: incident.id, note: "Called the vendor; ticket 8812." });

    expect((await incidentAudit(hw, incident.id)).map((r) => r.action)).toEqual([
      "incident.owner_assigned", "incident.severity_changed", "incident.devices_linked", "incident.device_unlinked", "incident.note",
    ]);
    const detail = await incidentDetail(w.biomed, { incidentId: incident.id });
    expect(detail.timeline.map((t) => t.action)).toEqual(["incident.note", "incident.device_unlinked", "incident.devices_linked", "incident.severity_changed", "incident.owner_assigned", "incident.opened"]);
    expect(detail.notifications.some((n) => n.userName === owner.displayName)).toBe(true);
  });
});

describe("ROL-10: escalation past the deadline", () => {
  it("ROL-10: not before the deadline; once past it exactly once (a second tick does nothing); level 2 tells managers and admins; then no further deadline", async () => {
    const owner = await createTestUser(w.db, "biomed");
    const manager = await createTestUser(w.db, "manager");
    const { incident } = await openTestIncident(w.db, { severity: "medium", ownerId: owner.id });
    const id = incident.id;
    const hw = await auditHighWater(w.db);
    await setDeadline(w.db, id, -1); // one minute ahead
    expect(await tickEscalations(w.db)).not.toContain(id);
    expect((await incidentRow(w.db, id)).escalationLevel).toBe(0);

    await setDeadline(w.db, id, 1); // one minute ago
    expect(await tickEscalations(w.db)).toContain(id);
    expect(await tickEscalations(w.db)).not.toContain(id);
    const level1 = await incidentRow(w.db, id);
    expect(level1.escalationLevel).toBe(1);
    // Medium: the next deadline is 4 hours after the escalation.
    expect(level1.escalationDueAt!.getTime() - Date.now()).toBeGreaterThan(239 * 60_000);
    expect(await notifiedRoles(w.db, id, "Escalated to level 1%")).not.toHaveProperty("manager");
    expect((await notifiedRoles(w.db, id, "Escalated to level 1%")).biomed).toBeGreaterThanOrEqual(1);

    await setDeadline(w.db, id, 1);
    expect(await tickEscalations(w.db)).toContain(id);
    const level2 = await incidentRow(w.db, id);
    expect(level2).toMatchObject({ escalationLevel: TOP_ESCALATION_LEVEL, escalationDueAt: null });
    const told = await w.db.select({ n: sql<number>`count(*)::int` }).from(notifications).where(and(eq(notifications.userId, manager.id), eq(notifications.incidentId, id)));
    expect(told[0]!.n).toBe(1);
    expect(await tickEscalations(w.db)).not.toContain(id);

    const rows = await incidentAudit(hw, id);
    expect(rows.map((r) => [r.action, r.actorType, r.actorName, (r.after as { escalationLevel: number }).escalationLevel])).toEqual([
      ["incident.escalated", "system", "incident-escalation", 1],
      ["incident.escalated", "system", "incident-escalation", 2],
    ]);
  });

  it(`ROL-10: two ticks at once escalate a due incident exactly once (${backend})`, async () => {
    const { incident } = await openTestIncident(w.db, { severity: "high" });
    await setDeadline(w.db, incident.id, 5);
    const hw = await auditHighWater(w.db);
    const [a, b] = await Promise.all([tickEscalations(w.db), tickEscalations(w.db)]);
    expect([...a, ...b].filter((x) => x === incident.id)).toHaveLength(1);
    expect((await incidentRow(w.db, incident.id)).escalationLevel).toBe(1);
    expect((await incidentAudit(hw, incident.id)).map((r) => r.action)).toEqual(["incident.escalated"]);
  });

  it("ROL-10: a contained incident does not escalate", async () => {
    const { incident } = await openTestIncident(w.db);
    await transitionIncident(w.biomed, { incidentId: incident.id, to: "contained" });
    await w.db.update(incidents).set({ escalationDueAt: sql`now() - interval '1 hour'` }).where(eq(incidents.id, incident.id));
    expect(await tickEscalations(w.db)).not.toContain(incident.id);
  });
});

describe("ROL-10: in-app notifications", () => {
  it("ROL-10: each person lists and marks only their own notifications", async () => {
    const mine = await createTestUser(w.db, "security");
    const other = await createTestUser(w.db, "security");
    const { incident } = await openTestIncident(w.db, { source: "security_event" });
    const me = ctxFor(w.db, userActor(mine));
    const list = await myNotifications(me, {});
    expect(list.unread).toBeGreaterThanOrEqual(1);
    expect(list.items.every((n) => n.userId === mine.id)).toBe(true);
    const note = list.items.find((n) => n.incidentId === incident.id)!;
    expect(note).toMatchObject({ href: `/incidents/${incident.id}`, readAt: null });
    const theirs = (await myNotifications(ctxFor(w.db, userActor(other)), {})).items.find((n) => n.incidentId === incident.id)!;
    // Marking someone else's notification changes nothing.
    expect(await markNotificationsRead(me, { ids: [theirs.id] })).toEqual({ marked: 0 });
    expect(await markNotificationsRead(me, { ids: [note.id] })).toEqual({ marked: 1 });
    expect((await myNotifications(me, {})).unread).toBe(list.unread - 1);
    await markNotificationsRead(me, {});
    expect((await myNotifications(me, {})).unread).toBe(0);
    expect((await myNotifications(ctxFor(w.db, userActor(other)), {})).unread).toBeGreaterThanOrEqual(1);
  });
});

// ---------------------------------------------------------------------------------------------------------

/** A running rollout of `release` to two enrolled devices in one wave. */
async function liveRollout() {
  const unit = await addUnit(w, home);
  const members = await enrol(w, unit, 2);
  const rollout = await newRollout(w, release, members, [wave("general")]);
  return { members, rollout };
}

describe("ROL-10: sign-off and containment from the incident", () => {
  it("ROL-10/SIG-05: an open incident linked to a rollout blocks it until signed off; a wrong password is refused and audited", async () => {
    const { rollout } = await liveRollout();
    const { incident } = await openTestIncident(w.db, { rolloutId: rollout.id });
    expect(await openIncidentBlocking(w.db, rollout.id)).toEqual([{ id: incident.id, title: incident.title, severity: "high" }]);

    const before = await dataFingerprint(w.db);
    const hw = await auditHighWater(w.db);
    const err = await caught(() => signOffIncident(w.biomed, { incidentId: incident.id, password: "wrong password", reason: "go on" }));
    expect(err).toBeInstanceOf(SignatureRefused);
    expect(await dataFingerprint(w.db)).toEqual(before);
    expect((await auditRowsAfter(w.db, hw)).map((r) => [r.action, r.outcome, r.entityType, r.entityId])).toEqual([["signature.password_rejected", "denied", "incident", String(incident.id)]]);
    const security = ctxFor(w.db, userActor(await createTestUser(w.db, "security")));
    expect(await caught(() => signOffIncident(security, { incidentId: incident.id, password: TEST_PASSWORD, reason: "go on" }))).toBeInstanceOf(ForbiddenError);

    const signed = await signOffIncident(w.biomed, { incidentId: incident.id, password: TEST_PASSWORD, reason: "Vendor confirmed a cosmetic fault; the next wave may go on." });
    expect(signed.signedOffName).toBe(w.biomed.actor!.type === "user" ? w.biomed.actor!.name : "");
    expect(signed.signedOffAt).toBeInstanceOf(Date);
    expect(await openIncidentBlocking(w.db, rollout.id)).toEqual([]);
    const row = (await incidentAudit(hw, incident.id)).find((r) => r.action === "incident.signed_off")!;
    expect(row.after).toMatchObject({ printedName: signed.signedOffName, rolloutId: rollout.id });
    expect(JSON.stringify(row)).not.toContain(TEST_PASSWORD);
    await refused(() => signOffIncident(w.biomed, { incidentId: incident.id, password: TEST_PASSWORD, reason: "again" }), ConflictError, /already signed this incident off/);

    const unlinked = await openTestIncident(w.db);
    await refused(() => signOffIncident(w.biomed, { incidentId: unlinked.incident.id, password: TEST_PASSWORD, reason: "x" }), ConflictError, /No rollout is linked/);
  });

  it("ROL-10: pause, quarantine and revert from the incident call the rollout operations and leave a row on both timelines", async () => {
    const { members, rollout } = await liveRollout();
    const [m1, m2] = members as [(typeof members)[number], (typeof members)[number]];
    const { incident } = await openTestIncident(w.db, { rolloutId: rollout.id, releaseId: release.release.id, deviceIds: [m1.device.id] });

    let hw = await auditHighWater(w.db);
    await pauseIncidentRollout(w.biomed, { incidentId: incident.id, reason: "Alarm complaints from ICU." });
    expect(await rolloutRow(w.db, rollout.id)).toMatchObject({ state: "paused", stateReason: `Incident #${incident.id}: Alarm complaints from ICU.` });
    expect((await auditRowsAfter(w.db, hw)).map((r) => [r.action, r.entityType])).toEqual([["rollout.paused", "rollout"], ["incident.containment", "incident"]]);
    // The rollout operation's own refusals come through unchanged.
    await refused(() => pauseIncidentRollout(w.biomed, { incidentId: incident.id, reason: "again" }), ConflictError, /Only a running rollout can be paused; this one is paused/);

    hw = await auditHighWater(w.db);
    await quarantineIncidentDevice(w.biomed, { incidentId: incident.id, deviceId: m1.device.id, reason: "Screen freezes." });
    expect((await auditRowsAfter(w.db, hw)).map((r) => r.action)).toEqual(["device.quarantined", "incident.containment"]);
    await refused(() => quarantineIncidentDevice(w.biomed, { incidentId: incident.id, deviceId: m2.device.id, reason: "not linked" }), NotFoundError, /not linked to this incident/);

    // Revert: a device of the rollout installed the release, and an older approved release is the known-good one.
    const knownGood = await createRelease(w, home.model.id, { securityVersion: 2 });
    await w.db.update(rollouts).set({ state: "running" }).where(eq(rollouts.id, rollout.id));
    const [action] = await deviceActions(w.db, m2.device.id);
    await w.db.execute(sql`UPDATE deployment_actions SET state = 'succeeded', finished_at = now() WHERE id = ${action!.id}`);
    hw = await auditHighWater(w.db);
    const reverted = await revertIncidentRollout(w.biomed, { incidentId: incident.id, releaseId: knownGood.release.id, reason: "Back to the known-good version." });
    expect(reverted).toMatchObject({ devices: 1, belowFloor: 0 });
    const actions = (await auditRowsAfter(w.db, hw)).map((r) => r.action);
    expect(actions).toContain("rollout.created");
    expect(actions).toContain("rollout.revert");
    expect(actions.at(-1)).toBe("incident.containment");

    // Containment needs the rollout operations' own permission: security may manage incidents, not rollouts.
    const security = ctxFor(w.db, userActor(await createTestUser(w.db, "security")));
    expect(await caught(() => pauseIncidentRollout(security, { incidentId: incident.id, reason: "x" }))).toBeInstanceOf(ForbiddenError);
  });
});

it("ROL-10: the incident list filters by status, severity and source", async () => {
  const { incident: low } = await openTestIncident(w.db, { severity: "low", source: "credential_abuse" });
  const { incident: closed } = await openTestIncident(w.db, { severity: "low" });
  await transitionIncident(w.biomed, { incidentId: closed.id, to: "contained" });
  const ids = async (f: Parameters<typeof listIncidents>[1]) => (await listIncidents(w.biomed, f)).map((i) => i.id);
  expect(await ids({ severity: "low", source: "credential_abuse" })).toContain(low.id);
  expect(await ids({ severity: "high" })).not.toContain(low.id);
  expect(await ids({ source: "manual" })).not.toContain(low.id);
  expect(await ids({ status: "contained" })).toEqual(expect.arrayContaining([closed.id]));
  expect(await ids({ status: "triage" })).not.toContain(closed.id);
  expect(await ids({ status: "open" })).toEqual(expect.arrayContaining([low.id, closed.id]));
  const first = (await listIncidents(w.biomed, { status: "all" }))[0]!;
  expect(await ids({ status: "all" })).toContain(low.id);
  expect(["critical", "high"]).toContain(first.severity);
  expect(await caught(() => listIncidents(w.biomed, { status: "closed" as never }))).toBeInstanceOf(ValidationError);
});
