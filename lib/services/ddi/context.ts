import { eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { maintenanceWindows } from "@/db/schema";
import type { WindowRule } from "../safety/windows";

export type DdiConfig = {
  tenant: string;
  pollSeconds: number;
  clinicalUseMaxAgeMs: number;
  manifestTtlHours: number;
  artifactDir: string;
  manifestKeyPem?: string;
};

// Unit windows change rarely and are read on every poll: cache them briefly per database.
const WINDOW_TTL_MS = 10_000;
const windowCache = new WeakMap<object, Map<number, { at: number; generation: number; rules: Promise<WindowRule[]> }>>();
let generation = 0;

export function unitWindows(db: Db, unitId: number, now = Date.now()): Promise<WindowRule[]> {
  let perDb = windowCache.get(db);
  if (!perDb) windowCache.set(db, (perDb = new Map()));
  const hit = perDb.get(unitId);
  if (hit && hit.generation === generation && now - hit.at < WINDOW_TTL_MS) return hit.rules;
  const rules = db
    .select({ rrule: maintenanceWindows.rrule, startsAt: maintenanceWindows.startsAt, durationMinutes: maintenanceWindows.durationMinutes })
    .from(maintenanceWindows)
    .where(eq(maintenanceWindows.unitId, unitId));
  perDb.set(unitId, { at: now, generation, rules });
  return rules;
}

/** Called after windows change so this instance applies them at once (others within the TTL). */
export function forgetUnitWindows() {
  generation++;
}

// Last contact is written in batches, not once per poll: polls only note the time in memory and a
// flush every few seconds writes all of them in one statement.
const pending = new WeakMap<object, { times: Map<number, Date>; timer: NodeJS.Timeout }>();

export function noteContact(db: Db, deviceId: number, at = new Date()) {
  let p = pending.get(db);
  if (!p) {
    const timer = setInterval(() => void flushContacts(db).catch((err) => console.error("[corridor] last-contact flush failed", err)), 5000);
    timer.unref();
    pending.set(db, (p = { times: new Map(), timer }));
  }
  p.times.set(deviceId, at);
}

export async function flushContacts(db: Db) {
  const p = pending.get(db);
  if (!p || p.times.size === 0) return 0;
  const entries = [...p.times];
  p.times.clear();
  const ids = entries.map(([id]) => id);
  const times = entries.map(([, t]) => t.toISOString());
  await db.execute(sql`
    UPDATE devices SET last_contact_at = GREATEST(devices.last_contact_at, v.t)
    FROM (SELECT unnest(${sql.param(ids)}::int[]) AS id, unnest(${sql.param(times)}::timestamptz[]) AS t) v
    WHERE devices.id = v.id`);
  return entries.length;
}

export function stopContactFlusher(db: Db) {
  const p = pending.get(db);
  if (p) clearInterval(p.timer);
  pending.delete(db);
}
