import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { Readable } from "node:stream";
import { and, asc, eq, gt } from "drizzle-orm";
import type { Db, DbHandle } from "@/db/client";
import { auditEvents, deviceModels, releases, users, type AuditEvent, type Release, type User } from "@/db/schema";
import { buildCycloneDx, DEMO_SBOM_COMPONENTS, type CycloneDxOptions } from "@/db/seed/cyclonedx";
import { publicKeyPem, signDetached } from "@/db/seed/governed-release";
import type { Criticality, ReleaseState, RiskClass } from "@/lib/domain";
import { systemActor, type Ctx } from "@/lib/services/actor";
import { saveBriefing } from "@/lib/services/releases/briefings";
import { addEvidence, attachSbom, createRelease, intakePackage, startReview, submitRelease, verifyRelease } from "@/lib/services/releases/intake";
import { recallRelease, signRelease, withdrawRelease } from "@/lib/services/releases/signatures";
import { addVendorKey } from "@/lib/services/releases/vendor-keys";
import { createTestPlace, createTestUser, ctxFor, openTestDb, TEST_PASSWORD, unique, userActor } from "./db";

// Releases for the governance tests, always made through the real services (never inserted in a state
// the lifecycle would not allow): a world with the people a release needs, a model whose manufacturer
// has a pinned Ed25519 key, and `releaseIn(g, state)` to get a release in any lifecycle state.

export type Person = { user: User; ctx: Ctx };

export type Gov = {
  handle: DbHandle;
  db: Db;
  /** Artifact store of this world (accepted packages under sha256/, rejected ones under quarantine/). */
  dir: string;
  system: Ctx;
  admin: Person;
  /** Creates and submits releases; never an approver. */
  submitter: Person;
  /** Verifies, starts reviews, records evidence. */
  reviewer: Person;
  /** Two biomedical engineers and one IT security engineer, none of whom submitted anything. */
  approvers: [Person, Person, Person];
  place: Awaited<ReturnType<typeof createTestPlace>>;
  vendorKey: KeyObject;
};

export async function person(db: Db, role: User["role"], displayName?: string): Promise<Person> {
  let user = await createTestUser(db, role);
  if (displayName) [user] = await db.update(users).set({ displayName }).where(eq(users.id, user.id)).returning() as [User];
  return { user, ctx: ctxFor(db, userActor(user)) };
}

/** A vendor account working for one manufacturer (users.manufacturer_id). */
export async function vendorFor(db: Db, manufacturerId: number | null): Promise<Person> {
  const created = await createTestUser(db, "vendor");
  const [user] = await db.update(users).set({ manufacturerId }).where(eq(users.id, created.id)).returning();
  return { user: user!, ctx: ctxFor(db, userActor(user!)) };
}

export async function openGov(handle?: DbHandle): Promise<Gov> {
  handle ??= await openTestDb();
  const db = handle.db;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "corridor-release-"));
  const g: Gov = {
    handle,
    db,
    dir,
    system: { db, actor: systemActor("release fixtures") },
    admin: await person(db, "admin", "Ada Admin"),
    submitter: await person(db, "biomed", "Sam Submitter"),
    reviewer: await person(db, "biomed", "Rita Reviewer"),
    approvers: [await person(db, "biomed", "Alex Approver"), await person(db, "biomed", "Bea Approver"), await person(db, "security", "Cy Security")],
    place: await createTestPlace(db),
    vendorKey: generateKeyPairSync("ed25519").privateKey,
  };
  await addVendorKey(g.admin.ctx, { manufacturerId: g.place.manufacturer.id, label: "Test vendor Ed25519", pem: publicKeyPem(g.vendorKey) });
  return g;
}

export async function closeGov(g: Gov | undefined, opts: { keepDb?: boolean } = {}) {
  if (!g) return;
  fs.rmSync(g.dir, { recursive: true, force: true });
  if (!opts.keepDb) await g.handle.close();
}

/** Another model of the same manufacturer (its key is pinned), e.g. with another criticality. */
export async function anotherModel(g: Gov, criticality: Criticality = "life_supporting") {
  const [model] = await g.db
    .insert(deviceModels)
    .values({ manufacturerId: g.place.manufacturer.id, name: unique("Model "), deviceType: "Infusion pump", deviceClass: "II", criticality, updateMinutes: 10 })
    .returning();
  return model!;
}

export const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

export type ReleaseOpts = {
  modelId?: number;
  version?: string;
  securityVersion?: number;
  hardwareRevisions?: string[];
  riskClass?: RiskClass;
  changeLog?: string;
  knownIssues?: { severity: "low" | "medium" | "high" | "critical"; symptom: string; workaround: string }[];
};

/** Valid createRelease input. */
export function releaseInput(g: Gov, o: ReleaseOpts = {}) {
  return {
    modelId: o.modelId ?? g.place.model.id,
    version: o.version ?? unique("3.0."),
    securityVersion: o.securityVersion ?? 1,
    hardwareRevisions: o.hardwareRevisions ?? ["A"],
    riskClass: o.riskClass ?? ("routine" as RiskClass),
    changeLog: o.changeLog ?? "Fixes the occlusion alarm delay.",
    knownIssues: o.knownIssues ?? [],
    compatibility: [],
    privacyImpact: false,
  };
}

/** The updateRelease input that keeps a release's content as it is, with `over` applied. */
export function contentOf(r: Release, over: Partial<ReturnType<typeof releaseInput>> = {}) {
  return {
    releaseId: r.id,
    securityVersion: r.securityVersion,
    hardwareRevisions: r.hardwareRevisions,
    riskClass: r.riskClass,
    changeLog: r.changeLog,
    knownIssues: r.knownIssues,
    compatibility: r.compatibility,
    privacyImpact: r.privacyImpact,
    ...(r.privacyNote ? { privacyNote: r.privacyNote } : {}),
    ...over,
  };
}

/** Firmware bytes with a detached Ed25519 signature by the world's pinned vendor key. */
export function ed25519Package(g: Gov, bytes = randomBytes(4096)) {
  return { bytes, signature: signDetached(bytes, g.vendorKey), sha256: sha256(bytes), fileName: `fw-${unique("p")}.bin` };
}

export function upload(g: Gov, as: Ctx, releaseId: number, pkg: { bytes: Buffer; signature?: Buffer; fileName: string }) {
  return intakePackage(as, { releaseId, fileName: pkg.fileName, signature: pkg.signature, body: Readable.from([pkg.bytes]), artifactDir: g.dir });
}

/** A CycloneDX SBOM (schema-valid, NTIA-complete) bound to `artifactSha256`. */
export function sbomBytes(artifactSha256: string, over: Partial<CycloneDxOptions> = {}): Buffer {
  return Buffer.from(JSON.stringify(buildCycloneDx({ name: "Test pump", version: "1", supplier: "Test maker", artifactSha256, components: [...DEMO_SBOM_COMPONENTS], ...over })));
}

export const BRIEFING = {
  bedsideChanges: "The pump shows the new dose screen. Nothing else changes at the bedside.",
  alarmsAndScreens: "The occlusion alarm sounds two seconds sooner.",
  staffActions: "No action is needed.",
  howToReport: "Use Report a problem on the Briefings page.",
  patientGuidance: "Patients do not need to do anything.",
};

export async function releaseRow(db: Db, id: number): Promise<Release> {
  const [row] = await db.select().from(releases).where(eq(releases.id, id));
  return row!;
}

export const stateOf = async (db: Db, id: number) => (await releaseRow(db, id)).state;

export type Built = { release: Release; pkg: ReturnType<typeof ed25519Package> };

/**
 * A release taken through the real services to `target`. Steps: create → package + SBOM + briefing →
 * submit → verify → start review → functional evidence + two biomed approvals → (reject | withdraw | recall).
 */
export async function releaseIn(g: Gov, target: ReleaseState, o: ReleaseOpts & { sbom?: Buffer | null; briefing?: boolean } = {}): Promise<Built> {
  const pkg = ed25519Package(g);
  let release = await createRelease(g.submitter.ctx, releaseInput(g, o));
  const done = async (): Promise<Built> => ({ release: await releaseRow(g.db, release.id), pkg });
  if (target === "draft") return done();
  await upload(g, g.submitter.ctx, release.id, pkg);
  if (o.sbom !== null) await attachSbom(g.submitter.ctx, { releaseId: release.id, filename: "sbom.cdx.json", bytes: o.sbom ?? sbomBytes(pkg.sha256) });
  if (o.briefing) await saveBriefing(g.submitter.ctx, { releaseId: release.id, ...BRIEFING });
  release = await submitRelease(g.submitter.ctx, { releaseId: release.id });
  if (target === "submitted") return done();
  await verifyRelease(g.reviewer.ctx, { releaseId: release.id });
  if (target === "verified") return done();
  await startReview(g.reviewer.ctx, { releaseId: release.id });
  if (target === "in_review") return done();
  if (target === "rejected") {
    await signRelease(g.approvers[0].ctx, { releaseId: release.id, meaning: "rejected", password: TEST_PASSWORD, reason: "Fails the bench test." });
    return done();
  }
  await addEvidence(g.reviewer.ctx, { releaseId: release.id, kind: "functional", outcome: "passed", acceptanceCriteria: "Boots and infuses on two bench units.", summary: "Passed." });
  for (const a of [g.approvers[0], g.approvers[1]]) await signRelease(a.ctx, { releaseId: release.id, meaning: "approved", password: TEST_PASSWORD });
  if (target === "approved") {
    const built = await done();
    if (built.release.state !== "approved") throw new Error(`fixture: release is ${built.release.state} after two approvals`);
    return built;
  }
  const retire = target === "withdrawn" ? withdrawRelease : target === "recalled" ? recallRelease : null;
  if (!retire) throw new Error(`fixture: no path to ${target}`);
  await retire(g.admin.ctx, { releaseId: release.id, password: TEST_PASSWORD, reason: "Vendor field notice." });
  return done();
}

/** Audit rows about one release after `seq`, oldest first. */
export async function releaseAudit(db: Db, releaseId: number, seq = 0): Promise<AuditEvent[]> {
  return db
    .select()
    .from(auditEvents)
    .where(and(gt(auditEvents.seq, seq), eq(auditEvents.entityType, "release"), eq(auditEvents.entityId, String(releaseId))))
    .orderBy(asc(auditEvents.seq));
}
