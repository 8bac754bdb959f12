import { eq } from "drizzle-orm";
import { maintenanceWindows, units } from "@/db/schema";
import { SetUnitWindowsInput } from "@/lib/validation/deployments";
import { forgetUnitWindows } from "../ddi/context";
import { NotFoundError, ValidationError } from "../errors";
import { command } from "../operation";
import { windowRuleProblem } from "../safety/windows";

/** Replaces a unit's maintenance windows. */
export const setUnitWindows = command({
  name: "windows.set",
  permission: "windows.manage",
  input: SetUnitWindowsInput,
  async run({ tx, input, audit }) {
    const [unit] = await tx.select({ id: units.id }).from(units).where(eq(units.id, input.unitId));
    if (!unit) throw new NotFoundError("This unit does not exist.");
    input.windows.forEach((w, i) => {
      const problem = windowRuleProblem(w);
      if (problem) throw new ValidationError(`Window ${i + 1}: ${problem}`);
    });
    const before = await tx.select({ rrule: maintenanceWindows.rrule, startsAt: maintenanceWindows.startsAt, durationMinutes: maintenanceWindows.durationMinutes }).from(maintenanceWindows).where(eq(maintenanceWindows.unitId, unit.id));
    await tx.delete(maintenanceWindows).where(eq(maintenanceWindows.unitId, unit.id));
    if (input.windows.length) await tx.insert(maintenanceWindows).values(input.windows.map((w) => ({ ...w, unitId: unit.id })));
    await audit({ action: "unit.windows_set", entityType: "unit", entityId: unit.id, before: { windows: before }, after: { windows: input.windows } });
    forgetUnitWindows();
    return { count: input.windows.length };
  },
});
