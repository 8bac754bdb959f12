import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { releaseSignatures, users } from "@/db/schema";
import { verifyPassword } from "@/lib/auth/password";
import { SIGNATURE_MEANING_LABELS, type SignatureMeaning } from "@/lib/domain";
import { RetireReleaseInput, SignInput } from "@/lib/validation/releases";
import { RowId } from "@/lib/validation/ids";
import type { Actor } from "../actor";
import type { AuditEntry } from "../audit/record";
import { ConflictError, ForbiddenError, NotFoundError, ServiceError } from "../errors";
import { command } from "../operation";
import { loadRelease, moveRelease, requireState, type ScopedRelease } from "./lifecycle";
import { approvalStatus } from "./policies";

// Electronic signatures, 21 CFR Part 11 style. Every signature asks for the signer's password again
// (stricter than SIG-03 requires inside one session), stores the printed name, the database clock's time
// and the meaning, and binds to the release's content hash (the database re-checks it).

/** Wrong passwords in a row before signing locks (SIG-05). */
export const SIGNING_FAILURE_LIMIT = 5;

export class SignatureRefused extends ServiceError {
  constructor(message: string, audit?: AuditEntry) {
    super(message, 401, "reauthentication_failed", audit);
  }
}

/**
 * Failed signing attempts since the user last signed or was unlocked, counted from the audit trail
 * itself: the count cannot drift from the record an inspector reads.
 */
export async function signingFailures(db: Db, userId: number): Promise<number> {
  const id = String(userId);
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM audit_events
        WHERE action IN ('signature.password_rejected', 'signature.lockout') AND actor_type = 'user' AND actor_id = ${id}
          AND seq > coalesce((SELECT max(seq) FROM audit_events WHERE action IN ('release.signed', 'incident.signed_off') AND actor_type = 'user' AND actor_id = ${id}), 0)
          AND seq > coalesce((SELECT max(seq) FROM audit_events WHERE action = 'signature.unlocked' AND entity_type = 'user' AND entity_id = ${id}), 0)`,
  );
  return row?.n ?? 0;
}

/**
 * Checks the re-entered password for any electronic signature (releases, incident sign-offs); returns the
 * signer's printed name and role. A wrong password is audited against `subject`; signing locks after the limit.
 */
export async function reauthenticate(tx: Db, actor: Actor, password: string, subject: { entityType: string; entityId: number }) {
  if (actor.type !== "user") throw new ForbiddenError("Only a person can sign.");
  const [user] = await tx.select().from(users).where(eq(users.id, actor.userId));
  if (!user?.active) throw new ForbiddenError("This account is disabled.");
  const failures = await signingFailures(tx, user.id);
  if (failures >= SIGNING_FAILURE_LIMIT) {
    throw new ForbiddenError(`Signing is locked for your account after ${SIGNING_FAILURE_LIMIT} wrong passwords. Ask an administrator to unlock it.`);
  }
  if (!(await verifyPassword(password, user.passwordHash))) {
    const locks = failures + 1 >= SIGNING_FAILURE_LIMIT;
    throw new SignatureRefused(
      locks ? `Wrong password. Signing is now locked for your account; an administrator must unlock it.` : "Wrong password: the signature was not applied.",
      { action: locks ? "signature.lockout" : "signature.password_rejected", ...subject, after: { failures: failures + 1 } },
    );
  }
  return { userId: user.id, printedName: user.displayName, role: user.role };
}

async function insertSignature(
  tx: Db,
  release: ScopedRelease,
  signer: Awaited<ReturnType<typeof reauthenticate>>,
  meaning: SignatureMeaning,
  audit: (e: AuditEntry) => Promise<void>,
  extra: { reason?: string; revokesId?: number } = {},
) {
  const [signature] = await tx
    .insert(releaseSignatures)
    .values({ releaseId: release.id, ...signer, meaning, contentHash: release.contentHash, reason: extra.reason ?? null, revokesId: extra.revokesId ?? null })
    .returning();
  await audit({
    action: "release.signed",
    entityType: "release",
    entityId: release.id,
    after: { signatureId: signature!.id, meaning, meaningLabel: SIGNATURE_MEANING_LABELS[meaning], printedName: signer.printedName, role: signer.role, signedAt: signature!.signedAt, contentHash: release.contentHash, revokesId: extra.revokesId },
    reason: extra.reason,
  });
  return signature!;
}

/** Review, approve, reject, or revoke one's own earlier signature. Approval completes when the policy is met. */
export const signRelease = command({
  name: "releases.sign",
  permission: "releases.sign",
  input: SignInput,
  async run({ tx, actor, input, audit }) {
    let release = await loadRelease(tx, actor, input.releaseId, { forUpdate: true });
    if (input.meaning === "reviewed") requireState(release, ["verified", "in_review"], "sign a review");
    else if (input.meaning === "revoked") requireState(release, ["in_review", "approved"], "revoke a signature");
    else requireState(release, ["in_review"], input.meaning === "approved" ? "approve" : "reject");
    const signer = await reauthenticate(tx, actor, input.password, { entityType: "release", entityId: release.id });

    if ((input.meaning === "approved" || input.meaning === "rejected") && (signer.userId === release.submittedBy || signer.userId === release.createdBy)) {
      throw new ForbiddenError("You submitted this release, so you cannot sign its approval or rejection. Someone else must decide.", {
        action: "authz.denied", entityType: "release", entityId: release.id, after: { reason: "submitter_cannot_sign", meaning: input.meaning },
      });
    }
    const before = await approvalStatus(tx, release);
    if (input.meaning === "approved" && before.approvers.some((a) => a.userId === signer.userId)) {
      throw new ConflictError("You have already approved this version of the release. One person counts once; another approver must sign.");
    }
    if (input.meaning === "revoked") {
      const target = before.signatures.find((s) => s.id === input.revokesId);
      if (!target || target.userId !== signer.userId) throw new NotFoundError("You can revoke only your own signature on this release.");
      if (target.status === "revoked" || target.meaning === "revoked") throw new ConflictError("That signature is already revoked.");
    }

    const signature = await insertSignature(tx, release, signer, input.meaning, audit, { reason: input.reason, revokesId: input.revokesId });
    if (input.meaning === "rejected") {
      release = { ...release, ...(await moveRelease(tx, release, "rejected", audit, { signatureId: signature.id }, input.reason)) };
    } else if (input.meaning === "approved" || input.meaning === "revoked") {
      const after = await approvalStatus(tx, release);
      if (release.state === "in_review" && after.met) {
        release = { ...release, ...(await moveRelease(tx, release, "approved", audit, { approvers: after.approvers.map((a) => a.printedName) })) };
      } else if (release.state === "approved" && !after.met) {
        release = { ...release, ...(await moveRelease(tx, release, "in_review", audit, { cause: "an approval was revoked" })) };
      }
    }
    return { signature, state: release.state };
  },
});

async function retire(meaning: "withdrawn" | "recalled", { tx, actor, input, audit }: { tx: Db; actor: Actor; input: z.output<typeof RetireReleaseInput>; audit: (e: AuditEntry) => Promise<void> }) {
  const release = await loadRelease(tx, actor, input.releaseId, { forUpdate: true });
  requireState(release, ["approved"], meaning === "withdrawn" ? "withdraw it" : "recall it");
  const signer = await reauthenticate(tx, actor, input.password, { entityType: "release", entityId: release.id });
  const signature = await insertSignature(tx, release, signer, meaning, audit, { reason: input.reason });
  const moved = await moveRelease(tx, release, meaning, audit, { signatureId: signature.id }, input.reason);
  return { signature, state: moved.state };
}

/** Takes an approved release out of use: no new assignments, unfinished updates stop. */
export const withdrawRelease = command({ name: "releases.withdraw", permission: "releases.withdraw", input: RetireReleaseInput, run: (args) => retire("withdrawn", args) });

/** Like withdrawal, and the devices already running the release are flagged everywhere they appear. */
export const recallRelease = command({ name: "releases.recall", permission: "releases.withdraw", input: RetireReleaseInput, run: (args) => retire("recalled", args) });

/** Lifts a signing lock after the person's identity was confirmed (SIG-05). */
export const unlockSigning = command({
  name: "users.unlock_signing",
  permission: "users.manage",
  input: z.object({ userId: RowId("Unknown account.") }).strict(),
  async run({ tx, input, audit }) {
    const [user] = await tx.select({ id: users.id, username: users.username }).from(users).where(eq(users.id, input.userId));
    if (!user) throw new NotFoundError("This account does not exist.");
    const failures = await signingFailures(tx, user.id);
    if (failures < SIGNING_FAILURE_LIMIT) throw new ConflictError("Signing is not locked for this account.");
    await audit({ action: "signature.unlocked", entityType: "user", entityId: user.id, before: { failures }, after: { username: user.username } });
    return { userId: user.id };
  },
});
