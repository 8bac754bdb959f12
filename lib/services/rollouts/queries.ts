import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows } from "@/db/client";
import { auditEvents, blackouts, deviceModels, freezes, maintenanceWindows, releases, rolloutWaves, rollouts, sites, units, users } from "@/db/schema";
import { RolloutRef } from "@/lib/validation/rollouts";
import { RowId } from "@/lib/validation/ids";
import { pickWindows } from "../ddi/context";
import { NotFoundError } from "../errors";
import { query } from "../operation";
import { upcomingWindows } from "../safety/windows";

/** Rollouts, newest first, with their device counts by outcome. */
export const listRollouts = query({
  name: "rollouts.list",
  permission: "rollouts.read",
  input: z.object({}).strict(),
  async run({ db }) {
    const rows = await db
      .select({ id: rollouts.id, name: rollouts.name, state: rollouts.state, stateReason: rollouts.stateReason, createdAt: rollouts.createdAt, version: releases.version, modelName: deviceModels.name })
      .from(rollouts)
      .innerJoin(releases, eq(releases.id, rollouts.releaseId))
      .innerJoin(deviceModels, eq(deviceModels.id, releases.modelId))
      .orderBy(desc(rollouts.id))
      .limit(100);
    const counts = await progressCounts(db, rows.map((r) => r.id));
    return rows.map((r) => ({ ...r, progress: counts.get(r.id) ?? emptyProgress() }));
  },
});

const emptyProgress = () => ({ devices: 0, waiting: 0, inProgress: 0, succeeded: 0, failed: 0, canceled: 0 });
export type Progress = ReturnType<typeof emptyProgress>;

/** Devices per outcome, per rollout or per wave, from one aggregate over the rollouts' device rows. */
async function progressRows(db: Parameters<typeof queryRows>[0], by: "rollout_id" | "wave_id", rolloutIds: number[]) {
  return queryRows<Progress & { key: number }>(
    db,
    sql`SELECT rd.${sql.raw(by)} AS key, count(*)::int AS devices,
               count(*) FILTER (WHERE a.id IS NULL)::int AS waiting,
               count(*) FILTER (WHERE a.state IN ('scheduled','downloading','downloaded','installing','installed_awaiting_confirmation','cancel_requested'))::int AS "inProgress",
               count(*) FILTER (WHERE a.state = 'succeeded')::int AS succeeded,
               count(*) FILTER (WHERE a.state IN ('failed', 'rolled_back'))::int AS failed,
               count(*) FILTER (WHERE a.state = 'canceled')::int AS canceled
        FROM rollout_devices rd LEFT JOIN deployment_actions a ON a.id = rd.action_id
        WHERE rd.rollout_id = ANY(${sql.param(rolloutIds)}::int[])
        GROUP BY rd.${sql.raw(by)}`,
  );
}

const withoutKey = (row: (Progress & { key: number }) | undefined): Progress => {
  if (!row) return emptyProgress();
  const { key: _key, ...progress } = row;
  return progress;
};

export async function progressCounts(db: Parameters<typeof queryRows>[0], rolloutIds: number[]): Promise<Map<number, Progress>> {
  if (rolloutIds.length === 0) return new Map();
  return new Map((await progressRows(db, "rollout_id", rolloutIds)).map(({ key, ...p }) => [key, p]));
}

/** Everything the rollout page shows: waves with counts and gates, per-unit counts, failures, events. */
export const rolloutDetail = query({
  name: "rollouts.get",
  permission: "rollouts.read",
  input: RolloutRef,
  async run({ db, input }) {
    const [row] = await db
      .select({ rollout: rollouts, version: releases.version, securityVersion: releases.securityVersion, modelName: deviceModels.name, createdByName: users.displayName })
      .from(rollouts)
      .innerJoin(releases, eq(releases.id, rollouts.releaseId))
      .innerJoin(deviceModels, eq(deviceModels.id, releases.modelId))
      .leftJoin(users, eq(users.id, rollouts.createdBy))
      .where(eq(rollouts.id, input.rolloutId));
    if (!row) throw new NotFoundError("This rollout does not exist.");
    const waves = await db.select().from(rolloutWaves).where(eq(rolloutWaves.rolloutId, input.rolloutId)).orderBy(asc(rolloutWaves.position));
    const perWave = await progressRows(db, "wave_id", [input.rolloutId]);
    const perUnit = await queryRows<{ unit: string; site: string; devices: number; succeeded: number; failed: number; in_progress: number }>(
      db,
      sql`SELECT u.name AS unit, s.name AS site, count(*)::int AS devices,
                 count(*) FILTER (WHERE a.state = 'succeeded')::int AS succeeded,
                 count(*) FILTER (WHERE a.state IN ('failed', 'rolled_back'))::int AS failed,
                 count(*) FILTER (WHERE a.state IN ('scheduled','downloading','downloaded','installing','installed_awaiting_confirmation','cancel_requested'))::int AS in_progress
          FROM rollout_devices rd JOIN devices d ON d.id = rd.device_id JOIN units u ON u.id = d.unit_id JOIN sites s ON s.id = u.site_id
          LEFT JOIN deployment_actions a ON a.id = rd.action_id
          WHERE rd.rollout_id = ${input.rolloutId} GROUP BY u.name, s.name ORDER BY count(*) DESC, s.name, u.name`,
    );
    const failures = await queryRows<{ reason: string; devices: number }>(
      db,
      sql`SELECT coalesce(a.failure_reason, 'no reason reported') AS reason, count(*)::int AS devices
          FROM rollout_devices rd JOIN deployment_actions a ON a.id = rd.action_id
          WHERE rd.rollout_id = ${input.rolloutId} AND a.state IN ('failed', 'rolled_back')
          GROUP BY 1 ORDER BY 2 DESC LIMIT 20`,
    );
    const events = await db
      .select({ seq: auditEvents.seq, createdAt: auditEvents.createdAt, actorName: auditEvents.actorName, action: auditEvents.action, after: auditEvents.after, reason: auditEvents.reason })
      .from(auditEvents)
      .where(and(eq(auditEvents.entityType, "rollout"), eq(auditEvents.entityId, String(input.rolloutId))))
      .orderBy(desc(auditEvents.seq))
      .limit(100);
    return {
      ...row,
      waves: waves.map((w) => ({ ...w, progress: withoutKey(perWave.find((p) => p.key === w.id)) })),
      // The whole rollout is the sum of its waves: no second pass over its device rows.
      progress: perWave.reduce((sum, p) => {
        for (const k of Object.keys(sum) as (keyof Progress)[]) sum[k] += p[k];
        return sum;
      }, emptyProgress()),
      perUnit,
      failures,
      events,
    };
  },
});

/** The rollouts a device took part in, newest first. */
export const deviceRollouts = query({
  name: "rollouts.for_device",
  permission: "devices.read",
  input: z.object({ deviceId: RowId("Unknown device.") }).strict(),
  run: ({ db, input }) =>
    queryRows<{ rollout_id: number; name: string; wave: string; state: string | null; skipped_reason: string | null; version: string }>(
      db,
      sql`SELECT r.id AS rollout_id, r.name, w.name AS wave, a.state, rd.skipped_reason, rel.version
          FROM rollout_devices rd JOIN rollouts r ON r.id = rd.rollout_id JOIN rollout_waves w ON w.id = rd.wave_id
          JOIN releases rel ON rel.id = r.release_id LEFT JOIN deployment_actions a ON a.id = rd.action_id
          WHERE rd.device_id = ${input.deviceId} ORDER BY r.id DESC LIMIT 20`,
    ),
});

/** The freeze in force, if any: every console page shows it. */
export const activeFreeze = query({
  name: "freeze.status",
  permission: "freeze.read",
  input: z.object({}).strict(),
  async run({ db }) {
    const [row] = await db
      .select({ id: freezes.id, reason: freezes.reason, startedAt: freezes.startedAt, startedBy: users.displayName })
      .from(freezes)
      .leftJoin(users, eq(users.id, freezes.startedBy))
      .where(isNull(freezes.endedAt));
    return row ?? null;
  },
});

const NO_MODEL = -1;

/**
 * Each unit's windows for the calendar: the set its devices follow (its own, else its site's), the
 * model-specific sets that override it, and the editable sets of the unit and of its site.
 */
export const maintenanceCalendar = query({
  name: "windows.calendar",
  permission: "rollouts.read",
  input: z.object({ siteId: RowId("Unknown site.").optional(), count: z.number().int().min(1).max(14).default(5) }).strict(),
  async run({ db, input }) {
    const unitRows = await db
      .select({ id: units.id, name: units.name, kind: units.kind, timeZone: units.timeZone, siteId: sites.id, site: sites.name })
      .from(units)
      .innerJoin(sites, eq(sites.id, units.siteId))
      .where(input.siteId ? eq(units.siteId, input.siteId) : undefined)
      .orderBy(asc(sites.name), asc(units.name));
    const siteIds = [...new Set(unitRows.map((u) => u.siteId))];
    const windows = siteIds.length
      ? await db
          .select()
          .from(maintenanceWindows)
          .where(sql`${maintenanceWindows.siteId} IN ${siteIds} OR ${maintenanceWindows.unitId} IN (SELECT id FROM units WHERE site_id IN ${siteIds})`)
          .orderBy(asc(maintenanceWindows.id))
      : [];
    const modelNames = new Map((await db.select({ id: deviceModels.id, name: deviceModels.name }).from(deviceModels)).map((m) => [m.id, m.name]));
    const days = await db.select().from(blackouts).where(sql`${blackouts.endsOn} >= current_date - 1`).orderBy(asc(blackouts.startsOn));
    const now = new Date();
    const rule = (w: (typeof windows)[number]) => ({ label: w.label, rrule: w.rrule, startsAt: w.startsAt, durationMinutes: w.durationMinutes, modelId: w.modelId });
    return unitRows.map((u) => {
      const around = windows.filter((w) => w.unitId === u.id || w.siteId === u.siteId);
      // Devices of a model without windows of its own follow these.
      const general = pickWindows(around, NO_MODEL);
      const models = [...new Set(around.flatMap((w) => (w.modelId === null ? [] : [w.modelId])))];
      return {
        ...u,
        windows: general.map(rule),
        fromSite: general.length > 0 && general[0]!.unitId === null,
        unitSets: around.filter((w) => w.unitId === u.id).map(rule),
        siteSets: around.filter((w) => w.siteId === u.siteId).map(rule),
        modelWindows: models.map((id) => ({ modelId: id, model: modelNames.get(id) ?? `Model ${id}`, windows: pickWindows(around, id).map(rule) })),
        next: upcomingWindows(general, u.timeZone, now, input.count),
        blackouts: days.filter((b) => b.unitId === u.id || (b.unitId === null && (b.siteId === u.siteId || b.siteId === null))),
      };
    });
  },
});
