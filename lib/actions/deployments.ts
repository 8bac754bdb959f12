"use server";

import { revalidatePath } from "next/cache";
import { assignRelease, cancelAction } from "@/lib/services/deployments/actions";
import { provisionDeviceToken, revokeDeviceToken } from "@/lib/services/deployments/credentials";
import { formValues, runAction, type ActionState } from "./run";

const devicePath = (v: Record<string, string>) => `/inventory/${Number(v.deviceId)}`;

export async function assignReleaseAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(assignRelease, { deviceId: Number(v.deviceId), releaseId: Number(v.releaseId) });
  if (result.ok) revalidatePath(devicePath(v));
  return { ok: result.ok, message: result.ok ? "Update assigned. The device installs it at its next poll inside its maintenance window, when not in use on a patient." : result.message };
}

export async function cancelDeploymentAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(cancelAction, { actionId: Number(v.actionId), reason: v.reason || undefined });
  if (result.ok) revalidatePath(devicePath(v));
  return {
    ok: result.ok,
    message: !result.ok ? result.message : result.data?.state === "canceled" ? "Canceled: the device had not started it." : "Cancel requested: the device stops at its next poll and confirms.",
  };
}

export async function provisionTokenAction(_prev: ActionState<{ token: string; controllerId: string }>, form: FormData): Promise<ActionState<{ token: string; controllerId: string }>> {
  const v = formValues(form);
  const result = await runAction(provisionDeviceToken, { deviceId: Number(v.deviceId) });
  if (result.ok) revalidatePath(devicePath(v));
  return result;
}

export async function revokeTokenAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(revokeDeviceToken, { deviceId: Number(v.deviceId) });
  if (result.ok) revalidatePath(devicePath(v));
  return { ok: result.ok, message: result.ok ? "Token revoked. The device can no longer reach Corridor until it gets a new one." : result.message };
}
