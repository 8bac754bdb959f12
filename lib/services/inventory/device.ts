import { and, desc, eq } from "drizzle-orm";
import { z } from "zod";
import { auditEvents, deviceModels, devices, manufacturers, sites, units } from "@/db/schema";
import { UpdateDeviceInput } from "@/lib/validation/inventory";
import { NotFoundError, ValidationError } from "../errors";
import { command, query } from "../operation";
import { RowId } from "@/lib/validation/ids";

const DeviceId = z.object({ deviceId: RowId("Unknown device.") }).strict();

/** Device detail: the device, its model and place, and its change history. */
export const getDevice = query({
  name: "devices.get",
  permission: "devices.read",
  input: DeviceId,
  async run({ db, input }) {
    const [device] = await db
      .select({
        device: devices,
        model: deviceModels,
        manufacturerName: manufacturers.name,
        unit: { id: units.id, name: units.name, kind: units.kind, timeZone: units.timeZone },
        site: { id: sites.id, name: sites.name },
      })
      .from(devices)
      .innerJoin(deviceModels, eq(deviceModels.id, devices.modelId))
      .innerJoin(manufacturers, eq(manufacturers.id, deviceModels.manufacturerId))
      .innerJoin(units, eq(units.id, devices.unitId))
      .innerJoin(sites, eq(sites.id, units.siteId))
      .where(eq(devices.id, input.deviceId));
    if (!device) throw new NotFoundError("This device does not exist.");
    const history = await db
      .select({
        seq: auditEvents.seq,
        createdAt: auditEvents.createdAt,
        actorName: auditEvents.actorName,
        action: auditEvents.action,
        before: auditEvents.before,
        after: auditEvents.after,
        changedFields: auditEvents.changedFields,
        reason: auditEvents.reason,
      })
      .from(auditEvents)
      .where(and(eq(auditEvents.entityType, "device"), eq(auditEvents.entityId, String(input.deviceId))))
      .orderBy(desc(auditEvents.seq))
      .limit(100);
    return { ...device, history };
  },
});

const editable = {
  unitId: devices.unitId,
  status: devices.status,
  hardwareRevision: devices.hardwareRevision,
  sandbox: devices.sandbox,
};

/** Biomed edits a device's placement or status; the old and new values go to the audit trail. */
export const updateDevice = command({
  name: "devices.update",
  permission: "devices.update",
  input: UpdateDeviceInput,
  async run({ tx, input, audit }) {
    const [before] = await tx.select(editable).from(devices).where(eq(devices.id, input.deviceId)).for("update");
    if (!before) throw new NotFoundError("This device does not exist.");
    if (input.unitId !== undefined) {
      const [unit] = await tx.select({ id: units.id }).from(units).where(eq(units.id, input.unitId));
      if (!unit) throw new ValidationError("That unit does not exist. Choose a unit from the list.", { unitId: ["Choose a unit from the list."] });
    }
    const [after] = await tx
      .update(devices)
      .set({ unitId: input.unitId, status: input.status, hardwareRevision: input.hardwareRevision, sandbox: input.sandbox, updatedAt: new Date() })
      .where(eq(devices.id, input.deviceId))
      .returning(editable);
    await audit({ action: "device.update", entityType: "device", entityId: input.deviceId, before, after, reason: input.reason });
    return after!;
  },
});
