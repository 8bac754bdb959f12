import { and, desc, eq, inArray } from "drizzle-orm";
import { deploymentActions, devices, releases } from "@/db/schema";
import { OPEN_ACTION_STATES } from "@/lib/domain";
import { AssignReleaseInput, CancelActionInput } from "@/lib/validation/deployments";
import { z } from "zod";
import { feedbackHistory } from "../ddi/protocol";
import { ConflictError, NotFoundError } from "../errors";
import { command, query } from "../operation";
import { RowId } from "@/lib/validation/ids";

/**
 * Gives one device one release (the rollout work will do this in waves). Refused unless the release
 * is approved, fits the device's model and hardware, and is not below its security floor (UPD-04).
 * Whether the device may actually install is decided at poll time by the install gate.
 */
export const assignRelease = command({
  name: "deployments.assign",
  permission: "deployments.assign",
  input: AssignReleaseInput,
  async run({ tx, actor, input, audit }) {
    const [device] = await tx.select().from(devices).where(eq(devices.id, input.deviceId)).for("update");
    if (!device) throw new NotFoundError("This device does not exist.");
    const [release] = await tx.select().from(releases).where(eq(releases.id, input.releaseId));
    if (!release) throw new NotFoundError("This release does not exist.");
    if (release.state !== "approved") throw new ConflictError(`Only an approved release can be assigned; this one is ${release.state.replace("_", " ")}.`);
    if (release.modelId !== device.modelId) throw new ConflictError("This release is for a different device model.");
    if (!release.hardwareRevisions.includes(device.hardwareRevision))
      throw new ConflictError(`This release does not support hardware revision ${device.hardwareRevision} (it supports ${release.hardwareRevisions.join(", ")}).`);
    if (release.securityVersion < device.securityVersion)
      throw new ConflictError(`Refused: security version ${release.securityVersion} is below this device's floor of ${device.securityVersion} (anti-rollback).`, {
        action: "deployment.rollback_blocked",
        entityType: "device",
        entityId: device.id,
        after: { releaseId: release.id, securityVersion: release.securityVersion, deviceFloor: device.securityVersion },
      });
    if (device.status === "retired" || device.status === "quarantined") throw new ConflictError(`This device is ${device.status}; it cannot be given an update.`);
    const [open] = await tx
      .select({ id: deploymentActions.id })
      .from(deploymentActions)
      .where(and(eq(deploymentActions.deviceId, device.id), inArray(deploymentActions.state, [...OPEN_ACTION_STATES])));
    if (open) throw new ConflictError("This device already has an unfinished update. Cancel it first.");
    const [action] = await tx
      .insert(deploymentActions)
      .values({ deviceId: device.id, releaseId: release.id, previousVersion: device.firmwareVersion, createdBy: actor.type === "user" ? actor.userId : null })
      .returning();
    await audit({
      action: "deployment.assigned",
      entityType: "deployment_action",
      entityId: action!.id,
      after: { deviceId: device.id, serial: device.serial, releaseId: release.id, version: release.version, securityVersion: release.securityVersion },
    });
    return action!;
  },
});

/**
 * Cancels an unfinished update truthfully: an action the device never started is canceled at once;
 * otherwise the cancel is requested and the device must acknowledge it (or finish first, in which
 * case the action shows as succeeded).
 */
export const cancelAction = command({
  name: "deployments.cancel",
  permission: "deployments.cancel",
  input: CancelActionInput,
  async run({ tx, input, audit }) {
    const [action] = await tx.select().from(deploymentActions).where(eq(deploymentActions.id, input.actionId)).for("update");
    if (!action) throw new NotFoundError("This update does not exist.");
    if (!OPEN_ACTION_STATES.includes(action.state)) throw new ConflictError(`This update has already ended (${action.state.replace(/_/g, " ")}).`);
    if (action.state === "cancel_requested") return action;
    if (action.state === "installed_awaiting_confirmation") throw new ConflictError("This update is already installed and awaits the device's confirmation; it can no longer be canceled.");
    const untouched = action.state === "scheduled" && action.feedbackCount === 0;
    const state = untouched ? "canceled" : "cancel_requested";
    const [after] = await tx
      .update(deploymentActions)
      .set({ state, cancelRequestedAt: new Date(), updatedAt: new Date(), ...(untouched ? { finishedAt: new Date() } : {}) })
      .where(eq(deploymentActions.id, action.id))
      .returning();
    await audit({ action: "deployment.cancel", entityType: "deployment_action", entityId: action.id, before: { state: action.state }, after: { state }, reason: input.reason });
    return after!;
  },
});

/** A device's update history, newest first. */
export const deviceActions = query({
  name: "deployments.for_device",
  permission: "devices.read",
  input: z.object({ deviceId: RowId("Unknown device.") }).strict(),
  run: ({ db, input }) =>
    db
      .select({
        id: deploymentActions.id,
        state: deploymentActions.state,
        version: releases.version,
        securityVersion: releases.securityVersion,
        previousVersion: deploymentActions.previousVersion,
        createdAt: deploymentActions.createdAt,
        finishedAt: deploymentActions.finishedAt,
        lastFeedbackAt: deploymentActions.lastFeedbackAt,
        failureReason: deploymentActions.failureReason,
      })
      .from(deploymentActions)
      .innerJoin(releases, eq(releases.id, deploymentActions.releaseId))
      .where(eq(deploymentActions.deviceId, input.deviceId))
      .orderBy(desc(deploymentActions.id))
      .limit(50),
});

/** What the device reported about its latest update, newest first (SWUpdate's log lines included). */
export const latestActionFeedback = query({
  name: "deployments.feedback_log",
  permission: "devices.read",
  input: z.object({ deviceId: RowId("Unknown device.") }).strict(),
  async run({ db, input }) {
    const [latest] = await db.select({ id: deploymentActions.id }).from(deploymentActions).where(eq(deploymentActions.deviceId, input.deviceId)).orderBy(desc(deploymentActions.id)).limit(1);
    return latest ? feedbackHistory(db, latest.id, 30) : [];
  },
});
