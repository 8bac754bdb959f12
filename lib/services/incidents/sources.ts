import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { deploymentActions, devices, releases } from "@/db/schema";
import { OPEN_ACTION_STATES, type IncidentSeverity, type IncidentSource } from "@/lib/domain";
import { systemActor, type Actor, type Origin } from "../actor";
import type { DeviceSession } from "../ddi/device-auth";
import { auditAs, type Audit } from "../audit/record";
import { openIncident } from "./open";

// The automatic sources of incidents. Each opens (or, for a repeated cause, reuses) one incident linked
// to the device and — when the device is taking part in a rollout — to that rollout and its release.

const deviceActor = (d: { id: number; serial: string }): Actor => ({ type: "device", deviceId: d.id, name: d.serial });

/** The rollout and release of a device's open update, if it has one. */
async function openUpdateOf(tx: Db, deviceId: number): Promise<{ rolloutId?: number; releaseId?: number }> {
  const [row] = await tx
    .select({ rolloutId: deploymentActions.rolloutId, releaseId: deploymentActions.releaseId })
    .from(deploymentActions)
    .where(and(eq(deploymentActions.deviceId, deviceId), inArray(deploymentActions.state, [...OPEN_ACTION_STATES])));
  return { rolloutId: row?.rolloutId ?? undefined, releaseId: row?.releaseId };
}

// ---------------------------------------------------------------------------------------------------------
// Clinicians' problem reports: severity high when the report says a patient was or could have been harmed,
// else medium. Several reports about the same device and release share one open incident; a report
// without a known device opens its own.

export async function problemReportIncident(
  tx: Db,
  actor: Actor,
  audit: Audit,
  report: { id: number; releaseId: number; unitId: number; deviceSerial: string | null; description: string; patientHarm: boolean },
) {
  const [device] = report.deviceSerial ? await tx.select({ id: devices.id, serial: devices.serial }).from(devices).where(eq(devices.serial, report.deviceSerial)) : [];
  // The rollout of this release that included the device (or, with no known device, a device of the
  // reporting unit); a live one first. Linked, the incident holds that rollout's next wave.
  const [rollout] = await queryRows<{ id: number }>(
    tx,
    sql`SELECT r.id FROM rollouts r
        WHERE r.release_id = ${report.releaseId}
          AND EXISTS (SELECT 1 FROM rollout_devices rd JOIN devices d ON d.id = rd.device_id
                      WHERE rd.rollout_id = r.id AND ${device ? sql`rd.device_id = ${device.id}` : sql`d.unit_id = ${report.unitId}`})
        ORDER BY (r.state IN ('running', 'paused')) DESC, r.id DESC LIMIT 1`,
  );
  const [release] = await tx.select({ version: releases.version }).from(releases).where(eq(releases.id, report.releaseId));
  return openIncident(tx, actor, audit, {
    source: "problem_report",
    sourceKey: device ? `problem_report:release:${report.releaseId}:device:${device.id}` : undefined,
    title: `Problem reported after update to ${release?.version ?? "a new version"}${device ? ` on ${device.serial}` : ""}`,
    description: report.description,
    severity: report.patientHarm ? "high" : "medium",
    releaseId: report.releaseId,
    rolloutId: rollout?.id,
    deviceIds: device ? [device.id] : [],
    evidence: { problemReportId: report.id, unitId: report.unitId, deviceSerial: report.deviceSerial, patientHarm: report.patientHarm },
  });
}

// ---------------------------------------------------------------------------------------------------------
// A device that refuses a package. Rule: a failed update whose root cause or closing message mentions a
// signature, a verification, a hash, a checksum or a digest. All devices refusing the same release share
// one open incident (severity high): a package that does not verify is a supply-chain warning.

const VERIFICATION_FAILURE = /signature|verif|hash|checksum|digest/i;

export async function reportDeviceRefusal(
  tx: Db,
  d: { id: number; serial: string },
  action: { id: number; releaseId: number; rolloutId: number | null },
  lines: (string | null)[],
  origin: Origin,
) {
  const evidence = [...new Set(lines.filter((l): l is string => !!l && VERIFICATION_FAILURE.test(l)))];
  if (!evidence.length) return null;
  const [release] = await tx.select({ version: releases.version }).from(releases).where(eq(releases.id, action.releaseId));
  const actor = deviceActor(d);
  return openIncident(tx, actor, auditAs(tx, actor, origin), {
    source: "device_verification",
    sourceKey: `device_verification:release:${action.releaseId}`,
    title: `Devices refuse release ${release?.version ?? action.releaseId}: the package failed verification`,
    description: `${d.serial} refused the update: ${evidence[0]}`,
    severity: "high",
    releaseId: action.releaseId,
    rolloutId: action.rolloutId ?? undefined,
    deviceIds: [d.id],
    evidence: { firstDevice: d.serial, actionId: action.id, messages: evidence.slice(0, 10) },
  });
}

// ---------------------------------------------------------------------------------------------------------
// Device-credential abuse. Rules:
//   - a revoked token is presented, or a device's valid token is used for another controller id:
//     at once (severity high), linked to the token's device (and the other device when it exists);
//   - bad tokens for a known controller id: on the BAD_TOKEN_LIMIT-th failure within BAD_TOKEN_WINDOW
//     minutes (severity medium), linked to that device.
// One open incident per device.

export const BAD_TOKEN_LIMIT = 5;
const BAD_TOKEN_WINDOW_MINUTES = 15;
const DEVICE_SECURITY = systemActor("device-security");

export async function reportCredentialAbuse(
  db: Db,
  event: { controllerId: string; origin: Origin; misuse?: "revoked" | "foreign"; device?: { id: number; serial: string } },
) {
  let device = event.device;
  let severity: IncidentSeverity = "high";
  let what: string;
  if (event.misuse && device) {
    what = event.misuse === "revoked" ? `The revoked token of ${device.serial} was presented.` : `The token of ${device.serial} was presented for ${event.controllerId}.`;
  } else if (!device) {
    const [row] = await queryRows<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM audit_events
          WHERE entity_type = 'device' AND entity_id = ${event.controllerId} AND action = 'device.auth_failed'
            AND created_at > now() - ${BAD_TOKEN_WINDOW_MINUTES} * interval '1 minute'`,
    );
    if ((row?.n ?? 0) < BAD_TOKEN_LIMIT) return null;
    [device] = await db.select({ id: devices.id, serial: devices.serial }).from(devices).where(eq(devices.serial, event.controllerId));
    if (!device) return null;
    severity = "medium";
    what = `${row!.n} requests with a wrong or missing token for ${device.serial} within ${BAD_TOKEN_WINDOW_MINUTES} minutes.`;
  } else {
    return null;
  }
  const target = device;
  return db.transaction(async (tx) => {
    const other = event.misuse === "foreign" ? (await tx.select({ id: devices.id }).from(devices).where(eq(devices.serial, event.controllerId)))[0] : undefined;
    const update = await openUpdateOf(tx, target.id);
    return openIncident(tx, DEVICE_SECURITY, auditAs(tx, DEVICE_SECURITY, event.origin), {
      source: "credential_abuse",
      sourceKey: `credential_abuse:device:${target.id}`,
      title: `Possible misuse of the device credential of ${target.serial}`,
      description: `${what} The requests were refused. Check the device and rotate or revoke its token.`,
      severity,
      ...update,
      deviceIds: other ? [target.id, other.id] : [target.id],
      evidence: { controllerId: event.controllerId, sourceIp: event.origin.ip ?? null, misuse: event.misuse ?? "bad_tokens" },
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Security events and malfunctions a device reports in its telemetry (ROL-15). One open incident per
// device and kind of event.

const DEVICE_EVENT_KINDS = ["attack_detected", "malfunction", "verification_failed"] as const;
export const DeviceEvent = z.object({ kind: z.enum(DEVICE_EVENT_KINDS), detail: z.string().max(500).optional() }).strict();
export type DeviceEvent = z.output<typeof DeviceEvent>;

const EVENT_INCIDENT: Record<DeviceEvent["kind"], { source: IncidentSource; severity: IncidentSeverity; title: string }> = {
  attack_detected: { source: "security_event", severity: "critical", title: "reports a suspected attack" },
  verification_failed: { source: "device_verification", severity: "high", title: "reports a failed verification" },
  malfunction: { source: "device_malfunction", severity: "high", title: "reports a malfunction" },
};

export async function reportDeviceEvents(db: Db, d: DeviceSession, events: DeviceEvent[]) {
  const actor = deviceActor(d);
  const kinds = [...new Set(events.map((e) => e.kind))];
  return db.transaction(async (tx) => {
    const opened = [];
    for (const kind of kinds) {
      const details = events.filter((e) => e.kind === kind && e.detail).map((e) => e.detail!);
      const spec = EVENT_INCIDENT[kind];
      opened.push(
        await openIncident(tx, actor, auditAs(tx, actor), {
          source: spec.source,
          sourceKey: `device_event:${d.id}:${kind}`,
          title: `${d.serial} ${spec.title}`,
          description: `The device reported “${kind}”${details.length ? `: ${details.slice(0, 3).join("; ")}` : ""}.`,
          severity: spec.severity,
          releaseId: d.action?.releaseId ?? undefined,
          rolloutId: d.action?.rolloutId ?? undefined,
          deviceIds: [d.id],
          evidence: { kind, details: details.slice(0, 20), firmwareVersion: d.firmwareVersion },
        }),
      );
    }
    return opened;
  });
}
