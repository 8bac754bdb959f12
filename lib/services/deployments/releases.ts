import { and, desc, eq, gte, sql } from "drizzle-orm";
import { z } from "zod";
import { artifacts, deviceModels, devices, releases } from "@/db/schema";
import { UploadReleaseInput } from "@/lib/validation/deployments";
import type { StoredFile } from "../artifacts/store";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { command, query } from "../operation";
import { RowId } from "@/lib/validation/ids";

/**
 * Registers an uploaded package as a release of one model. Until release governance exists, an
 * administrator's upload is the approval (recorded as such in the audit trail); the governance work
 * replaces this path with intake, verification and signatures.
 */
export const registerUploadedRelease = command({
  name: "releases.register_upload",
  permission: "releases.upload",
  input: UploadReleaseInput.extend({
    file: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), sha1: z.string().regex(/^[0-9a-f]{40}$/), md5: z.string().regex(/^[0-9a-f]{32}$/), size: z.number().int().positive() }),
  }),
  async run({ tx, actor, input, audit }) {
    const [model] = await tx.select({ id: deviceModels.id }).from(deviceModels).where(eq(deviceModels.id, input.modelId));
    if (!model) throw new ValidationError("Choose a device model from the list.", { modelId: ["Unknown model."] });
    const file: StoredFile = input.file;
    await tx.insert(artifacts).values({ ...file, uploadedBy: actor.type === "user" ? actor.userId : null }).onConflictDoNothing({ target: artifacts.sha256 });
    const [artifact] = await tx.select({ id: artifacts.id }).from(artifacts).where(eq(artifacts.sha256, file.sha256));
    const [release] = await tx
      .insert(releases)
      .values({
        modelId: input.modelId,
        version: input.version,
        securityVersion: input.securityVersion,
        hardwareRevisions: input.hardwareRevisions,
        artifactId: artifact!.id,
        filename: input.filename,
        notes: input.notes ?? null,
        state: "approved",
        createdBy: actor.type === "user" ? actor.userId : null,
      })
      .onConflictDoNothing({ target: [releases.modelId, releases.version] })
      .returning();
    if (!release) throw new ConflictError(`Version ${input.version} of this model already exists.`);
    const { createdAt: _c, updatedAt: _u, ...after } = release;
    await audit({ action: "release.uploaded", entityType: "release", entityId: release.id, after: { ...after, sha256: file.sha256, size: file.size } });
    return release;
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

export const listModels = query({
  name: "models.list",
  permission: "releases.upload",
  input: z.object({}).strict(),
  run: ({ db }) => db.select({ id: deviceModels.id, name: deviceModels.name }).from(deviceModels).orderBy(deviceModels.name),
});

/** Releases with their artifact, newest first. */
export const listReleases = query({
  name: "releases.list",
  permission: "releases.read",
  input: z.object({}).strict(),
  run: ({ db }) =>
    db
      .select({
        id: releases.id,
        version: releases.version,
        securityVersion: releases.securityVersion,
        hardwareRevisions: releases.hardwareRevisions,
        state: releases.state,
        filename: releases.filename,
        createdAt: releases.createdAt,
        modelName: deviceModels.name,
        sha256: artifacts.sha256,
        size: artifacts.size,
      })
      .from(releases)
      .innerJoin(deviceModels, eq(deviceModels.id, releases.modelId))
      .innerJoin(artifacts, eq(artifacts.id, releases.artifactId))
      .orderBy(desc(releases.id))
      .limit(200),
});
