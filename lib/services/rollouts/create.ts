import { sql } from "drizzle-orm";
import type { z } from "zod";
import { rolloutWaves, rollouts } from "@/db/schema";
import { CreateRolloutInput, WaveInput } from "@/lib/validation/rollouts";
import { auditAs, type Audit } from "../audit/record";
import { ValidationError } from "../errors";
import { command } from "../operation";
import type { Db } from "@/db/client";
import type { Actor } from "../actor";
import { advanceRollout, ENGINE } from "./engine";
import { approvedRelease, candidates, type Candidate } from "./targets";

type Wave = z.output<typeof WaveInput>;

/** A stable pseudo-random rank per device and rollout, so samples are spread but reproducible. */
const rank = (deviceId: number, salt: number) => (Math.imul(deviceId ^ Math.imul(salt, 0x9e3779b1), 2654435761) >>> 0);

/**
 * Splits the targets into waves: lab takes the sandbox devices; pilot takes its named units, or the given
 * share of every unit (a stratified sample, so each unit is represented); general waves take their share
 * of all targets in turn, and the last general wave takes whatever is left.
 */
export function assignWaves(targets: Pick<Candidate, "id" | "unit_id" | "sandbox">[], waves: Wave[], salt: number): number[][] {
  const left = new Map(targets.map((t) => [t.id, t]));
  const take = (ids: number[]) => ids.filter((id) => left.delete(id));
  const lastGeneral = waves.map((w) => w.kind).lastIndexOf("general");
  return waves.map((wave, i) => {
    const pool = [...left.values()].sort((a, b) => rank(a.id, salt) - rank(b.id, salt));
    if (wave.kind === "lab") return take(pool.filter((t) => t.sandbox).map((t) => t.id));
    if (wave.kind === "pilot" && wave.unitIds?.length) return take(pool.filter((t) => wave.unitIds!.includes(t.unit_id)).map((t) => t.id));
    if (wave.kind === "pilot") {
      const byUnit = new Map<number, number[]>();
      for (const t of pool) byUnit.set(t.unit_id, [...(byUnit.get(t.unit_id) ?? []), t.id]);
      return take([...byUnit.values()].flatMap((ids) => ids.slice(0, Math.ceil((ids.length * (wave.percent ?? 10)) / 100))));
    }
    if (i === lastGeneral) return take(pool.map((t) => t.id));
    return take(pool.slice(0, Math.round((targets.length * (wave.percent ?? 100)) / 100)).map((t) => t.id));
  });
}

export const createRollout = command({
  name: "rollouts.create",
  permission: "rollouts.manage",
  input: CreateRolloutInput,
  run: ({ tx, actor, input, audit }) => insertRollout(tx, actor, input, audit),
});

/** Creates the rollout, its waves and its device rows, and starts its first wave if the gates allow. */
export async function insertRollout(tx: Db, actor: Actor, input: z.output<typeof CreateRolloutInput>, audit: Audit, downgradeExceptionId: number | null = null) {
  const release = await approvedRelease(tx, input.filter.releaseId);
  const targets = (await candidates(tx, release, input.filter, { belowFloor: downgradeExceptionId !== null })).filter((c) => c.excluded === null);
  if (targets.length === 0) throw new ValidationError("No device can take this release with these choices. Check the compatibility report.");
  const [rollout] = await tx
    .insert(rollouts)
    .values({ releaseId: release.id, name: input.name, targetFilter: input.filter, maxConcurrent: input.maxConcurrent, createdBy: actor.type === "user" ? actor.userId : null, downgradeExceptionId })
    .returning();
  const split = assignWaves(targets, input.waves, rollout!.id);
  const empty = split.findIndex((ids) => ids.length === 0);
  if (empty >= 0) throw new ValidationError(`Wave "${input.waves[empty]!.name}" would have no devices. Remove it or change its units or share.`);
  const waveRows = await tx
    .insert(rolloutWaves)
    .values(input.waves.map(({ unitIds: _u, percent: _p, ...w }, i) => ({ ...w, rolloutId: rollout!.id, position: i + 1 })))
    .returning();
  const deviceIds = split.flat();
  const waveIds = split.flatMap((ids, i) => ids.map(() => waveRows[i]!.id));
  // One statement for any number of devices: arrays bound as two parameters and unnested.
  await tx.execute(sql`
    INSERT INTO rollout_devices (rollout_id, device_id, wave_id)
    SELECT ${rollout!.id}, d, w FROM unnest(${sql.param(deviceIds)}::int[], ${sql.param(waveIds)}::int[]) AS t(d, w)`);
  await audit({
    action: "rollout.created",
    entityType: "rollout",
    entityId: rollout!.id,
    after: { releaseId: release.id, version: release.version, name: input.name, devices: deviceIds.length, waves: input.waves.map((w, i) => ({ name: w.name, kind: w.kind, devices: split[i]!.length })) },
  });
  await advanceRollout(tx, rollout!.id, new Date(), auditAs(tx, ENGINE));
  return rollout!;
}
