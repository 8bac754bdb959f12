import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, DbHandle } from "@/db/client";
import {
  briefingAcknowledgements, deploymentActions, deviceModels, incidents, manufacturers, releaseBriefings, releases, sites, units, userUnits,
  type Device, type Release,
} from "@/db/schema";
import type { ActionState, Criticality, IncidentSeverity, IncidentStatus, ReleaseState } from "@/lib/domain";
import type { Ctx } from "@/lib/services/actor";
import { endOfSupportPlan } from "@/lib/services/compliance/end-of-support";
import { exportCompliance } from "@/lib/services/compliance/export";
import { getComplianceFigures } from "@/lib/services/compliance/figures";
import { ForbiddenError, ValidationError } from "@/lib/services/errors";
import { deviceRisk } from "@/lib/services/inventory/risk";
import { listDevices } from "@/lib/services/inventory/list-devices";
import { auditHighWater, auditRowsAfter, caught, createTestDevice, createTestUser, ctxFor, openScratchDb, userActor } from "../db";

/**
 * ROL-07 / ROL-12 / issue 6 §5–6: the compliance figures, the end-of-support plan and the risk score
 * against a small hospital whose every date is fixed, so each expected value below is worked out by
 * hand in the comments. Releases are walked through the lifecycle one allowed step at a time (the
 * database enforces the steps) with the time of each step set explicitly.
 *
 * The world, at NOW = 2026-04-20 12:00 UTC (a Monday, ISO week 2026-W17):
 *
 * Models            criticality      end of support   releases (security version, state, state since)
 *   Pump            life-supporting  2026-07-01       P0 0.9 (1, recalled 2026-02-01), P1 1.0 (1, approved 2026-01-01), P2 1.1 (2, approved 2026-03-01)
 *   Vent            life-sustaining  2027-03-01       V1 3.0 (5, approved 2026-04-01), V2 3.1 (6, in review)
 *   Glucose         other            2028-01-01       G1 1.0 (1, approved 2026-04-10)
 *   Monitor         other            none             none
 *
 * Devices (unit "ICU" and unit `=Ward "B"` of site "+North"; the names test CSV escaping)
 *   ICU:  pump1 1.1, pump2 1.1 (offline), pump3 1.0, vent1 3.0, vent2 3.0, mon1 2.0
 *   Ward: pump4 1.1, pump5 0.9, pump6 0.9 (retired), vent3 3.0 (maintenance), glu1 1.0, mon2 2.0
 *
 * Finished updates (release → state at finished time)
 *   pump3 P1 succeeded 01-10 · pump1 P2 succeeded 03-03 · pump3 P2 failed 03-04 · pump2 P2 succeeded 03-05
 *   pump4 P2 succeeded 03-11 · vent1 V1 succeeded 04-02 · vent3 V1 failed 04-03 · vent2 V1 succeeded 04-05 12:00
 *   vent3 V1 succeeded 04-11 · pump5 P2 canceled 04-14 · pump3 P2 rolled back 04-16   (all 00:00 UTC unless noted)
 */

const NOW = new Date("2026-04-20T12:00:00Z");
const sorted = <T extends unknown[]>(rows: T[]) => [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
const d = (iso: string) => new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);

let handle: DbHandle;
let db: Db;
let manager: Ctx;
let clinician: Ctx;
const dev: Record<string, Device> = {};
const rel: Record<string, Release> = {};
let icuId = 0;
let wardId = 0;

/** A release walked through the lifecycle to `state`, each step stamped with `at`. */
async function release(modelId: number, version: string, securityVersion: number, state: "in_review" | "approved", at: string): Promise<Release> {
  const [r] = await db.insert(releases).values({ modelId, version, securityVersion, hardwareRevisions: ["A"] }).returning();
  const steps: ReleaseState[] = ["submitted", "verified", "in_review", ...(state === "approved" ? (["approved"] as const) : [])];
  for (const step of steps) await db.update(releases).set({ state: step, stateChangedAt: d(at) }).where(eq(releases.id, r!.id));
  const [out] = await db.select().from(releases).where(eq(releases.id, r!.id));
  return out!;
}

async function moveTo(r: Release, state: "recalled", at: string) {
  await db.update(releases).set({ state, stateChangedAt: d(at) }).where(eq(releases.id, r.id));
}

async function action(device: Device, r: Release, state: ActionState, finishedAt: string) {
  await db.insert(deploymentActions).values({ deviceId: device.id, releaseId: r.id, state, finishedAt: d(finishedAt), createdAt: d(finishedAt), previousVersion: device.firmwareVersion });
}

beforeAll(async () => {
  // A database of its own: the figures count everything, so nothing else may be in it.
  handle = await openScratchDb("compliance");
  db = handle.db;
  const [site] = await db.insert(sites).values({ code: "N", name: "+North", timeZone: "UTC" }).returning();
  const [icu] = await db.insert(units).values({ siteId: site!.id, name: "ICU", kind: "icu", timeZone: "UTC" }).returning();
  const [ward] = await db.insert(units).values({ siteId: site!.id, name: '=Ward "B"', kind: "ward", timeZone: "UTC" }).returning();
  icuId = icu!.id;
  wardId = ward!.id;
  const [maker] = await db.insert(manufacturers).values({ name: "Maker" }).returning();
  const model = async (name: string, criticality: Criticality, endOfSupport: string | null) =>
    (await db.insert(deviceModels).values({ manufacturerId: maker!.id, name, deviceType: name, deviceClass: "II", criticality, endOfSupport, updateMinutes: 5 }).returning())[0]!;
  const pump = await model("Pump", "life_supporting", "2026-07-01");
  const vent = await model("Vent", "life_sustaining", "2027-03-01");
  const glu = await model("Glucose", "other", "2028-01-01");
  const mon = await model("Monitor", "other", null);

  // Created in this order so the recalled 0.9 has a lower id than 1.0 (it is older, not newer).
  rel.P0 = await release(pump.id, "0.9", 1, "approved", "2025-10-01");
  rel.P1 = await release(pump.id, "1.0", 1, "approved", "2026-01-01");
  rel.P2 = await release(pump.id, "1.1", 2, "approved", "2026-03-01");
  rel.V1 = await release(vent.id, "3.0", 5, "approved", "2026-04-01");
  rel.V2 = await release(vent.id, "3.1", 6, "in_review", "2026-04-15");
  rel.G1 = await release(glu.id, "1.0", 1, "approved", "2026-04-10");

  const at = (unitId: number, m: { id: number }, name: string, firmwareVersion: string, securityVersion: number, status: Device["status"] = "active") =>
    createTestDevice(db, { unit: { id: unitId }, model: m }, { firmwareVersion, securityVersion, status }, `${name}-`);
  dev.pump1 = await at(icuId, pump, "pump1", "1.1", 2);
  dev.pump2 = await at(icuId, pump, "pump2", "1.1", 2, "offline");
  dev.pump3 = await at(icuId, pump, "pump3", "1.0", 1);
  dev.vent1 = await at(icuId, vent, "vent1", "3.0", 5);
  dev.vent2 = await at(icuId, vent, "vent2", "3.0", 5);
  dev.mon1 = await at(icuId, mon, "mon1", "2.0", 1);
  dev.pump4 = await at(wardId, pump, "pump4", "1.1", 2);
  dev.pump5 = await at(wardId, pump, "pump5", "0.9", 1);
  dev.pump6 = await at(wardId, pump, "pump6", "0.9", 1, "retired");
  dev.vent3 = await at(wardId, vent, "vent3", "3.0", 5, "maintenance");
  dev.glu1 = await at(wardId, glu, "glu1", "1.0", 1);
  dev.mon2 = await at(wardId, mon, "mon2", "2.0", 1);

  await action(dev.pump3!, rel.P1!, "succeeded", "2026-01-10");
  await action(dev.pump1!, rel.P2!, "succeeded", "2026-03-03");
  await action(dev.pump3!, rel.P2!, "failed", "2026-03-04");
  await action(dev.pump2!, rel.P2!, "succeeded", "2026-03-05");
  await action(dev.pump4!, rel.P2!, "succeeded", "2026-03-11");
  await action(dev.vent1!, rel.V1!, "succeeded", "2026-04-02");
  await action(dev.vent3!, rel.V1!, "failed", "2026-04-03");
  await action(dev.vent2!, rel.V1!, "succeeded", "2026-04-05T12:00:00Z");
  await action(dev.vent3!, rel.V1!, "succeeded", "2026-04-11");
  await action(dev.pump5!, rel.P2!, "canceled", "2026-04-14");
  await action(dev.pump3!, rel.P2!, "rolled_back", "2026-04-16");
  // Recalled after its devices were updated (actions need an approved release).
  await moveTo(rel.P0!, "recalled", "2026-02-01");

  // Briefings: P2 and V1 carry one, G1 does not. The ICU clinician acknowledged P2's current text; the
  // ward clinician acknowledged an older text of V1, which no longer counts.
  const brief = { bedsideChanges: "b", alarmsAndScreens: "a", staffActions: "s", howToReport: "h", patientGuidance: "p", readingGrade: 6 };
  await db.insert(releaseBriefings).values([{ releaseId: rel.P2!.id, ...brief, textHash: "p2-now" }, { releaseId: rel.V1!.id, ...brief, textHash: "v1-now" }]);
  const icuNurse = await createTestUser(db, "clinician");
  const wardNurse = await createTestUser(db, "clinician");
  await db.insert(userUnits).values([{ userId: icuNurse.id, unitId: icuId }, { userId: wardNurse.id, unitId: wardId }]);
  await db.insert(briefingAcknowledgements).values([
    { releaseId: rel.P2!.id, unitId: icuId, userId: icuNurse.id, printedName: "ICU nurse", textHash: "p2-now" },
    { releaseId: rel.V1!.id, unitId: wardId, userId: wardNurse.id, printedName: "Ward nurse", textHash: "v1-old" },
  ]);

  const incident = (severity: IncidentSeverity, status: IncidentStatus) => ({ title: `${severity} ${status}`, description: "fixture", source: "manual" as const, severity, status });
  await db.insert(incidents).values([
    incident("critical", "triage"), incident("high", "triage"), incident("high", "contained"), incident("medium", "resolved"), incident("low", "lessons_learned"),
  ]);

  manager = ctxFor(db, userActor(await createTestUser(db, "manager")));
  clinician = ctxFor(db, userActor(icuNurse));
});

afterAll(async () => {
  await handle?.close();
});

describe("ROL-07: compliance figures match the hand-computed fixture", () => {
  it("ROL-07 (a): share on the current approved version per unit and per model, lowest first", async () => {
    const f = await getComplianceFigures(manager, { now: NOW });
    // Current: Pump 1.1 (P2, security 2 beats P1's 1), Vent 3.0 (V2 is not approved), Glucose 1.0; Monitor has none.
    // Fielded (not retired): ICU pump1 ✓ pump2 ✓ pump3 ✗ vent1 ✓ vent2 ✓ → 4/5 = 80 %;
    // Ward pump4 ✓ pump5 ✗ vent3 ✓ glu1 ✓ (pump6 retired) → 3/4 = 75 %. Monitors: 2 devices without an approved release.
    expect(f.currentVersion.byUnit.map((r) => [r.name, r.detail, r.devices, r.onCurrent, r.percent])).toEqual([
      ['=Ward "B"', "+North", 4, 3, 75],
      ["ICU", "+North", 5, 4, 80],
    ]);
    // Pump: pump1, pump2, pump4 of 5 = 60 %; Glucose 1/1; Vent 3/3 (ties by name).
    expect(f.currentVersion.byModel.map((r) => [r.name, r.detail, r.devices, r.onCurrent, r.percent])).toEqual([
      ["Pump", "1.1", 5, 3, 60],
      ["Glucose", "1.0", 1, 1, 100],
      ["Vent", "3.0", 3, 3, 100],
    ]);
    expect(f.currentVersion.withoutApproved).toBe(2);
  });

  it("ROL-07 (b): days from approval to 90 % deployed, the average, and releases not yet there", async () => {
    const { timeTo90 } = await getComplianceFigures(manager, { now: NOW });
    // G1 (approved 04-10): 1 Glucose device, needs ceil(0.9 × 1) = 1; glu1 runs it with no recorded update,
    //   so it counts from the approval: 0 days.
    // V1 (04-01): 3 Vents, needs 3; reached 04-02, 04-05 12:00, 04-11 (vent3's failed try does not count) → 10 days.
    // P2 (03-01): 5 Pumps, needs 5; at or beyond it: pump1, pump2, pump4 = 3 (60 %) → not yet, 50.5 days so far.
    // P1 (01-01): at or beyond it: pump3 (runs it) and pump1/2/4 (security 2 > 1) = 4 of 5 (80 %); pump5's 0.9
    //   has the same security version but is an older release → not yet, 109.5 days so far.
    // The recalled P0 is no longer approved and is left out. Average of reached: (0 + 10) / 2 = 5.
    expect(timeTo90.releases.map((r) => [r.version, r.devices, r.deployed, r.percent, r.days, r.daysSinceApproval])).toEqual([
      ["1.0", 1, 1, 100, 0, 10.5],
      ["3.0", 3, 3, 100, 10, 19.5],
      ["1.1", 5, 3, 60, null, 50.5],
      ["1.0", 5, 4, 80, null, 109.5],
    ]);
    expect(timeTo90.releases[1]!.reachedAt).toEqual(d("2026-04-11"));
    expect(timeTo90.releases[0]!.modelName).toBe("Glucose");
    expect(timeTo90.averageDays).toBe(5);
  });

  it("ROL-07 (c): update success rate per ISO week over the last 12 weeks", async () => {
    const { successByWeek } = await getComplianceFigures(manager, { now: NOW });
    // Weeks W06 (starts 02-02) … W17 (04-20). Canceled updates are not finished attempts; 01-10 is outside.
    // W10: pump1 ✓ pump3 ✗ pump2 ✓ → 2/3; W11: pump4 ✓ → 1/1; W14: vent1 ✓ vent3 ✗ vent2 ✓ → 2/3;
    // W15: vent3 ✓ → 1/1; W16: pump5 canceled (left out), pump3 rolled back → 0/1.
    expect(successByWeek).toHaveLength(12);
    expect(successByWeek[0]).toEqual({ week: "2026-W06", startsOn: "2026-02-02", succeeded: 0, finished: 0, percent: null });
    expect(successByWeek.at(-1)!.week).toBe("2026-W17");
    const busy = successByWeek.filter((w) => w.finished > 0).map((w) => [w.week, w.succeeded, w.finished, w.percent]);
    expect(busy).toEqual([
      ["2026-W10", 2, 3, 66.7],
      ["2026-W11", 1, 1, 100],
      ["2026-W14", 2, 3, 66.7],
      ["2026-W15", 1, 1, 100],
      ["2026-W16", 0, 1, 0],
    ]);
  });

  it("ROL-12 (d): devices per end-of-support state", async () => {
    const { endOfSupport } = await getComplianceFigures(manager, { now: NOW });
    // Pump 07-01 is 72 days ahead (within 90), Vent 2027-03-01 within 12 months (up to 2027-04-20),
    // Glucose 2028 supported, Monitor has no date. Retired pump6 is not counted.
    expect(endOfSupport.counts).toEqual({ past_eos: 0, eos_within_90d: 5, eos_within_12m: 3, supported: 1, eos_unknown: 2 });
    expect(endOfSupport.models.map((m) => [m.modelName, m.state, m.devices])).toEqual([
      ["Pump", "eos_within_90d", 5], ["Vent", "eos_within_12m", 3], ["Glucose", "supported", 1], ["Monitor", "eos_unknown", 2],
    ]);
  });

  it("ROL-12: rolling the date forward moves the pumps to past_eos and the counts follow", async () => {
    // On the end-of-support day itself the pumps are still supported; the next day they are past it.
    const lastDay = await getComplianceFigures(manager, { now: d("2026-07-01T23:59:59Z") });
    expect(lastDay.endOfSupport.counts.eos_within_90d).toBe(5);
    expect(lastDay.endOfSupport.counts.past_eos).toBe(0);
    const after = await getComplianceFigures(manager, { now: d("2026-07-02T00:00:00Z") });
    expect(after.endOfSupport.counts).toEqual({ past_eos: 5, eos_within_90d: 0, eos_within_12m: 3, supported: 1, eos_unknown: 2 });
    // And the risk score's support part follows: pump1 goes from 10 to 20 points.
    const before = await deviceRisk(manager, { deviceId: dev.pump1!.id, now: NOW });
    const later = await deviceRisk(manager, { deviceId: dev.pump1!.id, now: d("2026-07-02T00:00:00Z") });
    expect([before.support.state, before.support.points, later.support.state, later.support.points]).toEqual(["eos_within_90d", 10, "past_eos", 20]);
  });

  it("ROL-12: the end-of-support plan groups the next 12 months by unit and model, per month, and lists devices already past", async () => {
    const now = await endOfSupportPlan(manager, { now: NOW });
    // Pumps (07-01): ICU 3 (pump1-3), Ward 2 (pump4, pump5; pump6 retired). Vents (2027-03-01): ICU 2, Ward 1.
    // Sorted here by model then unit: unit names order differently under PGlite's and PostgreSQL's collations.
    expect(sorted(now.upcoming.map((r) => [r.modelName, r.unitName, r.endOfSupport, r.devices]))).toEqual([
      ["Pump", '=Ward "B"', "2026-07-01", 2], ["Pump", "ICU", "2026-07-01", 3],
      ["Vent", '=Ward "B"', "2027-03-01", 1], ["Vent", "ICU", "2027-03-01", 2],
    ]);
    expect(now.past).toEqual([]);
    // 13 month buckets 2026-04 … 2027-04: 5 devices in 2026-07, 3 in 2027-03, none elsewhere.
    expect(now.months).toHaveLength(13);
    expect(now.months.filter((m) => m.devices > 0)).toEqual([{ month: "2026-07", devices: 5 }, { month: "2027-03", devices: 3 }]);
    const later = await endOfSupportPlan(manager, { now: d("2026-08-01T00:00:00Z") });
    expect(sorted(later.past.map((r) => [r.modelName, r.unitName, r.devices]))).toEqual([["Pump", '=Ward "B"', 2], ["Pump", "ICU", 3]]);
    expect(later.upcoming.map((r) => r.modelName)).toEqual(["Vent", "Vent"]);
  });

  it("ROL-07 (e): devices on recalled releases, per release", async () => {
    const { recalled } = await getComplianceFigures(manager, { now: NOW });
    // P0 0.9: pump5 (Ward); pump6 also runs it but is retired.
    expect(recalled.map((r) => [r.modelName, r.version, r.devices, r.units, r.recalledAt.toISOString()])).toEqual([["Pump", "0.9", 1, 1, "2026-02-01T00:00:00.000Z"]]);
  });

  it("ROL-07 (f): briefing acknowledgement coverage per unit, from briefingCoverage's rows", async () => {
    const { briefings } = await getComplianceFigures(manager, { now: NOW });
    // Current briefings: P2 (Pump) and V1 (Vent); both models are used in both units. ICU acknowledged P2 → 1/2;
    // the ward's acknowledgement of V1 was of an older text → 0/2.
    expect(briefings.map((r) => [r.unitName, r.briefings, r.acknowledged, r.clinicians, r.percent])).toEqual([
      ['=Ward "B"', 2, 0, 1, 0],
      ["ICU", 2, 1, 1, 50],
    ]);
  });

  it("ROL-07 (g): open incidents by severity (resolved and closed ones are not open)", async () => {
    const { incidents: open } = await getComplianceFigures(manager, { now: NOW });
    expect(open).toEqual([
      { severity: "critical", triage: 1, contained: 0, open: 1 },
      { severity: "high", triage: 1, contained: 1, open: 2 },
      { severity: "medium", triage: 0, contained: 0, open: 0 },
      { severity: "low", triage: 0, contained: 0, open: 0 },
    ]);
  });

  it("ROL-07: a clinician may not read the figures, the plan or the export", async () => {
    expect(await caught(() => getComplianceFigures(clinician, {}))).toBeInstanceOf(ForbiddenError);
    expect(await caught(() => endOfSupportPlan(clinician, {}))).toBeInstanceOf(ForbiddenError);
    expect(await caught(() => exportCompliance(clinician, {}))).toBeInstanceOf(ForbiddenError);
  });
});

describe("Compliance CSV export", () => {
  it("ROL-07: quotes every cell, doubles quotes and neutralises formula-like text; the export is audited", async () => {
    const hw = await auditHighWater(db);
    const { csv } = await exportCompliance(manager, { figure: "current_version_by_unit", now: NOW });
    expect(csv.split("\r\n")).toEqual([
      '"Unit","Site","Devices","On current approved version","Percent"',
      `"'=Ward ""B""","'+North","4","3","75"`,
      `"ICU","'+North","5","4","80"`,
      "",
    ]);
    const written = await auditRowsAfter(db, hw);
    expect(written.map((r) => [r.action, r.entityType, r.outcome, (r.after as { figure: string }).figure])).toEqual([["compliance.export", "compliance", "success", "current_version_by_unit"]]);
  });

  it("ROL-07: the full export has one section per figure, each headed by its question", async () => {
    const { csv } = await exportCompliance(manager, { now: NOW });
    const titles = csv.split("\r\n\r\n").map((s) => s.split("\r\n")[0]);
    expect(titles).toEqual([
      '"Which units lag behind on current firmware?"', '"Which models lag behind on current firmware?"', '"How fast do approved releases reach 90 % of devices?"',
      '"Are updates succeeding?"', '"Which devices lose vendor support soon?"', '"Which devices run recalled firmware?"',
      '"Have clinicians acknowledged the briefings?"', '"What incidents are open?"',
    ]);
    expect(csv).toContain('"Average of reached releases",,,,,,"5"');
    expect(csv).toContain('"Pump","1.1","2026-03-01","5","3","60","not yet reached (50.5 days so far)"');
  });

  it("ROL-07: an unknown figure is refused with a clear message", async () => {
    const err = await caught(() => exportCompliance(manager, { figure: "everything" as never }));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toMatch(/Figure must be one of: current_version_by_unit/);
  });
});

describe("Per-device risk score", () => {
  // Hand-computed at NOW (criticality 25/15/5; 5 per security version behind; 5/10 for a release approved
  // 180/365+ days ago; 20/10 past EoS / within 90 days; 20 recalled; 5 per failure in 90 days, at most 2):
  //   pump1, pump2, pump4: 15 + 0 + 0 (P2 is 50 days old) + 10 + 0 + 0 = 25
  //   pump3: 15 + 5 (1 behind) + 0 (P1 109 days) + 10 + 0 + 10 (failed 03-04, rolled back 04-16) = 40
  //   pump5, pump6: 15 + 5 + 0 (recalled: no age) + 10 + 20 + 0 (canceled is no failure) = 50
  //   vent1, vent2: 25 + 0 + 0 + 0 (EoS within 12 months) = 25; vent3: 25 + 5 (failed 04-03) = 30
  //   glu1: 5; mon1, mon2: 5 (no approved release: nothing behind, no age; no EoS date)
  const SCORES: Record<string, number> = { pump1: 25, pump2: 25, pump3: 40, pump4: 25, pump5: 50, pump6: 50, vent1: 25, vent2: 25, vent3: 30, glu1: 5, mon1: 5, mon2: 5 };

  it("issue 6 §6: every device's score matches the hand-computed value", async () => {
    for (const [name, score] of Object.entries(SCORES)) {
      expect((await deviceRisk(manager, { deviceId: dev[name]!.id, now: NOW })).score, name).toBe(score);
    }
  });

  it("issue 6 §6: the breakdown names each part (pump3 at NOW, and months later when its firmware has aged)", async () => {
    expect(await deviceRisk(manager, { deviceId: dev.pump3!.id, now: NOW })).toEqual({
      score: 40,
      criticality: { value: "life_supporting", points: 15 },
      firmware: { versionsBehind: 1, currentVersion: "1.1", ageDays: 109, points: 5 },
      support: { state: "eos_within_90d", endOfSupport: "2026-07-01", points: 10 },
      recall: { recalled: false, points: 0 },
      failures: { count: 2, points: 10 },
    });
    // 2026-09-01: P1 is 243 days old (+5), the pumps are past EoS (20), both failures are older than 90 days.
    expect(await deviceRisk(manager, { deviceId: dev.pump3!.id, now: d("2026-09-01T12:00:00Z") })).toMatchObject({
      score: 45, firmware: { ageDays: 243, points: 10 }, support: { state: "past_eos", points: 20 }, failures: { count: 0, points: 0 },
    });
    // 2027-01-02: P1 is 366 days old (+10).
    expect((await deviceRisk(manager, { deviceId: dev.pump3!.id, now: d("2027-01-02T00:00:00Z") })).firmware).toMatchObject({ ageDays: 366, points: 15 });
  });

  it("issue 6 §6: an unknown device is a not-found error", async () => {
    expect(await caught(() => deviceRisk(manager, { deviceId: 2147483000, now: NOW }))).toMatchObject({ status: 404 });
  });

  it("issue 6 §6: inventory sorted by risk (desc, then id) pages through every device exactly once, both ways", async () => {
    const scoreOf = new Map(Object.entries(SCORES).map(([name, score]) => [dev[name]!.id, score]));
    const expected = [...scoreOf].sort(([ia, a], [ib, b]) => b - a || ib - ia).map(([id]) => id);
    const seen: number[] = [];
    const pages: Awaited<ReturnType<typeof listDevices>>[] = [];
    let after: string | undefined;
    do {
      const page = await listDevices(manager, { sort: "risk", dir: "desc", limit: 5, now: NOW, after });
      pages.push(page);
      seen.push(...page.rows.map((r) => r.id));
      expect(page.rows.map((r) => r.risk)).toEqual(page.rows.map((r) => scoreOf.get(r.id)));
      after = page.next ?? undefined;
    } while (after);
    expect(seen).toEqual(expected);
    expect(pages).toHaveLength(3);
    // Back from the last page.
    const back = await listDevices(manager, { sort: "risk", dir: "desc", limit: 5, now: NOW, before: pages[2]!.prev! });
    expect(back.rows.map((r) => r.id)).toEqual(pages[1]!.rows.map((r) => r.id));
    // Ascending is the exact reverse.
    const asc = await listDevices(manager, { sort: "risk", dir: "asc", limit: 200, now: NOW });
    expect(asc.rows.map((r) => r.id)).toEqual([...expected].reverse());
  });

  it("issue 6 §6: a risk page link with a non-numeric value is refused as damaged", async () => {
    const cursor = Buffer.from(JSON.stringify(["risk", "1; drop", 1])).toString("base64url");
    expect(await caught(() => listDevices(manager, { sort: "risk", after: cursor }))).toBeInstanceOf(ValidationError);
  });
});
