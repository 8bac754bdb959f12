import { z } from "zod";
import type { Db } from "@/db/client";
import { command, query } from "../operation";
import { storeSetting, storedSetting } from "../settings/app-settings";

// The telemetry settings an administrator tunes, each one app_settings row validated here. A key never
// written reads as its defaults.

export const RetentionSettings = z
  .object({
    rawDays: z.coerce.number({ error: "Raw samples: give a number of days." }).int("Raw samples: whole days.").min(1, "Keep raw samples at least 1 day.").max(3650, "Keep raw samples at most 3650 days."),
    hourlyDays: z.coerce.number({ error: "Hourly rollups: give a number of days." }).int("Hourly rollups: whole days.").min(7, "Keep hourly rollups at least 7 days.").max(3650, "Keep hourly rollups at most 3650 days."),
  })
  .strict()
  .refine((s) => s.hourlyDays >= s.rawDays, { message: "Keep hourly rollups at least as long as raw samples.", path: ["hourlyDays"] });
export type RetentionSettings = z.output<typeof RetentionSettings>;

export const RegressionSettings = z
  .object({
    /** One-sided significance level over all six metrics together (each is tested at alpha / 6). */
    alpha: z.coerce.number({ error: "Significance level: give a number." }).gt(0, "The significance level must be above 0.").max(0.2, "The significance level must be at most 0.2."),
    /** Smallest relative worsening of the updated cohort's mean that counts, in percent. */
    minEffectPct: z.coerce.number({ error: "Minimum effect: give a number." }).min(1, "The minimum effect must be at least 1 %.").max(1000, "The minimum effect must be at most 1000 %."),
    /** Hours of data a device needs (after its update, for updated devices) to be counted. */
    minExposureHours: z.coerce.number({ error: "Minimum exposure: give a number of hours." }).int("Minimum exposure: whole hours.").min(1, "The minimum exposure must be at least 1 hour.").max(720, "The minimum exposure must be at most 720 hours."),
    /** Devices each cohort needs before anything is decided. */
    minDevices: z.coerce.number({ error: "Minimum devices: give a number." }).int("Minimum devices: a whole number.").min(3, "Each cohort needs at least 3 devices.").max(10_000, "At most 10000 devices per cohort."),
  })
  .strict();
export type RegressionSettings = z.output<typeof RegressionSettings>;

export const SETTINGS = {
  "telemetry.retention": { schema: RetentionSettings, defaults: { rawDays: 30, hourlyDays: 400 } as RetentionSettings },
  "health.regression": { schema: RegressionSettings, defaults: { alpha: 0.01, minEffectPct: 25, minExposureHours: 6, minDevices: 5 } as RegressionSettings },
} as const;
type Key = keyof typeof SETTINGS;
type Value<K extends Key> = (typeof SETTINGS)[K]["defaults"];

/** A key's stored value; one never written, or one that no longer parses, reads as its defaults. */
export async function readSetting<K extends Key>(db: Db, key: K): Promise<Value<K>> {
  const parsed = SETTINGS[key].schema.safeParse(await storedSetting(db, key));
  return (parsed.success ? parsed.data : SETTINGS[key].defaults) as Value<K>;
}

function settingCommand<K extends Key>(key: K, name: string, action: string) {
  return command({
    name,
    permission: "health.configure",
    input: SETTINGS[key].schema,
    run: async ({ tx, actor, input, audit }) => {
      const before = await readSetting(tx, key);
      await storeSetting(tx, key, input, actor.type === "user" ? actor.userId : null);
      await audit({ action, entityType: "app_setting", entityId: key, before, after: input });
      return input as Value<K>;
    },
  });
}

export const setTelemetryRetention = settingCommand("telemetry.retention", "telemetry.set_retention", "telemetry.retention_changed");
export const setRegressionThresholds = settingCommand("health.regression", "health.set_thresholds", "health.regression_thresholds_changed");

/** Both settings, for the settings page. */
export const healthSettings = query({
  name: "health.settings",
  permission: "health.configure",
  input: z.object({}).strict(),
  run: async ({ db }) => ({ retention: await readSetting(db, "telemetry.retention"), regression: await readSetting(db, "health.regression") }),
});
