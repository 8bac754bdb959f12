import { createHash } from "node:crypto";
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import {
  artifacts, deploymentActions, deviceModels, releaseBriefings, releaseEvidence, releaseSboms, releases, users, type Release,
} from "@/db/schema";
import { RELEASE_STATE_LABELS, type ReleaseState } from "@/lib/domain";
import type { Actor } from "../actor";
import type { Audit } from "../audit/record";
import { stopOpenActions } from "../deployments/stop";
import { ConflictError, NotFoundError } from "../errors";

// The release lifecycle (SIG-07). The same table is enforced by the releases_lifecycle trigger
// (migration 0005), so no writer can skip a step.
export const LIFECYCLE: Record<ReleaseState, readonly ReleaseState[]> = {
  draft: ["submitted"],
  submitted: ["verified"],
  verified: ["in_review"],
  in_review: ["approved", "rejected"],
  approved: ["withdrawn", "recalled", "in_review"],
  rejected: [],
  withdrawn: [],
  recalled: [],
};


export type ScopedRelease = Release & { manufacturerId: number; criticality: "life_sustaining" | "life_supporting" | "other"; modelName: string };

/** The manufacturer a vendor account works for; null for hospital staff. */
export async function vendorScope(db: Db, actor: Actor): Promise<number | null | "none"> {
  if (actor.type !== "user" || actor.role !== "vendor") return null;
  const [row] = await db.select({ manufacturerId: users.manufacturerId }).from(users).where(eq(users.id, actor.userId));
  return row?.manufacturerId ?? "none";
}

/**
 * Loads a release the actor may see. Vendors see only their own manufacturer's releases; anything else
 * is "not found", so a vendor cannot learn another vendor's release ids.
 */
export async function loadRelease(db: Db, actor: Actor, releaseId: number, opts: { forUpdate?: boolean } = {}): Promise<ScopedRelease> {
  const q = db
    .select({ release: releases, manufacturerId: deviceModels.manufacturerId, criticality: deviceModels.criticality, modelName: deviceModels.name })
    .from(releases)
    .innerJoin(deviceModels, eq(deviceModels.id, releases.modelId))
    .where(eq(releases.id, releaseId));
  const [row] = opts.forUpdate ? await q.for("update", { of: releases }) : await q;
  const scope = await vendorScope(db, actor);
  if (!row || (scope !== null && scope !== row.manufacturerId)) throw new NotFoundError("This release does not exist.");
  return { ...row.release, manufacturerId: row.manufacturerId, criticality: row.criticality, modelName: row.modelName };
}

export function requireState(release: Release, allowed: readonly ReleaseState[], doing: string): void {
  if (allowed.includes(release.state)) return;
  throw new ConflictError(`You cannot ${doing} while the release is ${RELEASE_STATE_LABELS[release.state].toLowerCase()}.`);
}

/**
 * Moves a release one step. The update is conditional on the state just read, so two people acting at
 * once produce exactly one transition. Leaving `approved` stops every update not yet started.
 */
export async function moveRelease(tx: Db, release: Release, to: ReleaseState, audit: Audit, details: Record<string, unknown> = {}, reason?: string): Promise<Release> {
  if (!LIFECYCLE[release.state].includes(to)) {
    throw new ConflictError(`A release that is ${RELEASE_STATE_LABELS[release.state].toLowerCase()} cannot become ${RELEASE_STATE_LABELS[to].toLowerCase()}.`);
  }
  const [moved] = await tx
    .update(releases)
    .set({ state: to, stateChangedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(releases.id, release.id), eq(releases.state, release.state)))
    .returning();
  if (!moved) throw new ConflictError("Someone changed this release at the same moment. Reload the page and try again.");
  await audit({ action: "release.state_changed", entityType: "release", entityId: release.id, before: { state: release.state }, after: { state: to, ...details }, reason });
  if (release.state === "approved") {
    const stopped = await stopOpenActions(tx, eq(deploymentActions.releaseId, release.id));
    if (stopped.canceled + stopped.cancelRequested) await audit({ action: "deployment.cancel_for_release", entityType: "release", entityId: release.id, after: stopped });
  }
  return moved;
}

// ---------------------------------------------------------------------------------------------------------
// Canonical content (SIG-02): everything a signer vouches for. Keys are sorted and lists ordered, so
// the same content always gives the same hash on any machine.

export async function canonicalContent(db: Db, releaseId: number) {
  const [row] = await db
    .select({ release: releases, artifactSha256: artifacts.sha256, sbomSha256: releaseSboms.sha256 })
    .from(releases)
    .leftJoin(artifacts, eq(artifacts.id, releases.artifactId))
    .leftJoin(releaseSboms, eq(releaseSboms.id, releases.sbomId))
    .where(eq(releases.id, releaseId));
  if (!row) throw new NotFoundError("This release does not exist.");
  const r = row.release;
  const evidence = await db
    .select({ id: releaseEvidence.id, kind: releaseEvidence.kind, outcome: releaseEvidence.outcome, acceptanceCriteria: releaseEvidence.acceptanceCriteria, summary: releaseEvidence.summary, attachmentSha256: releaseEvidence.attachmentSha256, authorId: releaseEvidence.authorId })
    .from(releaseEvidence)
    .where(eq(releaseEvidence.releaseId, releaseId))
    .orderBy(asc(releaseEvidence.id));
  const [briefing] = await db.select({ textHash: releaseBriefings.textHash }).from(releaseBriefings).where(eq(releaseBriefings.releaseId, releaseId));
  return {
    release: {
      id: r.id, modelId: r.modelId, version: r.version, securityVersion: r.securityVersion, hardwareRevisions: [...r.hardwareRevisions].sort(),
      riskClass: r.riskClass, changeLog: r.changeLog, knownIssues: r.knownIssues, compatibility: r.compatibility,
      privacyImpact: r.privacyImpact, privacyNote: r.privacyNote ?? null,
    },
    package: { filename: r.filename, sha256: row.artifactSha256, signer: r.packageSigner?.fingerprintSha256 ?? null },
    sbomSha256: row.sbomSha256,
    evidence,
    briefingSha256: briefing?.textHash ?? null,
  };
}

export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

export const sha256Hex = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");

export async function computeContentHash(db: Db, releaseId: number): Promise<string> {
  return sha256Hex(stableJson(await canonicalContent(db, releaseId)));
}

/**
 * Re-hashes the release after its content changed. Earlier signatures no longer match and show as
 * invalid; an approved release falls back to review, because what was approved is not what is there.
 */
export async function rehashRelease(tx: Db, releaseId: number, audit: Audit): Promise<Release> {
  const [current] = await tx.select().from(releases).where(eq(releases.id, releaseId));
  if (!current) throw new NotFoundError("This release does not exist.");
  const contentHash = await computeContentHash(tx, releaseId);
  if (contentHash === current.contentHash) return current;
  const [updated] = await tx.update(releases).set({ contentHash, updatedAt: sql`now()` }).where(eq(releases.id, releaseId)).returning();
  if (current.state !== "approved") return updated!;
  return moveRelease(tx, updated!, "in_review", audit, { cause: "signed content changed" }, "Signed content changed after approval; the approvals no longer match it.");
}
