import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { queryRows, type Db } from "@/db/client";
import { EOS_STATES, type EosState, type IncidentSeverity } from "@/lib/domain";
import { briefingCoverageSql } from "../releases/briefings";
import { query } from "../operation";
import { at, eosStateSql } from "./eos";

/**
 * The compliance figures for managers (issue 6 §5, ROL-07, ROL-12). Each figure is one function of
 * the database and an explicit `now`, so tests can freeze the clock; grouping happens in SQL.
 *
 * Shared definitions:
 * - fielded device: any status except `retired` (offline or quarantined devices still need updates);
 * - current approved release of a model: its approved release with the highest security version,
 *   then the latest approval (`state_changed_at`, which is the approval moment while approved);
 * - a device is "at or beyond" a release R of its model when it runs R, has a higher security
 *   version, or runs a release of the same security version registered after R.
 */

const FIELDED = sql`d.status <> 'retired'`;

const CURRENT_RELEASES = sql`SELECT DISTINCT ON (r.model_id) r.model_id, r.id, r.version, r.security_version, r.state_changed_at AS approved_at
                             FROM releases r WHERE r.state = 'approved'
                             ORDER BY r.model_id, r.security_version DESC, r.state_changed_at DESC, r.id DESC`;

const pct = (part: SQL, whole: SQL) => sql`CASE WHEN ${whole} > 0 THEN round(100.0 * ${part} / ${whole}, 1)::float8 END`;

/** `detail` is the unit's site, or the model's current approved version. */
export type ShareRow = { id: number; name: string; detail: string; devices: number; onCurrent: number; percent: number };

/**
 * (a) Share of fielded devices that run their model's current approved release, per unit and per
 * model, lowest first. Devices of models without any approved release have no current version and
 * are counted apart (`withoutApproved`).
 */
async function currentVersionShare(db: Db) {
  const base = sql`WITH cur AS (${CURRENT_RELEASES})
                   SELECT d.unit_id, d.model_id, c.version, (d.firmware_version = c.version) AS on_current
                   FROM devices d JOIN cur c ON c.model_id = d.model_id WHERE ${FIELDED}`;
  const byUnit = await queryRows<ShareRow>(
    db,
    sql`SELECT u.id, u.name, s.name AS detail, count(*)::int AS devices, count(*) FILTER (WHERE x.on_current)::int AS "onCurrent",
               ${pct(sql`count(*) FILTER (WHERE x.on_current)`, sql`count(*)`)} AS percent
        FROM (${base}) x JOIN units u ON u.id = x.unit_id JOIN sites s ON s.id = u.site_id
        GROUP BY u.id, u.name, s.name ORDER BY percent, s.name, u.name`,
  );
  const byModel = await queryRows<ShareRow>(
    db,
    sql`SELECT m.id, m.name, min(x.version) AS detail, count(*)::int AS devices, count(*) FILTER (WHERE x.on_current)::int AS "onCurrent",
               ${pct(sql`count(*) FILTER (WHERE x.on_current)`, sql`count(*)`)} AS percent
        FROM (${base}) x JOIN device_models m ON m.id = x.model_id
        GROUP BY m.id, m.name ORDER BY percent, m.name`,
  );
  const [rest] = await queryRows<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM devices d WHERE ${FIELDED} AND NOT EXISTS (SELECT 1 FROM releases r WHERE r.model_id = d.model_id AND r.state = 'approved')`,
  );
  return { byUnit, byModel, withoutApproved: rest?.n ?? 0 };
}

export type RolloutSpeedRow = {
  releaseId: number; modelName: string; version: string; approvedAt: Date; devices: number; deployed: number; percent: number;
  /** Days from approval to 90 % deployed; null when not yet reached. */
  days: number | null; reachedAt: Date | null; daysSinceApproval: number;
};

/**
 * (b) ROL-07: for each approved release, days from its approval to the moment 90 % of its model's
 * fielded devices were at or beyond it. A device counts from its first succeeded update to the release
 * or a newer one (from the approval itself if it got there without an update Corridor recorded); only
 * devices at or beyond the release today count. "Not yet reached" (days null) while under 90 %.
 * Releases of models without fielded devices are left out. The average is over reached releases.
 */
async function timeToNinetyPercent(db: Db, now: Date) {
  const nowSql = at(now);
  const beyond = (rel: string) =>
    sql.raw(`(${rel}.id = a.id OR ${rel}.security_version > a.security_version OR (${rel}.security_version = a.security_version AND ${rel}.id > a.id))`);
  const rows = await queryRows<RolloutSpeedRow & { average: number | null }>(
    db,
    sql`WITH a AS (
          SELECT r.id, r.model_id, r.version, r.security_version, r.state_changed_at AS approved_at, m.name AS model_name,
                 (SELECT count(*)::int FROM devices d WHERE d.model_id = r.model_id AND ${FIELDED}) AS devices
          FROM releases r JOIN device_models m ON m.id = r.model_id WHERE r.state = 'approved'),
        reached AS (
          SELECT a.id AS release_id,
                 greatest(a.approved_at, coalesce((
                   SELECT min(x.finished_at) FROM deployment_actions x JOIN releases xr ON xr.id = x.release_id
                   WHERE x.device_id = d.id AND x.state = 'succeeded' AND xr.model_id = a.model_id AND ${beyond("xr")}), a.approved_at)) AS at
          FROM a JOIN devices d ON d.model_id = a.model_id AND ${FIELDED}
          LEFT JOIN releases dr ON dr.model_id = d.model_id AND dr.version = d.firmware_version
          WHERE d.firmware_version = a.version OR d.security_version > a.security_version
             OR (d.security_version = a.security_version AND dr.id > a.id)),
        ranked AS (SELECT release_id, at, row_number() OVER (PARTITION BY release_id ORDER BY at) AS k, count(*) OVER (PARTITION BY release_id) AS deployed FROM reached),
        out AS (
          SELECT a.id AS "releaseId", a.model_name AS "modelName", a.version, a.approved_at AS "approvedAt", a.devices,
                 coalesce((SELECT max(deployed) FROM ranked k WHERE k.release_id = a.id), 0)::int AS deployed,
                 g.at AS "reachedAt",
                 round((extract(epoch FROM g.at - a.approved_at) / 86400)::numeric, 1)::float8 AS days,
                 round((extract(epoch FROM ${nowSql} - a.approved_at) / 86400)::numeric, 1)::float8 AS "daysSinceApproval"
          FROM a LEFT JOIN ranked g ON g.release_id = a.id AND g.k = ceil(0.9 * a.devices)
          WHERE a.devices > 0)
        SELECT out.*, ${pct(sql`deployed`, sql`devices`)} AS percent, round(avg(days) OVER ()::numeric, 1)::float8 AS average
        FROM out ORDER BY "approvedAt" DESC, "releaseId" DESC`,
  );
  const average = rows[0]?.average ?? null;
  return {
    releases: rows.map(({ average: _a, ...r }) => ({ ...r, approvedAt: new Date(r.approvedAt), reachedAt: r.reachedAt ? new Date(r.reachedAt) : null })),
    averageDays: average,
  };
}

export type WeekRow = { week: string; startsOn: string; succeeded: number; finished: number; percent: number | null };

/**
 * (c) Update success rate per ISO week (UTC), the week of `now` and the 11 before it. Finished means
 * the device ended the update: succeeded, failed or rolled back; canceled updates are left out because
 * nobody tried to install them. Weeks without finished updates have no rate (null), not 0 %.
 */
async function updateSuccessByWeek(db: Db, now: Date): Promise<WeekRow[]> {
  const week = sql`date_trunc('week', ${at(now)} AT TIME ZONE 'UTC')`;
  return queryRows<WeekRow>(
    db,
    sql`WITH w AS (SELECT generate_series(${week} - interval '11 weeks', ${week}, interval '1 week') AS starts)
        SELECT to_char(w.starts, 'IYYY-"W"IW') AS week, w.starts::date::text AS "startsOn",
               count(x.id) FILTER (WHERE x.state = 'succeeded')::int AS succeeded, count(x.id)::int AS finished,
               ${pct(sql`count(x.id) FILTER (WHERE x.state = 'succeeded')`, sql`count(x.id)`)} AS percent
        FROM w LEFT JOIN deployment_actions x
          ON x.state IN ('succeeded', 'failed', 'rolled_back')
         AND x.finished_at AT TIME ZONE 'UTC' >= w.starts AND x.finished_at AT TIME ZONE 'UTC' < w.starts + interval '1 week'
        GROUP BY w.starts ORDER BY w.starts`,
  );
}

export type EosModelRow = { modelId: number; modelName: string; endOfSupport: string | null; state: EosState; devices: number };

/** (d) ROL-12: fielded devices per end-of-support state on the day of `now`, and the models behind each count. */
async function endOfSupportStatus(db: Db, now: Date) {
  const models = await queryRows<EosModelRow>(
    db,
    sql`SELECT m.id AS "modelId", m.name AS "modelName", m.end_of_support::text AS "endOfSupport",
               ${eosStateSql(sql`m.end_of_support`, at(now))} AS state, count(d.id)::int AS devices
        FROM device_models m JOIN devices d ON d.model_id = m.id AND ${FIELDED}
        GROUP BY m.id ORDER BY m.end_of_support NULLS LAST, m.name`,
  );
  const counts = Object.fromEntries(EOS_STATES.map((s) => [s, 0])) as Record<EosState, number>;
  for (const m of models) counts[m.state] += m.devices;
  return { counts, models };
}

export type RecalledRow = { releaseId: number; modelName: string; version: string; recalledAt: Date; devices: number; units: number };

/** (e) Fielded devices that still run a recalled release, per release (the inventory's recall flag, counted). */
async function devicesOnRecalledReleases(db: Db): Promise<RecalledRow[]> {
  const rows = await queryRows<RecalledRow>(
    db,
    sql`SELECT r.id AS "releaseId", m.name AS "modelName", r.version, r.state_changed_at AS "recalledAt",
               count(d.id)::int AS devices, count(DISTINCT d.unit_id)::int AS units
        FROM releases r JOIN device_models m ON m.id = r.model_id
        JOIN devices d ON d.model_id = r.model_id AND d.firmware_version = r.version AND ${FIELDED}
        WHERE r.state = 'recalled'
        GROUP BY r.id, m.name ORDER BY devices DESC, r.id`,
  );
  return rows.map((r) => ({ ...r, recalledAt: new Date(r.recalledAt) }));
}

export type CoverageRow = { unitId: number; unitName: string; siteName: string; briefings: number; acknowledged: number; clinicians: number; percent: number };

/**
 * (f) Per unit: of the current briefings that concern it (the briefing of each model's newest approved
 * release that has one, for models with devices in the unit), how many someone assigned to the unit
 * acknowledged in its current text. Lowest coverage first.
 */
async function briefingCoverageByUnit(db: Db): Promise<CoverageRow[]> {
  const current = sql`SELECT id FROM (SELECT DISTINCT ON (r.model_id) r.id FROM releases r JOIN release_briefings b ON b.release_id = r.id
                      WHERE r.state = 'approved' ORDER BY r.model_id, r.security_version DESC, r.state_changed_at DESC, r.id DESC) c`;
  return queryRows<CoverageRow>(
    db,
    sql`SELECT unit_id AS "unitId", unit_name AS "unitName", site_name AS "siteName", count(*)::int AS briefings,
               count(*) FILTER (WHERE acknowledged > 0)::int AS acknowledged, max(clinicians)::int AS clinicians,
               ${pct(sql`count(*) FILTER (WHERE acknowledged > 0)`, sql`count(*)`)} AS percent
        FROM (${briefingCoverageSql(current)}) cov
        GROUP BY unit_id, unit_name, site_name ORDER BY percent, site_name, unit_name`,
  );
}

export type IncidentRow = { severity: IncidentSeverity; triage: number; contained: number; open: number };

/** (g) Open incidents (triage or contained) per severity, most severe first; every severity is listed. */
async function openIncidentsBySeverity(db: Db): Promise<IncidentRow[]> {
  return queryRows<IncidentRow>(
    db,
    sql`SELECT s.severity::text AS severity,
               count(i.id) FILTER (WHERE i.status = 'triage')::int AS triage,
               count(i.id) FILTER (WHERE i.status = 'contained')::int AS contained,
               count(i.id)::int AS open
        FROM unnest(enum_range(NULL::incident_severity)) AS s(severity)
        LEFT JOIN incidents i ON i.severity = s.severity AND i.status IN ('triage', 'contained')
        GROUP BY s.severity ORDER BY s.severity DESC`,
  );
}

/** Every figure at `now`, the dashboard's, the report's and the export's one source. */
export async function complianceFigures(db: Db, now: Date) {
  return {
    now,
    currentVersion: await currentVersionShare(db),
    timeTo90: await timeToNinetyPercent(db, now),
    successByWeek: await updateSuccessByWeek(db, now),
    endOfSupport: await endOfSupportStatus(db, now),
    recalled: await devicesOnRecalledReleases(db),
    briefings: await briefingCoverageByUnit(db),
    incidents: await openIncidentsBySeverity(db),
  };
}

export type ComplianceFigures = Awaited<ReturnType<typeof complianceFigures>>;

export const AtInput = z.object({ now: z.date().optional() }).strict();

export const getComplianceFigures = query({
  name: "compliance.figures",
  permission: "compliance.read",
  input: AtInput,
  run: ({ db, input }) => complianceFigures(db, input.now ?? new Date()),
});
