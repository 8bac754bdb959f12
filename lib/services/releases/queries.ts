import { and, asc, desc, eq, gte, sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows } from "@/db/client";
import {
  artifacts, auditEvents, deviceModels, devices, manufacturers, releaseBriefings, releaseEvidence, releaseSboms, releases, users, vendorKeys,
} from "@/db/schema";
import { ReleaseFilterInput } from "@/lib/validation/releases";
import { RowId } from "@/lib/validation/ids";
import { NotFoundError } from "../errors";
import { query } from "../operation";
import { computeContentHash, loadRelease, vendorScope } from "./lifecycle";
import { approvalStatus } from "./policies";
import { evidenceDir, verificationBlockers } from "./intake";
import { artifactPath } from "../artifacts/store";
import { diffSbom, type SbomReport } from "./sbom";

/** Releases, newest first, filtered by model, state and risk class; vendors see only their own. */
export const listReleases = query({
  name: "releases.list",
  permission: "releases.read",
  input: ReleaseFilterInput,
  async run({ db, actor, input }) {
    const scope = await vendorScope(db, actor);
    return db
      .select({
        id: releases.id, version: releases.version, securityVersion: releases.securityVersion, state: releases.state, riskClass: releases.riskClass,
        filename: releases.filename, createdAt: releases.createdAt, stateChangedAt: releases.stateChangedAt, modelName: deviceModels.name, manufacturer: manufacturers.name,
        sha256: artifacts.sha256, size: artifacts.size,
      })
      .from(releases)
      .innerJoin(deviceModels, eq(deviceModels.id, releases.modelId))
      .innerJoin(manufacturers, eq(manufacturers.id, deviceModels.manufacturerId))
      .leftJoin(artifacts, eq(artifacts.id, releases.artifactId))
      .where(
        and(
          input.modelId ? eq(releases.modelId, input.modelId) : undefined,
          input.state ? eq(releases.state, input.state) : undefined,
          input.riskClass ? eq(releases.riskClass, input.riskClass) : undefined,
          scope === null ? undefined : eq(deviceModels.manufacturerId, scope === "none" ? -1 : scope),
        ),
      )
      .orderBy(desc(releases.id))
      .limit(200);
  },
});

/** Models a release can be created for (a vendor's own only). */
export const listModels = query({
  name: "models.list",
  permission: "releases.read",
  input: z.object({}).strict(),
  async run({ db, actor }) {
    const scope = await vendorScope(db, actor);
    return db
      .select({ id: deviceModels.id, name: deviceModels.name, manufacturer: manufacturers.name, criticality: deviceModels.criticality })
      .from(deviceModels)
      .innerJoin(manufacturers, eq(manufacturers.id, deviceModels.manufacturerId))
      .where(scope === null ? undefined : eq(deviceModels.manufacturerId, scope === "none" ? -1 : scope))
      .orderBy(deviceModels.name);
  },
});

/** Everything the release page shows, including provenance (ROL-14) and what blocks the next step. */
export const releaseDetail = query({
  name: "releases.get",
  permission: "releases.read",
  input: z.object({ releaseId: RowId("Unknown release.") }).strict(),
  async run({ db, actor, input }) {
    const release = await loadRelease(db, actor, input.releaseId);
    const [artifact] = release.artifactId ? await db.select().from(artifacts).where(eq(artifacts.id, release.artifactId)) : [];
    const [sbom] = release.sbomId
      ? await db.select({ id: releaseSboms.id, sha256: releaseSboms.sha256, filename: releaseSboms.filename, report: releaseSboms.report, createdAt: releaseSboms.createdAt }).from(releaseSboms).where(eq(releaseSboms.id, release.sbomId))
      : [];
    const [pinnedKey] = release.packageSigner?.keyId ? await db.select({ label: vendorKeys.label, retiredAt: vendorKeys.retiredAt }).from(vendorKeys).where(eq(vendorKeys.id, release.packageSigner.keyId)) : [];
    const [manufacturer] = await db.select({ name: manufacturers.name }).from(manufacturers).where(eq(manufacturers.id, release.manufacturerId));
    const evidence = await db.select().from(releaseEvidence).where(eq(releaseEvidence.releaseId, release.id)).orderBy(asc(releaseEvidence.id));
    const [briefing] = await db.select().from(releaseBriefings).where(eq(releaseBriefings.releaseId, release.id));
    const people = await db.select({ id: users.id, displayName: users.displayName }).from(users).where(sql`${users.id} IN (${release.createdBy ?? 0}, ${release.submittedBy ?? 0})`);
    const approval = await approvalStatus(db, release);
    const [deployed] = await queryRows<{ total: number; succeeded: number; open: number }>(
      db,
      sql`SELECT count(*)::int AS total, count(*) FILTER (WHERE state = 'succeeded')::int AS succeeded,
                 count(*) FILTER (WHERE state IN ('scheduled','downloading','downloaded','installing','installed_awaiting_confirmation','cancel_requested'))::int AS open
          FROM deployment_actions WHERE release_id = ${release.id}`,
    );
    const [running] = await db.select({ n: sql<number>`count(*)::int` }).from(devices).where(and(eq(devices.modelId, release.modelId), eq(devices.firmwareVersion, release.version)));
    return {
      release,
      manufacturer: manufacturer!.name,
      createdByName: people.find((p) => p.id === release.createdBy)?.displayName ?? null,
      submittedByName: people.find((p) => p.id === release.submittedBy)?.displayName ?? null,
      artifact: artifact ? { sha256: artifact.sha256, size: artifact.size } : null,
      pinnedKey: pinnedKey ?? null,
      sbom: sbom ? { ...sbom, report: sbom.report as SbomReport } : null,
      evidence,
      briefing: briefing ?? null,
      approval,
      verificationBlockers: release.state === "submitted" || release.state === "draft" ? await verificationBlockers(db, release) : [],
      deployments: deployed ?? { total: 0, succeeded: 0, open: 0 },
      devicesRunning: running?.n ?? 0,
      /** Recomputed now: differs from the stored hash only if someone changed the rows behind the service. */
      contentHashIntact: (await computeContentHash(db, release.id)) === release.contentHash,
    };
  },
});

/**
 * The SBOM compared with the release most installed on the same model today (SBM-10): what an approver
 * is about to change on the floor.
 */
export const sbomDiffForRelease = query({
  name: "releases.sbom_diff",
  permission: "releases.read",
  input: z.object({ releaseId: RowId("Unknown release.") }).strict(),
  async run({ db, actor, input }) {
    const release = await loadRelease(db, actor, input.releaseId);
    if (!release.sbomId) return null;
    const [installed] = await queryRows<{ version: string; devices: number }>(
      db,
      sql`SELECT firmware_version AS version, count(*)::int AS devices FROM devices
          WHERE model_id = ${release.modelId} AND status <> 'retired' GROUP BY firmware_version ORDER BY count(*) DESC, firmware_version DESC LIMIT 1`,
    );
    if (!installed) return null;
    const [baseline] = await db
      .select({ id: releases.id, version: releases.version, report: releaseSboms.report })
      .from(releases)
      .innerJoin(releaseSboms, eq(releaseSboms.id, releases.sbomId))
      .where(and(eq(releases.modelId, release.modelId), eq(releases.version, installed.version)));
    const [mine] = await db.select({ report: releaseSboms.report }).from(releaseSboms).where(eq(releaseSboms.id, release.sbomId));
    if (!baseline || baseline.id === release.id) return { baselineVersion: installed.version, baselineDevices: installed.devices, diff: null };
    return { baselineVersion: installed.version, baselineDevices: installed.devices, diff: diffSbom(baseline.report as SbomReport, mine!.report as SbomReport) };
  },
});

/** The release's audit history, oldest first. */
export const releaseHistory = query({
  name: "releases.history",
  permission: "releases.read",
  input: z.object({ releaseId: RowId("Unknown release.") }).strict(),
  async run({ db, actor, input }) {
    const release = await loadRelease(db, actor, input.releaseId);
    return db
      .select({ seq: auditEvents.seq, createdAt: auditEvents.createdAt, actorName: auditEvents.actorName, action: auditEvents.action, outcome: auditEvents.outcome, after: auditEvents.after, reason: auditEvents.reason })
      .from(auditEvents)
      .where(and(eq(auditEvents.entityType, "release"), eq(auditEvents.entityId, String(release.id))))
      .orderBy(asc(auditEvents.seq))
      .limit(500);
  },
});

/** Approved releases a device could be given: its model, its hardware, not below its security floor. */
export const assignableReleases = query({
  name: "releases.assignable",
  permission: "deployments.assign",
  input: z.object({ deviceId: RowId("Unknown device.") }).strict(),
  async run({ db, input }) {
    const [device] = await db.select().from(devices).where(eq(devices.id, input.deviceId));
    if (!device) throw new NotFoundError("This device does not exist.");
    return db
      .select({ id: releases.id, version: releases.version, securityVersion: releases.securityVersion, filename: releases.filename })
      .from(releases)
      .where(
        and(
          eq(releases.modelId, device.modelId),
          eq(releases.state, "approved"),
          gte(releases.securityVersion, device.securityVersion),
          sql`${device.hardwareRevision} = ANY(${releases.hardwareRevisions})`,
        ),
      )
      .orderBy(desc(releases.securityVersion), desc(releases.id));
  },
});

/** Devices that run a recalled release, for the inventory flag. */
export async function recalledFirmware(db: Parameters<typeof queryRows>[0], deviceIds: number[]) {
  if (deviceIds.length === 0) return new Set<number>();
  const rows = await queryRows<{ id: number }>(
    db,
    sql`SELECT d.id FROM devices d JOIN releases r ON r.model_id = d.model_id AND r.version = d.firmware_version AND r.state = 'recalled'
        WHERE d.id = ANY(${sql.param(deviceIds)})`,
  );
  return new Set(rows.map((r) => r.id));
}


/** Where an evidence attachment lies, for a reader allowed to see its release. */
export const evidenceAttachment = query({
  name: "releases.evidence_file",
  permission: "releases.read",
  input: z.object({ evidenceId: RowId("Unknown evidence.") }).strict(),
  async run({ db, actor, input }) {
    const [row] = await db.select().from(releaseEvidence).where(eq(releaseEvidence.id, input.evidenceId));
    if (!row?.attachmentSha256) throw new NotFoundError("This evidence has no attachment.");
    await loadRelease(db, actor, row.releaseId);
    return { path: artifactPath(evidenceDir(), row.attachmentSha256), filename: row.attachmentName ?? "evidence", size: row.attachmentSize ?? 0 };
  },
});
