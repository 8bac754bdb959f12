import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { queryRows } from "@/db/client";
import type { WindowRule } from "../safety/windows";

export type DdiConfig = {
  tenant: string;
  pollSeconds: number;
  clinicalUseMaxAgeMs: number;
  manifestTtlHours: number;
  artifactDir: string;
  manifestKeyPem?: string;
};

// Windows change rarely and are read on every poll: cache a unit's candidates (its own and its site's)
// briefly per database, then pick the most specific set for the device's model.
const WINDOW_TTL_MS = 10_000;
const windowCache = new WeakMap<object, Map<number, { at: number; generation: number; rows: Promise<ScopedWindow[]> }>>();
let generation = 0;

export type ScopedWindow = WindowRule & { label: string | null; unitId: number | null; modelId: number | null };

/** The windows a device of `modelId` in `unitId` follows (see `pickWindows`). */
export async function deviceWindows(db: Db, unitId: number, modelId: number, now = Date.now()): Promise<ScopedWindow[]> {
  let perDb = windowCache.get(db);
  if (!perDb) windowCache.set(db, (perDb = new Map()));
  let hit = perDb.get(unitId);
  if (!hit || hit.generation !== generation || now - hit.at >= WINDOW_TTL_MS) {
    hit = { at: now, generation, rows: windowsAround(db, unitId) };
    perDb.set(unitId, hit);
  }
  return pickWindows(await hit.rows, modelId);
}

/** A unit's own windows and its site's, every model. */
function windowsAround(db: Db, unitId: number): Promise<ScopedWindow[]> {
  return queryRows<ScopedWindow>(
    db,
    sql`SELECT w.rrule, w.starts_at AS "startsAt", w.duration_minutes AS "durationMinutes", w.label, w.unit_id AS "unitId", w.model_id AS "modelId"
        FROM maintenance_windows w, units u
        WHERE u.id = ${unitId} AND (w.unit_id = u.id OR w.site_id = u.site_id)
        ORDER BY w.id`,
  );
}

/**
 * The most specific set that has any window wins: the unit's windows for this model, else the unit's
 * windows for every model, else the site's for this model, else the site's for every model. So a unit
 * can keep its own night window while the rest of the site follows the site's, and a ventilator model
 * can be narrowed to a window of its own.
 */
export function pickWindows<W extends { unitId: number | null; modelId: number | null }>(rows: W[], modelId: number): W[] {
  const tiers = [
    rows.filter((w) => w.unitId !== null && w.modelId === modelId),
    rows.filter((w) => w.unitId !== null && w.modelId === null),
    rows.filter((w) => w.unitId === null && w.modelId === modelId),
    rows.filter((w) => w.unitId === null && w.modelId === null),
  ];
  return tiers.find((t) => t.length > 0) ?? [];
}

export type BlackoutDays = { startsOn: string; endsOn: string };
const blackoutCache = new WeakMap<object, Map<number, { at: number; generation: number; days: Promise<BlackoutDays[]> }>>();

/** Blackout days that apply to a unit: its own, its site's, and hospital-wide ones (cached like windows). */
export function unitBlackouts(db: Db, unitId: number, now = Date.now()): Promise<BlackoutDays[]> {
  let perDb = blackoutCache.get(db);
  if (!perDb) blackoutCache.set(db, (perDb = new Map()));
  const hit = perDb.get(unitId);
  if (hit && hit.generation === generation && now - hit.at < WINDOW_TTL_MS) return hit.days;
  const days = queryRows<{ startsOn: string; endsOn: string }>(
    db,
    sql`SELECT to_char(b.starts_on, 'YYYY-MM-DD') AS "startsOn", to_char(b.ends_on, 'YYYY-MM-DD') AS "endsOn"
        FROM blackouts b, units u
        WHERE u.id = ${unitId} AND b.ends_on >= current_date - 1
          AND (b.unit_id = u.id OR (b.unit_id IS NULL AND (b.site_id = u.site_id OR b.site_id IS NULL)))`,
  );
  perDb.set(unitId, { at: now, generation, days });
  return days;
}

// A freeze must stop offers at once: this instance forgets it immediately on change, others within 2 s.
const FREEZE_TTL_MS = 2_000;
const freezeCache = new WeakMap<object, { at: number; generation: number; active: Promise<boolean> }>();

/** `maxAgeMs` 0 reads the freezes table now (the checks that let an install start use that). */
export function freezeActive(db: Db, now = Date.now(), maxAgeMs = FREEZE_TTL_MS): Promise<boolean> {
  const hit = freezeCache.get(db);
  if (hit && hit.generation === generation && now - hit.at < maxAgeMs) return hit.active;
  const active = queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM freezes WHERE ended_at IS NULL`).then((r) => (r[0]?.n ?? 0) > 0);
  freezeCache.set(db, { at: now, generation, active });
  return active;
}

/** Called after windows, blackouts or a freeze change so this instance applies them at once (others within the TTL). */
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
