import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceModels, sites } from "@/db/schema";
import { pickWindows } from "@/lib/services/ddi/context";
import { setWindows } from "@/lib/services/deployments/windows";
import { ValidationError } from "@/lib/services/errors";
import { auditHighWater, auditRowsAfter, caught, unique } from "../db";
import { ALWAYS_OPEN, closedWindow, closeWorld, type Place, type World } from "../protocol-fixtures";
import { addUnit, enrol, expectOffered, expectWithheld, newRollout, openRolloutWorld, pageBlockers, snapshot, wave, type Release } from "../rollout-fixtures";

/**
 * ROL-04: maintenance windows per unit, and optionally per site or per model. A device follows the most
 * specific set that has any window: its unit's for its model, its unit's, its site's for its model, its site's.
 * Checked where it matters — whether a polling device is offered its update.
 */

let w: World;
let home: Place;
let release: Release;
let other: { id: number };

beforeAll(async () => {
  ({ w, home, release } = await openRolloutWorld());
  other = (await w.db.insert(deviceModels).values({ manufacturerId: home.model.manufacturerId, name: unique("Monitor "), deviceType: "Monitor", deviceClass: "II", criticality: "other", updateMinutes: 5 }).returning())[0]!;
});
afterAll(() => closeWorld(w));

/** A site of its own (so its site-wide windows touch no other test) with one unit, no windows yet. */
async function freshSite(): Promise<Place> {
  const tag = unique("s");
  const [site] = await w.db.insert(sites).values({ code: tag.toUpperCase(), name: `Site ${tag}`, timeZone: "UTC" }).returning();
  return addUnit(w, { unit: { ...home.unit, siteId: site!.id }, model: home.model }, { windows: [] });
}

async function oneDeviceRollout(place: Place) {
  const [m] = await enrol(w, place, 1);
  await newRollout(w, release, [m!], [wave("general")]);
  return m!;
}

describe("ROL-04 windows per site and per model", () => {
  it("a unit without windows of its own follows its site's windows", async () => {
    const place = await freshSite();
    const m = await oneDeviceRollout(place);
    await expectWithheld(w, m, "no window anywhere");
    await setWindows(w.admin, { siteId: place.unit.siteId, windows: [ALWAYS_OPEN] });
    await expectOffered(w, m, "site window open");
    await setWindows(w.admin, { siteId: place.unit.siteId, windows: [closedWindow("UTC")] });
    await expectWithheld(w, m, "site window closed");
    expect(await pageBlockers(w, m)).toContain("outside_window");
  });

  it("the unit's own windows replace the site's", async () => {
    const place = await freshSite();
    const m = await oneDeviceRollout(place);
    await setWindows(w.admin, { siteId: place.unit.siteId, windows: [ALWAYS_OPEN] });
    await setWindows(w.admin, { unitId: place.unit.id, windows: [closedWindow("UTC")] });
    await expectWithheld(w, m, "unit window closed though the site's is open");
  });

  it("a model's own windows replace the general ones for that model's devices only", async () => {
    const ours = await freshSite();
    const m = await oneDeviceRollout(ours);
    await setWindows(w.admin, { unitId: ours.unit.id, windows: [ALWAYS_OPEN] });
    await setWindows(w.admin, { unitId: ours.unit.id, modelId: home.model.id, windows: [closedWindow("UTC")] });
    await expectWithheld(w, m, "its model's window is closed");

    const theirs = await freshSite();
    const n = await oneDeviceRollout(theirs);
    await setWindows(w.admin, { unitId: theirs.unit.id, windows: [ALWAYS_OPEN] });
    await setWindows(w.admin, { unitId: theirs.unit.id, modelId: other.id, windows: [closedWindow("UTC")] });
    await expectOffered(w, n, "only another model's window is closed");
  });

  it("the unit's general windows outrank the site's windows for a model", async () => {
    const place = await freshSite();
    const m = await oneDeviceRollout(place);
    await setWindows(w.admin, { siteId: place.unit.siteId, modelId: home.model.id, windows: [closedWindow("UTC")] });
    await expectWithheld(w, m, "only the site's model window exists, and it is closed");
    await setWindows(w.admin, { unitId: place.unit.id, windows: [ALWAYS_OPEN] });
    await expectOffered(w, m, "the unit's own window is more specific");
  });

  it("a set names a unit or a site, not both and not neither; a refusal changes nothing", async () => {
    const place = await freshSite();
    for (const input of [
      { unitId: place.unit.id, siteId: place.unit.siteId, windows: [ALWAYS_OPEN] },
      { windows: [ALWAYS_OPEN] },
    ]) {
      const before = await snapshot(w.db);
      const hw = await auditHighWater(w.db);
      const err = await caught(() => setWindows(w.admin, input));
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toMatch(/unit or a site/);
      expect(await snapshot(w.db)).toEqual(before);
      expect(await auditRowsAfter(w.db, hw)).toEqual([]);
    }
  });

  it("each set is replaced on its own and audited with its scope and model", async () => {
    const place = await freshSite();
    await setWindows(w.admin, { unitId: place.unit.id, windows: [ALWAYS_OPEN] });
    const hw = await auditHighWater(w.db);
    await setWindows(w.admin, { unitId: place.unit.id, modelId: other.id, windows: [closedWindow("UTC")] });
    const [row] = await auditRowsAfter(w.db, hw);
    expect(row).toMatchObject({ action: "unit.windows_set", entityId: String(place.unit.id), after: { modelId: other.id } });
    await setWindows(w.admin, { siteId: place.unit.siteId, windows: [ALWAYS_OPEN] });
    const [, siteRow] = await auditRowsAfter(w.db, hw);
    expect(siteRow).toMatchObject({ action: "site.windows_set", entityType: "site", entityId: String(place.unit.siteId) });
  });
});

describe("pickWindows", () => {
  const row = (unitId: number | null, modelId: number | null, rrule: string) => ({ unitId, modelId, rrule });
  const rows = [row(null, null, "site"), row(null, 7, "site-model7"), row(1, null, "unit"), row(1, 7, "unit-model7")];
  it("takes the most specific non-empty tier", () => {
    expect(pickWindows(rows, 7).map((r) => r.rrule)).toEqual(["unit-model7"]);
    expect(pickWindows(rows, 8).map((r) => r.rrule)).toEqual(["unit"]);
    expect(pickWindows(rows.filter((r) => r.unitId === null), 7).map((r) => r.rrule)).toEqual(["site-model7"]);
    expect(pickWindows(rows.filter((r) => r.unitId === null), 8).map((r) => r.rrule)).toEqual(["site"]);
    expect(pickWindows([], 7)).toEqual([]);
  });
});
