import "server-only";
import fs from "node:fs";
import { Readable } from "node:stream";
import { originOf } from "@/lib/auth/origin";
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
} from "@/lib/services/ddi/protocol";
import { ServiceError } from "@/lib/services/errors";

// The hawkBit DDI transport: authenticate the device, route the path, call the protocol service.
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

type Params = { tenant: string; controllerId: string; path?: string[] };
type Handler = (args: { device: DeviceSession; request: Request; origin: string; from: Origin; rest: string[] }) => Promise<Response>;

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/hal+json;charset=UTF-8", "Cache-Control": "no-store" } });

async function readBody(request: Request): Promise<string> {
  const length = Number(request.headers.get("content-length") ?? 0);
  if (length > MAX_BODY) throw new ServiceError("The request body is too large.", 413, "too_large");
  const text = await request.text();
  if (text.length > MAX_BODY) throw new ServiceError("The request body is too large.", 413, "too_large");
  return text;
}

export function deviceRoute(method: string) {
  return async (request: Request, { params }: { params: Promise<Params> }): Promise<Response> => {
    const { tenant, controllerId, path = [] } = await params;
    const from = originOf(request.headers);
    const ip = from.ip ?? "unknown";
    try {
      if (tenant !== ddiConfig.tenant) return json({ error: "unknown tenant" }, 404);
      if (tooManyFailures(ip)) return json({ error: "too many failed attempts; try again later" }, 429);
      const db = await getDb();
      let device: DeviceSession;
      try {
        device = await authenticateDevice(db, controllerId, request.headers.get("authorization"), from);
      } catch (err) {
        if (countFailure(ip) === FAILURES_PER_MINUTE) {
          await recordAudit(db, null, from, { action: "device.auth_rate_limited", outcome: "denied", entityType: "device", entityId: controllerId });
        }
        throw err;
      }
      const origin = new URL(request.url).origin;
      const handler = route(method, path);
      if (!handler) return json({ error: "not found" }, 404);
      return await handler({ device, request, origin, from, rest: path });
    } catch (err) {
      if (err instanceof ServiceError) return json({ error: { code: err.code, message: err.message } }, err.status);
      console.error("[corridor] DDI request failed", err);
      return json({ error: { code: "internal", message: "internal error" } }, 500);
    }
  };
}

const id = (s: string | undefined) => (s && /^\d{1,10}$/.test(s) && Number(s) <= 2147483647 ? Number(s) : null);

function route(method: string, p: string[]): Handler | null {
  const [a, b, c, d] = p;
  if (method === "GET" && p.length === 0) return async ({ device, origin }) => json(await basePoll(await getDb(), device, ddiConfig, origin));
  if (a === "deploymentBase" && id(b) !== null) {
    const actionId = id(b)!;
    if (method === "GET" && p.length === 2) return async ({ device, origin, from }) => json(await deploymentBase(await getDb(), device, ddiConfig, origin, actionId, from));
    if (method === "POST" && c === "feedback" && p.length === 3)
      return async ({ device, request, from }) => {
        await applyFeedback(await getDb(), device, actionId, "deployment", await readBody(request), from);
        return new Response(null, { status: 200 });
      };
    if (method === "GET" && c === "manifest" && p.length === 3) return async ({ device, from }) => json(await deploymentManifest(await getDb(), device, ddiConfig, actionId, from));
  }
  if (a === "cancelAction" && id(b) !== null) {
    const actionId = id(b)!;
    if (method === "GET" && p.length === 2) return async ({ device, from }) => json(await cancelActionJson(await getDb(), device, actionId, from));
    if (method === "POST" && c === "feedback" && p.length === 3)
      return async ({ device, request, from }) => {
        await applyFeedback(await getDb(), device, actionId, "cancel", await readBody(request), from);
        return new Response(null, { status: 200 });
      };
  }
  if (a === "installedBase" && id(b) !== null && method === "GET" && p.length === 2)
    return async ({ device, origin, from }) => json(await installedBase(await getDb(), device, ddiConfig, origin, id(b)!, from));
  if (a === "configData" && method === "PUT" && p.length === 1)
    return async ({ device, request, from }) => {
      await putConfigData(await getDb(), device, await readBody(request), from);
      return new Response(null, { status: 200 });
    };
  if (a === "telemetry" && method === "POST" && p.length === 1)
    return async ({ device, request }) => json(await ingestTelemetry(await getDb(), device, await readBody(request)));
  if (a === "softwaremodules" && id(b) !== null && c === "artifacts" && d && p.length === 4 && (method === "GET" || method === "HEAD"))
    return ({ device, request, from }) => serveArtifact(device, id(b)!, d, request, from, method === "HEAD");
  return null;
}

/** Streams an artifact with HEAD and single-range support (206), as resumed SWUpdate downloads need. */
async function serveArtifact(device: DeviceSession, releaseId: number, filename: string, request: Request, from: Origin, head: boolean) {
  const artifact = await artifactForDevice(await getDb(), device, ddiConfig, releaseId, filename, from);
  const file = artifactPath(ddiConfig.artifactDir, artifact.sha256);
  if (!fs.existsSync(file)) throw new ServiceError("The artifact file is missing from the store.", 500, "artifact_missing");
  const size = artifact.size;
  const range = parseRange(request.headers.get("range"), size);
  const headers = new Headers({
    "Content-Type": "application/octet-stream",
    "Accept-Ranges": "bytes",
    ETag: `"${artifact.sha256}"`,
    "Cache-Control": "no-store",
  });
  if (range === "unsatisfiable") {
    headers.set("Content-Range", `bytes */${size}`);
    return new Response(null, { status: 416, headers });
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  headers.set("Content-Length", String(end - start + 1));
  if (range) headers.set("Content-Range", `bytes ${start}-${end}/${size}`);
  const body = head ? null : (Readable.toWeb(fs.createReadStream(file, { start, end })) as ReadableStream<Uint8Array>);
  return new Response(body, { status: range ? 206 : 200, headers });
}

/** The manifest verification key, public by nature. */
export async function manifestPublicKey(): Promise<Response> {
  const key = await manifestKey(await getDb(), ddiConfig.manifestKeyPem);
  return new Response(key.publicKeyPem, { headers: { "Content-Type": "application/x-pem-file", "Cache-Control": "public, max-age=300" } });
}
