import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows } from "@/db/client";
import { rollouts } from "@/db/schema";
import { RowId } from "@/lib/validation/ids";
import { ConflictError, NotFoundError } from "../errors";
import { command } from "../operation";
import { insertRollout } from "./create";
import { approvedRelease } from "./targets";

const RevertInput = z.object({ rolloutId: RowId("Unknown rollout."), releaseId: RowId("Choose the known-good release."), reason: z.string().trim().min(1, "Give a reason.").max(500) }).strict();

/**
 * Puts the devices a rollout updated back on a known-good release, as a rollout of its own (one wave,
 * the same install gate). Only devices whose security floor allows it are included: taking a device below
 * its floor is a downgrade (UPD-04), which needs a downgrade exception signed by two people; those
 * devices are left out, counted, and the refusal is audited.
 */
export const revertCohort = command({
  name: "rollouts.revert",
  permission: "rollouts.manage",
  input: RevertInput,
  async run({ tx, actor, input, audit }) {
    const [rollout] = await tx.select().from(rollouts).where(eq(rollouts.id, input.rolloutId));
    if (!rollout) throw new NotFoundError("This rollout does not exist.");
    const target = await approvedRelease(tx, input.releaseId);
    const cohort = await queryRows<{ id: number; security_version: number }>(
      tx,
      sql`SELECT d.id, d.security_version FROM rollout_devices rd
          JOIN deployment_actions a ON a.id = rd.action_id AND a.state = 'succeeded'
          JOIN devices d ON d.id = rd.device_id
          WHERE rd.rollout_id = ${rollout.id} AND d.model_id = ${target.modelId}`,
    );
    const allowed = cohort.filter((d) => d.security_version <= target.securityVersion);
    const belowFloor = cohort.length - allowed.length;
    const blocked = { action: "deployment.rollback_blocked", entityType: "rollout", entityId: rollout.id, after: { releaseId: target.id, securityVersion: target.securityVersion, devices: belowFloor } };
    if (cohort.length === 0) throw new ConflictError("No device of this rollout has installed its release, so there is nothing to revert.");
    if (allowed.length === 0) {
      throw new ConflictError(`All ${cohort.length} updated devices are above security version ${target.securityVersion}; reverting them is a downgrade, which needs a downgrade exception signed by two people.`, blocked);
    }
    if (belowFloor) await audit({ ...blocked, outcome: "denied", reason: "a downgrade below a device's security floor needs a downgrade exception" });
    const revert = await insertRollout(tx, actor, {
      name: `Revert of "${rollout.name}" to ${target.version}`,
      filter: { releaseId: target.id, deviceIds: allowed.map((d) => d.id), offlineDays: 365 },
      waves: [{ kind: "general", name: "Revert", minSuccessPct: 90, maxFailurePct: 10, minSample: 5, soakMinutes: 0, requireAcknowledgement: false, requireGoAhead: false }],
      maxConcurrent: rollout.maxConcurrent,
    }, audit);
    await audit({ action: "rollout.revert", entityType: "rollout", entityId: rollout.id, after: { revertRolloutId: revert.id, releaseId: target.id, devices: allowed.length, leftBelowFloor: belowFloor }, reason: input.reason });
    return { rollout: revert, devices: allowed.length, belowFloor };
  },
});
