import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { systemActor } from "../actor";
import { recordAudit } from "../audit/record";
import { readSetting } from "./settings";
import { startTicker } from "../ticker";

const DAY_MS = 86_400_000;
const BATCH = 5000;

/**
 * Deletes raw samples and hourly rollups older than the retention setting, a bounded batch per
 * statement, so a large backlog never holds long locks or one huge transaction; each batch commits on
 * its own and a crash in between loses nothing but time (the next tick goes on). One audit row
 * records what the run removed.
 */
export async function pruneTelemetry(db: Db, now = new Date()): Promise<{ samples: number; hours: number }> {
  const { rawDays, hourlyDays } = await readSetting(db, "telemetry.retention");
  const rawBefore = new Date(now.getTime() - rawDays * DAY_MS);
  const hourlyBefore = new Date(now.getTime() - hourlyDays * DAY_MS);
  // The raw table's BRIN index on taken_at finds the old block ranges.
  const samples = await drain(db, sql`DELETE FROM telemetry_samples WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM telemetry_samples WHERE taken_at < ${rawBefore} LIMIT ${BATCH})) RETURNING 1 AS x`);
  const hours = await drain(db, sql`DELETE FROM telemetry_hourly WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM telemetry_hourly WHERE hour < ${hourlyBefore} LIMIT ${BATCH})) RETURNING 1 AS x`);
  if (samples || hours) {
    await recordAudit(db, systemActor("telemetry-retention"), undefined, {
      action: "telemetry.pruned",
      entityType: "telemetry",
      after: { samples, hours, rawBefore: rawBefore.toISOString(), hourlyBefore: hourlyBefore.toISOString() },
    });
  }
  return { samples, hours };
}

async function drain(db: Db, statement: ReturnType<typeof sql>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = (await queryRows(db, statement)).length;
    total += n;
    if (n < BATCH) return total;
  }
}

/** Prunes on a timer (the first run soon after start), one run at a time per process. */
export function startTelemetryTicker(db: Db, everyMs: number): () => void {
  return startTicker("telemetry retention", everyMs, () => pruneTelemetry(db), 60_000);
}
