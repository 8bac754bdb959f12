import { asc, sql } from "drizzle-orm";
import { z } from "zod";
import { queryRows } from "@/db/client";
import { userUnits } from "@/db/schema";
import { query } from "../operation";
import { SIGNING_FAILURE_LIMIT } from "../releases/signatures";

/**
 * Accounts whose signing is locked: SIGNING_FAILURE_LIMIT or more wrong signing passwords since they
 * last signed or were unlocked. Same rule as signingFailures(), for every account in one statement.
 */
export const signingLocks = query({
  name: "users.signing_locks",
  permission: "users.read",
  input: z.object({}).strict(),
  async run({ db }) {
    const rows = await queryRows<{ user_id: string }>(
      db,
      sql`WITH reset AS (
            SELECT user_id, max(seq) AS seq FROM (
              SELECT actor_id AS user_id, seq FROM audit_events WHERE action = 'release.signed' AND actor_type = 'user'
              UNION ALL
              SELECT entity_id AS user_id, seq FROM audit_events WHERE action = 'signature.unlocked' AND entity_type = 'user'
            ) r GROUP BY user_id
          )
          SELECT f.actor_id AS user_id FROM audit_events f
          LEFT JOIN reset ON reset.user_id = f.actor_id
          WHERE f.action IN ('signature.password_rejected', 'signature.lockout') AND f.actor_type = 'user'
            AND f.seq > coalesce(reset.seq, 0)
          GROUP BY f.actor_id
          HAVING count(*) >= ${SIGNING_FAILURE_LIMIT}`,
    );
    return rows.map((r) => Number(r.user_id));
  },
});

/** Which units each account works in (clinicians see briefings for these units). */
export const userUnitAssignments = query({
  name: "users.unit_assignments",
  permission: "users.read",
  input: z.object({}).strict(),
  run: ({ db }) => db.select({ userId: userUnits.userId, unitId: userUnits.unitId }).from(userUnits).orderBy(asc(userUnits.userId), asc(userUnits.unitId)),
});
