import { asc, eq } from "drizzle-orm";
import type { Db } from "../client";
import { devices } from "../schema";
import { createRng } from "@/lib/random";
import { recordSamples, type SampleRow } from "@/lib/services/telemetry/rollup";

// Demo only: a week of health telemetry (two samples an hour) for the first active devices of each
// model, through the same rollup path as device ingest, so every health chart has history from the start.

const PER_MODEL = 8;
const DAYS = 7;

export async function seedDemoTelemetry(db: Db, opts: { now?: Date } = {}): Promise<number> {
  const rng = createRng(61);
  const now = (opts.now ?? new Date()).getTime();
  const active = await db
    .select({ id: devices.id, modelId: devices.modelId, firmwareVersion: devices.firmwareVersion })
    .from(devices)
    .where(eq(devices.status, "active"))
    .orderBy(asc(devices.serial));
  const chosen = new Map<number, typeof active>();
  for (const d of active) {
    const list = chosen.get(d.modelId) ?? [];
    if (list.length < PER_MODEL) chosen.set(d.modelId, [...list, d]);
  }
  // History ends where the current hour begins: the live (simulated) devices own the hour in progress, so
  // their first readings are not mixed into an hour with the seed's.
  const thisHour = Math.floor(now / 3_600_000) * 3_600_000;
  const start = thisHour - DAYS * 24 * 3_600_000;
  const samples: SampleRow[] = [];
  for (const list of chosen.values()) {
    for (const d of list) {
      let battery = rng.uniform(60, 100);
      let drift = rng.normal(0, 0.3);
      const alarmsPerHour = rng.uniform(0.2, 1.5);
      const basePower = rng.uniform(8, 25);
      for (let t = start + 10 * 60_000; t < thisHour; t += 30 * 60_000) {
        const inUse = rng.chance(0.6);
        battery = inUse ? battery - rng.uniform(0.5, 2) : Math.min(100, battery + rng.uniform(0, 3));
        if (battery < 15) battery = rng.uniform(90, 100);
        drift += rng.normal(0, 0.05);
        samples.push({
          deviceId: d.id,
          takenAt: new Date(t),
          batteryPct: Math.round(battery * 10) / 10,
          sensorDrift: Math.round(drift * 1000) / 1000,
          powerDrawW: Math.round((basePower * (inUse ? 1.3 : 1) + rng.normal(0, 0.8)) * 10) / 10,
          alarmCount: rng.poisson(alarmsPerHour / 2),
          reboots: rng.poisson(0.002),
          errorCodes: rng.chance(0.01) ? ["E-204"] : [],
          inClinicalUse: inUse,
          firmwareVersion: d.firmwareVersion,
        });
      }
    }
  }
  const modelOf = new Map([...chosen.values()].flat().map((d) => [d.id, d.modelId]));
  await recordSamples(db, samples, (id) => modelOf.get(id)!);
  return modelOf.size;
}
