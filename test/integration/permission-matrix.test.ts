import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, DbHandle } from "@/db/client";
import { randomBytes } from "node:crypto";
import { deviceCredentials, devices, units, type User } from "@/db/schema";
import { seedDemo } from "@/db/seed/demo";
import { can, PERMISSIONS } from "@/lib/auth/permissions";
import { ROLES, type Role } from "@/lib/domain";
import { systemActor, type Actor } from "@/lib/services/actor";
import { assignRelease } from "@/lib/services/deployments/actions";
import { registerUploadedRelease } from "@/lib/services/deployments/releases";
import { ForbiddenError, UnauthenticatedError } from "@/lib/services/errors";
import {
  auditHighWater, auditRowsAfter, createTestDevice, createTestPlace, createTestUser, ctxFor, dataFingerprint, discoverOperations, openScratchDb, unique, userActor,
} from "../db";

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
  /** A model with an approved release (hardware "A", security version 1), for update assignments. */
  place: Awaited<ReturnType<typeof createTestPlace>>;
  releaseId: number;
};

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const systemCtx = (db: Db) => ({ db, actor: systemActor("permission-matrix fixture") });
/** A device that has no open update, of the world's release model. */
const freshDevice = async (w: World) => (await createTestDevice(w.db, w.place, { hardwareRevision: "A", securityVersion: 1 })).id;

/** A valid input for each operation, fresh on every call (some commands succeed only once per input). */
const FIXTURES: Record<string, (w: World) => unknown> = {
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
  "devices.list": () => ({ status: "active", limit: 5 }),
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
  "releases.register_upload": (w) => releaseUpload(w.place.model.id),
  "users.create": () => ({ username: unique("matrix."), displayName: "Matrix Person", role: "clinician", password: "violet staircase 1987 lantern" }),
  "users.list": () => ({}),
  "users.update": (w) => ({ userId: w.targetUserId, displayName: unique("Renamed ") }),
  "windows.set": (w) => ({ unitId: w.unitId, windows: [{ rrule: "FREQ=WEEKLY;BYDAY=TU,TH", startsAt: "02:00", durationMinutes: 120, label: unique("night ") }] }),
};

function releaseUpload(modelId: number) {
  return {
    modelId,
    version: unique("1.0."),
    securityVersion: 1,
    hardwareRevisions: "A",
    filename: "firmware.swu",
    file: { sha256: hex(32), sha1: hex(20), md5: hex(16), size: 4096 },
  };
}

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
  const place = await createTestPlace(db);
  const release = (await registerUploadedRelease(systemCtx(db), releaseUpload(place.model.id))) as { id: number };
  world = { db, deviceId: device!.id, unitId: unit!.id, targetUserId: target.id, place, releaseId: release.id };
});

afterAll(async () => {
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
        const input = await fixture(world);
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
