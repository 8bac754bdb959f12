import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { actionFeedback, artifacts, deploymentActions, deviceModels, deviceReports, devices, releases, telemetrySamples } from "@/db/schema";
import type { DeploymentAction } from "@/db/schema";
import type { ActionState } from "@/lib/domain";
import type { Actor, Origin } from "../actor";
import { recordAudit } from "../audit/record";
import { NotFoundError, ServiceError, ValidationError } from "../errors";
import { gateBlockers } from "../safety/gate-facts";
import type { Blocker } from "../safety/install-gate";
import { failureReason, isFinished, nextActionState, parseFeedback } from "./action-state";
import { noteContact, type DdiConfig } from "./context";
import { reportClinicalUse, type DeviceSession } from "./device-auth";
import { manifestKey, signManifest, type SignedManifest } from "./manifest";
import { DeviceEvent, reportDeviceEvents, reportDeviceRefusal } from "../incidents/sources";
import { recordSamples } from "../telemetry/rollup";

const MAX_FEEDBACK_PER_ACTION = 200;

const deviceActor = (d: DeviceSession): Actor => ({ type: "device", deviceId: d.id, name: d.serial });

export const controllerBase = (origin: string, cfg: DdiConfig, controllerId: string) =>
  `${origin}/api/ddi/${cfg.tenant}/controller/v1/${encodeURIComponent(controllerId)}`;

/** Per-device jitter (±10 %, stable per device) so a fleet does not poll in lockstep. */
export function pollSleep(cfg: DdiConfig, deviceId: number): string {
  const spread = ((Math.imul(deviceId, 2654435761) >>> 0) % 2001) / 10000 - 0.1;
  const seconds = Math.max(1, Math.min(86_399, Math.round(cfg.pollSeconds * (1 + spread))));
  const hh = String(Math.floor(seconds / 3600)).padStart(2, "0");
  const mm = String(Math.floor((seconds % 3600) / 60)).padStart(2, "0");
  const ss = String(seconds % 60).padStart(2, "0");
  return `${hh}:${mm}:${ss}`;
}

/** The one place the protocol asks whether this device may work on its update right now. */
export function deviceBlockers(db: Db, d: DeviceSession, cfg: DdiConfig, now = new Date(), freezeMaxAgeMs?: number): Promise<Blocker[]> {
  return gateBlockers(db, d, cfg.clinicalUseMaxAgeMs, now, freezeMaxAgeMs);
}

/**
 * For the two requests that let an install begin (the first feedback and the artifact download): the
 * freeze is read from the database, not from the short cache, so a freeze started on another instance
 * stops every install start at once (offers follow within the cache's 2 s).
 */
const startBlockers = (db: Db, d: DeviceSession, cfg: DdiConfig) => deviceBlockers(db, d, cfg, new Date(), 0);

/**
 * Whether the open action may be offered: only when the install gate is clear, in every state —
 * also while awaiting confirmation, because a device that lost its update state re-installs what it
 * is offered. Otherwise nothing is offered, never `update: skip` (SWUpdate reports that as success).
 */
async function offerable(db: Db, d: DeviceSession, cfg: DdiConfig): Promise<boolean> {
  if (!d.action?.id || d.action.state === "cancel_requested") return false;
  return (await deviceBlockers(db, d, cfg)).length === 0;
}

export async function basePoll(db: Db, d: DeviceSession, cfg: DdiConfig, origin: string) {
  noteContact(db, d.id);
  const base = controllerBase(origin, cfg, d.serial);
  const links: Record<string, { href: string }> = {};
  if (d.action?.id && d.action.state === "cancel_requested") links.cancelAction = { href: `${base}/cancelAction/${d.action.id}` };
  else if (await offerable(db, d, cfg)) links.deploymentBase = { href: `${base}/deploymentBase/${d.action!.id}?c=${hashState(d.action!.state)}` };
  // Offered only until the device has sent its attributes; offered forever it blocks SWUpdate's installs.
  if (!d.attributesAt) links.configData = { href: `${base}/configData` };
  return { config: { polling: { sleep: pollSleep(cfg, d.id) } }, _links: links };
}

const hashState = (s: ActionState) => [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % 100000;

async function actionWithRelease(db: Db, deviceId: number, actionId: number) {
  const [row] = await db
    .select({
      action: deploymentActions,
      release: releases,
      artifact: artifacts,
      modelName: deviceModels.name,
    })
    .from(deploymentActions)
    .innerJoin(releases, eq(releases.id, deploymentActions.releaseId))
    .innerJoin(artifacts, eq(artifacts.id, releases.artifactId))
    .innerJoin(deviceModels, eq(deviceModels.id, releases.modelId))
    .where(and(eq(deploymentActions.id, actionId), eq(deploymentActions.deviceId, deviceId)));
  return row;
}

async function denyForeign(db: Db, d: DeviceSession, origin: Origin, what: string): Promise<never> {
  await recordAudit(db, deviceActor(d), origin, { action: "device.access_denied", outcome: "denied", entityType: "device", entityId: d.id, reason: what });
  throw new NotFoundError("No such action for this device.");
}

/** Set together with the artifact, so always present once a package can be served. */
const packageName = (r: { filename: string | null }) => r.filename ?? "firmware.bin";

function deploymentJson(origin: string, cfg: DdiConfig, d: DeviceSession, row: NonNullable<Awaited<ReturnType<typeof actionWithRelease>>>) {
  const base = controllerBase(origin, cfg, d.serial);
  const href = `${base}/softwaremodules/${row.release.id}/artifacts/${encodeURIComponent(packageName(row.release))}`;
  return {
    id: String(row.action.id),
    deployment: {
      download: "forced",
      update: "forced",
      chunks: [
        {
          part: "os",
          version: row.release.version,
          name: row.modelName,
          artifacts: [
            {
              filename: packageName(row.release),
              hashes: { sha1: row.artifact.sha1.toLowerCase(), md5: row.artifact.md5, sha256: row.artifact.sha256 },
              size: row.artifact.size,
              _links: {
                download: { href },
                "download-http": { href },
                manifest: { href: `${base}/deploymentBase/${row.action.id}/manifest` },
              },
            },
          ],
        },
      ],
    },
    actionHistory: { status: row.action.state.toUpperCase(), messages: [] as string[] },
  };
}

export async function deploymentBase(db: Db, d: DeviceSession, cfg: DdiConfig, origin: string, actionId: number, from: Origin) {
  const row = await actionWithRelease(db, d.id, actionId);
  if (!row) return denyForeign(db, d, from, `deploymentBase ${actionId}`);
  if (d.action?.id !== actionId || !(await offerable(db, d, cfg))) throw new NotFoundError("Nothing to install now.");
  return deploymentJson(origin, cfg, d, row);
}

/** installedBase: the last finished action, as hawkBit reports it. */
export async function installedBase(db: Db, d: DeviceSession, cfg: DdiConfig, origin: string, actionId: number, from: Origin) {
  const row = await actionWithRelease(db, d.id, actionId);
  if (!row) return denyForeign(db, d, from, `installedBase ${actionId}`);
  if (!isFinished(row.action.state)) throw new NotFoundError("This action has not finished.");
  return deploymentJson(origin, cfg, d, row);
}

/** The anti-rollback counter a device is given with its action (UPD-04). */
const issuedCounter = (action: { securityCounter: number | null }, release: { securityVersion: number }) => action.securityCounter ?? release.securityVersion;

export async function deploymentManifest(db: Db, d: DeviceSession, cfg: DdiConfig, actionId: number, from: Origin): Promise<SignedManifest> {
  const row = await actionWithRelease(db, d.id, actionId);
  if (!row) return denyForeign(db, d, from, `manifest ${actionId}`);
  if (isFinished(row.action.state)) throw new NotFoundError("This action has finished.");
  const now = new Date();
  const key = await manifestKey(db, cfg.manifestKeyPem);
  return signManifest(key, {
    v: 1,
    controllerId: d.serial,
    actionId,
    release: { version: row.release.version, securityVersion: issuedCounter(row.action, row.release) },
    artifact: { filename: packageName(row.release), sha256: row.artifact.sha256, size: row.artifact.size },
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + cfg.manifestTtlHours * 3_600_000).toISOString(),
  });
}

/**
 * The artifact a device may download: only the release of its own open action, and only while the
 * install gate is clear — SWUpdate streams the download straight into its installer.
 */
export async function artifactForDevice(db: Db, d: DeviceSession, cfg: DdiConfig, releaseId: number, filename: string, from: Origin) {
  const [row] = await db
    .select({ artifact: artifacts, filename: releases.filename })
    .from(deploymentActions)
    .innerJoin(releases, eq(releases.id, deploymentActions.releaseId))
    .innerJoin(artifacts, eq(artifacts.id, releases.artifactId))
    .where(and(eq(deploymentActions.deviceId, d.id), eq(deploymentActions.releaseId, releaseId), inArray(deploymentActions.state, ["scheduled", "downloading", "downloaded", "installing", "cancel_requested"])))
    .limit(1);
  if (!row || row.filename !== filename) return denyForeign(db, d, from, `artifact ${releaseId}/${filename}`);
  if ((await startBlockers(db, d, cfg)).length > 0) throw new NotFoundError("Nothing to install now.");
  return row.artifact;
}

/**
 * Applies one feedback message. Runs in a transaction with the action row locked, so concurrent or
 * repeated messages are applied one at a time and a finished action never moves. The device's
 * installed version changes only when the action succeeds.
 */
export async function applyFeedback(db: Db, d: DeviceSession, actionId: number, kind: "deployment" | "cancel", rawBody: string, from: Origin) {
  const parsed = parseFeedback(rawBody, kind);
  if (!parsed) throw new ValidationError("The feedback body is not a DDI feedback message.");
  const { feedback, invalidJson } = parsed;
  // Ownership is checked before the transaction so the refusal's audit row is not rolled back with it.
  const [owned] = await db.select({ id: deploymentActions.id }).from(deploymentActions).where(and(eq(deploymentActions.id, actionId), eq(deploymentActions.deviceId, d.id)));
  if (!owned) return denyForeign(db, d, from, `feedback ${actionId}`);
  return db.transaction(async (tx) => {
    const [action] = await tx.select().from(deploymentActions).where(eq(deploymentActions.id, actionId)).for("update");
    if (!action) throw new NotFoundError("No such action for this device.");
    const next = nextActionState(action.state, feedback);
    if (isFinished(action.state)) return { state: action.state, changed: false }; // repeated closing message: nothing to do

    await tx.insert(actionFeedback).values({ actionId, kind, execution: feedback.execution, finished: feedback.finished, details: feedback.details, invalidJson });
    // Bounded history: keep the latest messages of each action.
    if (action.feedbackCount + 1 > MAX_FEEDBACK_PER_ACTION) {
      await tx.execute(sql`DELETE FROM action_feedback WHERE action_id = ${actionId} AND id <= (
        SELECT id FROM action_feedback WHERE action_id = ${actionId} ORDER BY id DESC OFFSET ${MAX_FEEDBACK_PER_ACTION} LIMIT 1)`);
    }
    const changed = next !== action.state;
    let reason: string | null = null;
    if (next === "failed") {
      const history = await tx.select({ details: actionFeedback.details }).from(actionFeedback).where(eq(actionFeedback.actionId, actionId)).orderBy(actionFeedback.id);
      reason = failureReason(history.flatMap((h) => h.details));
    }
    await tx
      .update(deploymentActions)
      .set({
        state: next,
        feedbackCount: sql`${deploymentActions.feedbackCount} + 1`,
        lastFeedbackAt: sql`now()`,
        updatedAt: sql`now()`,
        ...(isFinished(next) ? { finishedAt: sql`now()` } : {}),
        ...(reason ? { failureReason: reason } : {}),
      })
      .where(eq(deploymentActions.id, actionId));
    if (changed) {
      await recordAudit(tx, deviceActor(d), from, {
        action: "deployment.state_changed",
        entityType: "deployment_action",
        entityId: actionId,
        before: { state: action.state },
        after: { state: next, ...(reason ? { failureReason: reason } : {}) },
      });
    }
    if (next === "succeeded") await recordInstalledVersion(tx, d, action, from);
    if (next === "failed") await reportDeviceRefusal(tx, d, action, [reason, ...feedback.details], from);
    return { state: next, changed };
  });
}

/**
 * The first feedback of an attempt starts the download. If the gate closed since the offer, answer
 * non-2xx: SWUpdate then drops this attempt and tries again at a later poll, instead of failing.
 */
export async function refuseStartWhenGateClosed(db: Db, d: DeviceSession, cfg: DdiConfig, actionId: number) {
  if (d.action?.id !== actionId || d.action.state !== "scheduled") return;
  const blockers = await startBlockers(db, d, cfg);
  if (blockers.length) throw new ServiceError(`Not now: ${blockers.join(", ")}.`, 409, "not_now");
}

async function recordInstalledVersion(tx: Db, d: DeviceSession, action: DeploymentAction, from: Origin) {
  const [release] = await tx.select({ version: releases.version, securityVersion: releases.securityVersion }).from(releases).where(eq(releases.id, action.releaseId));
  const [before] = await tx.select({ firmwareVersion: devices.firmwareVersion, securityVersion: devices.securityVersion }).from(devices).where(eq(devices.id, d.id));
  // The anti-rollback floor only ever rises: to the counter the device was issued (an authorised
  // downgrade issues the older image with a counter above the old floor).
  const securityVersion = Math.max(before!.securityVersion, issuedCounter(action, release!));
  await tx.update(devices).set({ firmwareVersion: release!.version, securityVersion, updatedAt: sql`now()` }).where(eq(devices.id, d.id));
  // Ask the device for its attributes again (as hawkBit does after an update), so they are current.
  await tx.update(deviceReports).set({ attributesAt: null }).where(eq(deviceReports.deviceId, d.id));
  await recordAudit(tx, deviceActor(d), from, {
    action: "device.firmware_installed",
    entityType: "device",
    entityId: d.id,
    before,
    after: { firmwareVersion: release!.version, securityVersion },
  });
}

export async function cancelActionJson(db: Db, d: DeviceSession, actionId: number, from: Origin) {
  const [action] = await db.select({ id: deploymentActions.id, state: deploymentActions.state }).from(deploymentActions).where(and(eq(deploymentActions.id, actionId), eq(deploymentActions.deviceId, d.id)));
  if (!action) return denyForeign(db, d, from, `cancelAction ${actionId}`);
  if (action.state !== "cancel_requested") throw new NotFoundError("No cancellation is pending for this action.");
  return { id: String(action.id), cancelAction: { stopId: String(action.id) } };
}

const ConfigDataBody = z.object({
  data: z.record(z.string().max(100), z.union([z.string().max(500), z.number(), z.boolean()])).refine((d) => Object.keys(d).length <= 100, "At most 100 attributes."),
  mode: z.enum(["merge", "replace", "remove"]).optional(),
});

/**
 * configData: device-reported attributes (kept apart from the operator's record). A `clinicalUse`
 * attribute ("in_use" / "idle") counts as a clinical-use report; a reported `swVersion` equal to the
 * version it ran before an install that awaits confirmation means the device rolled back.
 */
export async function putConfigData(db: Db, d: DeviceSession, rawBody: string, from: Origin) {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.replace(/[\u0000-\u001f]/g, " "));
  } catch {
    throw new ValidationError("The configData body is not JSON.");
  }
  const parsed = ConfigDataBody.safeParse(json);
  if (!parsed.success) throw new ValidationError(`Invalid configData: ${parsed.error.issues[0]?.message}`);
  const incoming = Object.fromEntries(Object.entries(parsed.data.data).map(([k, v]) => [k, String(v)]));
  const mode = parsed.data.mode ?? "merge";
  const now = new Date();
  await db.transaction(async (tx) => {
    const [current] = await tx.select({ attributes: deviceReports.attributes }).from(deviceReports).where(eq(deviceReports.deviceId, d.id)).for("update");
    const prev = current?.attributes ?? {};
    const attributes =
      mode === "replace" ? incoming
      : mode === "remove" ? Object.fromEntries(Object.entries(prev).filter(([k]) => !(k in incoming)))
      : { ...prev, ...incoming };
    await tx
      .insert(deviceReports)
      .values({ deviceId: d.id, attributes, attributesAt: now })
      .onConflictDoUpdate({ target: deviceReports.deviceId, set: { attributes, attributesAt: now } });
    const use = incoming.clinicalUse;
    if (use === "in_use" || use === "idle") await reportClinicalUse(tx, d.id, use === "in_use", now);
    if (incoming.swVersion) await detectRollback(tx, d, incoming.swVersion, from);
  });
  noteContact(db, d.id);
}

async function detectRollback(tx: Db, d: DeviceSession, reportedVersion: string, from: Origin) {
  const [waiting] = await tx
    .select({ id: deploymentActions.id, previousVersion: deploymentActions.previousVersion })
    .from(deploymentActions)
    .where(and(eq(deploymentActions.deviceId, d.id), eq(deploymentActions.state, "installed_awaiting_confirmation")))
    .for("update");
  if (!waiting || waiting.previousVersion !== reportedVersion) return;
  await tx
    .update(deploymentActions)
    .set({ state: "rolled_back", finishedAt: sql`now()`, updatedAt: sql`now()`, failureReason: `device reports its previous version ${reportedVersion}` })
    .where(eq(deploymentActions.id, waiting.id));
  await recordAudit(tx, deviceActor(d), from, {
    action: "deployment.state_changed",
    entityType: "deployment_action",
    entityId: waiting.id,
    before: { state: "installed_awaiting_confirmation" },
    after: { state: "rolled_back" },
    reason: `device reports its previous version ${reportedVersion}`,
  });
}

// Health telemetry (Corridor's extension of DDI): a batch of samples; each bad sample gets its own
// error and the good ones are all kept.
const Sample = z
  .object({
    takenAt: z.iso.datetime({ offset: true, error: "takenAt must be an ISO 8601 time" }),
    batteryPct: z.number().min(0).max(100).optional(),
    sensorDrift: z.number().min(-1000).max(1000).optional(),
    powerDrawW: z.number().min(0).max(10_000).optional(),
    alarmCount: z.number().int().min(0).max(100_000).optional(),
    reboots: z.number().int().min(0).max(10_000).optional(),
    errorCodes: z.array(z.string().min(1).max(40).regex(/^[^\p{Cc}]+$/u, "an error code is printable text")).max(50).optional(),
    inClinicalUse: z.boolean().optional(),
    firmwareVersion: z.string().max(40).optional(),
    /** A security event or malfunction the device noticed (ROL-15): it opens an incident. */
    event: DeviceEvent.optional(),
  })
  .strict();

export const TELEMETRY_MAX_BATCH = 1000;

export async function ingestTelemetry(db: Db, d: DeviceSession, rawBody: string) {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new ValidationError("The telemetry body is not JSON.");
  }
  const samples = (body as { samples?: unknown })?.samples;
  if (!Array.isArray(samples)) throw new ValidationError('Send {"samples": [...]}.');
  if (samples.length > TELEMETRY_MAX_BATCH) throw new ValidationError(`At most ${TELEMETRY_MAX_BATCH} samples per batch.`);
  const now = Date.now();
  const rows: (typeof telemetrySamples.$inferInsert)[] = [];
  const rejected: { index: number; error: string }[] = [];
  const events: DeviceEvent[] = [];
  samples.forEach((s, index) => {
    const r = Sample.safeParse(s);
    if (!r.success) return rejected.push({ index, error: r.error.issues.map((i) => `${i.path.join(".") || "sample"}: ${i.message}`).join("; ") });
    const takenAt = new Date(r.data.takenAt);
    if (takenAt.getTime() > now + 5 * 60_000) return rejected.push({ index, error: "takenAt is in the future" });
    const { event, ...sample } = r.data;
    if (event) events.push(event);
    rows.push({ ...sample, deviceId: d.id, takenAt });
  });
  // Raw samples and their hourly rollups in one transaction (charts and the regression gate read rollups).
  await recordSamples(db, rows, () => d.modelId);
  const latestUse = rows.filter((r) => r.inClinicalUse !== undefined).sort((a, b) => b.takenAt!.getTime() - a.takenAt!.getTime())[0];
  // A device clock running ahead must not make an old "idle" outrank a newer "in use" report.
  if (latestUse) await reportClinicalUse(db, d.id, latestUse.inClinicalUse!, new Date(Math.min(latestUse.takenAt!.getTime(), now)));
  if (events.length) await reportDeviceEvents(db, d, events);
  noteContact(db, d.id);
  return { accepted: rows.length, rejected };
}

/** Feedback kept for an action, newest first (for the device page). */
export async function feedbackHistory(db: Db, actionId: number, limit = 50) {
  return db.select().from(actionFeedback).where(eq(actionFeedback.actionId, actionId)).orderBy(desc(actionFeedback.id)).limit(limit);
}

