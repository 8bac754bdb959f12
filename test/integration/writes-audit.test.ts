import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows, type Db, type DbHandle } from "@/db/client";
import { deviceCredentials, devices, users, type Device, type User } from "@/db/schema";
import { assignRelease, cancelAction } from "@/lib/services/deployments/actions";
import { provisionDeviceToken, revokeDeviceToken } from "@/lib/services/deployments/credentials";
import { registerUploadedRelease } from "@/lib/services/deployments/releases";
import { setUnitWindows } from "@/lib/services/deployments/windows";
import { startAuditExport, verifyAuditChain } from "@/lib/services/audit/audit-trail";
import { updateDevice } from "@/lib/services/inventory/device";
import { ValidationError } from "@/lib/services/errors";
import { createUser, updateUser } from "@/lib/services/users/manage-users";
import {
  auditHighWater, auditRowsAfter, caught, createTestDevice, createTestPlace, createTestUser, ctxFor, dataFingerprint, dbNow,
  discoverOperations, openTestDb, unique, userActor,
} from "../db";

/** AUD-01 / AUD-02: every write leaves exactly one complete audit row; rejected input leaves nothing. */

let handle: DbHandle;
let db: Db;
let admin: User;
let biomed: User;
let place: Awaited<ReturnType<typeof createTestPlace>>;

beforeAll(async () => {
  handle = await openTestDb();
  db = handle.db;
  admin = await createTestUser(db, "admin");
  biomed = await createTestUser(db, "biomed");
  place = await createTestPlace(db);
});
afterAll(async () => {
  await handle?.close();
});

const nameOf = (u: User) => `${u.displayName} (${u.username})`;

/** The commands this file proves; a new command must be added here with its own test. */
const COVERED_COMMANDS = [
  "users.create", "users.update", "devices.update", "audit.verify", "audit.export",
  "devices.provision_token", "devices.revoke_token", "releases.register_upload", "deployments.assign", "deployments.cancel", "windows.set",
];

/** Runs `fn`, asserts it wrote exactly one audit row, and returns that row with the DB time after the call. */
async function oneAuditRow(fn: () => Promise<unknown>) {
  const hw = await auditHighWater(db);
  await fn();
  const rows = await auditRowsAfter(db, hw);
  expect(rows, `audit rows written: ${rows.map((r) => r.action).join(", ")}`).toHaveLength(1);
  return { row: rows[0]!, now: await dbNow(db) };
}

async function rowAsText(seq: number): Promise<string> {
  const [r] = await queryRows<{ t: string }>(db, sql`SELECT a::text AS t FROM audit_events a WHERE seq = ${seq}`);
  return r!.t;
}

describe("AUD-01: every command writes exactly one audit row", () => {
  it("AUD-01: every command in lib/services is covered by a test in this file", async () => {
    const commands = (await discoverOperations()).filter((o) => o.kind === "command").map((o) => o.name);
    expect(commands.filter((c) => !COVERED_COMMANDS.includes(c))).toEqual([]);
  });

  it("AUD-01/AUD-02: createUser records who, what, where and the new values, without the password", async () => {
    const password = `Canary-${unique("pw")}-lantern`;
    const username = unique("new.user.");
    const { row, now } = await oneAuditRow(() =>
      createUser(ctxFor(db, userActor(admin)), { username, displayName: "Nadia Kowalski", role: "biomed", password, email: "nadia@example.org" }),
    );
    const [created] = await db.select().from(users).where(eq(users.username, username));
    expect(created).toBeDefined();
    expect(row).toMatchObject({
      action: "user.create",
      outcome: "success",
      entityType: "user",
      entityId: username,
      actorType: "user",
      actorId: String(admin.id),
      actorName: nameOf(admin),
      sourceIp: "203.0.113.7",
      userAgent: "vitest",
      before: null,
    });
    expect(row.after).toMatchObject({ id: created!.id, username, displayName: "Nadia Kowalski", role: "biomed", email: "nadia@example.org", active: true });
    expect(Math.abs(row.createdAt.getTime() - now)).toBeLessThan(2_000);
    // AUD-11: neither the password nor its hash reaches the trail.
    const text = await rowAsText(row.seq);
    expect(text).not.toContain(password);
    expect(text).not.toContain(created!.passwordHash);
    expect(text).not.toMatch(/password/i);
  });

  it("AUD-01/AUD-02: updateUser records field-level before and after values", async () => {
    const target = await createTestUser(db, "clinician");
    const { row } = await oneAuditRow(() =>
      updateUser(ctxFor(db, userActor(admin)), { userId: target.id, role: "manager", displayName: "Jordan Lee-Park" }),
    );
    expect(row).toMatchObject({ action: "user.update", entityType: "user", entityId: target.username, actorName: nameOf(admin), sourceIp: "203.0.113.7" });
    expect(row.before).toMatchObject({ id: target.id, role: "clinician", displayName: target.displayName, active: true });
    expect(row.after).toMatchObject({ id: target.id, role: "manager", displayName: "Jordan Lee-Park", active: true });
    expect(row.changedFields).toEqual(["displayName", "role"]);
    expect(await rowAsText(row.seq)).not.toMatch(/password|scrypt\$/i);
  });

  it("AUD-01/AUD-02: updateDevice records old and new status, the reason, the actor, the source and DB time", async () => {
    const device = await createTestDevice(db, place, { status: "active" });
    const { row, now } = await oneAuditRow(() =>
      updateDevice(ctxFor(db, userActor(biomed)), { deviceId: device.id, status: "maintenance", reason: "Annual PM due" }),
    );
    const [stored] = await db.select().from(devices).where(eq(devices.id, device.id));
    expect(stored!.status).toBe("maintenance");
    expect(row).toMatchObject({
      action: "device.update",
      outcome: "success",
      entityType: "device",
      entityId: String(device.id),
      actorType: "user",
      actorId: String(biomed.id),
      actorName: nameOf(biomed),
      sourceIp: "203.0.113.7",
      userAgent: "vitest",
      reason: "Annual PM due",
      changedFields: ["status"],
    });
    expect(row.before).toMatchObject({ status: "active", unitId: place.unit.id, hardwareRevision: "A", sandbox: false });
    expect(row.after).toMatchObject({ status: "maintenance", unitId: place.unit.id, hardwareRevision: "A", sandbox: false });
    expect(Math.abs(row.createdAt.getTime() - now)).toBeLessThan(2_000);
  });

  it("AUD-02: moving a device to another unit records both unit ids", async () => {
    const device = await createTestDevice(db, place);
    const other = await createTestPlace(db);
    const { row } = await oneAuditRow(() => updateDevice(ctxFor(db, userActor(biomed)), { deviceId: device.id, unitId: other.unit.id }));
    expect(row.changedFields).toEqual(["unitId"]);
    expect(row.before).toMatchObject({ unitId: place.unit.id });
    expect(row.after).toMatchObject({ unitId: other.unit.id });
  });

  it("AUD-01: verifyAuditChain records the check and its result", async () => {
    const auditor = await createTestUser(db, "auditor");
    let report: Awaited<ReturnType<typeof verifyAuditChain>> | undefined;
    const { row } = await oneAuditRow(async () => {
      report = await verifyAuditChain(ctxFor(db, userActor(auditor)), {});
    });
    expect(report).toMatchObject({ ok: true });
    expect(row).toMatchObject({ action: "audit.verify", entityType: "audit_trail", outcome: "success", actorName: nameOf(auditor), sourceIp: "203.0.113.7" });
    expect(row.after).toMatchObject({ ok: true, checked: report!.checked });
  });

  it("AUD-01: startAuditExport records the export and its filter", async () => {
    const security = await createTestUser(db, "security");
    const { row } = await oneAuditRow(() => startAuditExport(ctxFor(db, userActor(security)), { action: "device.", from: "2026-01-01" }));
    expect(row).toMatchObject({ action: "audit.export", entityType: "audit_trail", outcome: "success", actorId: String(security.id), sourceIp: "203.0.113.7" });
    expect(row.after).toEqual({ action: "device.", from: "2026-01-01", format: "csv" });
  });
});

describe("AUD-01: device credentials, releases, deployments and windows", () => {
  const hex = (bytes: number) => randomBytes(bytes).toString("hex");
  const upload = () => ({
    modelId: place.model.id,
    version: unique("2.0."),
    securityVersion: 1,
    hardwareRevisions: "A, B",
    filename: "pump-fw.swu",
    notes: "integration test",
    file: { sha256: hex(32), sha1: hex(20), md5: hex(16), size: 123_456 },
  });

  it("AUD-01/AUD-11: provisioning, rotating and revoking a device token are audited without the token or its hash", async () => {
    const device = await createTestDevice(db, place);
    const ctx = ctxFor(db, userActor(admin));
    let issued: { controllerId: string; token: string } | undefined;
    const first = await oneAuditRow(async () => {
      issued = await provisionDeviceToken(ctx, { deviceId: device.id });
    });
    expect(issued!.controllerId).toBe(device.serial);
    expect(first.row).toMatchObject({ action: "device.token_provisioned", entityType: "device", entityId: String(device.id), actorId: String(admin.id), sourceIp: "203.0.113.7" });
    expect(Object.keys(first.row.after as object)).toEqual(["tokenHint"]);
    const [stored] = await db.select().from(deviceCredentials).where(eq(deviceCredentials.deviceId, device.id));
    expect(stored!.tokenHash).not.toContain(issued!.token);
    for (const secret of [issued!.token, stored!.tokenHash]) expect(await rowAsText(first.row.seq)).not.toContain(secret);

    const rotated = await oneAuditRow(async () => {
      issued = await provisionDeviceToken(ctx, { deviceId: device.id });
    });
    expect(rotated.row).toMatchObject({ action: "device.token_rotated", entityId: String(device.id) });
    expect(await rowAsText(rotated.row.seq)).not.toContain(issued!.token);

    const revoked = await oneAuditRow(() => revokeDeviceToken(ctx, { deviceId: device.id }));
    expect(revoked.row).toMatchObject({ action: "device.token_revoked", entityType: "device", entityId: String(device.id) });
    expect(Object.keys(revoked.row.before as object)).toEqual(["tokenHint"]);
  });

  it("AUD-02: the token hint (last 4 characters, not a secret) is kept so the trail shows which token was issued or revoked", async () => {
    const device = await createTestDevice(db, place);
    const ctx = ctxFor(db, userActor(admin));
    let issued: { token: string } | undefined;
    const provisioned = await oneAuditRow(async () => {
      issued = await provisionDeviceToken(ctx, { deviceId: device.id });
    });
    expect(provisioned.row.after).toEqual({ tokenHint: issued!.token.slice(-4) });
    const revoked = await oneAuditRow(() => revokeDeviceToken(ctx, { deviceId: device.id }));
    expect(revoked.row.before).toEqual({ tokenHint: issued!.token.slice(-4) });
  });

  it("AUD-01: registering an uploaded release records the release and its digest", async () => {
    const input = upload();
    let release: { id: number } | undefined;
    const { row } = await oneAuditRow(async () => {
      release = await registerUploadedRelease(ctxFor(db, userActor(admin)), input);
    });
    expect(row).toMatchObject({ action: "release.uploaded", entityType: "release", entityId: String(release!.id), actorId: String(admin.id) });
    expect(row.after).toMatchObject({ id: release!.id, modelId: place.model.id, version: input.version, securityVersion: 1, hardwareRevisions: ["A", "B"], sha256: input.file.sha256, size: input.file.size });
  });

  it("AUD-01: assigning and cancelling an update record the deployment action with before/after state", async () => {
    const release = await registerUploadedRelease(ctxFor(db, userActor(admin)), upload());
    const device = await createTestDevice(db, place, { hardwareRevision: "A", securityVersion: 1 });
    const ctx = ctxFor(db, userActor(biomed));
    let action: { id: number } | undefined;
    const assigned = await oneAuditRow(async () => {
      action = await assignRelease(ctx, { deviceId: device.id, releaseId: release.id });
    });
    expect(assigned.row).toMatchObject({ action: "deployment.assigned", entityType: "deployment_action", entityId: String(action!.id), actorId: String(biomed.id) });
    expect(assigned.row.after).toMatchObject({ deviceId: device.id, serial: device.serial, releaseId: release.id, version: release.version });

    const canceled = await oneAuditRow(() => cancelAction(ctx, { actionId: action!.id, reason: "Wrong unit" }));
    expect(canceled.row).toMatchObject({ action: "deployment.cancel", entityType: "deployment_action", entityId: String(action!.id), reason: "Wrong unit", changedFields: ["state"] });
    expect(canceled.row.before).toEqual({ state: "scheduled" });
    expect(canceled.row.after).toEqual({ state: "canceled" });
  });

  it("AUD-01: replacing a unit's maintenance windows records the old and new windows", async () => {
    const own = await createTestPlace(db);
    const ctx = ctxFor(db, userActor(biomed));
    const nightly = { rrule: "FREQ=DAILY", startsAt: "02:00", durationMinutes: 120 };
    await oneAuditRow(() => setUnitWindows(ctx, { unitId: own.unit.id, windows: [nightly] }));
    const weekly = { rrule: "FREQ=WEEKLY;BYDAY=SU", startsAt: "03:30", durationMinutes: 60 };
    const { row } = await oneAuditRow(() => setUnitWindows(ctx, { unitId: own.unit.id, windows: [weekly] }));
    expect(row).toMatchObject({ action: "unit.windows_set", entityType: "unit", entityId: String(own.unit.id), actorId: String(biomed.id) });
    expect(row.before).toEqual({ windows: [nightly] });
    expect(row.after).toMatchObject({ windows: [weekly] });
  });
});

describe("AUD-01: invalid input is refused before anything is written", () => {
  let device: Device;
  beforeAll(async () => {
    device = await createTestDevice(db, place);
  });

  /** Asserts `fn` throws a ValidationError and leaves the database (audit trail included) untouched. */
  async function refused(fn: () => Promise<unknown>): Promise<ValidationError> {
    const hw = await auditHighWater(db);
    const before = await dataFingerprint(db);
    const err = await caught(fn);
    expect(err).toBeInstanceOf(ValidationError);
    expect(await auditRowsAfter(db, hw)).toEqual([]);
    expect(await dataFingerprint(db)).toEqual(before);
    return err as ValidationError;
  }
  const asBiomed = () => ctxFor(db, userActor(biomed));
  const asAdmin = () => ctxFor(db, userActor(admin));

  it("AUD-01: updateDevice with status \"broken\" names the allowed statuses", async () => {
    const err = await refused(() => updateDevice(asBiomed(), { deviceId: device.id, status: "broken" as never }));
    expect(err.message).toMatch(/status/i);
    expect(err.message).toContain("active, offline, maintenance, quarantined, retired");
    expect(Object.keys(err.fieldErrors)).toEqual(["status"]);
  });

  it("AUD-01: updateDevice to an unknown unit is refused with a readable message", async () => {
    const err = await refused(() => updateDevice(asBiomed(), { deviceId: device.id, unitId: 2_000_000_000 }));
    expect(err.message).toMatch(/unit/i);
    expect(err.message).toContain("Choose a unit from the list.");
    expect(err.fieldErrors).toEqual({ unitId: ["Choose a unit from the list."] });
  });

  it("AUD-01: updateDevice with an unit id beyond the integer range is a validation error, not a database error", async () => {
    const err = await refused(() => updateDevice(asBiomed(), { deviceId: device.id, unitId: 99_999_999_999 }));
    expect(err.fieldErrors).toHaveProperty("unitId");
  });

  it("AUD-01: an extra field such as approvedBy is refused and named", async () => {
    const err = await refused(() => updateDevice(asBiomed(), { deviceId: device.id, status: "offline", approvedBy: "someone" } as never));
    expect(err.message).toContain("approvedBy");
  });

  it("AUD-02: a client-supplied timestamp is not accepted", async () => {
    const err = await refused(() => updateDevice(asBiomed(), { deviceId: device.id, status: "offline", createdAt: "2001-01-01T00:00:00Z" } as never));
    expect(err.message).toContain("createdAt");
  });

  it("AUD-01: updateDevice with nothing to change is refused", async () => {
    const err = await refused(() => updateDevice(asBiomed(), { deviceId: device.id, reason: "just because" }));
    expect(err.message).toMatch(/nothing to change/i);
  });

  it("AUD-01: createUser with a short password names the password field", async () => {
    const err = await refused(() => createUser(asAdmin(), { username: unique("shorty."), displayName: "Short Pass", role: "clinician", password: "short1" }));
    expect(err.message).toMatch(/password/i);
    expect(err.message).toMatch(/at least 12 characters/);
    expect(err.fieldErrors).toEqual({ password: ["Use at least 12 characters."] });
    expect(err.message).not.toContain("short1");
  });

  it("AUD-01: createUser with an unknown role or an extra field is refused", async () => {
    const bad = await refused(() =>
      createUser(asAdmin(), { username: unique("rooty."), displayName: "Root Person", role: "root" as never, password: "violet staircase 1987 lantern" }),
    );
    expect(bad.message).toMatch(/admin, biomed/);
    const extra = await refused(() =>
      createUser(asAdmin(), {
        username: unique("extra."),
        displayName: "Extra Person",
        role: "clinician",
        password: "violet staircase 1987 lantern",
        approvedBy: "admin",
      } as never),
    );
    expect(extra.message).toContain("approvedBy");
  });

  it("AUD-01: updateUser of an unknown field or with nothing to change is refused", async () => {
    const target = await createTestUser(db, "vendor");
    const extra = await refused(() => updateUser(asAdmin(), { userId: target.id, passwordHash: "x" } as never));
    expect(extra.message).toContain("passwordHash");
    const nothing = await refused(() => updateUser(asAdmin(), { userId: target.id }));
    expect(nothing.message).toMatch(/nothing to change/i);
  });
});
