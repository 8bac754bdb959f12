import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows, type Db } from "@/db/client";
import { deviceCredentials, devices } from "@/db/schema";
import { authenticateDevice, DeviceAuthError, hashToken } from "@/lib/services/ddi/device-auth";
import {
  applyFeedback, artifactForDevice, basePoll, cancelActionJson, deploymentBase, deploymentManifest, installedBase,
} from "@/lib/services/ddi/protocol";
import { revokeDeviceToken } from "@/lib/services/deployments/credentials";
import { NotFoundError } from "@/lib/services/errors";
import { auditHighWater, caught } from "../db";
import {
  actionRow, assignedDevice, auditFor, closeWorld, createDevice, createPlace, openWorld, FROM, ORIGIN, provision, session, sw, token,
  type Place, type World,
} from "../protocol-fixtures";

/** ACC-10 / AUD-09: per-device DDI tokens, stored as hashes; a device reaches only its own actions. */

let db: Db;
let w: World;
let place: Place;

beforeAll(async () => {
  w = await openWorld();
  db = w.db;
  place = await createPlace(w);
});
afterAll(() => closeWorld(w));

/** Every row of every table, as text, that contains `needle`: "table: row". */
async function rowsContaining(needle: string): Promise<string[]> {
  const tables = await queryRows<{ name: string }>(
    db,
    sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const hits: string[] = [];
  for (const { name } of tables) {
    const rows = await queryRows<{ t: string }>(db, sql`SELECT t::text AS t FROM ${sql.identifier(name)} t WHERE strpos(t::text, ${needle}) > 0`);
    hits.push(...rows.map((r) => `${name}: ${r.t}`));
  }
  return hits;
}

async function authError(serial: string, authorization: string | null) {
  const err = await caught(() => authenticateDevice(db, serial, authorization, FROM));
  expect(err).toBeInstanceOf(DeviceAuthError);
  return err as DeviceAuthError;
}

describe("ACC-10: device credentials", () => {
  it("stores a token only as its SHA-256; the token itself is nowhere in the database (not in device_credentials, not in the audit trail)", async () => {
    const device = await createDevice(w, place);
    const tok = await provision(w, device.id);
    expect(tok.length).toBeGreaterThanOrEqual(40); // 256 random bits, base64url

    const [cred] = await db.select().from(deviceCredentials).where(eq(deviceCredentials.deviceId, device.id));
    expect(cred!.tokenHash).toBe(hashToken(tok));
    expect(cred!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(cred!.tokenHint).toBe(tok.slice(-4));
    expect(cred!.revokedAt).toBeNull();

    // Use it (success) and misuse it (for another controller id) so the audit trail has had every chance to leak it.
    await session(w, device.serial, tok);
    const other = await createDevice(w, place);
    await authError(other.serial, token(tok));

    expect(await rowsContaining(tok)).toEqual([]);
    // Not derived from the serial (ACC-10: no serial-derived keys).
    expect(tok).not.toContain(device.serial);
    expect(hashToken(device.serial)).not.toBe(cred!.tokenHash);
  });

  it("refuses a wrong token (401) and audits device.auth_failed without recording the presented token (AUD-09)", async () => {
    const device = await createDevice(w, place);
    await provision(w, device.id);
    const wrong = "x".repeat(20) + "wrong-token-value";
    const hw = await auditHighWater(db);
    const err = await authError(device.serial, token(wrong));
    expect(err.status).toBe(401);
    const rows = await auditFor(db, hw, "device", device.serial);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: "device.auth_failed", outcome: "denied", actorType: "anonymous", sourceIp: FROM.ip });
    expect(JSON.stringify(rows[0])).not.toContain(wrong);
  });

  it("refuses a missing Authorization header, a malformed one and a GatewayToken (shared fleet secret), each 401 and audited", async () => {
    const device = await createDevice(w, place);
    const tok = await provision(w, device.id);
    const hw = await auditHighWater(db);
    for (const header of [null, "", "Bearer abcdefghijklmnopqrstuvwxyz", `TargetToken short`, `GatewayToken ${tok}`, `GatewayToken ${"g".repeat(40)}`]) {
      expect((await authError(device.serial, header)).status, String(header)).toBe(401);
    }
    const rows = await auditFor(db, hw, "device", device.serial);
    expect(rows.map((r) => r.action)).toEqual(Array(6).fill("device.auth_failed"));
    expect(rows.every((r) => r.outcome === "denied")).toBe(true);
    expect(rows.filter((r) => /gateway/i.test(r.reason ?? ""))).toHaveLength(2);
  });

  it("refuses device A's valid token used with device B's controllerId (403) and audits it as A", async () => {
    const a = await createDevice(w, place);
    const b = await createDevice(w, place);
    const tokA = await provision(w, a.id);
    await provision(w, b.id);
    const hw = await auditHighWater(db);
    const err = await authError(b.serial, token(tokA));
    expect(err.status).toBe(403);
    const rows = await auditFor(db, hw, "device", a.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: "device.auth_failed", outcome: "denied", actorType: "device", actorId: String(a.id) });
    expect(rows[0]!.reason).toContain(a.serial);
    expect(rows[0]!.reason).toContain(b.serial);
    // The controller id is matched exactly, not case-insensitively.
    expect((await authError(a.serial.toLowerCase(), token(tokA))).status).toBe(403);
  });

  it("refuses a revoked token (401, audited); a newly provisioned token works again", async () => {
    const device = await createDevice(w, place);
    const tok = await provision(w, device.id);
    await session(w, device.serial, tok);
    await revokeDeviceToken(w.admin, { deviceId: device.id });
    const hw = await auditHighWater(db);
    expect((await authError(device.serial, token(tok))).status).toBe(401);
    const rows = await auditFor(db, hw, "device", device.id);
    expect(rows.map((r) => [r.action, r.reason])).toEqual([["device.auth_failed", "revoked token"]]);

    const fresh = await provision(w, device.id);
    expect((await session(w, device.serial, fresh)).id).toBe(device.id);
    expect((await authError(device.serial, token(tok))).status).toBe(401);
  });

  it("rotation: the old token stops working at once and the new one works", async () => {
    const device = await createDevice(w, place);
    const first = await provision(w, device.id);
    const second = await provision(w, device.id);
    expect(second).not.toBe(first);
    expect((await authError(device.serial, token(first))).status).toBe(401);
    expect((await session(w, device.serial, second)).serial).toBe(device.serial);
    const creds = await db.select().from(deviceCredentials).where(eq(deviceCredentials.deviceId, device.id));
    expect(creds.map((c) => c.tokenHash)).toEqual([hashToken(second)]);
  });

  it("refuses a retired device even with its valid token (403)", async () => {
    const device = await createDevice(w, place);
    const tok = await provision(w, device.id);
    await db.update(devices).set({ status: "retired" }).where(eq(devices.id, device.id));
    expect((await authError(device.serial, token(tok))).status).toBe(403);
  });
});

describe("ACC-10: a device reaches only its own actions, artifacts and reports", () => {
  it("device A cannot read B's deploymentBase, installedBase, manifest, cancelAction or artifact, nor post B's feedback; each attempt is NotFound and audited", async () => {
    const a = await assignedDevice(w, place);
    const b = await assignedDevice(w, place);
    const dA = await session(w, a.device.serial, a.tok);
    const bAction = b.action.id;
    const bBefore = await actionRow(db, bAction);

    // A's own things work (so the refusals below are about ownership, not about the gate).
    expect((await basePoll(db, dA, w.cfg, ORIGIN))._links.deploymentBase).toBeDefined();
    expect((await deploymentBase(db, dA, w.cfg, ORIGIN, a.action.id, FROM)).id).toBe(String(a.action.id));
    expect((await artifactForDevice(db, dA, w.cfg, a.release.release.id, a.release.release.filename!, FROM)).sha256).toBe(a.release.file.sha256);

    const hw = await auditHighWater(db);
    const attempts: [string, () => Promise<unknown>][] = [
      ["deploymentBase", () => deploymentBase(db, dA, w.cfg, ORIGIN, bAction, FROM)],
      ["installedBase", () => installedBase(db, dA, w.cfg, ORIGIN, bAction, FROM)],
      ["manifest", () => deploymentManifest(db, dA, w.cfg, bAction, FROM)],
      ["cancelAction", () => cancelActionJson(db, dA, bAction, FROM)],
      ["artifact", () => artifactForDevice(db, dA, w.cfg, b.release.release.id, b.release.release.filename!, FROM)],
      ["artifact", () => artifactForDevice(db, dA, w.cfg, a.release.release.id, "other-name.swu", FROM)],
      ["feedback", () => applyFeedback(db, dA, bAction, "deployment", sw.failure(bAction), FROM)],
      ["feedback", () => applyFeedback(db, dA, bAction, "cancel", sw.cancelAck(bAction), FROM)],
    ];
    for (const [what, attempt] of attempts) {
      const err = await caught(attempt);
      expect(err, what).toBeInstanceOf(NotFoundError);
      expect(JSON.stringify((err as Error).message)).not.toContain(b.device.serial);
    }
    const rows = await auditFor(db, hw, "device", a.device.id);
    expect(rows.map((r) => r.action)).toEqual(Array(attempts.length).fill("device.access_denied"));
    expect(rows.every((r) => r.outcome === "denied" && r.actorType === "device" && r.actorId === String(a.device.id))).toBe(true);
    expect(rows.map((r) => r.reason!.split(" ")[0])).toEqual(attempts.map(([what]) => what));

    // B's action was not touched by A's feedback.
    expect(await actionRow(db, bAction)).toEqual(bBefore);
  });
});
