import { and, eq, inArray, isNull } from "drizzle-orm";
import { z } from "zod";
import { deploymentActions, deviceCredentials, deviceReports, devices, rolloutWaves, rollouts, units } from "@/db/schema";
import { OPEN_ACTION_STATES } from "@/lib/domain";
import { deviceWindows } from "../ddi/context";
import { NotFoundError } from "../errors";
import { query } from "../operation";
import { gateBlockers } from "../safety/gate-facts";
import type { Blocker } from "../safety/install-gate";
import { upcomingWindows } from "../safety/windows";
import { RowId } from "@/lib/validation/ids";

/**
 * What the device page shows about updates: its credential, what it last reported, the next windows it
 * follows and — through the same install gate the protocol uses — whether it could install right now.
 */
export const deviceUpdateStatus = query({
  name: "devices.update_status",
  permission: "devices.read",
  input: z.object({ deviceId: RowId("Unknown device."), clinicalUseMaxAgeMinutes: z.number().int().positive().default(30) }).strict(),
  async run({ db, input }) {
    const [row] = await db
      .select({
        status: devices.status,
        unitId: devices.unitId,
        modelId: devices.modelId,
        timeZone: units.timeZone,
        attributes: deviceReports.attributes,
        attributesAt: deviceReports.attributesAt,
        inClinicalUse: deviceReports.inClinicalUse,
        clinicalUseAt: deviceReports.clinicalUseAt,
        tokenHint: deviceCredentials.tokenHint,
        tokenCreatedAt: deviceCredentials.createdAt,
        action: { id: deploymentActions.id, state: deploymentActions.state, rolloutId: deploymentActions.rolloutId },
        rollout: { state: rollouts.state, maxConcurrent: rollouts.maxConcurrent },
        waveState: rolloutWaves.state,
      })
      .from(devices)
      .innerJoin(units, eq(units.id, devices.unitId))
      .leftJoin(deviceReports, eq(deviceReports.deviceId, devices.id))
      .leftJoin(deviceCredentials, and(eq(deviceCredentials.deviceId, devices.id), isNull(deviceCredentials.revokedAt)))
      .leftJoin(deploymentActions, and(eq(deploymentActions.deviceId, devices.id), inArray(deploymentActions.state, [...OPEN_ACTION_STATES])))
      .leftJoin(rollouts, eq(rollouts.id, deploymentActions.rolloutId))
      .leftJoin(rolloutWaves, eq(rolloutWaves.id, deploymentActions.waveId))
      .where(eq(devices.id, input.deviceId));
    if (!row) throw new NotFoundError("This device does not exist.");
    const windows = await deviceWindows(db, row.unitId, row.modelId);
    const now = new Date();
    const blockers: Blocker[] = await gateBlockers(db, { ...row, unitTimeZone: row.timeZone }, input.clinicalUseMaxAgeMinutes * 60_000, now);
    return {
      credential: row.tokenHint ? { hint: row.tokenHint, createdAt: row.tokenCreatedAt } : null,
      reported: { attributes: row.attributes ?? {}, attributesAt: row.attributesAt, inClinicalUse: row.inClinicalUse, clinicalUseAt: row.clinicalUseAt },
      windows: windows.map((w) => ({ label: w.label, rrule: w.rrule, startsAt: w.startsAt, durationMinutes: w.durationMinutes })),
      nextWindows: upcomingWindows(windows, row.timeZone, now, 3),
      timeZone: row.timeZone,
      blockers,
    };
  },
});
