"use server";

import { revalidatePath } from "next/cache";
import { createRollout } from "@/lib/services/rollouts/create";
import { cancelRollout, goAheadWave, haltAllRollouts, pauseRollout, resumeRollout, retryFailed } from "@/lib/services/rollouts/operations";
import { requestDowngrade, signDowngrade } from "@/lib/services/rollouts/downgrade";
import { revertCohort } from "@/lib/services/rollouts/revert";
import { previewTargets } from "@/lib/services/rollouts/targets";
import { formValues, runAction, type ActionState } from "./run";

type PreviewInput = Parameters<typeof previewTargets>[1];
export type RolloutPreview = Awaited<ReturnType<typeof previewTargets>>;
type CreateInput = Parameters<typeof createRollout>[1];

/** The wizard's live count and compatibility report (nothing is created). */
export async function previewRolloutAction(filter: PreviewInput): Promise<ActionState<RolloutPreview>> {
  return runAction(previewTargets, filter);
}

export async function createRolloutAction(input: CreateInput): Promise<ActionState<{ id: number }>> {
  const result = await runAction(createRollout, input);
  if (!result.ok) return { ...result, data: undefined };
  revalidatePath("/rollouts");
  return { ok: true, data: { id: result.data!.id } };
}

const rolloutPath = (id: unknown) => `/rollouts/${Number(id)}`;

function done(result: ActionState, path: string | null, message: string): ActionState {
  if (result.ok) {
    revalidatePath("/rollouts");
    if (path) revalidatePath(path);
  }
  return { ok: result.ok, message: result.ok ? message : result.message, fieldErrors: result.fieldErrors };
}

export async function pauseRolloutAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(pauseRollout, { rolloutId: v.rolloutId ?? "", reason: v.reason ?? "" });
  return { ...done(result, rolloutPath(v.rolloutId), "Paused. No new device is offered the update until you resume."), values: result.ok ? undefined : v };
}

export async function resumeRolloutAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  return done(await runAction(resumeRollout, { rolloutId: v.rolloutId ?? "" }), rolloutPath(v.rolloutId), "Resumed.");
}

export async function cancelRolloutAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(cancelRollout, { rolloutId: v.rolloutId ?? "", reason: v.reason ?? "" });
  return { ...done(result, rolloutPath(v.rolloutId), "Canceled."), values: result.ok ? undefined : v };
}

export async function retryFailedAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(retryFailed, { rolloutId: v.rolloutId ?? "" });
  const n = result.data?.retried ?? 0;
  return done(result, rolloutPath(v.rolloutId), n === 0 ? "No failed device could be retried (each may have another update open, or be quarantined or retired)." : `${n} failed device${n === 1 ? " was" : "s were"} given the update again.`);
}

export async function haltAllRolloutsAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(haltAllRollouts, { reason: v.reason ?? "" });
  const n = result.data?.halted ?? 0;
  if (result.ok) revalidatePath("/rollouts/[id]", "page");
  return { ...done(result, null, n === 0 ? "No rollout was running or paused." : `${n} rollout${n === 1 ? "" : "s"} halted.`), values: result.ok ? undefined : v };
}

export async function goAheadAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(goAheadWave, { waveId: v.waveId ?? "", password: v.password ?? "" });
  return done(result, rolloutPath(v.rolloutId), "Go-ahead signed.");
}

export async function revertRolloutAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(revertCohort, { rolloutId: v.rolloutId ?? "", releaseId: v.releaseId ?? "", reason: v.reason ?? "" });
  const r = result.data;
  return {
    ...done(result, rolloutPath(v.rolloutId), r ? `Revert rollout started for ${r.devices} device${r.devices === 1 ? "" : "s"}${r.belowFloor ? `; ${r.belowFloor} above that release's security version were left out (a downgrade needs a downgrade exception)` : ""}.` : ""),
    values: result.ok ? undefined : v,
  };
}

export async function requestDowngradeAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(requestDowngrade, { rolloutId: v.rolloutId ?? "", releaseId: v.releaseId ?? "", safetyReason: v.safetyReason ?? "", password: v.password ?? "" });
  return { ...done(result, rolloutPath(v.rolloutId), "Downgrade exception signed and requested. A second person must sign it before anything is sent."), values: result.ok ? undefined : { ...v, password: "" } };
}

export async function signDowngradeAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(signDowngrade, { exceptionId: v.exceptionId ?? "", password: v.password ?? "" });
  return done(result, rolloutPath(v.rolloutId), result.data?.executed ? "Signed. The downgrade runs as a rollout of its own." : "Signed.");
}
