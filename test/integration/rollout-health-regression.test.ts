import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentActions, incidentDevices, incidents, rollouts } from "@/db/schema";
import { factorsFor, initialHealth, takeSample } from "@/lib/fleet/telemetry";
import type { Regression } from "@/lib/fleet/options";
import { profileFor } from "@/lib/fleet/profiles";
import { createRng, seedFor } from "@/lib/random";
import { signOffIncident } from "@/lib/services/incidents/operations";
import { ingestTelemetry } from "@/lib/services/ddi/protocol";
import { advanceRollout, ENGINE, HEALTH_CHECK_MS } from "@/lib/services/rollouts/engine";
import { resumeRollout } from "@/lib/services/rollouts/operations";
import { recordAudit } from "@/lib/services/audit/record";
import { TEST_PASSWORD } from "../db";
import { closeWorld, createPlace, createRelease, type Place, type World } from "../protocol-fixtures";
import { addUnit, drive, enrol, fresh, newRollout, openRolloutWorld, wave, wavesOf, type Member, type Release } from "../rollout-fixtures";

/**
 * Issue 6 §3 (ROL-15): the health-regression gate. The simulated fleet's own telemetry model (lib/fleet)
 * produces 12 hours of samples for a pilot that installed 12 hours ago and for the not-yet-updated devices
 * of the same model; the samples go in through the DDI telemetry ingest. With alarms three times as
 * frequent after the update, the engine pauses the rollout inside the pilot wave, opens exactly one
 * incident with the evidence, and the next wave waits until someone signs the incident off. The same
 * fleet without the regression goes on untouched.
 */

let w: World;
const HOUR = 3_600_000;
const SAMPLE_EVERY_MIN = 10;
const PROFILE = profileFor("MFP4");

beforeAll(async () => {
  ({ w } = await openRolloutWorld());
});
afterAll(() => closeWorld(w));

const advance = (rolloutId: number, now: Date) => w.db.transaction((tx) => advanceRollout(tx, rolloutId, now, (e) => recordAudit(tx, ENGINE, undefined, e)));

/** Samples every 10 minutes over the last `hours`, through the DDI ingest; factors apply after `installedAt`. */
async function sendTelemetry(m: Member, place: Place, regressions: Regression[], installedAt: number | null, now: number) {
  const rng = createRng(seedFor(m.device.serial));
  const state = initialHealth(PROFILE, rng);
  const samples = [];
  for (let t = now - 12 * HOUR; t < now - 60_000; t += SAMPLE_EVERY_MIN * 60_000) {
    const updated = installedAt !== null && t >= installedAt;
    const factors = factorsFor(regressions, place.model.name, null, updated);
    // In use on a patient until the last sample, so the device can take its update afterwards.
    const last = t + SAMPLE_EVERY_MIN * 60_000 >= now - 60_000;
    samples.push(takeSample(PROFILE, state, { at: new Date(t), dtS: SAMPLE_EVERY_MIN * 60, inUse: !last, firmwareVersion: null, factors, rng }));
  }
  const result = await ingestTelemetry(w.db, await fresh(w, m), JSON.stringify({ samples }));
  expect(result.rejected).toEqual([]);
}

/** A pilot of 8 devices that installed 12 h ago, and 16 not-yet-updated devices of the same model, with telemetry. */
async function fleetWithPilot(regressions: (place: Place) => Regression[]) {
  const place = await createPlace(w);
  const release: Release = await createRelease(w, place.model.id);
  const pilotUnit = await addUnit(w, place);
  const wardUnit = await addUnit(w, place);
  const pilot = await enrol(w, pilotUnit, 8);
  const ward = await enrol(w, wardUnit, 16);
  const rollout = await newRollout(w, release, [...pilot, ...ward], [wave("pilot", { unitIds: [pilotUnit.unit.id], soakMinutes: 0 }), wave("general")]);
  for (const m of pilot) await drive(w, m, "succeeded");
  const now = Date.now();
  const installedAt = now - 12 * HOUR;
  // The story, moved back in time: the rollout began 13 h ago and its pilot installed 12 h ago.
  await w.db.update(rollouts).set({ createdAt: new Date(installedAt - HOUR) }).where(eq(rollouts.id, rollout.id));
  await w.db.update(deploymentActions).set({ finishedAt: new Date(installedAt) }).where(eq(deploymentActions.rolloutId, rollout.id));
  for (const m of pilot) await sendTelemetry(m, place, regressions(place), installedAt, now);
  for (const m of ward) await sendTelemetry(m, place, regressions(place), null, now);
  return { rollout, pilot, ward, now: new Date(now) };
}

const incidentsOf = (rolloutId: number) => w.db.select().from(incidents).where(eq(incidents.rolloutId, rolloutId));

describe("ROL-15: the health-regression gate", () => {
  it("a seeded regression (alarms ×3 after the update) pauses the rollout within the pilot wave and opens exactly one incident", async () => {
    const { rollout, pilot, now } = await fleetWithPilot((place) => [{ model: place.model.name, version: null, metric: "alarmCount", factor: 3 }]);

    expect(await advance(rollout.id, now)).toBe("paused");
    const [paused] = await w.db.select().from(rollouts).where(eq(rollouts.id, rollout.id));
    expect(paused).toMatchObject({ state: "paused" });
    expect(paused!.stateReason).toMatch(/^Health regression: alarms per hour \+\d+%/);
    expect((await wavesOf(w.db, rollout.id)).map((x) => x.state)).toEqual(["active", "pending"]);

    const opened = await incidentsOf(rollout.id);
    expect(opened).toHaveLength(1);
    const incident = opened[0]!;
    expect(incident).toMatchObject({ source: "health_regression", status: "triage", severity: "high" });
    const evidence = incident.evidence as { metric: string; metrics: { metric: string; regressed: boolean; pValue: number }[]; series: { hour: string; updated: number | null; control: number | null }[] };
    expect(evidence.metric).toBe("alarm_rate");
    expect(evidence.metrics.find((m) => m.metric === "alarm_rate")).toMatchObject({ regressed: true, updatedDevices: 8, controlDevices: 16 });
    expect(evidence.series.length).toBeGreaterThanOrEqual(11);
    const linked = await w.db.select().from(incidentDevices).where(eq(incidentDevices.incidentId, incident.id));
    expect(linked.map((l) => l.deviceId).sort()).toEqual(pilot.map((m) => m.device.id).sort());

    // Resumed without a sign-off: the next check pauses it again, with the same incident.
    await resumeRollout(w.admin, { rolloutId: rollout.id });
    const later = new Date(now.getTime() + HEALTH_CHECK_MS);
    expect(await advance(rollout.id, later)).toBe("paused");
    expect(await incidentsOf(rollout.id)).toHaveLength(1);

    // Signed off: resuming lets the next wave start at once, and the same regression no longer pauses it.
    await signOffIncident(w.admin, { incidentId: incident.id, password: TEST_PASSWORD, reason: "Vendor confirms the alarm change is the new occlusion sensitivity; accepted." });
    await resumeRollout(w.admin, { rolloutId: rollout.id });
    expect((await wavesOf(w.db, rollout.id)).map((x) => x.state)).toEqual(["completed", "active"]);
    expect(await advance(rollout.id, new Date(later.getTime() + 2 * HEALTH_CHECK_MS))).toBe("running");
    expect(await incidentsOf(rollout.id)).toHaveLength(1);
  });

  it("the next wave waits on an open incident that nobody signed off", async () => {
    const { rollout, now } = await fleetWithPilot((place) => [{ model: place.model.name, version: null, metric: "alarmCount", factor: 3 }]);
    await advance(rollout.id, now);
    await resumeRollout(w.admin, { rolloutId: rollout.id });
    // Between health checks the wave gates are judged: the incident holds the next wave.
    expect(await advance(rollout.id, new Date(now.getTime() + 1000))).toBe("gated");
    const gate = (await wavesOf(w.db, rollout.id))[1]!.gates.find((g) => g.gate === "no open incident");
    expect(gate).toMatchObject({ ok: false, detail: expect.stringMatching(/^incident #\d+ open and not signed off$/) });
  });

  it("the same fleet without a regression goes on: no pause, no incident", async () => {
    const { rollout, now } = await fleetWithPilot(() => []);
    expect(await advance(rollout.id, now)).toBe("started");
    expect(await incidentsOf(rollout.id)).toEqual([]);
    const [row] = await w.db.select().from(rollouts).where(eq(rollouts.id, rollout.id));
    expect(row!.state).toBe("running");
    expect(row!.healthCheckedAt).not.toBeNull();
  });
});
