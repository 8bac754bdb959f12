import { sql } from "drizzle-orm";
import { boolean, date, index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { CRITICALITIES, DEVICE_CLASSES, DEVICE_STATUSES, NETWORK_KINDS, UNIT_KINDS } from "@/lib/domain";

export const criticality = pgEnum("criticality", CRITICALITIES);
export const deviceClass = pgEnum("device_class", DEVICE_CLASSES);
export const deviceStatus = pgEnum("device_status", DEVICE_STATUSES);
export const unitKind = pgEnum("unit_kind", UNIT_KINDS);
export const networkKind = pgEnum("network_kind", NETWORK_KINDS);

const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
};

export const sites = pgTable("sites", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  code: text("code").notNull().unique(),
  name: text("name").notNull().unique(),
  timeZone: text("time_zone").notNull(),
  ...timestamps,
});

export const units = pgTable(
  "units",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    siteId: integer("site_id").notNull().references(() => sites.id),
    name: text("name").notNull(),
    kind: unitKind("kind").notNull(),
    // IANA zone, e.g. America/Chicago; maintenance windows are evaluated in it.
    timeZone: text("time_zone").notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex("units_site_name_key").on(t.siteId, t.name)],
);

export const manufacturers = pgTable("manufacturers", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  name: text("name").notNull().unique(),
  ...timestamps,
});

export const deviceModels = pgTable(
  "device_models",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    manufacturerId: integer("manufacturer_id").notNull().references(() => manufacturers.id),
    name: text("name").notNull(),
    deviceType: text("device_type").notNull(),
    deviceClass: deviceClass("device_class").notNull(),
    criticality: criticality("criticality").notNull(),
    endOfSupport: date("end_of_support"),
    updateMinutes: integer("update_minutes").notNull(),
    minBatteryPct: integer("min_battery_pct").notNull().default(30),
    ...timestamps,
  },
  (t) => [uniqueIndex("device_models_manufacturer_name_key").on(t.manufacturerId, t.name)],
);

export const devices = pgTable(
  "devices",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    serial: text("serial").notNull(),
    udi: text("udi").notNull(),
    modelId: integer("model_id").notNull().references(() => deviceModels.id),
    hardwareRevision: text("hardware_revision").notNull(),
    unitId: integer("unit_id").notNull().references(() => units.id),
    firmwareVersion: text("firmware_version").notNull(),
    securityVersion: integer("security_version").notNull(),
    network: networkKind("network").notNull(),
    status: deviceStatus("status").notNull().default("active"),
    // Sandbox (lab) devices are the only ones a lab wave may target.
    sandbox: boolean("sandbox").notNull().default(false),
    lastContactAt: timestamp("last_contact_at", { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("devices_serial_key").on(t.serial),
    uniqueIndex("devices_udi_key").on(t.udi),
    // Prefix search on serial / UDI is case-insensitive.
    index("devices_serial_search_idx").on(sql`lower(${t.serial}) text_pattern_ops`),
    index("devices_udi_search_idx").on(sql`lower(${t.udi}) text_pattern_ops`),
    index("devices_model_idx").on(t.modelId, t.id),
    index("devices_unit_idx").on(t.unitId, t.id),
    index("devices_status_idx").on(t.status, t.id),
    index("devices_firmware_idx").on(t.firmwareVersion, t.id),
    index("devices_last_contact_idx").on(sql`coalesce(${t.lastContactAt}, 'epoch'::timestamptz)`, t.id),
  ],
);

export type Site = typeof sites.$inferSelect;
export type Unit = typeof units.$inferSelect;
export type Manufacturer = typeof manufacturers.$inferSelect;
export type DeviceModel = typeof deviceModels.$inferSelect;
export type Device = typeof devices.$inferSelect;
export type NewDevice = typeof devices.$inferInsert;
