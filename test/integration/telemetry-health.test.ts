import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentActions } from "@/db/schema";
import { HEALTH_METRICS } from "@/lib/domain";
import { createRng } from "@/lib/random";
import { ForbiddenError } from "@/lib/services/errors";
import { deviceHealthSeries, modelHealthSeries, rolloutHealthSeries } from "@/lib/services/telemetry/charts";
import { compareCohorts } from "@/lib/services/telemetry/regression";
import { recordSamples, type SampleRow } from "@/lib/services/telemetry/rollup";
import { SETTINGS } from "@/lib/services/telemetry/settings";
import { caught, createTestUser, ctxFor, userActor } from "../db";
import { closeWorld, createPlace, createRelease, type Place, type World } from "../protocol-fixtures";
import { drive, enrol, newRollout, openRolloutWorld, wave, type Member } from "../rollout-fixtures";

/**
 * Health charts read from the rollups (values checked by hand), and the health-regression comparison of
 * a rollout's updated and not-yet-updated devices (ROL-01's post-update health gate).
 */

const HOUR = 3_600_000;
// Synthetic telemetry ends two hours before now, so the "idle" reports enrol() sends stay out of range.
const T = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
const hour = (h: number) => new Date(T + h * HOUR);

let w: World;
beforeAll(async () => {
  ({ w } = await openRolloutWorld());
});
afterAll(() => closeWorld(w));

const record = (place: Place, samples: SampleRow[]) => recordSamples(w.db, samples, () => place.model.id);

/** A model with `updated` devices updated by a rollout (install finished at `installedAt`) and `control` devices not in it. */
async function rolloutScenario(opts: { updated: number; control: number; installedAt: Date }) {
  const place = await createPlace(w);
  const release = await createRelease(w, place.model.id);
  const updated = await enrol(w, place, opts.updated);
  const control = await enrol(w, place, opts.control);
  const rollout = await newRollout(w, release, updated, [wave("general")]);
  for (const m of updated) await drive(w, m, "succeeded");
  await w.db.update(deploymentActions).set({ finishedAt: opts.installedAt }).where(eq(deploymentActions.rolloutId, rollout.id));
  return { place, release, rollout, updated, control };
}

/** Two samples an hour over [fromH, toH) per device; alarms per sample drawn around `alarms(device, h) / 2`. */
function hourlySamples(members: Member[], fromH: number, toH: number, seed: number, alarms: (m: Member, h: number) => number): SampleRow[] {
  const rng = createRng(seed);
  const out: SampleRow[] = [];
  for (const m of members) {
    let battery = rng.uniform(60, 100);
    for (let h = fromH; h < toH; h++) {
      for (const minute of [10, 40]) {
        battery = Math.max(5, battery - rng.uniform(0.5, 1.5));
        out.push({
          deviceId: m.device.id,
          takenAt: new Date(hour(h).getTime() + minute * 60_000),
          batteryPct: battery,
          sensorDrift: rng.normal(0, 0.5),
          powerDrawW: rng.uniform(10, 14),
          alarmCount: rng.poisson(alarms(m, h) / 2),
          reboots: rng.poisson(0.02),
          errorCodes: rng.chance(0.05) ? ["E7"] : [],
        });
      }
    }
  }
  return out;
}

describe("charts read from the rollups", () => {
  it("a device's series: each metric per hour as computed by hand, and firmware markers (install and reported)", async () => {
    const s = await rolloutScenario({ updated: 1, control: 0, installedAt: new Date(hour(-2).getTime() + 10 * 60_000) });
    const [m] = s.updated;
    await record(s.place, [
      { deviceId: m!.device.id, takenAt: new Date(hour(-5).getTime() + 5 * 60_000), batteryPct: 80, sensorDrift: 0.5, powerDrawW: 10, alarmCount: 1, firmwareVersion: "0.9.0" },
      { deviceId: m!.device.id, takenAt: new Date(hour(-5).getTime() + 45 * 60_000), batteryPct: 77, sensorDrift: -0.3, powerDrawW: 14, alarmCount: 2, reboots: 1, errorCodes: ["E1", "E2"] },
      // A version reported with no install behind it (changed by hand): a "reported" marker.
      { deviceId: m!.device.id, takenAt: new Date(hour(-4).getTime() + 5 * 60_000), batteryPct: 76, firmwareVersion: "1.0.0" },
      // The rollout's version, right after its install: explained by the install marker.
      { deviceId: m!.device.id, takenAt: new Date(hour(-1).getTime() + 5 * 60_000), alarmCount: 0, firmwareVersion: s.release.release.version },
    ]);
    const series = await deviceHealthSeries(w.admin, { deviceId: m!.device.id, days: 1, until: hour(0) });
    expect(series.to).toBe(hour(1).getTime());
    expect(series.from).toBe(hour(1).getTime() - 24 * HOUR);
    expect(series.points.map((p) => p.t)).toEqual([hour(-5), hour(-4), hour(-1)].map((d) => d.getTime()));
    expect(series.points[0]).toEqual({ t: hour(-5).getTime(), firmware: "0.9.0", alarm_rate: 3, reboots: 1, error_codes: 2, sensor_drift: 0.4, power_draw: 12, battery_drain: 3 });
    // One battery reading: no drain value (not 0); no drift or power readings: no value.
    expect(series.points[1]).toMatchObject({ firmware: "1.0.0", battery_drain: null, sensor_drift: null, power_draw: null, alarm_rate: 0 });
    expect(series.markers).toEqual([
      { t: hour(-4).getTime(), version: "1.0.0", source: "reported" },
      { t: hour(-2).getTime() + 10 * 60_000, version: s.release.release.version, source: "install" },
    ]);
  });

  it("a model's series: mean and 10th–90th percentile across its devices per hour", async () => {
    const place = await createPlace(w);
    const devs = await enrol(w, place, 3);
    await record(place, devs.map((d, i) => ({ deviceId: d.device.id, takenAt: new Date(hour(-3).getTime() + 60_000), alarmCount: [1, 2, 6][i]!, powerDrawW: [10, 20, 30][i]! })));
    await record(place, [{ deviceId: devs[0]!.device.id, takenAt: new Date(hour(-2).getTime() + 60_000), alarmCount: 4 }]);
    const series = await modelHealthSeries(w.admin, { modelId: place.model.id, days: 1, until: hour(0) });
    expect(series.points.map((p) => [p.t, p.devices])).toEqual([[hour(-3).getTime(), 3], [hour(-2).getTime(), 1]]);
    const a = series.points[0]!.metrics;
    // percentile_cont over [1, 2, 6]: p10 = 1 + 0.2 × (2 − 1) = 1.2; p90 = 2 + 0.8 × (6 − 2) = 5.2.
    expect(a.alarm_rate.mean).toBeCloseTo(3, 9);
    expect(a.alarm_rate.lo).toBeCloseTo(1.2, 9);
    expect(a.alarm_rate.hi).toBeCloseTo(5.2, 9);
    expect(a.power_draw).toMatchObject({ mean: 20 });
    expect(a.power_draw.lo).toBeCloseTo(12, 9);
    expect(a.battery_drain).toEqual({ mean: null, lo: null, hi: null });
    expect(series.points[1]!.metrics.alarm_rate).toEqual({ mean: 4, lo: 4, hi: 4 });
  });

  it("a rollout's series: updated vs not-yet-updated devices per hour, with their 25th–75th percentile band; the install hour belongs to neither", async () => {
    const s = await rolloutScenario({ updated: 2, control: 2, installedAt: new Date(hour(-3).getTime() + 20 * 60_000) });
    const all = [...s.updated, ...s.control];
    const alarmsAt = (i: number, h: number) => (i < 2 && h >= -2 ? 10 + i * 2 : 1 + i);
    const samples: SampleRow[] = [];
    for (let h = -4; h < 0; h++) all.forEach((m, i) => samples.push({ deviceId: m.device.id, takenAt: new Date(hour(h).getTime() + 30 * 60_000), alarmCount: alarmsAt(i, h) }));
    await record(s.place, samples);
    const series = await rolloutHealthSeries(w.admin, { rolloutId: s.rollout.id, days: 1, until: hour(0) });
    expect(series.version).toBe(s.release.release.version);
    const at = (h: number) => series.points.find((p) => p.t === hour(h).getTime())!;
    // Before the install: all four are "not yet updated" (alarms 1, 2, 3, 4).
    expect(at(-4).updated).toBeNull();
    expect(at(-4).control).toMatchObject({ devices: 4, metrics: { alarm_rate: { mean: 2.5, lo: 1.75, hi: 3.25 } } });
    // The install hour: only the two devices not in the rollout.
    expect(at(-3).updated).toBeNull();
    expect(at(-3).control).toMatchObject({ devices: 2, metrics: { alarm_rate: { mean: 3.5 } } });
    // After: updated 10 and 12, control 3 and 4.
    expect(at(-1).updated).toMatchObject({ devices: 2, metrics: { alarm_rate: { mean: 11, lo: 10.5, hi: 11.5 } } });
    expect(at(-1).control).toMatchObject({ devices: 2, metrics: { alarm_rate: { mean: 3.5, lo: 3.25, hi: 3.75 } } });
  });

  it("each chart checks its permission (a clinician reads no device telemetry)", async () => {
    const clinician = ctxFor(w.db, userActor(await createTestUser(w.db, "clinician")));
    expect(await caught(() => deviceHealthSeries(clinician, { deviceId: 1 }))).toBeInstanceOf(ForbiddenError);
    expect(await caught(() => modelHealthSeries(clinician, { modelId: 1 }))).toBeInstanceOf(ForbiddenError);
    expect(await caught(() => rolloutHealthSeries(clinician, { rolloutId: 1 }))).toBeInstanceOf(ForbiddenError);
  });
});

describe("ROL-01 health regression: updated vs not-yet-updated devices of the same model", () => {
  const settings = SETTINGS["health.regression"].defaults;

  it("flags a seeded regression (updated devices with 3× the alarms) and only that metric", async () => {
    const s = await rolloutScenario({ updated: 8, control: 8, installedAt: hour(-30) });
    const updatedIds = new Set(s.updated.map((m) => m.device.id));
    await record(s.place, hourlySamples([...s.updated, ...s.control], -48, 0, 11, (m, h) => (updatedIds.has(m.device.id) && h >= -30 ? 6 : 2)));
    const r = await compareCohorts(w.db, { rolloutId: s.rollout.id, since: hour(-48), until: hour(0), settings });
    expect(r.regressed).toEqual(["alarm_rate"]);
    const alarms = r.metrics.find((m) => m.metric === "alarm_rate")!;
    expect(alarms).toMatchObject({ updatedDevices: 8, controlDevices: 8, regressed: true });
    expect(alarms.relativeChange!).toBeGreaterThan(1.5);
    expect(alarms.pValue!).toBeLessThan(settings.alpha);
    expect(r.metrics.map((m) => m.metric)).toEqual([...HEALTH_METRICS]);
    // Evidence: hourly means of both cohorts after the install; nothing for updated devices before it.
    expect(r.series.find((p) => p.t === hour(-10).toISOString())!.updated.alarm_rate).toBeGreaterThan(4);
    expect(r.series.find((p) => p.t === hour(-40).toISOString())).toBeUndefined();
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it("does not flag noise-only cohorts", async () => {
    const s = await rolloutScenario({ updated: 8, control: 8, installedAt: hour(-30) });
    await record(s.place, hourlySamples([...s.updated, ...s.control], -48, 0, 12, () => 2));
    const r = await compareCohorts(w.db, { rolloutId: s.rollout.id, since: hour(-48), until: hour(0), settings });
    expect(r.regressed).toEqual([]);
    expect(r.metrics.find((m) => m.metric === "alarm_rate")).toMatchObject({ updatedDevices: 8, controlDevices: 8, regressed: false });
  });

  it("does not decide on devices below the minimum exposure, however bad they look", async () => {
    const s = await rolloutScenario({ updated: 8, control: 8, installedAt: hour(-4) });
    const updatedIds = new Set(s.updated.map((m) => m.device.id));
    await record(s.place, hourlySamples([...s.updated, ...s.control], -48, 0, 13, (m, h) => (updatedIds.has(m.device.id) && h >= -4 ? 20 : 2)));
    const r = await compareCohorts(w.db, { rolloutId: s.rollout.id, since: hour(-48), until: hour(0), settings });
    expect(r.regressed).toEqual([]);
    const alarms = r.metrics.find((m) => m.metric === "alarm_rate")!;
    // The control cohort is compared over the same period (since the first install), so it lacks exposure too.
    expect(alarms).toMatchObject({ updatedDevices: 0, controlDevices: 0, pValue: null, regressed: false });
    expect(alarms.reason).toMatch(/Not enough data/);
    // With a 4-hour minimum exposure the same data is a regression.
    const shorter = await compareCohorts(w.db, { rolloutId: s.rollout.id, since: hour(-48), until: hour(0), settings: { ...settings, minExposureHours: 4 } });
    expect(shorter.regressed).toContain("alarm_rate");
  });

  it("reads its thresholds from the settings when none are given", async () => {
    const s = await rolloutScenario({ updated: 1, control: 1, installedAt: hour(-10) });
    const r = await compareCohorts(w.db, { rolloutId: s.rollout.id, since: hour(-48), until: hour(0) });
    expect(r.settings).toEqual(settings);
  });
});
