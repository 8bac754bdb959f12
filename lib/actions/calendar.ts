"use server";

import { revalidatePath } from "next/cache";
import { setWindows } from "@/lib/services/deployments/windows";
import { addBlackout, endFreeze, removeBlackout, startFreeze } from "@/lib/services/rollouts/operations";
import { formValues, runAction, type ActionState } from "./run";

/** "windows.0.startsAt" → "Window 1"; the service's own messages stay as they are. */
function readable(state: ActionState): string[] {
  if (state.ok) return [];
  const fromFields = Object.entries(state.fieldErrors ?? {}).flatMap(([key, messages]) => {
    const m = /^windows\.(\d+)/.exec(key);
    return messages.map((msg) => (m ? `Window ${Number(m[1]) + 1}: ${msg}` : msg));
  });
  return fromFields.length ? [...new Set(fromFields)] : [state.message ?? "Nothing was changed."];
}

export type WindowsState = ActionState & { problems?: string[] };

/** Replaces one set of windows (a unit's or a site's, all models or one). The client sends them as JSON in the "windows" field. */
export async function setWindowsAction(_prev: WindowsState, form: FormData): Promise<WindowsState> {
  const v = formValues(form);
  let windows: unknown;
  try {
    windows = JSON.parse(v.windows ?? "[]");
  } catch {
    windows = null;
  }
  const id = (key: string) => (v[key] ? Number(v[key]) : undefined);
  const result = await runAction(setWindows, { unitId: id("unitId"), siteId: id("siteId"), modelId: id("modelId") ?? null, windows } as Parameters<typeof setWindows>[1]);
  if (result.ok) revalidatePath("/calendar");
  const count = result.data?.count ?? 0;
  return {
    ok: result.ok,
    message: result.ok ? (count === 0 ? "Saved: no windows in this set now." : `Saved: ${count} window${count === 1 ? "" : "s"}.`) : "The windows were not saved.",
    problems: readable(result),
    values: result.ok ? undefined : { windows: v.windows ?? "[]" },
  };
}

/** Scope comes as "all", "site:<id>" or "unit:<id>". */
export async function addBlackoutAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const [kind, id] = (v.scope ?? "all").split(":");
  const result = await runAction(addBlackout, {
    unitId: kind === "unit" ? Number(id) : undefined,
    siteId: kind === "site" ? Number(id) : undefined,
    startsOn: v.startsOn ?? "",
    endsOn: v.endsOn || v.startsOn || "",
    reason: v.reason ?? "",
  });
  if (result.ok) revalidatePath("/calendar");
  return {
    ok: result.ok,
    // Field problems show next to their field; the summary line does not repeat the field's code name.
    message: result.ok ? "Blackout added: nothing installs on those days." : result.fieldErrors ? "The blackout was not added: see below." : result.message,
    fieldErrors: result.fieldErrors,
    values: result.ok ? undefined : v,
  };
}

export async function removeBlackoutAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(removeBlackout, { blackoutId: Number(v.blackoutId) });
  if (result.ok) revalidatePath("/calendar");
  return { ok: result.ok, message: result.ok ? "Blackout removed." : result.message };
}

export async function startFreezeAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(startFreeze, { reason: v.reason ?? "" });
  // Every console page shows the freeze.
  if (result.ok) revalidatePath("/", "layout");
  return {
    ok: result.ok,
    message: result.ok ? "All updates are frozen." : result.message,
    fieldErrors: result.fieldErrors,
    values: result.ok ? undefined : v,
  };
}

export async function endFreezeAction(_prev: ActionState, _form: FormData): Promise<ActionState> {
  const result = await runAction(endFreeze, {});
  if (result.ok) revalidatePath("/", "layout");
  return { ok: result.ok, message: result.ok ? "The freeze has ended. Updates resume inside each unit's window." : result.message };
}
