import { createHash, createPublicKey, sign, type KeyObject } from "node:crypto";
import { Readable } from "node:stream";
import { and, eq } from "drizzle-orm";
import { deviceModels, manufacturers, releases, vendorKeys, type Release } from "../schema";
import type { z } from "zod";
import type { RiskClass } from "@/lib/domain";
import type { BriefingInput } from "@/lib/validation/releases";
import type { Ctx } from "@/lib/services/actor";
import { saveBriefing } from "@/lib/services/releases/briefings";
import { addEvidence, attachSbom, createRelease, intakePackage, startReview, submitRelease, verifyRelease } from "@/lib/services/releases/intake";
import { policyFor } from "@/lib/services/releases/policies";
import { signRelease } from "@/lib/services/releases/signatures";
import { addVendorKey, parseVendorKey } from "@/lib/services/releases/vendor-keys";
import { buildCycloneDx, DEMO_SBOM_COMPONENTS, type CycloneDxComponentInput } from "./cyclonedx";

// A release taken through the whole governed path with the real services: vendor key pinned, package
// signed and verified, SBOM, briefing, evidence for the policy, and the approvals it needs. Used by the
// demo seed and by tests that need an approved release (they must not invent one in the database).

export type Signer = { ctx: Ctx; password: string };

export type GovernedReleaseSpec = {
  /** Pins the vendor key (needs vendor_keys.manage). */
  admin: Ctx;
  /** Creates and submits the release; never one of the approvers. */
  submitter: Ctx;
  /** Verifies, starts the review and records evidence. */
  reviewer: Ctx;
  approvers: Signer[];
  modelId: number;
  version: string;
  securityVersion: number;
  hardwareRevisions: string[];
  /** The vendor package: a CMS-signed .swu, or any file with its detached signature. */
  bytes: Buffer;
  signature?: Buffer;
  filename: string;
  /** The manufacturer's certificate or Ed25519 public key (PEM), pinned if it is not yet. */
  vendorKeyPem: string;
  riskClass?: RiskClass;
  artifactDir?: string;
  changeLog?: string;
  components?: CycloneDxComponentInput[];
  /** The clinician briefing; a plain "nothing changes at the bedside" one when left out. */
  briefing?: Omit<z.input<typeof BriefingInput>, "releaseId">;
  /** How far to go: a vendor's draft, a release awaiting approvals, or (default) approved. */
  stage?: "draft" | "in_review" | "approved";
};

const QUIET_BRIEFING = {
  bedsideChanges: "Nothing changes in how you use the device. This update fixes security problems.",
  alarmsAndScreens: "No alarms or screens change.",
  staffActions: "No action is needed. The device restarts by itself during the night maintenance window.",
  howToReport: "Use Report a problem on the Briefings page, or call clinical engineering.",
  patientGuidance: "Patients and families do not need to do anything.",
};

export async function governedRelease(spec: GovernedReleaseSpec): Promise<Release> {
  const db = spec.admin.db;
  const [model] = await db.select({ manufacturerId: deviceModels.manufacturerId, criticality: deviceModels.criticality, name: deviceModels.name, maker: manufacturers.name }).from(deviceModels).innerJoin(manufacturers, eq(manufacturers.id, deviceModels.manufacturerId)).where(eq(deviceModels.id, spec.modelId));
  if (!model) throw new Error(`no model ${spec.modelId}`);
  await pinKey(spec.admin, model.manufacturerId, spec.vendorKeyPem);

  const riskClass = spec.riskClass ?? "routine";
  const release = await createRelease(spec.submitter, {
    modelId: spec.modelId,
    version: spec.version,
    securityVersion: spec.securityVersion,
    hardwareRevisions: spec.hardwareRevisions,
    riskClass,
    changeLog: spec.changeLog ?? `Version ${spec.version}: maintenance release with security fixes.`,
    knownIssues: [],
    compatibility: [],
    privacyImpact: false,
  });
  const uploaded = await intakePackage(spec.submitter, {
    releaseId: release.id,
    fileName: spec.filename,
    signature: spec.signature,
    body: Readable.from([spec.bytes]),
    artifactDir: spec.artifactDir,
  });
  const sbom = buildCycloneDx({ name: model.name, version: spec.version, supplier: model.maker, artifactSha256: createHash("sha256").update(spec.bytes).digest("hex"), components: spec.components ?? [...DEMO_SBOM_COMPONENTS] });
  await attachSbom(spec.submitter, { releaseId: uploaded.id, filename: "sbom.cdx.json", bytes: Buffer.from(JSON.stringify(sbom)) });
  await saveBriefing(spec.submitter, { releaseId: release.id, ...(spec.briefing ?? QUIET_BRIEFING) });
  const stage = spec.stage ?? "approved";
  if (stage === "draft") return reload(db, release.id);
  await submitRelease(spec.submitter, { releaseId: release.id });
  await verifyRelease(spec.reviewer, { releaseId: release.id });
  await startReview(spec.reviewer, { releaseId: release.id });
  const policy = await policyFor(db, model.criticality, riskClass);
  for (const kind of policy.requiredEvidence) {
    await addEvidence(spec.reviewer, { releaseId: release.id, kind, outcome: "passed", acceptanceCriteria: "Installs, boots and passes the vendor's acceptance checklist on two bench units.", summary: "All checks passed on the bench." });
  }
  let state = "in_review";
  for (const approver of spec.approvers) {
    state = (await signRelease(approver.ctx, { releaseId: release.id, meaning: "approved", password: approver.password })).state;
  }
  if (stage === "approved" && state !== "approved") throw new Error(`release ${spec.version} is ${state} after ${spec.approvers.length} approvals`);
  return reload(db, release.id);
}

async function reload(db: Ctx["db"], id: number): Promise<Release> {
  const [row] = await db.select().from(releases).where(eq(releases.id, id));
  return row!;
}

/** An Ed25519 key's public half, as a manufacturer would send it for pinning. */
export const publicKeyPem = (privateKey: KeyObject) => createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();

/** A detached Ed25519 signature over the file's bytes (PureEdDSA), as package-verification expects. */
export const signDetached = (bytes: Buffer, privateKey: KeyObject) => sign(null, bytes, privateKey);

async function pinKey(admin: Ctx, manufacturerId: number, pem: string) {
  const { fingerprintSha256 } = parseVendorKey(pem);
  const [pinned] = await admin.db.select({ id: vendorKeys.id }).from(vendorKeys).where(and(eq(vendorKeys.manufacturerId, manufacturerId), eq(vendorKeys.fingerprintSha256, fingerprintSha256)));
  if (!pinned) await addVendorKey(admin, { manufacturerId, label: "Release signing key", pem });
}
