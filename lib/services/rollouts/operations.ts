import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { blackouts, devices, freezes, rolloutWaves, rollouts, users, type Rollout } from "@/db/schema";
import { verifyPassword } from "@/lib/auth/password";
import { RolloutRef } from "@/lib/validation/rollouts";
import { RowId } from "@/lib/validation/ids";
import { auditAs } from "../audit/record";
import { forgetUnitWindows } from "../ddi/context";
import { ConflictError, ForbiddenError, NotFoundError } from "../errors";
import { command } from "../operation";
import { SignatureRefused } from "../releases/signatures";
import { advanceRollout, ENGINE, issuedCounterSql, pauseRunning, stopRollout, withinFloorSql } from "./engine";

// Operator actions on rollouts. Each is permission-checked, audited in its own transaction, and refused
// (409) from a state where it makes no sense.

async function lockRollout(tx: Db, rolloutId: number): Promise<Rollout> {
  const [rollout] = await tx.select().from(rollouts).where(eq(rollouts.id, rolloutId)).for("update");
  if (!rollout) throw new NotFoundError("This rollout does not exist.");
  return rollout;
}

const Reason = z.string().trim().min(1, "Give a reason.").max(500);

export const pauseRollout = command({
  name: "rollouts.pause",
  permission: "rollouts.manage",
  input: RolloutRef.extend({ reason: Reason }),
  async run({ tx, input, audit }) {
    const rollout = await lockRollout(tx, input.rolloutId);
    if (rollout.state !== "running") throw new ConflictError(`Only a running rollout can be paused; this one is ${rollout.state}.`);
    await pauseRunning(tx, rollout, input.reason, audit);
    return { state: "paused" as const };
  },
});

export const resumeRollout = command({
  name: "rollouts.resume",
  permission: "rollouts.manage",
  input: RolloutRef,
  async run({ tx, input, audit }) {
    const rollout = await lockRollout(tx, input.rolloutId);
    if (rollout.state !== "paused") throw new ConflictError(`Only a paused rollout can be resumed; this one is ${rollout.state}.`);
    await tx.update(rollouts).set({ state: "running", stateReason: null, updatedAt: sql`now()` }).where(eq(rollouts.id, rollout.id));
    await audit({ action: "rollout.resumed", entityType: "rollout", entityId: rollout.id, before: { state: "paused" }, after: { state: "running" } });
    // A wave stopped below its success gate is accepted as it stands when a person resumes.
    await tx.update(rolloutWaves).set({ state: "completed", completedAt: sql`now()` }).where(and(eq(rolloutWaves.rolloutId, rollout.id), eq(rolloutWaves.state, "active"), sql`NOT EXISTS (SELECT 1 FROM deployment_actions a WHERE a.wave_id = rollout_waves.id AND a.state IN ('scheduled','downloading','downloaded','installing','installed_awaiting_confirmation','cancel_requested'))`));
    await advanceRollout(tx, rollout.id, new Date(), auditAs(tx, ENGINE));
    return { state: "running" as const };
  },
});

export const cancelRollout = command({
  name: "rollouts.cancel",
  permission: "rollouts.manage",
  input: RolloutRef.extend({ reason: Reason }),
  async run({ tx, input, audit }) {
    const rollout = await lockRollout(tx, input.rolloutId);
    const stopped = await stopRollout(tx, rollout, "canceled", input.reason, audit);
    if (!stopped) throw new ConflictError(`This rollout is already ${rollout.state}.`);
    return { state: "canceled" as const };
  },
});

/** Halts every running or paused rollout in one action. */
export const haltAllRollouts = command({
  name: "rollouts.halt_all",
  permission: "rollouts.manage",
  input: z.object({ reason: Reason }).strict(),
  async run({ tx, input, audit }) {
    const live = await tx.select().from(rollouts).where(inArray(rollouts.state, ["running", "paused"])).for("update");
    for (const rollout of live) await stopRollout(tx, rollout, "halted", input.reason, audit);
    return { halted: live.length };
  },
});

/** Gives the rollout's failed devices their update again (ROL-03: never automatically). */
export const retryFailed = command({
  name: "rollouts.retry_failed",
  permission: "rollouts.manage",
  input: RolloutRef,
  async run({ tx, input, audit }) {
    const rollout = await lockRollout(tx, input.rolloutId);
    if (rollout.state !== "running" && rollout.state !== "paused") throw new ConflictError(`This rollout is ${rollout.state}; failed devices can be retried only while it runs or is paused.`);
    const [row] = await queryRows<{ n: number }>(tx, sql`
      WITH failed AS (
        SELECT rd.device_id, rd.wave_id, d.firmware_version, ${issuedCounterSql(rollout)} AS counter FROM rollout_devices rd
        JOIN deployment_actions a ON a.id = rd.action_id
        JOIN devices d ON d.id = rd.device_id
        JOIN rollout_waves w ON w.id = rd.wave_id
        JOIN releases r ON r.id = ${rollout.releaseId}
        WHERE rd.rollout_id = ${rollout.id} AND a.state IN ('failed', 'rolled_back') AND w.state IN ('active', 'completed')
          AND d.status NOT IN ('quarantined', 'retired') AND ${withinFloorSql(rollout)}),
      created AS (
        INSERT INTO deployment_actions (device_id, release_id, previous_version, rollout_id, wave_id, created_by, security_counter)
        SELECT device_id, ${rollout.releaseId}, firmware_version, ${rollout.id}, wave_id, ${rollout.createdBy}, counter FROM failed
        ON CONFLICT (device_id) WHERE state IN ('scheduled','downloading','downloaded','installing','installed_awaiting_confirmation','cancel_requested') DO NOTHING
        RETURNING id, device_id),
      linked AS (
        UPDATE rollout_devices rd SET action_id = c.id FROM created c
        WHERE rd.rollout_id = ${rollout.id} AND rd.device_id = c.device_id RETURNING 1)
      SELECT count(*)::int AS n FROM linked`);
    const retried = row?.n ?? 0;
    // Retried devices count again in their wave, which becomes active again until they finish.
    await tx.update(rolloutWaves).set({ state: "active", completedAt: null }).where(and(eq(rolloutWaves.rolloutId, rollout.id), eq(rolloutWaves.state, "completed"), sql`EXISTS (SELECT 1 FROM deployment_actions a WHERE a.wave_id = rollout_waves.id AND a.state = 'scheduled')`));
    await audit({ action: "rollout.retry_failed", entityType: "rollout", entityId: rollout.id, after: { retried } });
    return { retried };
  },
});

/** The signed go-ahead a wave may require: the person re-enters their password. */
export const goAheadWave = command({
  name: "rollouts.go_ahead",
  permission: "rollouts.manage",
  input: z.object({ waveId: RowId("Unknown wave."), password: z.string().min(1, "Enter your password to sign.").max(256) }).strict(),
  async run({ tx, actor, input, audit }) {
    if (actor.type !== "user") throw new ForbiddenError("Only a person can sign a go-ahead.");
    const [wave] = await tx.select().from(rolloutWaves).where(eq(rolloutWaves.id, input.waveId)).for("update");
    if (!wave) throw new NotFoundError("This wave does not exist.");
    if (wave.state !== "pending" || !wave.requireGoAhead) throw new ConflictError("This wave does not wait for a go-ahead.");
    if (wave.goAheadAt) throw new ConflictError(`${wave.goAheadName} already signed the go-ahead.`);
    const [user] = await tx.select().from(users).where(eq(users.id, actor.userId));
    if (!user?.active || !(await verifyPassword(input.password, user.passwordHash))) {
      throw new SignatureRefused("Wrong password: the go-ahead was not signed.", { action: "signature.password_rejected", entityType: "rollout", entityId: wave.rolloutId });
    }
    const [signed] = await tx.update(rolloutWaves).set({ goAheadBy: user.id, goAheadName: user.displayName, goAheadAt: sql`clock_timestamp()` }).where(eq(rolloutWaves.id, wave.id)).returning();
    await audit({ action: "rollout.go_ahead_signed", entityType: "rollout", entityId: wave.rolloutId, after: { wave: wave.name, printedName: user.displayName, signedAt: signed!.goAheadAt, meaning: "go-ahead for the next wave" } });
    await advanceRollout(tx, wave.rolloutId, new Date(), auditAs(tx, ENGINE));
    return { waveId: wave.id };
  },
});

/** Takes a device out of service for updates at once (it is offered nothing until reactivated). */
export const quarantineDevice = command({
  name: "devices.quarantine",
  permission: "rollouts.manage",
  input: z.object({ deviceId: RowId("Unknown device."), reason: Reason }).strict(),
  async run({ tx, input, audit }) {
    const [device] = await tx.update(devices).set({ status: "quarantined", updatedAt: sql`now()` }).where(and(eq(devices.id, input.deviceId), sql`${devices.status} <> 'quarantined'`)).returning({ id: devices.id, serial: devices.serial });
    if (!device) throw new ConflictError("This device does not exist or is already quarantined.");
    await audit({ action: "device.quarantined", entityType: "device", entityId: device.id, after: { serial: device.serial, status: "quarantined" }, reason: input.reason });
    return device;
  },
});

// ---------------------------------------------------------------------------------------------------------
// Global freeze and blackout days: both act on every offer through the install gate.

export const startFreeze = command({
  name: "freeze.start",
  permission: "freeze.manage",
  input: z.object({ reason: Reason }).strict(),
  async run({ tx, actor, input, audit }) {
    const [active] = await tx.select({ id: freezes.id }).from(freezes).where(isNull(freezes.endedAt)).for("update");
    if (active) throw new ConflictError("A freeze is already in force.");
    const [row] = await tx.insert(freezes).values({ reason: input.reason, startedBy: actor.type === "user" ? actor.userId : null }).returning();
    await audit({ action: "freeze.started", entityType: "freeze", entityId: row!.id, reason: input.reason });
    forgetUnitWindows();
    return row!;
  },
});

export const endFreeze = command({
  name: "freeze.end",
  permission: "freeze.manage",
  input: z.object({}).strict(),
  async run({ tx, actor, audit }) {
    const [row] = await tx.update(freezes).set({ endedAt: sql`now()`, endedBy: actor.type === "user" ? actor.userId : null }).where(isNull(freezes.endedAt)).returning();
    if (!row) throw new ConflictError("No freeze is in force.");
    await audit({ action: "freeze.ended", entityType: "freeze", entityId: row.id, after: { startedAt: row.startedAt } });
    forgetUnitWindows();
    return row;
  },
});

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Use a date like 2026-12-24.");

export const addBlackout = command({
  name: "blackouts.add",
  permission: "windows.manage",
  input: z
    .object({ unitId: RowId("Unknown unit.").optional(), siteId: RowId("Unknown site.").optional(), startsOn: Day, endsOn: Day, reason: Reason })
    .strict()
    .refine((b) => b.startsOn <= b.endsOn, { message: "The blackout ends before it starts.", path: ["endsOn"] })
    .refine((b) => !(b.unitId && b.siteId), { message: "Choose a unit or a site, not both.", path: ["unitId"] }),
  async run({ tx, actor, input, audit }) {
    const [row] = await tx.insert(blackouts).values({ ...input, createdBy: actor.type === "user" ? actor.userId : null }).returning();
    await audit({ action: "blackout.added", entityType: "blackout", entityId: row!.id, after: { ...input } });
    forgetUnitWindows();
    return row!;
  },
});

export const removeBlackout = command({
  name: "blackouts.remove",
  permission: "windows.manage",
  input: z.object({ blackoutId: RowId("Unknown blackout.") }).strict(),
  async run({ tx, input, audit }) {
    const [row] = await tx.delete(blackouts).where(eq(blackouts.id, input.blackoutId)).returning();
    if (!row) throw new NotFoundError("This blackout does not exist.");
    await audit({ action: "blackout.removed", entityType: "blackout", entityId: row.id, before: { startsOn: row.startsOn, endsOn: row.endsOn, unitId: row.unitId, siteId: row.siteId, reason: row.reason } });
    forgetUnitWindows();
    return { id: row.id };
  },
});
