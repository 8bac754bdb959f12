import { sql, type SQL } from "drizzle-orm";

/**
 * ROL-12: the end-of-support state of a model's date `eos` (a date column) on the UTC day of `now`
 * (a timestamptz expression). Support lasts through the end-of-support day itself, so a device is
 * `past_eos` from the next day on; "within 90 days" includes day 90, "within 12 months" the same
 * calendar day a year ahead.
 */
export function eosStateSql(eos: SQL, now: SQL): SQL {
  const today = sql`(${now} AT TIME ZONE 'UTC')::date`;
  return sql`CASE WHEN ${eos} IS NULL THEN 'eos_unknown'
                  WHEN ${eos} < ${today} THEN 'past_eos'
                  WHEN ${eos} <= ${today} + 90 THEN 'eos_within_90d'
                  WHEN ${eos} <= (${today} + interval '12 months')::date THEN 'eos_within_12m'
                  ELSE 'supported' END`;
}

/** A JavaScript instant as a timestamptz SQL value. */
export const at = (now: Date): SQL => sql`${now.toISOString()}::timestamptz`;
