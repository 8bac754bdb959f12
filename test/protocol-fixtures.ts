import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { and, eq, gt, type SQL } from "drizzle-orm";
import type { Db, DbHandle } from "@/db/client";
import {
  auditEvents, deploymentActions, deviceModels, devices, manufacturers, sites, units,
  type AuditEvent, type DeploymentAction, type Device, type DeviceModel, type NewDevice, type Unit,
} from "@/db/schema";
import type { Ctx, Origin } from "@/lib/services/actor";
import { stopContactFlusher, type DdiConfig } from "@/lib/services/ddi/context";
import { authenticateDevice, type DeviceSession } from "@/lib/services/ddi/device-auth";
import { ingestTelemetry } from "@/lib/services/ddi/protocol";
import { assignRelease } from "@/lib/services/deployments/actions";
import { provisionDeviceToken } from "@/lib/services/deployments/credentials";
import { governedRelease, publicKeyPem, signDetached, type Signer } from "@/db/seed/governed-release";
import { setWindows } from "@/lib/services/deployments/windows";
import type { WindowRule } from "@/lib/services/safety/windows";
import { createTestDevice, createTestUser, ctxFor, openTestDb, TEST_PASSWORD, unique, userActor } from "./db";

// Fixtures for the device-protocol (DDI) integration tests: a world of one admin, an artifact store in
// a temporary directory and a DDI configuration; units with open or closed maintenance windows; devices
// with real tokens; releases stored the way an upload stores them; and SWUpdate's feedback bodies.

export const ORIGIN = "https://corridor.test";
export const FROM: Origin = { ip: "198.51.100.20", userAgent: "libcurl-agent/1.0" };

/** A window that is open at every instant (in a zone without DST). */
export const ALWAYS_OPEN: WindowRule = { rrule: "FREQ=DAILY", startsAt: "00:00", durationMinutes: 1440 };

/** The local hour now in a zone. */
export function localHour(timeZone: string, at = new Date()): number {
  return Number(new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", hour: "2-digit" }).format(at));
}

/** A one-hour daily window twelve hours away from the current local time: closed for the next ~11 h. */
export function closedWindow(timeZone: string, at = new Date()): WindowRule {
  const h = (localHour(timeZone, at) + 12) % 24;
  return { rrule: "FREQ=DAILY", startsAt: `${String(h).padStart(2, "0")}:00`, durationMinutes: 60 };
}

export type World = { handle: DbHandle; db: Db; admin: Ctx; biomed: Ctx; approvers: Signer[]; vendorKey: KeyObject; cfg: DdiConfig; dir: string };

/** A test database with an admin, a biomed engineer and an artifact store, for one test file. */
export async function openWorld(cfg: Partial<DdiConfig> = {}): Promise<World> {
  const handle = await openTestDb();
  const db = handle.db;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "corridor-ddi-"));
  const biomed = ctxFor(db, userActor(await createTestUser(db, "biomed")));
  const biomed2 = ctxFor(db, userActor(await createTestUser(db, "biomed")));
  return {
    handle,
    db,
    admin: ctxFor(db, userActor(await createTestUser(db, "admin"))),
    biomed,
    approvers: [biomed, biomed2].map((ctx) => ({ ctx, password: TEST_PASSWORD })),
    vendorKey: generateKeyPairSync("ed25519").privateKey,
    dir,
    cfg: { tenant: "DEFAULT", pollSeconds: 300, clinicalUseMaxAgeMs: 30 * 60_000, manifestTtlHours: 24, artifactDir: dir, ...cfg },
  };
}

export async function closeWorld(w: World | undefined) {
  if (!w) return;
  stopContactFlusher(w.db);
  fs.rmSync(w.dir, { recursive: true, force: true });
  await w.handle.close();
}

export type Place = { unit: Unit; model: DeviceModel };

/** A site, unit (in `timeZone`) and model of their own, with the given maintenance windows. */
export async function createPlace(w: World, opts: { timeZone?: string; windows?: WindowRule[] } = {}): Promise<Place> {
  const tag = unique("ddi");
  const timeZone = opts.timeZone ?? "UTC";
  const [site] = await w.db.insert(sites).values({ code: tag.toUpperCase(), name: `DDI site ${tag}`, timeZone }).returning();
  const [unit] = await w.db.insert(units).values({ siteId: site!.id, name: `ICU ${tag}`, kind: "icu", timeZone }).returning();
  const [maker] = await w.db.insert(manufacturers).values({ name: `DDI maker ${tag}` }).returning();
  const [model] = await w.db
    .insert(deviceModels)
    .values({ manufacturerId: maker!.id, name: `Pump ${tag}`, deviceType: "Infusion pump", deviceClass: "II", criticality: "life_supporting", updateMinutes: 10 })
    .returning();
  const windows = opts.windows ?? [ALWAYS_OPEN];
  if (windows.length) await setWindows(w.admin, { unitId: unit!.id, windows });
  return { unit: unit!, model: model! };
}

export function createDevice(w: World, place: Place, values: Partial<NewDevice> = {}): Promise<Device> {
  return createTestDevice(w.db, place, values, "DDI-");
}

export async function provision(w: World, deviceId: number): Promise<string> {
  return (await provisionDeviceToken(w.admin, { deviceId })).token;
}

let versionCounter = 0;

/** An approved release of a model, taken through intake, verification and two approvals. */
export async function createRelease(
  w: World,
  modelId: number,
  opts: { version?: string; securityVersion?: number; hardwareRevisions?: string; bytes?: Buffer } = {},
) {
  const bytes = opts.bytes ?? randomBytes(2048);
  const version = opts.version ?? `2.0.${Date.now().toString(36)}${(versionCounter++).toString(36)}`;
  const release = await governedRelease({
    admin: w.admin,
    submitter: w.admin,
    reviewer: w.biomed,
    approvers: w.approvers,
    modelId,
    version,
    securityVersion: opts.securityVersion ?? 2,
    hardwareRevisions: (opts.hardwareRevisions ?? "A").split(","),
    bytes,
    signature: signDetached(bytes, w.vendorKey),
    filename: `pump-${version}.bin`,
    vendorKeyPem: publicKeyPem(w.vendorKey),
    artifactDir: w.dir,
  });
  const file = { sha256: createHash("sha256").update(bytes).digest("hex"), sha1: createHash("sha1").update(bytes).digest("hex"), md5: createHash("md5").update(bytes).digest("hex"), size: bytes.length };
  return { release, file, bytes };
}

export const token = (t: string) => `TargetToken ${t}`;

/** The device's view of itself right now (a DeviceSession is a snapshot: call again after changes). */
export async function session(w: World, serial: string, tok: string): Promise<DeviceSession> {
  return authenticateDevice(w.db, serial, token(tok), FROM);
}

/** Reports clinical use through health telemetry, stamped `agoMs` before now. */
export async function reportUse(w: World, d: DeviceSession, inClinicalUse: boolean, agoMs = 0) {
  const res = await ingestTelemetry(w.db, d, JSON.stringify({ samples: [{ takenAt: new Date(Date.now() - agoMs).toISOString(), inClinicalUse }] }));
  if (res.accepted !== 1) throw new Error(`telemetry refused: ${JSON.stringify(res.rejected)}`);
}

export type Ready = { device: Device; tok: string; action: DeploymentAction; release: Awaited<ReturnType<typeof createRelease>> };

/**
 * A device with a token and an assigned release. `idle` (default true) reports "not in clinical use"
 * just now, so with an open window the install gate is clear.
 */
export async function assignedDevice(
  w: World,
  place: Place,
  opts: { idle?: boolean; device?: Partial<NewDevice>; release?: Awaited<ReturnType<typeof createRelease>> } = {},
): Promise<Ready> {
  const device = await createDevice(w, place, opts.device);
  const tok = await provision(w, device.id);
  const release = opts.release ?? (await createRelease(w, place.model.id));
  const action = await assignRelease(w.biomed, { deviceId: device.id, releaseId: release.release.id });
  if (opts.idle ?? true) await reportUse(w, await session(w, device.serial, tok), false);
  return { device, tok, action, release };
}

export async function actionRow(db: Db, actionId: number): Promise<DeploymentAction> {
  const [row] = await db.select().from(deploymentActions).where(eq(deploymentActions.id, actionId));
  return row!;
}

export async function deviceRow(db: Db, deviceId: number): Promise<Device> {
  const [row] = await db.select().from(devices).where(eq(devices.id, deviceId));
  return row!;
}

/** Audit rows after `seq` about one entity, oldest first. */
export async function auditFor(db: Db, seq: number, entityType: string, entityId: number | string): Promise<AuditEvent[]> {
  return db
    .select()
    .from(auditEvents)
    .where(and(gt(auditEvents.seq, seq), eq(auditEvents.entityType, entityType), eq(auditEvents.entityId, String(entityId))))
    .orderBy(auditEvents.seq);
}

export async function countRows(db: Db, query: SQL): Promise<number> {
  const res = (await db.execute(query)) as unknown as { rows: { n: string | number }[] };
  return Number(res.rows[0]!.n);
}

// ---------------------------------------------------------------------------------------------
// SWUpdate 2022.12's feedback bodies, byte for byte as observed (docs/ddi-protocol.md §3.6, §3.8).

const TIME = "20261123T201759";

export function feedback(id: number, execution: string, finished: string, details: string[], progress: { cnt: number; of: number } = { cnt: 0, of: 0 }) {
  return JSON.stringify({ id, time: TIME, status: { result: { progress, finished }, execution, details } });
}

export const sw = {
  installing: (id: number) => feedback(id, "proceeding", "none", ["Installing Update Chunk Artifacts."], { cnt: 0, of: 1 }),
  logBatch: (id: number, lines: string[], batch = 0) => feedback(id, "proceeding", "none", lines, { cnt: batch, of: 0 }),
  installedChunk: (id: number) => feedback(id, "proceeding", "none", ["Installed Chunk."], { cnt: 1, of: 1 }),
  allInstalled: (id: number) => feedback(id, "proceeding", "none", ["All Chunks Installed."], { cnt: 1, of: 1 }),
  confirmed: (id: number) => feedback(id, "closed", "success", ["Update Installed."]),
  failure: (id: number, details = ["No suitable .swu image found"]) => feedback(id, "closed", "failure", details, { cnt: 0, of: 1 }),
  cancelAck: (id: number) => JSON.stringify({ id, time: TIME, status: { result: { finished: "success" }, execution: "closed", details: ["cancellation acknowledged."] } }),
};

/** swupdate's invalid-JSON failure (a raw line feed inside a string), verbatim from §3.6. */
export const rawNewlineFailure = (id: number) =>
  `{ "id": ${id}, "time": "20261123T195946", "status": { "result": { "progress": { "cnt" : 0, "of" : 1 }, "finished": "failure" }, "execution": "closed", "details" : [ "No artifact download URL reported by server.\n","No suitable .swu image found" ] } }`;

export const HH_MM_SS = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;
