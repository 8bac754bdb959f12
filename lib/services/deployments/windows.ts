import { and, eq, isNull, type SQL } from "drizzle-orm";
import { deviceModels, maintenanceWindows, sites, units } from "@/db/schema";
import { SetWindowsInput } from "@/lib/validation/deployments";
import { forgetUnitWindows } from "../ddi/context";
import { NotFoundError, ValidationError } from "../errors";
import { command } from "../operation";
import { windowRuleProblem } from "../safety/windows";

/**
 * Replaces one set of maintenance windows: a unit's or a site's, for every model or for one model.
 * Which set a device follows is decided by `pickWindows` (the most specific set that has any window).
 */
export const setWindows = command({
  name: "windows.set",
  permission: "windows.manage",
  input: SetWindowsInput,
  async run({ tx, input, audit }) {
    const scope = input.unitId !== undefined ? { table: units, id: input.unitId, column: maintenanceWindows.unitId, entityType: "unit" } : { table: sites, id: input.siteId!, column: maintenanceWindows.siteId, entityType: "site" };
    const [owner] = await tx.select({ id: scope.table.id }).from(scope.table).where(eq(scope.table.id, scope.id));
    if (!owner) throw new NotFoundError(`This ${scope.entityType} does not exist.`);
    const modelId = input.modelId ?? null;
    if (modelId !== null && !(await tx.select({ id: deviceModels.id }).from(deviceModels).where(eq(deviceModels.id, modelId))).length) throw new NotFoundError("This device model does not exist.");
    input.windows.forEach((w, i) => {
      const problem = windowRuleProblem(w);
      if (problem) throw new ValidationError(`Window ${i + 1}: ${problem}`);
    });
    const set: SQL = and(eq(scope.column, scope.id), modelId === null ? isNull(maintenanceWindows.modelId) : eq(maintenanceWindows.modelId, modelId))!;
    const before = await tx.select({ rrule: maintenanceWindows.rrule, startsAt: maintenanceWindows.startsAt, durationMinutes: maintenanceWindows.durationMinutes }).from(maintenanceWindows).where(set);
    await tx.delete(maintenanceWindows).where(set);
    const owned = scope.entityType === "unit" ? { unitId: scope.id } : { siteId: scope.id };
    if (input.windows.length) await tx.insert(maintenanceWindows).values(input.windows.map((w) => ({ ...w, ...owned, modelId })));
    await audit({ action: `${scope.entityType}.windows_set`, entityType: scope.entityType, entityId: scope.id, before: { modelId, windows: before }, after: { modelId, windows: input.windows } });
    forgetUnitWindows();
    return { count: input.windows.length };
  },
});
