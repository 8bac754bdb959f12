"use server";

import { revalidatePath } from "next/cache";
import { setRegressionThresholds, setTelemetryRetention } from "@/lib/services/telemetry/settings";
import { formValues, runAction, type ActionState } from "./run";

export async function setTelemetryRetentionAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(setTelemetryRetention, { rawDays: v.rawDays, hourlyDays: v.hourlyDays });
  if (result.ok) revalidatePath("/settings");
  return { ok: result.ok, message: result.ok ? "Saved. Older telemetry is removed at the next hourly clean-up." : result.message, fieldErrors: result.fieldErrors, values: result.ok ? undefined : v };
}

export async function setRegressionThresholdsAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(setRegressionThresholds, { alpha: v.alpha, minEffectPct: v.minEffectPct, minExposureHours: v.minExposureHours, minDevices: v.minDevices });
  if (result.ok) revalidatePath("/settings");
  return { ok: result.ok, message: result.ok ? "Saved. The next health comparison of each running rollout uses these thresholds." : result.message, fieldErrors: result.fieldErrors, values: result.ok ? undefined : v };
}
