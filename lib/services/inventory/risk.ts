import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { queryRows } from "@/db/client";
import { devices } from "@/db/schema";
import type { Criticality, EosState } from "@/lib/domain";
import { RowId } from "@/lib/validation/ids";
import { at, eosStateSql } from "../compliance/eos";
import { NotFoundError } from "../errors";
import { query } from "../operation";

/**
 * Per-device risk score, 0–100, the sum of five parts (deterministic: the same data and clock give
 * the same score). Higher means look at this device first.
 *
 * | part        | points | rule |
 * |-------------|--------|------|
 * | criticality | 25 / 15 / 5 | life-sustaining / life-supporting / other (the model's criticality) |
 * | firmware    | 0–25   | 5 per security version behind the model's current approved release (at most 3, so 15), plus 10 when the release it runs was approved 365 days ago or more, 5 when 180 days or more |
 * | support     | 20 / 10 / 0 | model past end of support / ending within 90 days / otherwise (ROL-12 states) |
 * | recall      | 20 / 0 | the installed version is a recalled release of its model |
 * | failures    | 0–10   | 5 per failed or rolled-back update that finished in the last 90 days (at most 2) |
 *
 * "Current approved release" is the model's approved release with the highest security version (then
 * the latest approval). Firmware age is counted only while the installed release is approved, because
 * `releases.state_changed_at` holds the approval moment only in that state; a recalled release scores
 * through the recall part instead. Everything is computed in SQL so the inventory can sort by it.
 */
export const RISK_WEIGHTS = {
  criticality: { life_sustaining: 25, life_supporting: 15, other: 5 },
  perVersionBehind: 5,
  maxVersionsBehind: 3,
  ageOneYear: 10,
  ageHalfYear: 5,
  pastEos: 20,
  eosWithin90d: 10,
  recalled: 20,
  perFailure: 5,
  maxFailures: 2,
} as const;

const W = RISK_WEIGHTS;
const n = (v: number) => sql.raw(String(v));

/**
 * The facts behind the score for the `devices` row of the enclosing query (correlated), at `now`
 * (a timestamptz SQL expression).
 */
function riskFactsSql(now: SQL): SQL {
  return sql`SELECT m.criticality,
                    greatest(0, coalesce(cur.security_version - ${devices.securityVersion}, 0))::int AS versions_behind,
                    cur.version AS current_version,
                    CASE WHEN dr.state = 'approved' THEN floor(extract(epoch FROM ${now} - dr.state_changed_at) / 86400)::int END AS age_days,
                    ${eosStateSql(sql`m.end_of_support`, now)} AS eos_state,
                    m.end_of_support::text AS end_of_support,
                    coalesce(dr.state = 'recalled', false) AS recalled,
                    (SELECT count(*)::int FROM deployment_actions x
                     WHERE x.device_id = ${devices.id} AND x.state IN ('failed', 'rolled_back')
                       AND x.finished_at > ${now} - interval '90 days' AND x.finished_at <= ${now}) AS failures
             FROM device_models m
             LEFT JOIN releases dr ON dr.model_id = m.id AND dr.version = ${devices.firmwareVersion}
             LEFT JOIN LATERAL (
               SELECT c.version, c.security_version FROM releases c
               WHERE c.model_id = m.id AND c.state = 'approved'
               ORDER BY c.security_version DESC, c.state_changed_at DESC, c.id DESC LIMIT 1) cur ON true
             WHERE m.id = ${devices.modelId}`;
}

// Points per part, over a row `f` of riskFactsSql.
const POINTS = {
  criticality: sql`CASE f.criticality WHEN 'life_sustaining' THEN ${n(W.criticality.life_sustaining)} WHEN 'life_supporting' THEN ${n(W.criticality.life_supporting)} ELSE ${n(W.criticality.other)} END`,
  firmware: sql`(least(f.versions_behind, ${n(W.maxVersionsBehind)}) * ${n(W.perVersionBehind)}
                 + CASE WHEN f.age_days >= 365 THEN ${n(W.ageOneYear)} WHEN f.age_days >= 180 THEN ${n(W.ageHalfYear)} ELSE 0 END)`,
  support: sql`CASE f.eos_state WHEN 'past_eos' THEN ${n(W.pastEos)} WHEN 'eos_within_90d' THEN ${n(W.eosWithin90d)} ELSE 0 END`,
  recall: sql`CASE WHEN f.recalled THEN ${n(W.recalled)} ELSE 0 END`,
  failures: sql`least(f.failures, ${n(W.maxFailures)}) * ${n(W.perFailure)}`,
};

const TOTAL = sql`(${POINTS.criticality} + ${POINTS.firmware} + ${POINTS.support} + ${POINTS.recall} + ${POINTS.failures})`;

/** The score of the `devices` row of the enclosing query, as an integer SQL expression (inventory sort). */
export function riskScoreSql(now: SQL): SQL {
  return sql`(SELECT ${TOTAL}::int FROM (${riskFactsSql(now)}) f)`;
}

export type RiskBreakdown = {
  score: number;
  criticality: { value: Criticality; points: number };
  firmware: { versionsBehind: number; currentVersion: string | null; ageDays: number | null; points: number };
  support: { state: EosState; endOfSupport: string | null; points: number };
  recall: { recalled: boolean; points: number };
  failures: { count: number; points: number };
};

/** One device's score and how it is made up (device page). */
export const deviceRisk = query({
  name: "devices.risk",
  permission: "devices.read",
  input: z.object({ deviceId: RowId("Unknown device."), now: z.date().optional() }).strict(),
  async run({ db, input }): Promise<RiskBreakdown> {
    const now = at(input.now ?? new Date());
    const [row] = await queryRows<{
      criticality: Criticality; versions_behind: number; current_version: string | null; age_days: number | null; eos_state: EosState;
      end_of_support: string | null; recalled: boolean; failures: number;
      p_criticality: number; p_firmware: number; p_support: number; p_recall: number; p_failures: number; score: number;
    }>(
      db,
      sql`SELECT f.*, ${POINTS.criticality}::int AS p_criticality, ${POINTS.firmware}::int AS p_firmware, ${POINTS.support}::int AS p_support,
                 ${POINTS.recall}::int AS p_recall, ${POINTS.failures}::int AS p_failures, ${TOTAL}::int AS score
          FROM ${devices} CROSS JOIN LATERAL (${riskFactsSql(now)}) f
          WHERE ${devices.id} = ${input.deviceId}`,
    );
    if (!row) throw new NotFoundError("This device does not exist.");
    return {
      score: row.score,
      criticality: { value: row.criticality, points: row.p_criticality },
      firmware: { versionsBehind: row.versions_behind, currentVersion: row.current_version, ageDays: row.age_days, points: row.p_firmware },
      support: { state: row.eos_state, endOfSupport: row.end_of_support, points: row.p_support },
      recall: { recalled: row.recalled, points: row.p_recall },
      failures: { count: row.failures, points: row.p_failures },
    };
  },
});
