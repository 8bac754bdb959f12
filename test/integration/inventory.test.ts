import { eq, sql, type SQL } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows, type Db, type DbHandle } from "@/db/client";
import { deviceModels, manufacturers, sites, units } from "@/db/schema";
import { seedDemo } from "@/db/seed/demo";
import { DEVICE_STATUSES } from "@/lib/domain";
import type { Ctx } from "@/lib/services/actor";
import { ValidationError } from "@/lib/services/errors";
import { listDevices } from "@/lib/services/inventory/list-devices";
import type { DeviceListQuery, DeviceSort } from "@/lib/validation/inventory";
import { caught, createTestDevice, createTestPlace, createTestUser, ctxFor, openTestDb, userActor } from "../db";

/** Inventory list: totals, filters and keyset paging against a seeded hospital of ~3,000 devices. */

type Filter = Partial<Omit<DeviceListQuery, "after" | "before" | "sort" | "dir" | "limit">>;
type Page = Awaited<ReturnType<typeof listDevices>>;

let handle: DbHandle;
let db: Db;
let ctx: Ctx;
const ids = { site: 0, siteUnit: 0, otherSite: 0, model: 0, manufacturer: 0 };

beforeAll(async () => {
  handle = await openTestDb();
  db = handle.db;
  // The PostgreSQL test database is shared by all files; seed the demo hospital only once.
  const [demo] = await db.select({ id: sites.id }).from(sites).where(eq(sites.code, "SBMC"));
  if (!demo) await seedDemo(db, { devices: 3_000 });
  // A few devices that never reported (NULL last contact) and lower-case serials, to exercise the edges.
  const place = await createTestPlace(db);
  for (let i = 0; i < 5; i++) await createTestDevice(db, place, { lastContactAt: null, firmwareVersion: "4.2.3", status: "offline" });
  await createTestDevice(db, place, { serial: `lower-case-${Date.now()}`, udi: `(01)lowercase(21)${Date.now()}` });

  ctx = ctxFor(db, userActor(await createTestUser(db, "biomed")));
  const one = async (q: SQL) => Number((await queryRows<{ id: number }>(db, q))[0]!.id);
  ids.site = await one(sql`SELECT id FROM ${sites} WHERE code = 'SBMC'`);
  ids.otherSite = await one(sql`SELECT id FROM ${sites} WHERE code = 'LCH'`);
  ids.siteUnit = await one(sql`SELECT id FROM ${units} WHERE site_id = ${ids.site} AND name = 'Medical ICU'`);
  ids.model = await one(sql`SELECT id FROM ${deviceModels} WHERE name = 'FlowPoint 400'`);
  ids.manufacturer = await one(sql`SELECT id FROM ${manufacturers} WHERE name = 'Halcyon Medical'`);
});

afterAll(async () => {
  await handle?.close();
});

/** The WHERE clause for a filter, written out by hand (independent of the implementation's). */
function expectedWhere(f: Filter): SQL {
  const parts: SQL[] = [sql`true`];
  if (f.site !== undefined) parts.push(sql`u.site_id = ${f.site}`);
  if (f.unit !== undefined) parts.push(sql`d.unit_id = ${f.unit}`);
  if (f.model !== undefined) parts.push(sql`d.model_id = ${f.model}`);
  if (f.manufacturer !== undefined) parts.push(sql`m.manufacturer_id = ${f.manufacturer}`);
  if (f.criticality !== undefined) parts.push(sql`m.criticality = ${f.criticality}`);
  if (f.firmware !== undefined) parts.push(sql`d.firmware_version = ${f.firmware}`);
  if (f.status !== undefined) parts.push(sql`d.status = ${f.status}`);
  if (f.q !== undefined) {
    const q = f.q.trim().toLowerCase();
    parts.push(sql`(starts_with(lower(d.serial), ${q}) OR starts_with(lower(d.udi), ${q}))`);
  }
  return sql.join(parts, sql` AND `);
}

const FROM = sql`devices d JOIN device_models m ON m.id = d.model_id JOIN units u ON u.id = d.unit_id`;

async function expectedCount(f: Filter): Promise<number> {
  const [row] = await queryRows<{ n: string }>(db, sql`SELECT count(*)::text AS n FROM ${FROM} WHERE ${expectedWhere(f)}`);
  return Number(row!.n);
}

// The risk score has its own paging test (compliance.test.ts): it needs a hand-computed fixture.
const ORDER: Record<Exclude<DeviceSort, "risk">, Record<"asc" | "desc", SQL>> = {
  serial: { asc: sql`d.serial ASC, d.id ASC`, desc: sql`d.serial DESC, d.id DESC` },
  firmware: { asc: sql`d.firmware_version ASC, d.id ASC`, desc: sql`d.firmware_version DESC, d.id DESC` },
  status: { asc: sql`d.status ASC, d.id ASC`, desc: sql`d.status DESC, d.id DESC` },
  lastContact: { asc: sql`d.last_contact_at ASC NULLS FIRST, d.id ASC`, desc: sql`d.last_contact_at DESC NULLS LAST, d.id DESC` },
};

async function expectedIds(f: Filter, sort: keyof typeof ORDER, dir: "asc" | "desc"): Promise<number[]> {
  const rows = await queryRows<{ id: number }>(db, sql`SELECT d.id FROM ${FROM} WHERE ${expectedWhere(f)} ORDER BY ${ORDER[sort][dir]}`);
  return rows.map((r) => Number(r.id));
}

const idsOf = (p: Page) => p.rows.map((r) => r.id);
const list = (input: Record<string, unknown>) => listDevices(ctx, input as never);

/** Follows `next` links from the first page to the last. */
async function walkForward(f: Filter, sort: keyof typeof ORDER, dir: "asc" | "desc", limit: number): Promise<Page[]> {
  const pages: Page[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await list({ ...f, sort, dir, limit, after });
    pages.push(page);
    if (!page.next) return pages;
    if (pages.length > 10_000) throw new Error("paging does not end");
    after = page.next;
  }
}

describe("Inventory totals match the database", () => {
  const cases: [string, () => Filter][] = [
    ["no filter", () => ({})],
    ["site", () => ({ site: ids.site })],
    ["site + status", () => ({ site: ids.site, status: "active" })],
    ["unit", () => ({ unit: ids.siteUnit })],
    ["model", () => ({ model: ids.model })],
    ["manufacturer + firmware", () => ({ manufacturer: ids.manufacturer, firmware: "7.4.2" })],
    ["criticality + status", () => ({ criticality: "life_sustaining", status: "maintenance" })],
    ["criticality other", () => ({ criticality: "other" })],
    ["firmware", () => ({ firmware: "4.2.3" })],
    ["status retired", () => ({ status: "retired" })],
    ["site + model + status + serial prefix", () => ({ site: ids.otherSite, model: ids.model, status: "active", q: "MFP4-1" })],
    ["serial prefix, lower case", () => ({ q: "mfp4-1001" })],
    ["serial prefix, mixed case with spaces", () => ({ q: "  Hvv7-10002 " })],
    ["UDI prefix", () => ({ q: "(01)00857002000017" })],
    ["UDI prefix, lower case serial part", () => ({ q: "(01)00856001000011(21)mfp4-10003" })],
    ["lower-case serial, upper-case search", () => ({ q: "LOWER-CASE-" })],
    ["LIKE wildcard _ is literal", () => ({ q: "MFP4_" })],
    ["LIKE wildcard % is literal", () => ({ q: "%" })],
    ["no match", () => ({ q: "ZZZ-does-not-exist" })],
  ];
  for (const [label, filter] of cases) {
    it(`inventory total for ${label} equals a direct SQL count`, async () => {
      const f = filter();
      const expected = await expectedCount(f);
      const page = await list({ ...f, limit: 200 });
      expect(page.total).toBe(expected);
      expect(page.rows.length).toBe(Math.min(expected, 200));
      // And the rows on the page are exactly the first matching devices.
      expect(idsOf(page)).toEqual((await expectedIds(f, "serial", "asc")).slice(0, 200));
    });
  }

  it("the filter cases are meaningful (each narrows the list, most still match something)", async () => {
    const all = await expectedCount({});
    expect(all).toBeGreaterThanOrEqual(3_000);
    for (const f of [{ site: ids.site }, { unit: ids.siteUnit }, { model: ids.model }, { q: "mfp4-1001" }, { q: "(01)00857002000017" }, { status: "retired" as const }]) {
      const n = await expectedCount(f);
      expect(n, JSON.stringify(f)).toBeGreaterThan(0);
      expect(n, JSON.stringify(f)).toBeLessThan(all);
    }
    expect(await expectedCount({ q: "MFP4_" })).toBe(0);
  });
});

describe("Keyset paging", () => {
  const combos: [keyof typeof ORDER, "asc" | "desc"][] = [];
  for (const sort of ["serial", "firmware", "status", "lastContact"] as const) for (const dir of ["asc", "desc"] as const) combos.push([sort, dir]);

  for (const [sort, dir] of combos) {
    it(`walking forward by ${sort} ${dir} visits every device once in order, and walking back returns the same pages`, async () => {
      const limit = 200;
      const expected = await expectedIds({}, sort, dir);
      const pages = await walkForward({}, sort, dir, limit);

      expect(pages.flatMap(idsOf)).toEqual(expected);
      expect(pages[0]!.prev).toBeNull();
      pages.forEach((p, i) => {
        expect(p.total).toBe(expected.length);
        expect(p.rows.length).toBe(i < pages.length - 1 ? limit : expected.length - limit * (pages.length - 1));
        if (i > 0) expect(p.prev).not.toBeNull();
      });
      expect(pages.length).toBe(Math.ceil(expected.length / limit));

      // Independent order check for the non-text keys.
      const rows = pages.flatMap((p) => p.rows);
      const key = (r: (typeof rows)[number]) =>
        sort === "status" ? DEVICE_STATUSES.indexOf(r.status) : sort === "lastContact" ? (r.lastContactAt?.getTime() ?? 0) : 0;
      for (let i = 1; i < rows.length; i++) {
        const [a, b] = [key(rows[i - 1]!), key(rows[i]!)];
        expect(dir === "asc" ? a <= b : a >= b).toBe(true);
      }

      // Back from the last page with `before`: the same pages in reverse.
      let before = pages.at(-1)!.prev;
      for (let i = pages.length - 2; i >= 0; i--) {
        expect(before).not.toBeNull();
        const page = await list({ sort, dir, limit, before });
        expect(idsOf(page), `page ${i} walking back`).toEqual(idsOf(pages[i]!));
        expect(page.next).not.toBeNull();
        if (i === 0) expect(page.prev).toBeNull();
        before = page.prev;
      }
    });
  }

  it("paging a filtered list with a small page size and many ties in the sort key", async () => {
    const f: Filter = { site: ids.site, firmware: "4.2.3" };
    const limit = 7;
    const expected = await expectedIds(f, "status", "asc");
    expect(expected.length).toBeGreaterThan(limit * 3);
    const pages = await walkForward(f, "status", "asc", limit);
    expect(pages.flatMap(idsOf)).toEqual(expected);
    // A page reached backwards links forward to the page after it.
    const middle = Math.floor(pages.length / 2);
    const back = await list({ ...f, sort: "status", dir: "asc", limit, before: pages[middle + 1]!.prev });
    expect(idsOf(back)).toEqual(idsOf(pages[middle]!));
    const forward = await list({ ...f, sort: "status", dir: "asc", limit, after: back.next });
    expect(idsOf(forward)).toEqual(idsOf(pages[middle + 1]!));
  });

  it("devices that never reported (no last contact) are paged too", async () => {
    const expected = await expectedIds({ firmware: "4.2.3", status: "offline" }, "lastContact", "asc");
    const pages = await walkForward({ firmware: "4.2.3", status: "offline" }, "lastContact", "asc", 3);
    expect(pages.flatMap(idsOf)).toEqual(expected);
    expect(pages[0]!.rows[0]!.lastContactAt).toBeNull();
  });
});

describe("Rejected input", () => {
  const damaged = "This page link is damaged or out of date. Go back to the first page.";
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

  async function invalid(input: Record<string, unknown>): Promise<ValidationError> {
    const err = await caught(() => list(input));
    expect(err, `${JSON.stringify(input)} gave ${String(err)}`).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }

  it("a damaged cursor gives a ValidationError with a clear message", async () => {
    for (const cursor of ["!!!not-a-cursor", "", b64([1, 2]), b64({ v: "x", id: 1 }), b64(["MFP4-100001", 1.5]), b64(["MFP4-100001"]), "eyJ"]) {
      for (const key of ["after", "before"]) {
        if (cursor === "") continue;
        expect((await invalid({ [key]: cursor })).message).toBe(damaged);
      }
    }
  });

  it("a page link from another sort order gives a ValidationError, not a database error", async () => {
    const serialCursor = (await list({ sort: "serial", limit: 5 })).next!;
    for (const sort of ["lastContact", "status"]) {
      expect((await invalid({ sort, after: serialCursor })).message).toBe(damaged);
      expect((await invalid({ sort, before: serialCursor })).message).toBe(damaged);
    }
  });

  it("a cursor whose id is out of range gives a ValidationError, not a database error", async () => {
    expect((await invalid({ after: b64(["MFP4-100001", 2 ** 40]) })).message).toBe(damaged);
  });

  const badFilters: [string, Record<string, unknown>, string, RegExp][] = [
    ["status=foo", { status: "foo" }, "status", /status must be one of: active, offline, maintenance, quarantined, retired/i],
    ["status given twice", { status: ["active", "offline"] }, "status", /status/i],
    ["unit=abc", { unit: "abc" }, "unit", /unit/i],
    ["site=-1", { site: "-1" }, "site", /site/i],
    ["limit=10000", { limit: "10000" }, "limit", /limit|200/i],
    ["limit=0", { limit: "0" }, "limit", /limit/i],
    ["sort=price", { sort: "price" }, "sort", /sort by one of/i],
    ["dir=up", { dir: "up" }, "dir", /asc or desc/i],
    ["criticality=high", { criticality: "high" }, "criticality", /criticality must be one of/i],
    ["a very long search", { q: "x".repeat(81) }, "q", /80 characters/],
  ];
  for (const [label, input, field, message] of badFilters) {
    it(`bad filter ${label} gives a ValidationError naming ${field}`, async () => {
      const err = await invalid(input);
      expect(Object.keys(err.fieldErrors)).toContain(field);
      expect(err.message).toMatch(message);
    });
  }

  it("an unknown filter key gives a ValidationError naming the key", async () => {
    const err = await invalid({ colour: "red" });
    expect(err.message).toContain("colour");
  });

  it("both page links at once are refused", async () => {
    const next = (await list({ limit: 5 })).next!;
    expect((await invalid({ after: next, before: next })).message).toMatch(/either the next or the previous/);
  });

  it("a unit id beyond the integer range gives a ValidationError naming unit, not a database error", async () => {
    const err = await invalid({ unit: "99999999999" });
    expect(Object.keys(err.fieldErrors)).toContain("unit");
  });
});
