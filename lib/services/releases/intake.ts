import path from "node:path";
import { Readable } from "node:stream";
import { and, eq, max, ne, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { artifacts, deviceModels, quarantinedPackages, releaseEvidence, releaseSboms, releases, users } from "@/db/schema";
import { env } from "@/lib/env";
import { CreateReleaseInput, EvidenceInput, ReleaseRef, UpdateReleaseInput } from "@/lib/validation/releases";
import { RowId } from "@/lib/validation/ids";
import type { Ctx } from "../actor";
import { promoteStaged, quarantineStaged, stageStream, storeStream } from "../artifacts/store";
import { ConflictError, UnprocessableError, ValidationError } from "../errors";
import { recordAudit } from "../audit/record";
import { authorize, command } from "../operation";
import { loadRelease, moveRelease, rehashRelease, requireState, sha256Hex, vendorScope } from "./lifecycle";
import { verifyPackage } from "./package-verification";
import { analyzeSbom, sbomBlockers, SbomError, type SbomReport } from "./sbom";
import { trustedKeysFor } from "./vendor-keys";

// Release intake: a draft with its details, then the vendor package (verified against the manufacturer's
// pinned keys before it is kept), the SBOM, and the steps submit → verify → review.

const userId = (actor: { type: string; userId?: number }) => (actor.type === "user" ? actor.userId! : null);

/** States in which hospital staff may still change the signed content (an approved one falls back to review). */
const EDITABLE_STATES = ["draft", "submitted", "verified", "in_review", "approved"] as const;

export const createRelease = command({
  name: "releases.create",
  permission: "releases.create",
  input: CreateReleaseInput,
  async run({ tx, actor, input, audit }) {
    const [model] = await tx.select({ id: deviceModels.id, manufacturerId: deviceModels.manufacturerId }).from(deviceModels).where(eq(deviceModels.id, input.modelId));
    const scope = await vendorScope(tx, actor);
    if (!model || (scope !== null && scope !== model.manufacturerId)) throw new ValidationError("Choose a device model from the list.", { modelId: ["Unknown model."] });
    await requireMonotonicSecurityVersion(tx, input.modelId, input.securityVersion);
    const [release] = await tx
      .insert(releases)
      .values({ ...input, privacyNote: input.privacyImpact ? input.privacyNote : null, createdBy: userId(actor) })
      .onConflictDoNothing({ target: [releases.modelId, releases.version] })
      .returning();
    if (!release) throw new ConflictError(`Version ${input.version} of this model already exists.`);
    await audit({ action: "release.created", entityType: "release", entityId: release.id, after: { ...input } });
    return rehashRelease(tx, release.id, audit);
  },
});

/** The security version (anti-rollback counter) never goes down across a model's releases. */
async function requireMonotonicSecurityVersion(tx: Db, modelId: number, securityVersion: number, exceptReleaseId = 0) {
  const [row] = await tx
    .select({ highest: max(releases.securityVersion) })
    .from(releases)
    .where(and(eq(releases.modelId, modelId), ne(releases.state, "rejected"), ne(releases.id, exceptReleaseId)));
  if (row?.highest != null && securityVersion < row.highest) {
    throw new ValidationError(`The security version must be at least ${row.highest}, the highest this model already has (it never goes down).`, {
      securityVersion: [`At least ${row.highest}.`],
    });
  }
}

export const updateRelease = command({
  name: "releases.update",
  permission: "releases.edit",
  input: UpdateReleaseInput,
  async run({ tx, actor, input, audit }) {
    const release = await loadRelease(tx, actor, input.releaseId, { forUpdate: true });
    // Vendors shape their draft; once submitted, the hospital owns the record.
    requireState(release, actor.type === "user" && actor.role === "vendor" ? ["draft"] : EDITABLE_STATES, "change it");
    if (input.securityVersion !== release.securityVersion) {
      requireState(release, ["draft"], "change the security version");
      await requireMonotonicSecurityVersion(tx, release.modelId, input.securityVersion, release.id);
    }
    const { releaseId: _id, ...values } = input;
    const next = { ...values, privacyNote: values.privacyImpact ? values.privacyNote : null };
    const before = Object.fromEntries(Object.keys(next).map((k) => [k, release[k as keyof typeof release]]));
    await tx.update(releases).set({ ...next, updatedAt: sql`now()` }).where(eq(releases.id, release.id));
    await audit({ action: "release.updated", entityType: "release", entityId: release.id, before, after: next });
    return rehashRelease(tx, release.id, audit);
  },
});

// ---------------------------------------------------------------------------------------------------------
// The package. Verification reads the whole file, so it runs before the transaction opens; the outcome is
// then recorded in one transaction with its audit row: kept and linked, or quarantined.

export type IntakePackageInput = {
  releaseId: number;
  fileName: string;
  signature?: Buffer;
  body: AsyncIterable<Uint8Array>;
  /** Where accepted and quarantined files go (tests and seeds use their own); defaults to the configured store. */
  artifactDir?: string;
  /** The size limit; defaults to ARTIFACT_MAX_MB. */
  maxBytes?: number;
};

const FileName = z.string().trim().regex(/^[\w.+-]{1,120}$/, "The package file name may use letters, digits, dots, dashes and underscores.");

export async function intakePackage(ctx: Ctx, input: IntakePackageInput) {
  const actor = await authorize(ctx, "releases.create", "releases.attach_package");
  const releaseId = RowId("Unknown release.").parse(input.releaseId);
  const fileName = FileName.safeParse(input.fileName);
  if (!fileName.success) throw new ValidationError(fileName.error.issues[0]!.message);
  const release = await loadRelease(ctx.db, actor, releaseId);
  requireState(release, ["draft"], "upload its package");
  if (release.artifactId) throw new ConflictError("This draft already has a verified package. Create a new release for a different file.");

  const dir = input.artifactDir ?? env.artifactDir;
  const maxBytes = input.maxBytes ?? env.ARTIFACT_MAX_MB * 1024 * 1024;
  const staged = await stageStream(dir, input.body, maxBytes).catch(async (err: unknown) => {
    // Too large (or empty): nothing was kept, but the refusal is on the record like any other.
    if (err instanceof ValidationError) {
      await recordAudit(ctx.db, actor, ctx.origin, { action: "release.package_rejected", outcome: "denied", entityType: "release", entityId: releaseId, after: { filename: fileName.data }, reason: err.message });
    }
    throw err;
  });
  const trusted = await trustedKeysFor(ctx.db, release.manufacturerId);
  const verdict = await verifyPackage(staged.path, { fileName: fileName.data, signature: input.signature, trusted: trusted.keys, maxBytes });
  const reason = verdict.ok ? compatibilityProblem(verdict, release) : verdict.reason;
  if (reason) {
    quarantineStaged(dir, staged);
    await recordQuarantine(ctx, { releaseId, filename: fileName.data, sha256: staged.sha256, size: staged.size, reason });
    throw new UnprocessableError(`Package rejected and quarantined: ${reason}`);
  }
  if (!verdict.ok) throw new Error("unreachable");
  const fingerprint = verdict.signer.fingerprintSha256;
  const file = promoteStaged(dir, staged);
  return recordPackage(ctx, {
    releaseId,
    filename: fileName.data,
    file,
    signer: {
      method: verdict.type === "swu" ? ("swu-cms" as const) : verdict.method,
      subject: verdict.signer.subject,
      fingerprintSha256: fingerprint,
      keyId: trusted.byFingerprint.get(fingerprint) ?? null,
    },
    images: verdict.type === "swu" ? verdict.images.map((i) => ({ filename: i.filename, sha256: i.sha256 })) : [],
  });
}

/** A verified .swu still has to be the release it claims to be: its version and hardware. */
function compatibilityProblem(verdict: Awaited<ReturnType<typeof verifyPackage>>, release: { version: string; hardwareRevisions: string[] }): string | null {
  if (!verdict.ok || verdict.type !== "swu") return null;
  if (verdict.version && verdict.version !== release.version) return `the package says it is version ${verdict.version}, but this release is ${release.version}.`;
  const declared = verdict.hardwareCompatibility;
  const unsupported = release.hardwareRevisions.filter((h) => declared.length > 0 && !declared.includes(h));
  if (unsupported.length) return `the package supports hardware ${declared.join(", ")}, not ${unsupported.join(", ")} as this release states.`;
  return null;
}

const recordQuarantine = command({
  name: "releases.quarantine_package",
  permission: "releases.create",
  input: z.object({ releaseId: z.number(), filename: z.string(), sha256: z.string(), size: z.number(), reason: z.string() }),
  async run({ tx, actor, input, audit }) {
    const [row] = await tx.insert(quarantinedPackages).values({ ...input, uploadedBy: userId(actor) }).returning();
    await audit({ action: "release.package_quarantined", outcome: "denied", entityType: "release", entityId: input.releaseId, after: { quarantineId: row!.id, filename: input.filename, sha256: input.sha256, size: input.size }, reason: input.reason });
    return row!;
  },
});

const recordPackage = command({
  name: "releases.record_package",
  permission: "releases.create",
  input: z.object({
    releaseId: z.number(),
    filename: z.string(),
    file: z.object({ sha256: z.string(), sha1: z.string(), md5: z.string(), size: z.number() }),
    signer: z.object({ method: z.enum(["swu-cms", "cms", "ed25519"]), subject: z.string(), fingerprintSha256: z.string(), keyId: z.number().nullable() }),
    images: z.array(z.object({ filename: z.string(), sha256: z.string() })),
  }),
  async run({ tx, actor, input, audit }) {
    const release = await loadRelease(tx, actor, input.releaseId, { forUpdate: true });
    requireState(release, ["draft"], "upload its package");
    if (release.artifactId) throw new ConflictError("This draft already has a verified package.");
    await tx.insert(artifacts).values({ ...input.file, uploadedBy: userId(actor) }).onConflictDoNothing({ target: artifacts.sha256 });
    const [artifact] = await tx.select({ id: artifacts.id }).from(artifacts).where(eq(artifacts.sha256, input.file.sha256));
    await tx.update(releases).set({ artifactId: artifact!.id, filename: input.filename, packageSigner: input.signer, updatedAt: sql`now()` }).where(eq(releases.id, release.id));
    await audit({
      action: "release.package_verified",
      entityType: "release",
      entityId: release.id,
      after: { filename: input.filename, sha256: input.file.sha256, size: input.file.size, signer: input.signer, images: input.images },
    });
    return rehashRelease(tx, release.id, audit);
  },
});

// ---------------------------------------------------------------------------------------------------------

export const SBOM_MAX_BYTES = 20 * 1024 * 1024;

/** Attaches a CycloneDX SBOM. It is analysed now and judged at verification (SBM-01/02/09). */
export const attachSbom = command({
  name: "releases.attach_sbom",
  permission: "releases.edit",
  input: z.object({ releaseId: RowId("Unknown release."), filename: z.string().trim().min(1).max(200), bytes: z.instanceof(Buffer) }).strict(),
  async run({ tx, actor, input, audit }) {
    const release = await loadRelease(tx, actor, input.releaseId, { forUpdate: true });
    requireState(release, ["draft", "submitted"], "replace its SBOM");
    if (input.bytes.length > SBOM_MAX_BYTES) throw new ValidationError("The SBOM is larger than 20 MB.");
    let report: SbomReport;
    let document: unknown;
    try {
      report = await analyzeSbom(input.bytes);
      document = JSON.parse(input.bytes.toString("utf8"));
    } catch (err) {
      if (err instanceof SbomError) throw new ValidationError(err.message, { sbom: [err.message] });
      throw err;
    }
    const sha256 = sha256Hex(input.bytes);
    const [sbom] = await tx.insert(releaseSboms).values({ releaseId: release.id, sha256, filename: input.filename, document, report, uploadedBy: userId(actor) }).returning({ id: releaseSboms.id });
    await tx.update(releases).set({ sbomId: sbom!.id, updatedAt: sql`now()` }).where(eq(releases.id, release.id));
    await audit({
      action: "release.sbom_attached",
      entityType: "release",
      entityId: release.id,
      after: { sbomId: sbom!.id, filename: input.filename, sha256, schemaValid: report.schemaValid, ntiaMissing: report.ntiaMissing.length, components: report.components.length },
    });
    return rehashRelease(tx, release.id, audit);
  },
});

export const submitRelease = command({
  name: "releases.submit",
  permission: "releases.create",
  input: ReleaseRef,
  async run({ tx, actor, input, audit }) {
    const release = await loadRelease(tx, actor, input.releaseId, { forUpdate: true });
    requireState(release, ["draft"], "submit it");
    if (!release.artifactId) throw new ConflictError("Upload the vendor-signed package before submitting.");
    await tx.update(releases).set({ submittedBy: userId(actor) }).where(eq(releases.id, release.id));
    return moveRelease(tx, release, "submitted", audit);
  },
});

/** What stands between a submitted release and `verified`, in words (empty when nothing does). */
export async function verificationBlockers(db: Db, release: { id: number; artifactId: number | null; sbomId: number | null; packageSigner: unknown }): Promise<string[]> {
  const blockers: string[] = [];
  if (!release.artifactId || !release.packageSigner) blockers.push("The vendor-signed package has not been verified.");
  const [artifact] = release.artifactId ? await db.select({ sha256: artifacts.sha256 }).from(artifacts).where(eq(artifacts.id, release.artifactId)) : [];
  if (!release.sbomId) {
    blockers.push("No SBOM is attached. A release cannot be verified without its software bill of materials.");
    return blockers;
  }
  const [sbom] = await db.select({ report: releaseSboms.report }).from(releaseSboms).where(eq(releaseSboms.id, release.sbomId));
  if (artifact && sbom) blockers.push(...sbomBlockers(sbom.report as SbomReport, artifact.sha256).map((b) => b.message));
  return blockers;
}

/** Submitted → verified, only when the package signature and the SBOM checks all pass. */
export const verifyRelease = command({
  name: "releases.verify",
  permission: "releases.verify",
  input: ReleaseRef,
  async run({ tx, actor, input, audit }) {
    const release = await loadRelease(tx, actor, input.releaseId, { forUpdate: true });
    requireState(release, ["submitted"], "verify it");
    const blockers = await verificationBlockers(tx, release);
    if (blockers.length) {
      throw new ConflictError(`Verification failed: ${blockers.join(" ")}`, {
        action: "release.verification_failed", entityType: "release", entityId: release.id, after: { blockers },
      });
    }
    return moveRelease(tx, release, "verified", audit, { checks: ["vendor signature", "artifact hashes", "SBOM schema", "NTIA minimum elements", "SBOM ↔ artifact hash"] });
  },
});

export const startReview = command({
  name: "releases.start_review",
  permission: "releases.review",
  input: ReleaseRef,
  async run({ tx, actor, input, audit }) {
    const release = await loadRelease(tx, actor, input.releaseId, { forUpdate: true });
    requireState(release, ["verified"], "start its review");
    return moveRelease(tx, release, "in_review", audit);
  },
});

// ---------------------------------------------------------------------------------------------------------

export const EVIDENCE_MAX_BYTES = 20 * 1024 * 1024;

/** Evidence files live beside the artifacts but outside the folder devices download from. */
export const evidenceDir = () => path.join(env.artifactDir, "evidence");

/** Verification evidence with its optional attachment (kept in the artifact store, never served to devices). */
export const addEvidence = command({
  name: "releases.add_evidence",
  permission: "releases.evidence",
  input: EvidenceInput.extend({
    attachment: z.object({ filename: z.string().trim().min(1).max(200), bytes: z.instanceof(Buffer) }).optional(),
  }),
  async run({ tx, actor, input, audit }) {
    const release = await loadRelease(tx, actor, input.releaseId, { forUpdate: true });
    requireState(release, ["submitted", "verified", "in_review", "approved"], "add evidence");
    if (actor.type !== "user") throw new ValidationError("Evidence needs a named author.");
    const [author] = await tx.select({ displayName: users.displayName }).from(users).where(eq(users.id, actor.userId));
    let attachment = {};
    if (input.attachment && input.attachment.bytes.length > 0) {
      if (input.attachment.bytes.length > EVIDENCE_MAX_BYTES) throw new ValidationError("The attachment is larger than 20 MB.");
      const stored = await storeStream(evidenceDir(), Readable.from([input.attachment.bytes]), EVIDENCE_MAX_BYTES);
      attachment = { attachmentName: input.attachment.filename, attachmentSha256: stored.sha256, attachmentSize: stored.size };
    }
    const { attachment: _a, releaseId, ...fields } = input;
    const [row] = await tx.insert(releaseEvidence).values({ releaseId, ...fields, ...attachment, authorId: actor.userId, authorName: author!.displayName }).returning();
    const { createdAt: _c, ...after } = row!;
    await audit({ action: "release.evidence_added", entityType: "release", entityId: releaseId, after });
    await rehashRelease(tx, releaseId, audit);
    return row!;
  },
});
