import { asc, desc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { queryRows } from "@/db/client";
import { downgradeExceptions, downgradeSignatures, releases, rollouts } from "@/db/schema";
import { RowId } from "@/lib/validation/ids";
import { ConflictError, NotFoundError } from "../errors";
import { command, query } from "../operation";
import { reauthenticate } from "../releases/signatures";
import { insertRollout } from "./create";
import { approvedRelease } from "./targets";

// Authorised downgrade (UPD-04). Putting devices back on a release below their security floor is refused
// by default (revertCohort leaves them out). A downgrade exception names the rollout, the older release and
// a safety reason; it is executed only when two different people have signed it with their password. It
// then becomes a rollout of its own (the same install gate: windows, clinical use, freeze) whose actions
// carry a counter one above each device's floor, so the device accepts the new, higher-counter metadata
// for the older image and still refuses any replay of the old, lower-counter one.

/** Signatures needed before a downgrade runs. */
export const DOWNGRADE_SIGNATURES = 2;

const Password = z.string().min(1, "Enter your password to sign.").max(200);

const RequestInput = z
  .object({
    rolloutId: RowId("Unknown rollout."),
    releaseId: RowId("Choose the release to go back to."),
    safetyReason: z.string().trim().min(20, "Explain the safety reason for going below the security floor (at least 20 characters).").max(1000),
    password: Password,
  })
  .strict();

/** The devices of a rollout that installed it and sit above `securityVersion` (a revert cannot take them). */
function aboveFloor(db: Db, rolloutId: number, modelId: number, securityVersion: number) {
  return queryRows<{ id: number }>(
    db,
    sql`SELECT d.id FROM rollout_devices rd
        JOIN deployment_actions a ON a.id = rd.action_id AND a.state = 'succeeded'
        JOIN devices d ON d.id = rd.device_id
        WHERE rd.rollout_id = ${rolloutId} AND d.model_id = ${modelId} AND d.security_version > ${securityVersion}
        ORDER BY d.id`,
  );
}

/** Opens a downgrade exception; the requester's signature is the first of two. */
export const requestDowngrade = command({
  name: "rollouts.downgrade_request",
  permission: "downgrades.sign",
  input: RequestInput,
  async run({ tx, actor, input, audit }) {
    const [rollout] = await tx.select().from(rollouts).where(eq(rollouts.id, input.rolloutId));
    if (!rollout) throw new NotFoundError("This rollout does not exist.");
    const target = await approvedRelease(tx, input.releaseId);
    const devices = await aboveFloor(tx, rollout.id, target.modelId, target.securityVersion);
    if (devices.length === 0) throw new ConflictError(`No updated device of this rollout is above security version ${target.securityVersion}: a revert needs no exception.`);
    const signer = await reauthenticate(tx, actor, input.password, { entityType: "rollout", entityId: rollout.id });
    const [exception] = await tx
      .insert(downgradeExceptions)
      .values({ rolloutId: rollout.id, releaseId: target.id, deviceIds: devices.map((d) => d.id), safetyReason: input.safetyReason, requestedBy: signer.userId })
      .returning();
    await tx.insert(downgradeSignatures).values({ exceptionId: exception!.id, userId: signer.userId, printedName: signer.printedName, role: signer.role });
    await audit({
      action: "deployment.downgrade_requested",
      entityType: "downgrade_exception",
      entityId: exception!.id,
      after: { rolloutId: rollout.id, releaseId: target.id, version: target.version, securityVersion: target.securityVersion, devices: devices.length, signedBy: signer.printedName },
      reason: input.safetyReason,
    });
    return exception!;
  },
});

/** The second person's signature; with it the downgrade runs (logged as `deployment.downgrade`). */
export const signDowngrade = command({
  name: "rollouts.downgrade_sign",
  permission: "downgrades.sign",
  input: z.object({ exceptionId: RowId("Unknown downgrade exception."), password: Password }).strict(),
  async run({ tx, actor, input, audit }) {
    const [exception] = await tx.select().from(downgradeExceptions).where(eq(downgradeExceptions.id, input.exceptionId)).for("update");
    if (!exception) throw new NotFoundError("This downgrade exception does not exist.");
    if (exception.state !== "pending") throw new ConflictError(`This downgrade exception is already ${exception.state}.`);
    const signed = await tx.select().from(downgradeSignatures).where(eq(downgradeSignatures.exceptionId, exception.id)).orderBy(asc(downgradeSignatures.signedAt));
    if (actor.type === "user" && signed.some((s) => s.userId === actor.userId)) {
      throw new ConflictError("You have already signed this downgrade exception; a second person must sign it.", {
        action: "deployment.downgrade_refused", entityType: "downgrade_exception", entityId: exception.id, after: { reason: "same signer twice" },
      });
    }
    const signer = await reauthenticate(tx, actor, input.password, { entityType: "downgrade_exception", entityId: exception.id });
    await tx.insert(downgradeSignatures).values({ exceptionId: exception.id, userId: signer.userId, printedName: signer.printedName, role: signer.role });
    const signers = [...signed.map((s) => s.printedName), signer.printedName];
    if (signers.length < DOWNGRADE_SIGNATURES) return { executed: false as const };

    const [source] = await tx.select().from(rollouts).where(eq(rollouts.id, exception.rolloutId));
    const target = await approvedRelease(tx, exception.releaseId);
    const downgrade = await insertRollout(
      tx,
      actor,
      {
        name: `Downgrade of "${source!.name}" to ${target.version}`,
        filter: { releaseId: target.id, deviceIds: exception.deviceIds, offlineDays: 365 },
        waves: [{ kind: "general", name: "Downgrade", minSuccessPct: 90, maxFailurePct: 10, minSample: 5, soakMinutes: 0, requireAcknowledgement: false, requireGoAhead: false }],
        maxConcurrent: source!.maxConcurrent,
      },
      audit,
      exception.id,
    );
    await tx.update(downgradeExceptions).set({ state: "executed", executedRolloutId: downgrade.id }).where(eq(downgradeExceptions.id, exception.id));
    await audit({
      action: "deployment.downgrade",
      entityType: "downgrade_exception",
      entityId: exception.id,
      after: { rolloutId: downgrade.id, fromRolloutId: exception.rolloutId, releaseId: target.id, version: target.version, devices: exception.deviceIds.length, signedBy: signers },
      reason: exception.safetyReason,
    });
    return { executed: true as const, rollout: downgrade };
  },
});

/** A rollout's downgrade exceptions with who signed them, newest first (for the rollout page). */
export const downgradesOf = query({
  name: "rollouts.downgrades",
  permission: "rollouts.read",
  input: z.object({ rolloutId: RowId("Unknown rollout.") }).strict(),
  async run({ db, input }) {
    const rows = await db
      .select({ exception: downgradeExceptions, version: releases.version })
      .from(downgradeExceptions)
      .innerJoin(releases, eq(releases.id, downgradeExceptions.releaseId))
      .where(eq(downgradeExceptions.rolloutId, input.rolloutId))
      .orderBy(desc(downgradeExceptions.id));
    const ids = rows.map((r) => r.exception.id);
    const signatures = ids.length ? await db.select().from(downgradeSignatures).where(inArray(downgradeSignatures.exceptionId, ids)).orderBy(asc(downgradeSignatures.signedAt)) : [];
    return rows.map((r) => ({ ...r.exception, version: r.version, signatures: signatures.filter((s) => s.exceptionId === r.exception.id) }));
  },
});
