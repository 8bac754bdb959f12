import { createHash } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { deploymentActions, deviceCredentials, deviceReports, devices, releases, rolloutWaves, rollouts, units } from "@/db/schema";
import { OPEN_ACTION_STATES } from "@/lib/domain";
import type { Actor, Origin } from "../actor";
import { recordAudit } from "../audit/record";
import { ServiceError } from "../errors";
import { reportCredentialAbuse } from "../incidents/sources";

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** Everything a DDI request needs about the calling device, read in one query. */
export type DeviceSession = NonNullable<Awaited<ReturnType<typeof loadDevice>>>;

// The poll's one query is prepared once per database: planning it cost more than running it.
const prepared = new WeakMap<object, ReturnType<typeof prepareLookup>>();

async function loadDevice(db: Db, tokenHash: string) {
  let lookup = prepared.get(db);
  if (!lookup) prepared.set(db, (lookup = prepareLookup(db)));
  const [row] = await lookup.execute({ tokenHash });
  return row;
}

function prepareLookup(db: Db) {
  return db
    .select({
      id: devices.id,
      serial: devices.serial,
      status: devices.status,
      modelId: devices.modelId,
      hardwareRevision: devices.hardwareRevision,
      firmwareVersion: devices.firmwareVersion,
      securityVersion: devices.securityVersion,
      unitId: devices.unitId,
      unitTimeZone: units.timeZone,
      revokedAt: deviceCredentials.revokedAt,
      attributesAt: deviceReports.attributesAt,
      inClinicalUse: deviceReports.inClinicalUse,
      clinicalUseAt: deviceReports.clinicalUseAt,
      action: {
        id: deploymentActions.id,
        state: deploymentActions.state,
        releaseId: deploymentActions.releaseId,
        rolloutId: deploymentActions.rolloutId,
      },
      rollout: { state: rollouts.state, maxConcurrent: rollouts.maxConcurrent },
      waveState: rolloutWaves.state,
      release: { version: releases.version, securityVersion: releases.securityVersion },
    })
    .from(deviceCredentials)
    .innerJoin(devices, eq(devices.id, deviceCredentials.deviceId))
    .innerJoin(units, eq(units.id, devices.unitId))
    .leftJoin(deviceReports, eq(deviceReports.deviceId, devices.id))
    .leftJoin(deploymentActions, and(eq(deploymentActions.deviceId, devices.id), inArray(deploymentActions.state, [...OPEN_ACTION_STATES])))
    .leftJoin(releases, eq(releases.id, deploymentActions.releaseId))
    .leftJoin(rollouts, eq(rollouts.id, deploymentActions.rolloutId))
    .leftJoin(rolloutWaves, eq(rolloutWaves.id, deploymentActions.waveId))
    .where(eq(deviceCredentials.tokenHash, sql.placeholder("tokenHash")))
    .limit(1)
    .prepare("ddi_device_lookup");
}

export class DeviceAuthError extends ServiceError {
  constructor(message: string, status = 401) {
    super(message, status, status === 401 ? "unauthenticated" : "forbidden");
  }
}

/**
 * Authenticates `Authorization: TargetToken <token>` for the controller id in the URL. A device can act
 * only as itself: a valid token for another controller id is refused. Every failure is an audited
 * security event (AUD-09); gateway (shared) tokens are not accepted (ACC-10).
 */
export async function authenticateDevice(db: Db, controllerId: string, authorization: string | null, origin: Origin) {
  const match = /^TargetToken\s+(\S{16,200})$/i.exec(authorization ?? "");
  const refuse = async (reason: string, status = 401, device?: { id: number; serial: string }, misuse?: "revoked" | "foreign") => {
    const actor: Actor | null = device ? { type: "device", deviceId: device.id, name: device.serial } : null;
    await recordAudit(db, actor, origin, { action: "device.auth_failed", outcome: "denied", entityType: "device", entityId: device?.id ?? controllerId, reason });
    // Misused or repeatedly wrong credentials become an incident (rules in incidents/sources.ts).
    await reportCredentialAbuse(db, { controllerId, origin, misuse, device });
    return new DeviceAuthError(status === 401 ? "Unknown or invalid device token." : "This token does not belong to this device.", status);
  };
  if (!match) throw await refuse(/^GatewayToken/i.test(authorization ?? "") ? "gateway tokens are not accepted" : "missing or malformed TargetToken");
  const device = await loadDevice(db, hashToken(match[1]!));
  if (!device) throw await refuse("unknown token");
  if (device.revokedAt) throw await refuse("revoked token", 401, device, "revoked");
  if (device.serial !== controllerId) throw await refuse(`token of ${device.serial} used for ${controllerId}`, 403, device, "foreign");
  if (device.status === "retired") throw await refuse("device is retired", 403, device);
  return device;
}

/** Writes a device-reported clinical-use state. */
export async function reportClinicalUse(db: Db, deviceId: number, inUse: boolean, at: Date) {
  await db
    .insert(deviceReports)
    .values({ deviceId, inClinicalUse: inUse, clinicalUseAt: at })
    .onConflictDoUpdate({
      target: deviceReports.deviceId,
      set: { inClinicalUse: inUse, clinicalUseAt: at },
      // An older sample arriving late must not overwrite a newer report.
      setWhere: sql`${deviceReports.clinicalUseAt} is null or ${deviceReports.clinicalUseAt} <= ${at}`,
    });
}
