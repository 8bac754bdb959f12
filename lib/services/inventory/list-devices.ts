import { and, asc, count, desc, eq, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "@/db/client";
import { deviceModels, devices, manufacturers, sites, units } from "@/db/schema";
import { DEVICE_STATUSES } from "@/lib/domain";
import { DeviceListInput, type DeviceListQuery, type DeviceSort } from "@/lib/validation/inventory";
import { ValidationError } from "../errors";
import { at } from "../compliance/eos";
import { query } from "../operation";
import { riskScoreSql } from "./risk";

// Each sort key is paired with `id` so keyset paging is exact and stable. All but the risk score are
// indexed expressions; the risk score depends on the clock, so it is computed per row (risk.ts).
const sortExpr = (sort: DeviceSort, now: Date | undefined): SQL =>
  ({
    serial: sql`${devices.serial}`,
    firmware: sql`${devices.firmwareVersion}`,
    status: sql`${devices.status}`,
    lastContact: sql`coalesce(${devices.lastContactAt}, 'epoch'::timestamptz)`,
    risk: riskScoreSql(now ? at(now) : sql`now()`),
  })[sort];
const SORT_CAST: Record<DeviceSort, SQL> = {
  serial: sql`text`,
  firmware: sql`text`,
  status: sql`device_status`,
  lastContact: sql`timestamptz`,
  risk: sql`int`,
};

type Cursor = { sort: DeviceSort; v: string; id: number };

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.sort, c.v, c.id])).toString("base64url");
}

// A cursor names its sort and carries a value that must parse as that sort's type, so a damaged or
// reused link is a clear validation error, never a database cast error.
const VALUE_OK: Record<DeviceSort, (v: string) => boolean> = {
  serial: () => true,
  firmware: () => true,
  status: (v) => (DEVICE_STATUSES as readonly string[]).includes(v),
  lastContact: (v) => !Number.isNaN(Date.parse(v.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"))),
  risk: (v) => /^\d{1,3}$/.test(v),
};

function decodeCursor(raw: string, sort: DeviceSort): Cursor {
  try {
    const [s, v, id] = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as unknown[];
    if (s === sort && typeof v === "string" && v.length <= 200 && VALUE_OK[sort](v) && Number.isSafeInteger(id) && (id as number) > 0 && (id as number) <= 2147483647) {
      return { sort, v, id: id as number };
    }
  } catch {
    /* fall through */
  }
  throw new ValidationError("This page link is damaged or out of date. Go back to the first page.");
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The WHERE clause for a filter set; shared by the page query, the total count and the benchmark. */
export function deviceFilters(f: DeviceListQuery): SQL | undefined {
  const where: (SQL | undefined)[] = [];
  if (f.q) {
    const prefix = `${escapeLike(f.q.toLowerCase())}%`;
    where.push(or(sql`lower(${devices.serial}) like ${prefix}`, sql`lower(${devices.udi}) like ${prefix}`));
  }
  if (f.unit) where.push(eq(devices.unitId, f.unit));
  if (f.site) where.push(sql`${devices.unitId} in (select ${units.id} from ${units} where ${units.siteId} = ${f.site})`);
  if (f.model) where.push(eq(devices.modelId, f.model));
  if (f.manufacturer)
    where.push(sql`${devices.modelId} in (select ${deviceModels.id} from ${deviceModels} where ${deviceModels.manufacturerId} = ${f.manufacturer})`);
  if (f.criticality)
    where.push(sql`${devices.modelId} in (select ${deviceModels.id} from ${deviceModels} where ${deviceModels.criticality} = ${f.criticality})`);
  if (f.firmware) where.push(eq(devices.firmwareVersion, f.firmware));
  if (f.status) where.push(eq(devices.status, f.status));
  return and(...where);
}

export type DeviceRow = Awaited<ReturnType<typeof fetchDevicePage>>["rows"][number];

async function fetchDevicePage(db: Db, f: DeviceListQuery) {
  const expr = sortExpr(f.sort, f.now);
  const backwards = Boolean(f.before);
  const cursor = f.after ? decodeCursor(f.after, f.sort) : f.before ? decodeCursor(f.before, f.sort) : null;
  // Walking backwards reverses both the comparison and the order; the rows are flipped afterwards.
  const ascending = (f.dir === "asc") !== backwards;
  const keyset = cursor
    ? ascending
      ? sql`(${expr}, ${devices.id}) > (${cursor.v}::${SORT_CAST[f.sort]}, ${cursor.id})`
      : sql`(${expr}, ${devices.id}) < (${cursor.v}::${SORT_CAST[f.sort]}, ${cursor.id})`
    : undefined;
  const order = ascending ? [asc(expr), asc(devices.id)] : [desc(expr), desc(devices.id)];

  const rows = await db
    .select({
      id: devices.id,
      serial: devices.serial,
      udi: devices.udi,
      hardwareRevision: devices.hardwareRevision,
      firmwareVersion: devices.firmwareVersion,
      securityVersion: devices.securityVersion,
      status: devices.status,
      lastContactAt: devices.lastContactAt,
      sortValue: sql<string>`(${expr})::text`,
      risk: sql<number>`${f.sort === "risk" ? expr : sortExpr("risk", f.now)}`,
      modelName: deviceModels.name,
      criticality: deviceModels.criticality,
      manufacturerName: manufacturers.name,
      unitName: units.name,
      siteName: sites.name,
    })
    .from(devices)
    .innerJoin(deviceModels, eq(deviceModels.id, devices.modelId))
    .innerJoin(manufacturers, eq(manufacturers.id, deviceModels.manufacturerId))
    .innerJoin(units, eq(units.id, devices.unitId))
    .innerJoin(sites, eq(sites.id, units.siteId))
    .where(and(deviceFilters(f), keyset))
    .orderBy(...order)
    .limit(f.limit + 1);

  const more = rows.length > f.limit;
  const page = rows.slice(0, f.limit);
  if (backwards) page.reverse();
  const first = page[0];
  const last = page.at(-1);
  const hasNext = backwards ? true : more;
  const hasPrev = backwards ? more : Boolean(f.after);
  return {
    rows: page.map(({ sortValue: _s, ...r }) => r),
    next: hasNext && last ? encodeCursor({ sort: f.sort, v: last.sortValue, id: last.id }) : null,
    prev: hasPrev && first ? encodeCursor({ sort: f.sort, v: first.sortValue, id: first.id }) : null,
  };
}

export async function countDevices(db: Db, f: DeviceListQuery): Promise<number> {
  const [row] = await db.select({ n: count() }).from(devices).where(deviceFilters(f));
  return row?.n ?? 0;
}

/** Inventory page: one page of devices in the chosen order, plus the total that matches the filters. */
export const listDevices = query({
  name: "devices.list",
  permission: "devices.read",
  input: DeviceListInput,
  async run({ db, input }) {
    const [page, total] = await Promise.all([fetchDevicePage(db, input), countDevices(db, input)]);
    return { ...page, total };
  },
});

/** Values for the inventory filter menus. */
export const deviceFilterOptions = query({
  name: "devices.filter_options",
  permission: "devices.read",
  input: DeviceListInput.optional(),
  async run({ db }) {
    const [siteRows, unitRows, modelRows, manufacturerRows, firmwareRows] = await Promise.all([
      db.select({ id: sites.id, name: sites.name }).from(sites).orderBy(sites.name),
      db.select({ id: units.id, name: units.name, siteId: units.siteId }).from(units).orderBy(units.siteId, units.name),
      db.select({ id: deviceModels.id, name: deviceModels.name }).from(deviceModels).orderBy(deviceModels.name),
      db.select({ id: manufacturers.id, name: manufacturers.name }).from(manufacturers).orderBy(manufacturers.name),
      db.selectDistinct({ v: devices.firmwareVersion }).from(devices).orderBy(devices.firmwareVersion),
    ]);
    return { sites: siteRows, units: unitRows, models: modelRows, manufacturers: manufacturerRows, firmware: firmwareRows.map((r) => r.v) };
  },
});

