import { and, eq, isNull, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, DbHandle } from "@/db/client";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { auditEvents, blackouts, deploymentActions, deviceCredentials, downgradeExceptions, downgradeSignatures, devices, freezes, rolloutWaves, units, users, type Release, type User } from "@/db/schema";
import { seedDemo } from "@/db/seed/demo";
import { publicKeyPem } from "@/db/seed/governed-release";
import { can, PERMISSIONS } from "@/lib/auth/permissions";
import { ROLES, type Role } from "@/lib/domain";
import { env } from "@/lib/env";
import { systemActor, type Actor } from "@/lib/services/actor";
import { assignRelease } from "@/lib/services/deployments/actions";
import { ForbiddenError, UnauthenticatedError } from "@/lib/services/errors";
import { setUserUnits } from "@/lib/services/releases/briefings";
import { addEvidence } from "@/lib/services/releases/intake";
import { SIGNING_FAILURE_LIMIT } from "@/lib/services/releases/signatures";
import { addVendorKey } from "@/lib/services/releases/vendor-keys";
import { createRollout } from "@/lib/services/rollouts/create";
import { pauseRollout } from "@/lib/services/rollouts/operations";
import {
  auditHighWater, auditRowsAfter, createTestDevice, createTestUser, ctxFor, dataFingerprint, discoverOperations, openScratchDb, TEST_PASSWORD, unique, userActor,
} from "../db";
import { BRIEFING, closeGov, contentOf, openGov, releaseIn, releaseInput, sbomBytes, upload, type Gov } from "../release-fixtures";
import { openTestIncident } from "../incident-fixtures";

/**
 * ACC-02 / WEB-01: every operation in lib/services is called by every role and by an anonymous
 * caller. The matrix in lib/auth/permissions.ts decides who may; everyone else is refused, the
 * refusal is audited, and nothing else in the database changes.
 */

// Discovered by walking lib/services, so a new operation without a fixture below fails this file.
const operations = await discoverOperations();

type World = {
  db: Db;
  deviceId: number;
  unitId: number;
  targetUserId: number;
  /** Releases of one model (whose manufacturer the vendor account works for), in the states fixtures need. */
  gov: Gov;
  /** gov's model (hardware "A", security version 1), for update assignments. */
  place: Gov["place"];
  /** Approved, with a briefing; the clinician is assigned to its unit. */
  releaseId: number;
  draft: Release;
  verified: Release;
  evidenceId: number;
  /** A running rollout of the approved release (for reads and refused callers). */
  rolloutId: number;
};

const systemCtx = (db: Db) => ({ db, actor: systemActor("permission-matrix fixture") });
/** A device that has no open update, of the world's release model. */
const freshDevice = async (w: World) => (await createTestDevice(w.db, w.place, { hardwareRevision: "A", securityVersion: 1 })).id;

/** A device a rollout can target: no open update, heard from just now. */
const rolloutDevice = async (w: World) => (await createTestDevice(w.db, w.place, { hardwareRevision: "A", securityVersion: 1, lastContactAt: new Date() })).id;

/** A rollout whose first device installed its release and has since risen above it (set directly: the protocol is not under test here). */
async function rolloutAboveFloor(w: World) {
  const rollout = await runningRollout(w);
  await w.db.update(deploymentActions).set({ state: "succeeded", finishedAt: new Date() }).where(eq(deploymentActions.rolloutId, rollout.id));
  await w.db.execute(sql`UPDATE devices SET security_version = 99 WHERE id IN (SELECT device_id FROM deployment_actions WHERE rollout_id = ${rollout.id})`);
  return rollout;
}

/** A running rollout of the world's approved release: a first wave of one device, then a second that waits for a signed go-ahead. */
async function runningRollout(w: World) {
  return createRollout(systemCtx(w.db), {
    name: unique("Matrix rollout "),
    filter: { releaseId: w.releaseId, deviceIds: [await rolloutDevice(w), await rolloutDevice(w)] },
    waves: [
      { kind: "general", name: "First", percent: 50, requireAcknowledgement: false },
      { kind: "general", name: "Second", requireAcknowledgement: false, requireGoAhead: true },
    ],
  });
}

/** A draft of the world's model whose vendor package is verified. */
async function draftWithPackage(w: World) {
  const { release, pkg } = await releaseIn(w.gov, "draft");
  await upload(w.gov, w.gov.submitter.ctx, release.id, pkg);
  return release;
}

/**
 * A valid input for each operation, fresh on every call (some commands succeed only once per input).
 * `fresh` is true for callers the matrix allows: only they need state of their own (an approved release to
 * withdraw, a locked account to unlock); refused callers get the same kind of input for shared records.
 */
const FIXTURES: Record<string, (w: World, fresh: boolean) => unknown> = {
  // Fixtures may prepare state (before the "unchanged" snapshot is taken) and return a promise.
  "audit.chain_status": () => ({}),
  "audit.export": () => ({ action: "authz." }),
  "audit.list": () => ({ limit: 5 }),
  "audit.verify": () => ({}),
  "deployments.assign": async (w) => ({ deviceId: await freshDevice(w), releaseId: w.releaseId }),
  "deployments.cancel": async (w) => {
    const action = (await assignRelease(systemCtx(w.db), { deviceId: await freshDevice(w), releaseId: w.releaseId })) as { id: number };
    return { actionId: action.id, reason: "permission matrix" };
  },
  "deployments.for_device": (w) => ({ deviceId: w.deviceId }),
  "deployments.feedback_log": (w) => ({ deviceId: w.deviceId }),
  "devices.filter_options": () => undefined,
  "devices.get": (w) => ({ deviceId: w.deviceId }),
  "devices.update_status": (w) => ({ deviceId: w.deviceId }),
  "releases.list": () => ({}),
  "releases.create": (w) => releaseInput(w.gov),
  "releases.update": async (w, fresh) => contentOf(fresh ? (await releaseIn(w.gov, "draft")).release : w.draft, { changeLog: unique("Edited ") }),
  "releases.attach_sbom": async (w, fresh) => ({ releaseId: fresh ? (await draftWithPackage(w)).id : w.draft.id, filename: "sbom.json", bytes: sbomBytes("ab".repeat(32)) }),
  "releases.submit": async (w, fresh) => ({ releaseId: fresh ? (await draftWithPackage(w)).id : w.draft.id }),
  "releases.verify": async (w, fresh) => ({ releaseId: fresh ? (await releaseIn(w.gov, "submitted")).release.id : w.draft.id }),
  "releases.start_review": async (w, fresh) => ({ releaseId: fresh ? (await releaseIn(w.gov, "verified")).release.id : w.draft.id }),
  "releases.add_evidence": (w) => ({ releaseId: w.verified.id, kind: "functional", outcome: "passed", acceptanceCriteria: "Bench test.", summary: unique("Passed ") }),
  "releases.sign": (w) => ({ releaseId: w.verified.id, meaning: "reviewed", password: TEST_PASSWORD }),
  "releases.withdraw": async (w, fresh) => ({ releaseId: fresh ? (await releaseIn(w.gov, "approved")).release.id : w.releaseId, password: TEST_PASSWORD, reason: "permission matrix" }),
  "releases.recall": async (w, fresh) => ({ releaseId: fresh ? (await releaseIn(w.gov, "approved")).release.id : w.releaseId, password: TEST_PASSWORD, reason: "permission matrix" }),
  "releases.get": (w) => ({ releaseId: w.releaseId }),
  "releases.sbom_diff": (w) => ({ releaseId: w.releaseId }),
  "releases.history": (w) => ({ releaseId: w.releaseId }),
  "releases.evidence_file": (w) => ({ evidenceId: w.evidenceId }),
  "users.unlock_signing": async (w, fresh) => {
    if (!fresh) return { userId: w.targetUserId };
    const locked = await createTestUser(w.db, "biomed");
    const rows = Array.from({ length: SIGNING_FAILURE_LIMIT }, () => ({ actorType: "user", actorId: String(locked.id), action: "signature.password_rejected", outcome: "denied" }));
    await w.db.insert(auditEvents).values(rows);
    return { userId: locked.id };
  },
  "users.signing_locks": () => ({}),
  "users.unit_assignments": () => ({}),
  "users.set_units": (w) => ({ userId: w.targetUserId, unitIds: [w.unitId] }),
  "policies.list": () => ({}),
  "policies.save": () => ({ criticality: "other", riskClass: "routine", requiredRoles: ["biomed"], minSigners: 2, requiredEvidence: ["functional"], maxIssueSeverity: "medium" }),
  "vendor_keys.add": (w) => ({ manufacturerId: w.place.manufacturer.id, label: unique("key "), pem: publicKeyPem(generateKeyPairSync("ed25519").privateKey) }),
  "vendor_keys.retire": async (w) => {
    const key = await addVendorKey(w.gov.admin.ctx, { manufacturerId: w.place.manufacturer.id, label: "to retire", pem: publicKeyPem(generateKeyPairSync("ed25519").privateKey) });
    return { keyId: key.id, reason: "permission matrix" };
  },
  "vendor_keys.list": () => ({}),
  "manufacturers.list": () => ({}),
  "briefings.save": (w) => ({ releaseId: w.draft.id, ...BRIEFING, staffActions: unique("Check the pump ") }),
  "briefings.list": () => ({}),
  "briefings.acknowledge": (w) => ({ releaseId: w.releaseId, unitId: w.place.unit.id }),
  "briefings.report_problem": (w) => ({ releaseId: w.releaseId, unitId: w.place.unit.id, description: "The alarm sounded twice.", patientHarm: false }),
  "briefings.coverage": (w) => ({ releaseId: w.releaseId }),
  "briefings.problem_reports": (w) => ({ releaseId: w.releaseId }),
  "devices.list": () => ({ status: "active", limit: 5 }),
  "devices.risk": (w) => ({ deviceId: w.deviceId }),
  "compliance.figures": () => ({}),
  "compliance.end_of_support": () => ({}),
  "compliance.export": () => ({ figure: "incidents" }),
  "devices.provision_token": (w) => ({ deviceId: w.deviceId }),
  "devices.revoke_token": async (w) => {
    // Needs an active token to revoke.
    const tokenHash = randomBytes(32).toString("hex");
    await w.db
      .insert(deviceCredentials)
      .values({ deviceId: w.deviceId, tokenHash, tokenHint: "abcd" })
      .onConflictDoUpdate({ target: deviceCredentials.deviceId, set: { tokenHash, revokedAt: null } });
    return { deviceId: w.deviceId };
  },
  "devices.update": (w) => ({ deviceId: w.deviceId, hardwareRevision: unique("rev-"), reason: "permission matrix" }),
  "models.list": () => ({}),
  "releases.assignable": (w) => ({ deviceId: w.deviceId }),
  "users.create": () => ({ username: unique("matrix."), displayName: "Matrix Person", role: "clinician", password: "violet staircase 1987 lantern" }),
  "users.list": () => ({}),
  "users.update": (w) => ({ userId: w.targetUserId, displayName: unique("Renamed ") }),
  "rollouts.preview": (w) => ({ releaseId: w.releaseId, unitIds: [w.place.unit.id] }),
  "rollouts.create": async (w) => ({
    name: unique("Matrix rollout "),
    filter: { releaseId: w.releaseId, deviceIds: [await rolloutDevice(w)] },
    waves: [{ kind: "general", name: "All", requireAcknowledgement: false }],
  }),
  "rollouts.pause": async (w, fresh) => ({ rolloutId: fresh ? (await runningRollout(w)).id : w.rolloutId, reason: "permission matrix" }),
  "rollouts.resume": async (w, fresh) => {
    if (!fresh) return { rolloutId: w.rolloutId };
    const rollout = await runningRollout(w);
    await pauseRollout(systemCtx(w.db), { rolloutId: rollout.id, reason: "to resume" });
    return { rolloutId: rollout.id };
  },
  "rollouts.cancel": async (w, fresh) => ({ rolloutId: fresh ? (await runningRollout(w)).id : w.rolloutId, reason: "permission matrix" }),
  "rollouts.halt_all": async (w, fresh) => {
    // A permitted caller needs something to halt (an earlier permitted caller halted everything).
    if (fresh) await runningRollout(w);
    return { reason: "permission matrix" };
  },
  "rollouts.revert": async (w, fresh) => {
    if (!fresh) return { rolloutId: w.rolloutId, releaseId: w.releaseId, reason: "permission matrix" };
    // A rollout whose first device installed its release (set directly: the protocol is not under test here).
    const rollout = await runningRollout(w);
    await w.db.update(deploymentActions).set({ state: "succeeded", finishedAt: new Date() }).where(eq(deploymentActions.rolloutId, rollout.id));
    return { rolloutId: rollout.id, releaseId: w.releaseId, reason: "permission matrix" };
  },
  "rollouts.downgrade_request": async (w, fresh) => ({
    rolloutId: fresh ? (await rolloutAboveFloor(w)).id : w.rolloutId,
    releaseId: w.releaseId,
    safetyReason: "permission matrix: a documented safety reason",
    password: TEST_PASSWORD,
  }),
  "rollouts.downgrade_sign": async (w, fresh) => {
    if (!fresh) return { exceptionId: 1, password: TEST_PASSWORD };
    // Requested and signed by another person, so the caller's is the second signature.
    const rollout = await rolloutAboveFloor(w);
    const deviceIds = (await w.db.select({ id: deploymentActions.deviceId }).from(deploymentActions).where(eq(deploymentActions.rolloutId, rollout.id))).map((r) => r.id);
    const [exception] = await w.db.insert(downgradeExceptions).values({ rolloutId: rollout.id, releaseId: w.releaseId, deviceIds, safetyReason: "fixture", requestedBy: w.targetUserId }).returning();
    await w.db.insert(downgradeSignatures).values({ exceptionId: exception!.id, userId: w.targetUserId, printedName: "Someone else", role: "biomed" });
    return { exceptionId: exception!.id, password: TEST_PASSWORD };
  },
  "rollouts.downgrades": (w) => ({ rolloutId: w.rolloutId }),
  "rollouts.retry_failed": async (w, fresh) => ({ rolloutId: fresh ? (await runningRollout(w)).id : w.rolloutId }),
  "rollouts.go_ahead": async (w, fresh) => {
    const rolloutId = fresh ? (await runningRollout(w)).id : w.rolloutId;
    const [second] = await w.db.select({ id: rolloutWaves.id }).from(rolloutWaves).where(and(eq(rolloutWaves.rolloutId, rolloutId), eq(rolloutWaves.position, 2)));
    return { waveId: second!.id, password: TEST_PASSWORD };
  },
  "rollouts.list": () => ({}),
  "rollouts.get": (w) => ({ rolloutId: w.rolloutId }),
  "rollouts.for_device": (w) => ({ deviceId: w.deviceId }),
  "devices.quarantine": async (w, fresh) => ({ deviceId: fresh ? await rolloutDevice(w) : w.deviceId, reason: "permission matrix" }),
  "freeze.start": async (w, fresh) => {
    // Only one freeze can be in force: a permitted caller needs none to be.
    if (fresh) await w.db.update(freezes).set({ endedAt: new Date() }).where(isNull(freezes.endedAt));
    return { reason: "permission matrix" };
  },
  "freeze.end": async (w, fresh) => {
    if (fresh) {
      const [active] = await w.db.select({ id: freezes.id }).from(freezes).where(isNull(freezes.endedAt));
      if (!active) await w.db.insert(freezes).values({ reason: "to end" });
    }
    return {};
  },
  "freeze.status": () => ({}),
  "blackouts.add": (w) => ({ unitId: w.unitId, startsOn: "2099-12-24", endsOn: "2099-12-26", reason: unique("Holidays ") }),
  "blackouts.remove": async (w) => {
    const [row] = await w.db.insert(blackouts).values({ unitId: w.unitId, startsOn: "2099-01-01", endsOn: "2099-01-01", reason: "to remove" }).returning();
    return { blackoutId: row!.id };
  },
  "windows.calendar": (w) => ({ siteId: w.place.site.id, count: 2 }),
  "windows.set": (w) => ({ unitId: w.unitId, windows: [{ rrule: "FREQ=WEEKLY;BYDAY=TU,TH", startsAt: "02:00", durationMinutes: 120, label: unique("night ") }] }),
  "incidents.create": () => ({ title: unique("Matrix incident "), description: "permission matrix", severity: "low" }),
  "incidents.list": () => ({}),
  "incidents.owners": () => ({}),
  "incidents.get": async (w) => ({ incidentId: (await openTestIncident(w.db)).incident.id }),
  "incidents.assign": async (w) => ({ incidentId: (await openTestIncident(w.db)).incident.id, ownerId: w.gov.admin.user.id }),
  "incidents.set_severity": async (w) => ({ incidentId: (await openTestIncident(w.db)).incident.id, severity: "low", reason: "permission matrix" }),
  "incidents.transition": async (w) => ({ incidentId: (await openTestIncident(w.db)).incident.id, to: "contained" }),
  "incidents.link_device": async (w) => ({ incidentId: (await openTestIncident(w.db)).incident.id, serial: (await createTestDevice(w.db, w.place)).serial }),
  "incidents.unlink_device": async (w) => ({ incidentId: (await openTestIncident(w.db, { deviceIds: [w.deviceId] })).incident.id, deviceId: w.deviceId }),
  "incidents.add_note": async (w) => ({ incidentId: (await openTestIncident(w.db)).incident.id, note: "permission matrix" }),
  "incidents.sign_off": async (w) => ({ incidentId: (await openTestIncident(w.db, { rolloutId: w.rolloutId })).incident.id, password: TEST_PASSWORD, reason: "permission matrix" }),
  "incidents.pause_rollout": async (w, fresh) => ({
    incidentId: (await openTestIncident(w.db, { rolloutId: fresh ? (await runningRollout(w)).id : w.rolloutId })).incident.id,
    reason: "permission matrix",
  }),
  "incidents.quarantine_device": async (w, fresh) => {
    const deviceId = fresh ? await rolloutDevice(w) : w.deviceId;
    return { incidentId: (await openTestIncident(w.db, { deviceIds: [deviceId] })).incident.id, deviceId, reason: "permission matrix" };
  },
  "incidents.revert_rollout": async (w, fresh) => {
    let rolloutId = w.rolloutId;
    if (fresh) {
      rolloutId = (await runningRollout(w)).id;
      await w.db.update(deploymentActions).set({ state: "succeeded", finishedAt: new Date() }).where(eq(deploymentActions.rolloutId, rolloutId));
    }
    return { incidentId: (await openTestIncident(w.db, { rolloutId })).incident.id, releaseId: w.releaseId, reason: "permission matrix" };
  },
  "telemetry.device_series": (w) => ({ deviceId: w.deviceId }),
  "telemetry.model_series": (w) => ({ modelId: w.place.model.id }),
  "telemetry.model_summary": (w) => ({ modelId: w.place.model.id }),
  "telemetry.rollout_series": (w) => ({ rolloutId: w.rolloutId }),
  "health.settings": () => ({}),
  "telemetry.set_retention": () => ({ rawDays: 30, hourlyDays: 400 }),
  "health.set_thresholds": () => ({ alpha: 0.01, minEffectPct: 25, minExposureHours: 6, minDevices: 5 }),
  "incidents.settings": () => ({}),
  "incidents.save_escalation": () => ({ critical: 15, high: 60, medium: 240, low: 1440 }),
  "incidents.save_webhook": () => ({ url: "" }),
  "notifications.list": () => ({}),
  "notifications.mark_read": () => ({}),
};

type Caller = { label: string; role: Role | null; actor: () => Actor | null };

const callers: Caller[] = [
  ...ROLES.map((role): Caller => ({ label: role, role, actor: () => userActor(actors[role]!) })),
  { label: "anonymous", role: null, actor: () => null },
  { label: "a device", role: null, actor: () => ({ type: "device", deviceId: world.deviceId, name: "device under test" }) },
];

let handle: DbHandle;
let world: World;
const actors: Partial<Record<Role, User>> = {};

beforeAll(async () => {
  handle = await openScratchDb("matrix");
  const db = handle.db;
  await seedDemo(db, { devices: 50 });
  for (const role of ROLES) actors[role] = await createTestUser(db, role);
  const target = await createTestUser(db, "clinician");
  const [device] = await db.select({ id: devices.id }).from(devices).limit(1);
  const [unit] = await db.select({ id: units.id }).from(units).limit(1);
  const gov = await openGov(handle);
  // Evidence attachments go to the artifact store; keep them in this file's temporary one.
  env.artifactDir = gov.dir;
  await db.update(users).set({ manufacturerId: gov.place.manufacturer.id }).where(eq(users.id, actors.vendor!.id));
  actors.vendor = { ...actors.vendor!, manufacturerId: gov.place.manufacturer.id };
  await setUserUnits(gov.admin.ctx, { userId: actors.clinician!.id, unitIds: [gov.place.unit.id] });
  const approved = (await releaseIn(gov, "approved", { briefing: true })).release;
  const verified = (await releaseIn(gov, "verified")).release;
  const evidence = await addEvidence(gov.reviewer.ctx, {
    releaseId: verified.id, kind: "security", outcome: "passed", acceptanceCriteria: "Scan.", summary: "Clean.", attachment: { filename: "scan.txt", bytes: Buffer.from("no findings") },
  });
  world = {
    db, deviceId: device!.id, unitId: unit!.id, targetUserId: target.id, gov, place: gov.place, releaseId: approved.id,
    draft: (await releaseIn(gov, "draft")).release, verified, evidenceId: evidence.id, rolloutId: 0,
  };
  world.rolloutId = (await runningRollout(world)).id;
});

afterAll(async () => {
  await closeGov(world?.gov, { keepDb: true });
  await handle?.close();
});

describe("ACC-02: the operation registry", () => {
  it("ACC-02: operations are discovered from lib/services (sanity check of the discovery)", () => {
    const names = operations.map((o) => o.name);
    for (const known of ["users.create", "users.update", "devices.update", "devices.list", "audit.verify", "audit.export"]) {
      expect(names).toContain(known);
    }
  });

  it("ACC-02: every operation has a fixture in this file (add one when you add an operation)", () => {
    const missing = operations.filter((o) => !FIXTURES[o.name]).map((o) => `${o.name} (${o.exportName} in ${o.modulePath})`);
    expect(missing).toEqual([]);
  });

  it("ACC-02: no fixture is left over for an operation that no longer exists", () => {
    const names = new Set(operations.map((o) => o.name));
    expect(Object.keys(FIXTURES).filter((n) => !names.has(n))).toEqual([]);
  });

  it("ACC-02: operation names are unique and every permission is in the matrix", () => {
    const names = operations.map((o) => o.name);
    expect(new Set(names).size).toBe(names.length);
    for (const o of operations) expect(PERMISSIONS).toContain(o.permission);
  });
});

for (const op of operations) {
  describe(`ACC-02: ${op.name} (${op.kind}, needs ${op.permission})`, () => {
    for (const caller of callers) {
      const allowed = caller.role !== null && can(caller.role, op.permission);
      it(`ACC-02: ${caller.label} ${allowed ? "may" : "may not"} call ${op.name}`, async () => {
        const fixture = FIXTURES[op.name];
        if (!fixture) throw new Error(`No fixture for operation ${op.name} (${op.exportName} in ${op.modulePath}). Add one to FIXTURES.`);
        const { db } = world;
        const actor = caller.actor();
        const ctx = ctxFor(db, actor);
        const input = await fixture(world, allowed);
        const hw = await auditHighWater(db);

        if (allowed) {
          await op.op(ctx, input);
          const written = await auditRowsAfter(db, hw);
          expect(written.filter((r) => r.action === "authz.denied")).toEqual([]);
          // A permitted write always leaves an audit row (AUD-01).
          if (op.kind === "command") expect(written.length).toBeGreaterThanOrEqual(1);
          return;
        }

        const before = await dataFingerprint(db);
        const err = await op.op(ctx, input).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(actor === null ? UnauthenticatedError : ForbiddenError);
        expect(await dataFingerprint(db)).toEqual(before);

        const written = await auditRowsAfter(db, hw);
        expect(written).toHaveLength(1);
        expect(written[0]).toMatchObject({
          action: "authz.denied",
          outcome: "denied",
          entityType: "operation",
          entityId: op.name,
          actorType: actor?.type ?? "anonymous",
          sourceIp: "203.0.113.7",
        });
        if (actor?.type === "user") expect(written[0]!.actorId).toBe(String(actor.userId));
        expect(written[0]!.after).toEqual({ permission: op.permission, role: caller.role ?? actor?.type ?? "anonymous" });
      });
    }
  });
}
