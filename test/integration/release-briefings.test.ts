import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { briefingAcknowledgements, releaseBriefings, units, type Unit } from "@/db/schema";
import { ConflictError, ForbiddenError, NotFoundError } from "@/lib/services/errors";
import {
  acknowledgeBriefing, briefingAcknowledgedUnits, briefingCoverage, briefingText, listBriefings, reportProblem, saveBriefing, setUserUnits,
} from "@/lib/services/releases/briefings";
import { readingLevel } from "@/lib/services/releases/reading-level";
import { signRelease } from "@/lib/services/releases/signatures";
import { auditHighWater, auditRowsAfter, caught, createTestDevice, TEST_PASSWORD } from "../db";
import { BRIEFING, closeGov, openGov, person, releaseIn, releaseRow, vendorFor, type Gov, type Person } from "../release-fixtures";

// ROL-11: the clinician briefing written with a release, acknowledged per unit by the clinicians who work
// there, and part of the release's signed content.

let g: Gov;
let icu: Unit;
let ward: Unit;
let nurse: Person;
let nurse2: Person;
let elsewhere: Person;

beforeAll(async () => {
  g = await openGov();
  icu = g.place.unit;
  [ward] = (await g.db.insert(units).values({ siteId: g.place.site.id, name: "Test ward", kind: "ward", timeZone: "America/Chicago" }).returning()) as [Unit];
  nurse = await person(g.db, "clinician", "Nora Nurse");
  nurse2 = await person(g.db, "clinician", "Ned Nurse");
  elsewhere = await person(g.db, "clinician", "Olga Other");
  await setUserUnits(g.admin.ctx, { userId: nurse.user.id, unitIds: [icu.id] });
  await setUserUnits(g.admin.ctx, { userId: nurse2.user.id, unitIds: [icu.id] });
  // Two pumps in the ICU and one on the ward.
  await createTestDevice(g.db, { unit: icu, model: g.place.model });
  await createTestDevice(g.db, { unit: icu, model: g.place.model });
  await createTestDevice(g.db, { unit: ward, model: g.place.model });
});
afterAll(async () => {
  await closeGov(g);
});

describe("ROL-11: writing the briefing", () => {
  it("ROL-11: the reading level is computed from the text and stored; hard text gets a warning", async () => {
    const { release } = await releaseIn(g, "draft");
    const plain = await saveBriefing(g.submitter.ctx, { releaseId: release.id, ...BRIEFING });
    const expected = readingLevel(briefingText(BRIEFING)).grade;
    expect(plain.readingGrade).toBe(expected);
    expect(plain.warning).toBeNull();
    const [stored] = await g.db.select().from(releaseBriefings).where(eq(releaseBriefings.releaseId, release.id));
    expect(stored).toMatchObject({ ...BRIEFING, textHash: plain.textHash, updatedBy: g.submitter.user.id });
    expect(stored!.readingGrade).toBeCloseTo(expected, 4);

    const hard = {
      ...BRIEFING,
      bedsideChanges:
        "Subsequent to installation, administration-rate recalculation incorporates comprehensive pharmacokinetic considerations, necessitating interdisciplinary verification of concentration-dependent infusion parameterisation.",
    };
    const saved = await saveBriefing(g.submitter.ctx, { releaseId: release.id, ...hard });
    expect(saved.readingGrade).toBe(readingLevel(briefingText(hard)).grade);
    expect(saved.readingGrade).toBeGreaterThan(8);
    expect(saved.warning).toBe(`Reading level is grade ${saved.readingGrade}; aim for grade 8 or lower so every reader understands it.`);
    expect(saved.textHash).not.toBe(plain.textHash);
  });

  it("ROL-11: saving the same text again changes nothing and writes no audit row", async () => {
    const { release } = await releaseIn(g, "draft");
    await saveBriefing(g.submitter.ctx, { releaseId: release.id, ...BRIEFING });
    const before = await releaseRow(g.db, release.id);
    const hw = await auditHighWater(g.db);
    await saveBriefing(g.submitter.ctx, { releaseId: release.id, ...BRIEFING });
    expect(await auditRowsAfter(g.db, hw)).toEqual([]);
    expect(await releaseRow(g.db, release.id)).toEqual(before);
  });

  it("ROL-11: the vendor writes the briefing only while the release is a draft", async () => {
    const vendor = await vendorFor(g.db, g.place.manufacturer.id);
    const { release } = await releaseIn(g, "submitted");
    expect(await caught(() => saveBriefing(vendor.ctx, { releaseId: release.id, ...BRIEFING }))).toBeInstanceOf(ConflictError);
    const draft = await releaseIn(g, "draft");
    expect((await saveBriefing(vendor.ctx, { releaseId: draft.release.id, ...BRIEFING })).updatedBy).toBe(vendor.user.id);
  });
});

describe("ROL-11: acknowledgement per unit and person", () => {
  let releaseId: number;
  beforeAll(async () => {
    releaseId = (await releaseIn(g, "approved", { briefing: true })).release.id;
  });

  it("ROL-11: a clinician acknowledges for a unit they are assigned to, once", async () => {
    const hw = await auditHighWater(g.db);
    const ack = await acknowledgeBriefing(nurse.ctx, { releaseId, unitId: icu.id });
    const [briefing] = await g.db.select().from(releaseBriefings).where(eq(releaseBriefings.releaseId, releaseId));
    expect(ack).toMatchObject({ releaseId, unitId: icu.id, userId: nurse.user.id, printedName: "Nora Nurse", textHash: briefing!.textHash });
    const rows = await auditRowsAfter(g.db, hw);
    expect(rows.map((r) => [r.action, r.entityId, r.actorId])).toEqual([["briefing.acknowledged", String(releaseId), String(nurse.user.id)]]);
    expect(rows[0]!.after).toMatchObject({ unitId: icu.id, printedName: "Nora Nurse" });
    expect(await caught(() => acknowledgeBriefing(nurse.ctx, { releaseId, unitId: icu.id }))).toBeInstanceOf(ConflictError);
    expect(await briefingAcknowledgedUnits(g.db, releaseId)).toEqual(new Set([icu.id]));
  });

  it("ROL-11: not for a unit they are not assigned to, not by other roles, not for an unapproved release", async () => {
    const before = await g.db.select().from(briefingAcknowledgements).where(eq(briefingAcknowledgements.releaseId, releaseId));
    const wrongUnit = await caught(() => acknowledgeBriefing(nurse.ctx, { releaseId, unitId: ward.id }));
    expect(wrongUnit).toBeInstanceOf(ForbiddenError);
    expect((wrongUnit as Error).message).toBe("You are not assigned to this unit. Ask your administrator to add you to it.");
    expect(await caught(() => acknowledgeBriefing(elsewhere.ctx, { releaseId, unitId: icu.id }))).toBeInstanceOf(ForbiddenError);
    expect(await caught(() => acknowledgeBriefing(g.reviewer.ctx, { releaseId, unitId: icu.id }))).toBeInstanceOf(ForbiddenError);
    const inReview = await releaseIn(g, "in_review", { briefing: true });
    expect(await caught(() => acknowledgeBriefing(nurse.ctx, { releaseId: inReview.release.id, unitId: icu.id }))).toBeInstanceOf(NotFoundError);
    expect(await g.db.select().from(briefingAcknowledgements).where(eq(briefingAcknowledgements.releaseId, releaseId))).toEqual(before);
    expect(await briefingAcknowledgedUnits(g.db, inReview.release.id)).toEqual(new Set());
  });

  it("ROL-11: coverage counts devices, assigned clinicians, acknowledgements and problem reports per unit", async () => {
    await reportProblem(nurse2.ctx, { releaseId, unitId: icu.id, description: "The alarm sounded twice.", patientHarm: false });
    expect(await caught(() => reportProblem(nurse2.ctx, { releaseId, unitId: ward.id, description: "x", patientHarm: false }))).toBeInstanceOf(ForbiddenError);
    const coverage = await briefingCoverage(g.reviewer.ctx, { releaseId });
    expect(coverage).toEqual([
      { unit_id: icu.id, unit_name: "Test ICU", site_name: g.place.site.name, devices: 2, clinicians: 2, acknowledged: 1, problems: 1 },
      { unit_id: ward.id, unit_name: "Test ward", site_name: g.place.site.name, devices: 1, clinicians: 0, acknowledged: 0, problems: 0 },
    ]);
  });

  it("ROL-11: a clinician's briefing list shows only their units, with their acknowledgement", async () => {
    const mine = await listBriefings(nurse.ctx, {});
    expect(mine.assignedUnits).toEqual([icu.id]);
    const item = mine.items.find((i) => i.release.id === releaseId);
    expect(item!.units).toEqual([{ unitId: icu.id, unitName: "Test ICU", siteName: g.place.site.name, devices: 2, acknowledgedAt: expect.any(Date) }]);
    const theirs = await listBriefings(nurse2.ctx, {});
    expect(theirs.items.find((i) => i.release.id === releaseId)!.units).toEqual([{ unitId: icu.id, unitName: "Test ICU", siteName: g.place.site.name, devices: 2, acknowledgedAt: null }]);
    expect(await listBriefings(elsewhere.ctx, {})).toEqual({ assignedUnits: [], items: [] });
  });

  it("ROL-11/SIG-02: editing the briefing text sends the release back to review and old acknowledgements stop counting", async () => {
    const edited = await saveBriefing(g.reviewer.ctx, { releaseId, ...BRIEFING, staffActions: "Check the new dose screen after the update." });
    expect(edited.warning).toBeNull();
    expect((await releaseRow(g.db, releaseId)).state).toBe("in_review");
    expect(await briefingAcknowledgedUnits(g.db, releaseId)).toEqual(new Set());
    // The briefing is part of the signed content: the approvers sign again.
    for (const a of [g.approvers[0], g.approvers[1]]) await signRelease(a.ctx, { releaseId, meaning: "approved", password: TEST_PASSWORD });
    expect((await releaseRow(g.db, releaseId)).state).toBe("approved");
    expect(await briefingAcknowledgedUnits(g.db, releaseId)).toEqual(new Set());
    expect((await briefingCoverage(g.reviewer.ctx, { releaseId }))[0]).toMatchObject({ unit_id: icu.id, acknowledged: 0 });
    const again = await acknowledgeBriefing(nurse.ctx, { releaseId, unitId: icu.id });
    expect(again.textHash).toBe(edited.textHash);
    expect(await briefingAcknowledgedUnits(g.db, releaseId)).toEqual(new Set([icu.id]));
    expect(await g.db.select().from(briefingAcknowledgements).where(eq(briefingAcknowledgements.releaseId, releaseId))).toHaveLength(2);
  });
});
