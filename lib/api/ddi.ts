import fs from "node:fs";
import { env } from "@/lib/env";
import { getDb } from "@/lib/server/runtime";
import type { Origin } from "@/lib/services/actor";
import { recordAudit } from "@/lib/services/audit/record";
import { artifactPath, parseRange } from "@/lib/services/artifacts/store";
import type { DdiConfig } from "@/lib/services/ddi/context";
import { authenticateDevice, type DeviceSession } from "@/lib/services/ddi/device-auth";
import { manifestKey } from "@/lib/services/ddi/manifest";
import {
  applyFeedback, artifactForDevice, basePoll, cancelActionJson, deploymentBase, deploymentManifest, ingestTelemetry, installedBase, putConfigData,
  refuseStartWhenGateClosed,
} from "@/lib/services/ddi/protocol";
import { ServiceError } from "@/lib/services/errors";

// The hawkBit DDI transport core: authenticate the device, route the path, call the protocol service.
// It is independent of any HTTP framework; scripts/server.ts feeds it from node:http, in front of
// Next, because the poll is the hottest path in Corridor and must not pay for page routing.
// Devices never reach console permissions; a device can only act on its own actions and artifacts.

export const ddiConfig: DdiConfig = {
  tenant: env.DDI_TENANT,
  pollSeconds: env.DDI_POLL_SECONDS,
  clinicalUseMaxAgeMs: env.CLINICAL_USE_MAX_AGE_MINUTES * 60_000,
  manifestTtlHours: env.MANIFEST_TTL_HOURS,
  artifactDir: env.artifactDir,
  manifestKeyPem: env.CORRIDOR_MANIFEST_KEY,
};

const MAX_BODY = 256 * 1024;

// Failed authentications per address per minute. In memory per instance: a flood is cut off before it
// reaches the database; each instance limits independently.
const failures = new Map<string, { minute: number; count: number }>();
const FAILURES_PER_MINUTE = 20;

function tooManyFailures(ip: string): boolean {
  const minute = Math.floor(Date.now() / 60_000);
  const f = failures.get(ip);
  return !!f && f.minute === minute && f.count >= FAILURES_PER_MINUTE;
}

function countFailure(ip: string): number {
  const minute = Math.floor(Date.now() / 60_000);
  const f = failures.get(ip);
  const next = f && f.minute === minute ? { minute, count: f.count + 1 } : { minute, count: 1 };
  failures.set(ip, next);
  if (failures.size > 10_000) failures.clear();
  return next.count;
}

export type DdiRequest = {
  method: string;
  /** Path segments after /api/ddi/. */
  segments: string[];
  authorization: string | null;
  range: string | null;
  /** The body, read with a size limit. */
  readBody: (limit: number) => Promise<string>;
  from: Origin;
  /** Scheme + host the device used, for the links in responses. */
  origin: string;
};

export type DdiResponse = {
  status: number;
  headers: Record<string, string>;
  body?: string | { file: string; start: number; end: number };
};

const json = (body: unknown, status = 200): DdiResponse => ({
  status,
  headers: { "Content-Type": "application/hal+json;charset=UTF-8", "Cache-Control": "no-store" },
  body: JSON.stringify(body),
});
const empty = (status = 200): DdiResponse => ({ status, headers: {} });

export async function handleDdi(req: DdiRequest): Promise<DdiResponse> {
  try {
    if (req.method === "GET" && req.segments.length === 1 && req.segments[0] === "manifest-key") return await manifestPublicKey();
    const [tenant, controller, v1, controllerId, ...rest] = req.segments;
    if (controller !== "controller" || v1 !== "v1" || !controllerId) return json({ error: "not found" }, 404);
    if (tenant !== ddiConfig.tenant) return json({ error: "unknown tenant" }, 404);
    const ip = req.from.ip ?? "unknown";
    if (tooManyFailures(ip)) return json({ error: "too many failed attempts; try again later" }, 429);
    const db = await getDb();
    let device: DeviceSession;
    try {
      device = await authenticateDevice(db, controllerId, req.authorization, req.from);
    } catch (err) {
      if (countFailure(ip) === FAILURES_PER_MINUTE) {
        await recordAudit(db, null, req.from, { action: "device.auth_rate_limited", outcome: "denied", entityType: "device", entityId: controllerId });
      }
      throw err;
    }
    const handler = route(req.method, rest);
    if (!handler) return json({ error: "not found" }, 404);
    return await handler({ device, req });
  } catch (err) {
    if (err instanceof ServiceError) return json({ error: { code: err.code, message: err.message } }, err.status);
    console.error("[corridor] DDI request failed", err);
    return json({ error: { code: "internal", message: "internal error" } }, 500);
  }
}

type Handler = (args: { device: DeviceSession; req: DdiRequest }) => Promise<DdiResponse>;

const id = (s: string | undefined) => (s && /^\d{1,10}$/.test(s) && Number(s) <= 2147483647 ? Number(s) : null);

function route(method: string, p: string[]): Handler | null {
  const [a, b, c, d] = p;
  const db = getDb;
  if (method === "GET" && p.length === 0) return async ({ device, req }) => json(await basePoll(await db(), device, ddiConfig, req.origin));
  if (a === "deploymentBase" && id(b) !== null) {
    const actionId = id(b)!;
    if (method === "GET" && p.length === 2) return async ({ device, req }) => json(await deploymentBase(await db(), device, ddiConfig, req.origin, actionId, req.from));
    if (method === "POST" && c === "feedback" && p.length === 3)
      return async ({ device, req }) => {
        const body = await req.readBody(MAX_BODY);
        await refuseStartWhenGateClosed(await db(), device, ddiConfig, actionId);
        await applyFeedback(await db(), device, actionId, "deployment", body, req.from);
        return empty();
      };
    if (method === "GET" && c === "manifest" && p.length === 3) return async ({ device, req }) => json(await deploymentManifest(await db(), device, ddiConfig, actionId, req.from));
  }
  if (a === "cancelAction" && id(b) !== null) {
    const actionId = id(b)!;
    if (method === "GET" && p.length === 2) return async ({ device, req }) => json(await cancelActionJson(await db(), device, actionId, req.from));
    if (method === "POST" && c === "feedback" && p.length === 3)
      return async ({ device, req }) => {
        await applyFeedback(await db(), device, actionId, "cancel", await req.readBody(MAX_BODY), req.from);
        return empty();
      };
  }
  if (a === "installedBase" && id(b) !== null && method === "GET" && p.length === 2)
    return async ({ device, req }) => json(await installedBase(await db(), device, ddiConfig, req.origin, id(b)!, req.from));
  if (a === "configData" && method === "PUT" && p.length === 1)
    return async ({ device, req }) => {
      await putConfigData(await db(), device, await req.readBody(MAX_BODY), req.from);
      return empty();
    };
  if (a === "telemetry" && method === "POST" && p.length === 1)
    return async ({ device, req }) => json(await ingestTelemetry(await db(), device, await req.readBody(MAX_BODY)));
  if (a === "softwaremodules" && id(b) !== null && c === "artifacts" && d && p.length === 4 && (method === "GET" || method === "HEAD"))
    return ({ device, req }) => serveArtifact(device, id(b)!, d, req, method === "HEAD");
  return null;
}

/** An artifact with HEAD and single-range support (206), as resumed SWUpdate downloads need. */
async function serveArtifact(device: DeviceSession, releaseId: number, filename: string, req: DdiRequest, head: boolean): Promise<DdiResponse> {
  const artifact = await artifactForDevice(await getDb(), device, ddiConfig, releaseId, filename, req.from);
  const file = artifactPath(ddiConfig.artifactDir, artifact.sha256);
  if (!fs.existsSync(file)) throw new ServiceError("The artifact file is missing from the store.", 500, "artifact_missing");
  const size = artifact.size;
  const range = parseRange(req.range, size);
  const headers: Record<string, string> = {
    "Content-Type": "application/octet-stream",
    "Accept-Ranges": "bytes",
    ETag: `"${artifact.sha256}"`,
    "Cache-Control": "no-store",
  };
  if (range === "unsatisfiable") return { status: 416, headers: { ...headers, "Content-Range": `bytes */${size}` } };
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  headers["Content-Length"] = String(end - start + 1);
  if (range) headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
  return { status: range ? 206 : 200, headers, body: head ? undefined : { file, start, end } };
}

/** The manifest verification key, public by nature: devices and auditors need it, and it grants nothing. */
async function manifestPublicKey(): Promise<DdiResponse> {
  const key = await manifestKey(await getDb(), ddiConfig.manifestKeyPem);
  return { status: 200, headers: { "Content-Type": "application/x-pem-file", "Cache-Control": "public, max-age=300" }, body: key.publicKeyPem };
}
