"use server";

import { revalidatePath } from "next/cache";
import { updateDevice } from "@/lib/services/inventory/device";
import { formValues, runAction, type ActionState } from "./run";

export async function updateDeviceAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(updateDevice, {
    deviceId: Number(v.deviceId),
    unitId: v.unitId ? Number(v.unitId) : undefined,
    status: (v.status || undefined) as never,
    hardwareRevision: v.hardwareRevision || undefined,
    reason: v.reason || undefined,
  });
  if (result.ok) revalidatePath(`/inventory/${v.deviceId}`);
  return { ...result, values: v, message: result.ok ? "Saved. The change is recorded in the audit trail." : result.message };
}
