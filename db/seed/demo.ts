import { queryRows, type Db } from "../client";
import { asc, eq, sql } from "drizzle-orm";
import { deviceCredentials, deviceModels, devices, maintenanceWindows, manufacturers, sites, units, userUnits, users, type NewDevice } from "../schema";
import { hashToken } from "@/lib/services/ddi/device-auth";
import { fleetToken } from "@/lib/services/ddi/fleet-token";
import { hashPassword } from "@/lib/auth/password";
import type { Criticality, DeviceClass, DeviceStatus, NetworkKind, Role, UnitKind } from "@/lib/domain";
import { recordAudit } from "@/lib/services/audit/record";
import { systemActor } from "@/lib/services/actor";
import { createRng } from "@/lib/random";

const SITES = [
  { code: "SBMC", name: "St. Brigid Medical Center", timeZone: "America/New_York" },
  { code: "LCH", name: "Lakeshore Children's Hospital", timeZone: "America/Chicago" },
  { code: "RMRH", name: "Red Mesa Regional Hospital", timeZone: "America/Phoenix" },
  { code: "HVCH", name: "Harbor View Community Hospital", timeZone: "America/Los_Angeles" },
] as const;

const UNITS: Record<string, readonly [string, UnitKind][]> = {
  SBMC: [
    ["Medical ICU", "icu"], ["Cardiac ICU", "icu"], ["Emergency Department", "ed"], ["Main OR", "or"],
    ["Telemetry 4 North", "ward"], ["Med-Surg 5 East", "ward"], ["Oncology 6 West", "ward"], ["Radiology", "imaging"],
    ["Biomed Lab", "lab"],
  ],
  LCH: [
    ["NICU", "nicu"], ["Pediatric ICU", "icu"], ["Pediatric Emergency", "ed"], ["Pediatric OR", "or"],
    ["Hematology-Oncology", "ward"], ["General Pediatrics 3", "ward"], ["Biomed Lab", "lab"],
  ],
  RMRH: [
    ["ICU", "icu"], ["Emergency Department", "ed"], ["Surgical Suites", "or"], ["Step-Down Unit", "ward"],
    ["Medical Ward 2", "ward"], ["Labor & Delivery", "ward"], ["Imaging Center", "imaging"], ["Biomed Lab", "lab"],
  ],
  HVCH: [
    ["ICU", "icu"], ["NICU", "nicu"], ["Emergency Department", "ed"], ["OR Suite", "or"],
    ["Med-Surg 3", "ward"], ["Rehabilitation", "ward"], ["Biomed Lab", "lab"],
  ],
};

const MANUFACTURERS = [
  "Meridian Infusion Systems", "Halcyon Medical", "Northwind Respiratory", "Vantage Diagnostics", "Aurelia Cardiac",
  "Bexley Imaging",
] as const;

type ModelSpec = {
  key: string;
  manufacturer: (typeof MANUFACTURERS)[number];
  name: string;
  deviceType: string;
  deviceClass: DeviceClass;
  criticality: Criticality;
  endOfSupport: string;
  updateMinutes: number;
  minBatteryPct: number;
  gtin: string;
  hardware: readonly (readonly [string, number])[];
  // [version, security version, share]
  firmware: readonly (readonly [string, number, number])[];
  network: readonly (readonly [NetworkKind, number])[];
};

export const MODELS: readonly ModelSpec[] = [
  { key: "MFP4", manufacturer: "Meridian Infusion Systems", name: "FlowPoint 400", deviceType: "Infusion pump", deviceClass: "II", criticality: "life_supporting", endOfSupport: "2029-06-30", updateMinutes: 12, minBatteryPct: 40, gtin: "00856001000011", hardware: [["B", 3], ["C", 7]], firmware: [["4.1.2", 3, 10], ["4.2.0", 4, 25], ["4.2.3", 5, 55], ["5.0.1", 6, 10]], network: [["wifi", 1]] },
  { key: "MSS2", manufacturer: "Meridian Infusion Systems", name: "FlowPoint S2 Syringe", deviceType: "Syringe pump", deviceClass: "II", criticality: "life_supporting", endOfSupport: "2026-12-31", updateMinutes: 10, minBatteryPct: 40, gtin: "00856001000028", hardware: [["1.0", 4], ["1.1", 6]], firmware: [["2.8.0", 7, 30], ["2.9.1", 8, 70]], network: [["wifi", 1]] },
  { key: "HVV7", manufacturer: "Halcyon Medical", name: "VitalView 7", deviceType: "Patient monitor", deviceClass: "II", criticality: "life_supporting", endOfSupport: "2030-03-31", updateMinutes: 20, minBatteryPct: 30, gtin: "00857002000017", hardware: [["2.0", 6], ["2.1", 4]], firmware: [["7.3.0", 12, 20], ["7.4.2", 13, 65], ["7.5.0", 14, 15]], network: [["ethernet", 6], ["wifi", 4]] },
  { key: "HVV5", manufacturer: "Halcyon Medical", name: "VitalView 5", deviceType: "Patient monitor", deviceClass: "II", criticality: "life_supporting", endOfSupport: "2025-09-30", updateMinutes: 20, minBatteryPct: 30, gtin: "00857002000024", hardware: [["1.4", 1]], firmware: [["5.9.8", 9, 40], ["5.9.9", 9, 60]], network: [["ethernet", 7], ["wifi", 3]] },
  { key: "NVX3", manufacturer: "Northwind Respiratory", name: "VX-300", deviceType: "Ventilator", deviceClass: "II", criticality: "life_sustaining", endOfSupport: "2031-12-31", updateMinutes: 35, minBatteryPct: 60, gtin: "00858003000010", hardware: [["A2", 5], ["A3", 5]], firmware: [["3.0.4", 20, 15], ["3.1.0", 21, 70], ["3.1.2", 22, 15]], network: [["ethernet", 5], ["wifi", 5]] },
  { key: "NNB2", manufacturer: "Northwind Respiratory", name: "NeoBreath N2", deviceType: "Neonatal ventilator", deviceClass: "II", criticality: "life_sustaining", endOfSupport: "2030-06-30", updateMinutes: 35, minBatteryPct: 60, gtin: "00858003000027", hardware: [["1.0", 1]], firmware: [["1.6.0", 4, 35], ["1.7.1", 5, 65]], network: [["ethernet", 1]] },
  { key: "VGT3", manufacturer: "Vantage Diagnostics", name: "GlucoTrack G3", deviceType: "Blood glucose meter", deviceClass: "II", criticality: "other", endOfSupport: "2028-03-31", updateMinutes: 5, minBatteryPct: 25, gtin: "00859004000013", hardware: [["G3", 1]], firmware: [["3.2.0", 2, 50], ["3.3.1", 3, 50]], network: [["wifi", 1]] },
  { key: "ARD9", manufacturer: "Aurelia Cardiac", name: "RhythmGuard D9", deviceType: "Defibrillator", deviceClass: "III", criticality: "life_sustaining", endOfSupport: "2029-09-30", updateMinutes: 15, minBatteryPct: 80, gtin: "00860005000019", hardware: [["D9-1", 7], ["D9-2", 3]], firmware: [["9.0.3", 10, 60], ["9.1.0", 11, 40]], network: [["wifi", 8], ["cellular", 2]] },
  { key: "ATT4", manufacturer: "Aurelia Cardiac", name: "TeleCardia T4", deviceType: "Telemetry transmitter", deviceClass: "II", criticality: "life_supporting", endOfSupport: "2027-06-30", updateMinutes: 8, minBatteryPct: 50, gtin: "00860005000026", hardware: [["4.0", 1]], firmware: [["4.4.0", 6, 45], ["4.5.2", 7, 55]], network: [["wifi", 1]] },
  { key: "BLCT", manufacturer: "Bexley Imaging", name: "Lumen CT Workstation", deviceType: "Imaging workstation", deviceClass: "II", criticality: "other", endOfSupport: "2028-12-31", updateMinutes: 45, minBatteryPct: 0, gtin: "00861006000012", hardware: [["WS-5", 1]], firmware: [["12.1.0", 30, 30], ["12.2.4", 31, 70]], network: [["ethernet", 1]] },
];

// Which models a unit of each kind holds, and how many of each relative to the others.
const UNIT_MIX: Record<UnitKind, readonly (readonly [string, number])[]> = {
  icu: [["MFP4", 30], ["MSS2", 12], ["HVV7", 20], ["NVX3", 10], ["ARD9", 3], ["VGT3", 4]],
  nicu: [["MSS2", 30], ["HVV7", 20], ["NNB2", 15], ["MFP4", 10]],
  ed: [["MFP4", 25], ["HVV7", 15], ["HVV5", 10], ["ARD9", 5], ["VGT3", 8], ["ATT4", 6]],
  or: [["MFP4", 20], ["MSS2", 10], ["HVV7", 15], ["NVX3", 8], ["ARD9", 3]],
  ward: [["MFP4", 35], ["HVV5", 15], ["VGT3", 12], ["ATT4", 20], ["ARD9", 2]],
  lab: [["MFP4", 4], ["MSS2", 2], ["HVV7", 2], ["HVV5", 1], ["NVX3", 2], ["NNB2", 1], ["VGT3", 1], ["ARD9", 1], ["ATT4", 1], ["BLCT", 1]],
  imaging: [["BLCT", 6], ["HVV7", 4], ["MFP4", 4]],
};

const STATUS_MIX: readonly (readonly [DeviceStatus, number])[] = [
  ["active", 900], ["offline", 50], ["maintenance", 30], ["quarantined", 5], ["retired", 15],
];

export const DEMO_USERS: readonly { username: string; displayName: string; role: Role }[] = [
  { username: "admin", displayName: "Alex Morgan", role: "admin" },
  { username: "biomed", displayName: "Priya Natarajan", role: "biomed" },
  { username: "biomed2", displayName: "Tomás Alvarez", role: "biomed" },
  { username: "security", displayName: "Grace Okafor", role: "security" },
  { username: "clinician", displayName: "Jordan Lee, RN", role: "clinician" },
  { username: "manager", displayName: "Hannah Becker", role: "manager" },
  { username: "vendor", displayName: "Sam Ito (Meridian)", role: "vendor" },
  { username: "auditor", displayName: "Morgan Reyes", role: "auditor" },
];

export type SeedOptions = {
  devices: number;
  password?: string;
  /** Demo fleet: this many active devices get tokens derived from `fleetSecret`. */
  fleet?: { secret: string; devices: number };
  seed?: number;
  now?: Date;
  log?: (msg: string) => void;
};

/** Builds the demo hospital into an empty database. Rows are inserted in batches, never one by one. */
export async function seedDemo(db: Db, opts: SeedOptions) {
  const random = createRng(opts.seed ?? 20261123);
  const now = (opts.now ?? new Date()).getTime();
  const log = opts.log ?? (() => {});

  const siteRows = await db.insert(sites).values([...SITES]).returning();
  const unitValues = siteRows.flatMap((s) => UNITS[s.code]!.map(([name, kind]) => ({ siteId: s.id, name, kind, timeZone: s.timeZone })));
  const unitRows = await db.insert(units).values(unitValues).returning();
  const makerRows = await db.insert(manufacturers).values(MANUFACTURERS.map((name) => ({ name }))).returning();
  const makerId = new Map(makerRows.map((m) => [m.name, m.id]));
  const modelRows = await db
    .insert(deviceModels)
    .values(
      MODELS.map((m) => ({
        manufacturerId: makerId.get(m.manufacturer)!,
        name: m.name,
        deviceType: m.deviceType,
        deviceClass: m.deviceClass,
        criticality: m.criticality,
        endOfSupport: m.endOfSupport,
        updateMinutes: m.updateMinutes,
        minBatteryPct: m.minBatteryPct,
      })),
    )
    .returning();
  const modelByKey = new Map(MODELS.map((m, i) => [m.key, { spec: m, id: modelRows[i]!.id }]));

  // Spread devices over units in proportion to unit size (labs are small), then by the unit's mix.
  const unitWeight = (kind: UnitKind) => (kind === "lab" ? 0.15 : kind === "imaging" ? 0.4 : kind === "ward" ? 1.2 : 1);
  const weightedUnits = unitRows.map((u) => [u, unitWeight(u.kind)] as const);
  const serialCounter = new Map<string, number>();
  const batch: NewDevice[] = [];
  let inserted = 0;
  const flush = async () => {
    if (!batch.length) return;
    await db.insert(devices).values(batch);
    inserted += batch.length;
    batch.length = 0;
    if (inserted % 20000 === 0) log(`  ${inserted.toLocaleString()} devices`);
  };

  for (let i = 0; i < opts.devices; i++) {
    const unit = random.weighted(weightedUnits);
    const model = modelByKey.get(random.weighted(UNIT_MIX[unit.kind]))!;
    const spec = model.spec;
    const [firmwareVersion, securityVersion] = random.weighted(spec.firmware.map((f) => [f, f[2]] as const));
    const n = (serialCounter.get(spec.key) ?? 100000) + 1;
    serialCounter.set(spec.key, n);
    const serial = `${spec.key}-${n}`;
    const status: DeviceStatus = unit.kind === "lab" ? "active" : random.weighted(STATUS_MIX);
    const minutesAgo =
      status === "active" || status === "quarantined" ? random.next() * 10
      : status === "maintenance" ? 60 + random.next() * 60 * 24 * 3
      : status === "offline" ? 60 * 24 * (1 + random.next() * 30)
      : 60 * 24 * (90 + random.next() * 300);
    batch.push({
      serial,
      udi: `(01)${spec.gtin}(21)${serial}`,
      modelId: model.id,
      hardwareRevision: random.weighted(spec.hardware),
      unitId: unit.id,
      firmwareVersion,
      securityVersion,
      network: random.weighted(spec.network),
      status,
      sandbox: unit.kind === "lab",
      lastContactAt: new Date(now - minutesAgo * 60_000),
    });
    if (batch.length === 2000) await flush();
  }
  await flush();

  // Clinical units may install at night (01:00–05:00 local); labs and imaging at any time.
  await db.insert(maintenanceWindows).values(
    unitRows.map((u) =>
      u.kind === "lab" || u.kind === "imaging"
        ? { unitId: u.id, rrule: "FREQ=DAILY", startsAt: "00:00", durationMinutes: 1440, label: "Any time" }
        : { unitId: u.id, rrule: "FREQ=DAILY", startsAt: "01:00", durationMinutes: 240, label: "Night window" },
    ),
  );

  let fleet = 0;
  let fleetDevices: { serial: string; firmwareVersion: string; securityVersion: number; hardwareRevision: string }[] = [];
  if (opts.fleet?.devices) {
    const chosen = await db
      .select({ id: devices.id, serial: devices.serial, firmwareVersion: devices.firmwareVersion, securityVersion: devices.securityVersion, hardwareRevision: devices.hardwareRevision })
      .from(devices)
      .innerJoin(units, eq(units.id, devices.unitId))
      .where(eq(devices.status, "active"))
      // Lab and imaging devices first: their windows are always open, so the demo shows installs by day.
      .orderBy(sql`${units.kind} in ('lab', 'imaging') desc`, asc(devices.id))
      .limit(opts.fleet.devices);
    for (let i = 0; i < chosen.length; i += 2000) {
      await db.insert(deviceCredentials).values(
        chosen.slice(i, i + 2000).map((d) => {
          const token = fleetToken(opts.fleet!.secret, d.serial);
          return { deviceId: d.id, tokenHash: hashToken(token), tokenHint: token.slice(-4) };
        }),
      );
    }
    fleet = chosen.length;
    fleetDevices = chosen.map(({ id: _id, ...d }) => d);
  }

  if (opts.password) {
    const passwordHash = await hashPassword(opts.password);
    // The vendor account works for the first manufacturer; the clinician works in St. Brigid's
    // clinical units, where briefings are acknowledged.
    const vendorMaker = makerId.get(MANUFACTURERS[0]!)!;
    const userRows = await db.insert(users).values(DEMO_USERS.map((u) => ({ ...u, passwordHash, manufacturerId: u.role === "vendor" ? vendorMaker : null }))).returning();
    const clinician = userRows.find((u) => u.role === "clinician")!;
    const clinicalUnits = unitRows.filter((u) => u.siteId === siteRows[0]!.id && u.kind !== "lab" && u.kind !== "imaging");
    await db.insert(userUnits).values(clinicalUnits.map((u) => ({ userId: clinician.id, unitId: u.id })));
  }
  await recordAudit(db, systemActor("demo-seed"), undefined, {
    action: "demo.seed",
    entityType: "system",
    after: { sites: siteRows.length, units: unitRows.length, models: modelRows.length, devices: inserted, users: opts.password ? DEMO_USERS.length : 0, fleet },
  });
  return { sites: siteRows.length, units: unitRows.length, models: modelRows.length, devices: inserted, fleet, fleetDevices };
}

export async function isEmpty(db: Db): Promise<boolean> {
  const [row] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM sites`);
  return Number(row?.n ?? 0) === 0;
}
