import { sql, type SQL } from "drizzle-orm";
import { queryRows } from "@/db/client";
import { query } from "../operation";
import { at, eosStateSql } from "./eos";
import { AtInput } from "./figures";

export type EosGroupRow = { unitName: string; siteName: string; modelName: string; endOfSupport: string; devices: number };

/**
 * End-of-support planning (ROL-12): fielded devices whose model's support ends within the next 12
 * months, grouped by unit and model, with a count per calendar month (the month of `now` and the 12
 * after it, so the last day in range always has a bucket), and the devices already past it.
 */
export const endOfSupportPlan = query({
  name: "compliance.end_of_support",
  permission: "compliance.read",
  input: AtInput,
  async run({ db, input }) {
    const now = at(input.now ?? new Date());
    const state = eosStateSql(sql`m.end_of_support`, now);
    const groups = (which: SQL) =>
      queryRows<EosGroupRow>(
        db,
        sql`SELECT u.name AS "unitName", s.name AS "siteName", m.name AS "modelName", m.end_of_support::text AS "endOfSupport", count(*)::int AS devices
            FROM devices d JOIN device_models m ON m.id = d.model_id JOIN units u ON u.id = d.unit_id JOIN sites s ON s.id = u.site_id
            WHERE d.status <> 'retired' AND ${which}
            GROUP BY u.id, u.name, s.name, m.id, m.name, m.end_of_support
            ORDER BY m.end_of_support, s.name, u.name, m.name`,
      );
    const upcoming = await groups(sql`${state} IN ('eos_within_90d', 'eos_within_12m')`);
    const past = await groups(sql`${state} = 'past_eos'`);
    const months = await queryRows<{ month: string; devices: number }>(
      db,
      sql`WITH mo AS (SELECT generate_series(date_trunc('month', (${now} AT TIME ZONE 'UTC')::date), date_trunc('month', (${now} AT TIME ZONE 'UTC')::date) + interval '12 months', interval '1 month')::date AS starts)
          SELECT to_char(mo.starts, 'YYYY-MM') AS month, count(d.id)::int AS devices
          FROM mo LEFT JOIN device_models m ON date_trunc('month', m.end_of_support)::date = mo.starts AND ${state} IN ('eos_within_90d', 'eos_within_12m')
          LEFT JOIN devices d ON d.model_id = m.id AND d.status <> 'retired'
          GROUP BY mo.starts ORDER BY mo.starts`,
    );
    return { upcoming, past, months };
  },
});
