"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { markNotificationsRead, myNotifications } from "@/lib/services/incidents/notifications";
import { createIncident } from "@/lib/services/incidents/open";
import {
  addIncidentNote, assignIncidentOwner, changeIncidentSeverity, linkIncidentDevice, pauseIncidentRollout, quarantineIncidentDevice, revertIncidentRollout,
  signOffIncident, transitionIncident, unlinkIncidentDevice,
} from "@/lib/services/incidents/operations";
import { saveEscalationDeadlines, saveIncidentWebhook } from "@/lib/services/incidents/settings";
import type { IncidentSeverity, IncidentStatus } from "@/lib/domain";
import { formValues, runAction, type ActionState } from "./run";

/** Opens an incident by hand and goes to its page. */
export async function createIncidentAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(createIncident, {
    title: v.title ?? "", description: v.description ?? "", severity: (v.severity ?? "") as IncidentSeverity, serials: v.serials ?? "", rolloutId: v.rolloutId ?? "", ownerId: v.ownerId ?? "",
  });
  if (!result.ok) return { ok: false, message: result.message, fieldErrors: result.fieldErrors, values: v };
  revalidatePath("/incidents");
  redirect(`/incidents/${result.data!.id}`);
}

/** Result of an operation on one incident: refresh its page and the list. */
function done(result: ActionState, incidentId: string | undefined, message: string, values?: Record<string, string>): ActionState {
  if (result.ok) {
    revalidatePath("/incidents");
    revalidatePath(`/incidents/${Number(incidentId)}`);
  }
  return { ok: result.ok, message: result.ok ? message : result.message, fieldErrors: result.fieldErrors, values: result.ok ? undefined : values };
}

export async function transitionIncidentAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(transitionIncident, {
    incidentId: v.incidentId ?? "", to: (v.to ?? "") as IncidentStatus, verification: v.verification || undefined, lessonsLearned: v.lessonsLearned || undefined, reason: v.reason || undefined,
  });
  return done(result, v.incidentId, "Status changed; the people on call were told.", v);
}

export async function assignOwnerAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  return done(await runAction(assignIncidentOwner, { incidentId: v.incidentId ?? "", ownerId: v.ownerId ?? "" }), v.incidentId, "Owner changed.", v);
}

export async function changeSeverityAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(changeIncidentSeverity, { incidentId: v.incidentId ?? "", severity: (v.severity ?? "") as IncidentSeverity, reason: v.reason ?? "" });
  return done(result, v.incidentId, "Severity changed.", v);
}

export async function linkDeviceAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  return done(await runAction(linkIncidentDevice, { incidentId: v.incidentId ?? "", serial: v.serial ?? "" }), v.incidentId, "Device linked.", v);
}

export async function unlinkDeviceAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  return done(await runAction(unlinkIncidentDevice, { incidentId: v.incidentId ?? "", deviceId: v.deviceId ?? "" }), v.incidentId, "Device unlinked.");
}

export async function addNoteAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  return done(await runAction(addIncidentNote, { incidentId: v.incidentId ?? "", note: v.note ?? "" }), v.incidentId, "Note added.", v);
}

export async function signOffAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const { password: _password, ...typed } = v;
  const result = await runAction(signOffIncident, { incidentId: v.incidentId ?? "", password: v.password ?? "", reason: v.reason ?? "" });
  return done(result, v.incidentId, "Signed off: the linked rollout may go on.", typed);
}

export async function pauseFromIncidentAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(pauseIncidentRollout, { incidentId: v.incidentId ?? "", reason: v.reason ?? "" });
  if (result.ok) revalidatePath("/rollouts");
  return done(result, v.incidentId, "Rollout paused. No new device is offered the update until someone resumes it.", v);
}

export async function quarantineFromIncidentAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(quarantineIncidentDevice, { incidentId: v.incidentId ?? "", deviceId: v.deviceId ?? "", reason: v.reason ?? "" });
  return done(result, v.incidentId, "Device quarantined: it is offered no update until it is put back in service.", v);
}

export async function revertFromIncidentAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(revertIncidentRollout, { incidentId: v.incidentId ?? "", releaseId: v.releaseId ?? "", reason: v.reason ?? "" });
  const r = result.data;
  if (result.ok) revalidatePath("/rollouts");
  return done(result, v.incidentId, r ? `Revert rollout started for ${r.devices} device${r.devices === 1 ? "" : "s"}${r.belowFloor ? `; ${r.belowFloor} above that release's security version were left out` : ""}.` : "", v);
}

/** The bell's count, refreshed by the browser. */
export async function unreadNotificationsAction(): Promise<number> {
  const result = await runAction(myNotifications, { limit: 1 });
  return result.data?.unread ?? 0;
}

export async function markNotificationsReadAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const id = formValues(form).id;
  const result = await runAction(markNotificationsRead, id ? { ids: [Number(id)] } : {});
  if (result.ok) revalidatePath("/notifications");
  return { ok: result.ok, message: result.ok ? (id ? "Marked as read." : "All marked as read.") : result.message };
}

export async function saveEscalationAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(saveEscalationDeadlines, { critical: v.critical ?? "", high: v.high ?? "", medium: v.medium ?? "", low: v.low ?? "" });
  if (result.ok) revalidatePath("/settings");
  return { ok: result.ok, message: result.ok ? "Deadlines saved. They apply to incidents from now on." : result.message, fieldErrors: result.fieldErrors, values: result.ok ? undefined : v };
}

export async function saveWebhookAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(saveIncidentWebhook, { url: v.url ?? "", secret: v.secret ?? "" });
  if (result.ok) revalidatePath("/settings");
  const { secret: _secret, ...typed } = v;
  return { ok: result.ok, message: result.ok ? (result.data!.url ? "Webhook saved." : "Webhook removed: no events are sent.") : result.message, fieldErrors: result.fieldErrors, values: result.ok ? undefined : typed };
}
