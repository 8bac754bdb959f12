import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { approvalPolicies, releaseEvidence, releaseSignatures } from "@/db/schema";
import {
  CRITICALITIES, EVIDENCE_KIND_LABELS, ISSUE_SEVERITIES, RISK_CLASSES, ROLE_LABELS,
  type Criticality, type EvidenceKind, type IssueSeverity, type RiskClass, type Role,
} from "@/lib/domain";
import { PolicyInput } from "@/lib/validation/releases";
import { command, query } from "../operation";
import type { ScopedRelease } from "./lifecycle";

export type Policy = {
  criticality: Criticality;
  riskClass: RiskClass;
  requiredRoles: Role[];
  minSigners: number;
  requiredEvidence: EvidenceKind[];
  maxIssueSeverity: IssueSeverity;
  isDefault: boolean;
};

/**
 * The built-in policy when an administrator has not set one: two distinct people always (SIG-09);
 * biomedical engineering signs everything and IT security signs security releases; evidence grows with
 * the risk; life-sustaining devices accept only low-severity known issues.
 */
export function defaultPolicy(criticality: Criticality, riskClass: RiskClass): Policy {
  const requiredEvidence: EvidenceKind[] = ["functional"];
  if (riskClass === "security") requiredEvidence.push("security");
  if (riskClass === "safety_critical") requiredEvidence.push("clinical_validation", "lab_sandbox");
  if (criticality === "life_sustaining" && !requiredEvidence.includes("lab_sandbox")) requiredEvidence.push("lab_sandbox");
  return {
    criticality,
    riskClass,
    requiredRoles: riskClass === "security" ? ["biomed", "security"] : ["biomed"],
    minSigners: 2,
    requiredEvidence,
    maxIssueSeverity: criticality === "life_sustaining" ? "low" : "medium",
    isDefault: true,
  };
}

export async function policyFor(db: Db, criticality: Criticality, riskClass: RiskClass): Promise<Policy> {
  const [row] = await db.select().from(approvalPolicies).where(and(eq(approvalPolicies.criticality, criticality), eq(approvalPolicies.riskClass, riskClass)));
  return row ? { ...row, isDefault: false } : defaultPolicy(criticality, riskClass);
}

/** Every criticality × risk class, configured or default. */
export const listPolicies = query({
  name: "policies.list",
  permission: "releases.read",
  input: z.object({}).strict(),
  async run({ db }) {
    const rows = await db.select().from(approvalPolicies);
    return CRITICALITIES.flatMap((c) =>
      RISK_CLASSES.map((r) => {
        const row = rows.find((p) => p.criticality === c && p.riskClass === r);
        return row ? ({ ...row, isDefault: false } as Policy) : defaultPolicy(c, r);
      }),
    );
  },
});

export const savePolicy = command({
  name: "policies.save",
  permission: "policies.manage",
  input: PolicyInput,
  async run({ tx, actor, input, audit }) {
    const before = await policyFor(tx, input.criticality, input.riskClass);
    const values = { ...input, requiredRoles: [...new Set(input.requiredRoles)], requiredEvidence: [...new Set(input.requiredEvidence)] };
    await tx
      .insert(approvalPolicies)
      .values({ ...values, updatedBy: actor.type === "user" ? actor.userId : null })
      .onConflictDoUpdate({ target: [approvalPolicies.criticality, approvalPolicies.riskClass], set: { ...values, updatedBy: actor.type === "user" ? actor.userId : null, updatedAt: sql`now()` } });
    const { isDefault: _d, ...old } = before;
    await audit({ action: "policy.saved", entityType: "approval_policy", entityId: `${input.criticality}/${input.riskClass}`, before: old, after: values });
    return values;
  },
});

// ---------------------------------------------------------------------------------------------------------

export type SignatureView = typeof releaseSignatures.$inferSelect & { status: "valid" | "stale" | "revoked" };

/** A signature counts while it matches the release's current content and nobody revoked it. */
export function signatureStatuses(signatures: (typeof releaseSignatures.$inferSelect)[], contentHash: string): SignatureView[] {
  const revoked = new Set(signatures.filter((s) => s.meaning === "revoked" && s.revokesId).map((s) => s.revokesId));
  return signatures.map((s) => ({ ...s, status: revoked.has(s.id) ? "revoked" : s.contentHash === contentHash ? "valid" : "stale" }));
}

export type ApprovalStatus = {
  policy: Policy;
  met: boolean;
  /** Distinct people whose approval counts. */
  approvers: { userId: number; printedName: string; role: Role }[];
  /** What is still missing, in words. */
  missing: string[];
  signatures: SignatureView[];
};

export async function approvalStatus(db: Db, release: ScopedRelease): Promise<ApprovalStatus> {
  const policy = await policyFor(db, release.criticality, release.riskClass);
  const rows = await db.select().from(releaseSignatures).where(eq(releaseSignatures.releaseId, release.id)).orderBy(asc(releaseSignatures.id));
  const signatures = signatureStatuses(rows, release.contentHash);
  const approvers = new Map<number, ApprovalStatus["approvers"][number]>();
  for (const s of signatures) {
    // The submitter never counts, and one person counts once whatever they sign (SIG-09).
    if (s.meaning !== "approved" || s.status !== "valid" || s.userId === release.submittedBy || approvers.has(s.userId)) continue;
    approvers.set(s.userId, { userId: s.userId, printedName: s.printedName, role: s.role });
  }
  const missing: string[] = [];
  const people = [...approvers.values()];
  for (const role of policy.requiredRoles) {
    if (!people.some((p) => p.role === role)) missing.push(`an approval from ${ROLE_LABELS[role].toLowerCase()}`);
  }
  if (people.length < policy.minSigners) missing.push(`${policy.minSigners - people.length} more approver${policy.minSigners - people.length === 1 ? "" : "s"} (${people.length} of ${policy.minSigners} distinct people have approved)`);
  const evidence = await db.select({ kind: releaseEvidence.kind, outcome: releaseEvidence.outcome }).from(releaseEvidence).where(eq(releaseEvidence.releaseId, release.id));
  for (const kind of policy.requiredEvidence) {
    if (!evidence.some((e) => e.kind === kind && e.outcome === "passed")) missing.push(`passing ${EVIDENCE_KIND_LABELS[kind].toLowerCase()} evidence`);
  }
  const worst = Math.max(-1, ...release.knownIssues.map((i) => ISSUE_SEVERITIES.indexOf(i.severity)));
  if (worst > ISSUE_SEVERITIES.indexOf(policy.maxIssueSeverity)) {
    missing.push(`known issues no worse than ${policy.maxIssueSeverity} (this release lists a ${ISSUE_SEVERITIES[worst]} one)`);
  }
  return { policy, met: missing.length === 0, approvers: people, missing, signatures };
}
