import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { deploymentActions } from "@/db/schema";
import type { ActionState, DeviceStatus, RolloutState, WaveState } from "@/lib/domain";
import { deviceWindows, freezeActive, unitBlackouts } from "../ddi/context";
import { installBlockers, type Blocker, type GateFacts } from "./install-gate";

/** What is known about a device and its open update when the gate is asked. */
export type GateSubject = {
  status: DeviceStatus;
  inClinicalUse: boolean | null;
  clinicalUseAt: Date | null;
  unitId: number;
  modelId: number;
  unitTimeZone: string;
  action: { id: number | null; state: ActionState | null; rolloutId: number | null } | null;
  rollout: { state: RolloutState | null; maxConcurrent: number | null } | null;
  waveState: WaveState | null;
};

/** States in which a device counts against its rollout's limit on devices updating at once. */
const UPDATING: ActionState[] = ["downloading", "downloaded", "installing"];

/**
 * Gathers the facts for installBlockers — the one rule the protocol layer (every poll), the device page and
 * the rollout engine all use — from cached windows, blackout days and freeze state, and the rollout.
 */
export async function gateFacts(db: Db, s: GateSubject, clinicalUseMaxAgeMs: number, now = new Date(), freezeMaxAgeMs?: number): Promise<GateFacts> {
  const inRollout = s.action?.rolloutId != null;
  const [windows, blackouts, frozen, rateLimited] = await Promise.all([
    deviceWindows(db, s.unitId, s.modelId, now.getTime()),
    unitBlackouts(db, s.unitId, now.getTime()),
    freezeActive(db, now.getTime(), freezeMaxAgeMs),
    inRollout && s.action?.state === "scheduled" ? atCapacity(db, s.action.rolloutId!, s.rollout?.maxConcurrent ?? 0) : false,
  ]);
  return {
    now,
    deviceStatus: s.status,
    inClinicalUse: s.inClinicalUse,
    clinicalUseAt: s.clinicalUseAt,
    unitTimeZone: s.unitTimeZone,
    windows,
    clinicalUseMaxAgeMs,
    freezeActive: frozen,
    blackouts,
    rollout: inRollout ? { running: s.rollout?.state === "running", waveActive: s.waveState === "active" } : null,
    rateLimited,
  };
}

export async function gateBlockers(db: Db, s: GateSubject, clinicalUseMaxAgeMs: number, now = new Date(), freezeMaxAgeMs?: number): Promise<Blocker[]> {
  return installBlockers(await gateFacts(db, s, clinicalUseMaxAgeMs, now, freezeMaxAgeMs));
}

async function atCapacity(db: Db, rolloutId: number, max: number): Promise<boolean> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(deploymentActions)
    .where(and(eq(deploymentActions.rolloutId, rolloutId), inArray(deploymentActions.state, UPDATING)));
  return (row?.n ?? 0) >= max;
}
