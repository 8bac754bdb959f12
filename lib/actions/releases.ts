"use server";

import { revalidatePath } from "next/cache";
import { acknowledgeBriefing, reportProblem, saveBriefing, setUserUnits } from "@/lib/services/releases/briefings";
import { addEvidence, attachSbom, createRelease, startReview, submitRelease, updateRelease, verifyRelease } from "@/lib/services/releases/intake";
import { savePolicy } from "@/lib/services/releases/policies";
import { recallRelease, signRelease, unlockSigning, withdrawRelease } from "@/lib/services/releases/signatures";
import { addVendorKey, retireVendorKey } from "@/lib/services/releases/vendor-keys";
import { formValues, runAction, type ActionState } from "./run";

const releasePath = (id: unknown) => `/releases/${Number(id)}`;

/** Reads an uploaded file field; an empty file input counts as no file. */
async function fileField(form: FormData, name: string) {
  const file = form.get(name);
  if (!(file instanceof File) || file.size === 0) return undefined;
  return { filename: file.name, bytes: Buffer.from(await file.arrayBuffer()) };
}

const releaseContent = (v: Record<string, string>) => ({
  securityVersion: v.securityVersion ?? "",
  hardwareRevisions: v.hardwareRevisions ?? "",
  riskClass: v.riskClass as never,
  changeLog: v.changeLog ?? "",
  knownIssues: v.knownIssues ?? "",
  compatibility: v.compatibility ?? "",
  privacyImpact: v.privacyImpact ?? "",
  privacyNote: v.privacyNote || undefined,
});

export async function createReleaseAction(_prev: ActionState<{ id: number }>, form: FormData): Promise<ActionState<{ id: number }>> {
  const v = formValues(form);
  const result = await runAction(createRelease, { modelId: v.modelId ?? "", version: v.version ?? "", ...releaseContent(v) });
  if (result.ok) revalidatePath("/releases");
  return result.ok ? { ok: true, data: { id: result.data!.id } } : { ...result, data: undefined, values: v };
}

export async function updateReleaseAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(updateRelease, { releaseId: v.releaseId ?? "", ...releaseContent(v) });
  if (result.ok) revalidatePath(releasePath(v.releaseId));
  return { ok: result.ok, message: result.ok ? "Saved. Signatures made before this change no longer match it." : result.message, fieldErrors: result.fieldErrors, values: result.ok ? undefined : v };
}

export async function attachSbomAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const file = await fileField(form, "sbom");
  if (!file) return { ok: false, message: "Choose the SBOM file (CycloneDX JSON)." };
  const result = await runAction(attachSbom, { releaseId: v.releaseId ?? "", ...file });
  if (result.ok) revalidatePath(releasePath(v.releaseId));
  return { ok: result.ok, message: result.ok ? "SBOM attached. Its checks are shown below." : result.message };
}

/** submit → verify → start review: one action per step, each refused unless the release is at that step. */
const STEPS = { submit: submitRelease, verify: verifyRelease, review: startReview } as const;
const STEP_DONE = { submit: "Submitted for verification.", verify: "Verified: the vendor signature, the hashes and the SBOM all check out.", review: "Review started. Approvers can now sign." };

export async function releaseStepAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const step = v.step as keyof typeof STEPS;
  if (!(step in STEPS)) return { ok: false, message: "Unknown step." };
  const result = await runAction(STEPS[step], { releaseId: v.releaseId ?? "" });
  if (result.ok) revalidatePath(releasePath(v.releaseId));
  return { ok: result.ok, message: result.ok ? STEP_DONE[step] : result.message };
}

export async function signReleaseAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(signRelease, {
    releaseId: v.releaseId ?? "",
    meaning: v.meaning as never,
    password: v.password ?? "",
    reason: v.reason || undefined,
    revokesId: v.revokesId || undefined,
  });
  if (result.ok) revalidatePath(releasePath(v.releaseId));
  const state = result.data?.state;
  return {
    ok: result.ok,
    message: !result.ok ? result.message : state === "approved" ? "Signed. The approval policy is met: the release is approved." : state === "rejected" ? "Signed. The release is rejected." : "Signed.",
  };
}

export async function retireReleaseAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const op = v.meaning === "recalled" ? recallRelease : withdrawRelease;
  const result = await runAction(op, { releaseId: v.releaseId ?? "", password: v.password ?? "", reason: v.reason ?? "" });
  if (result.ok) revalidatePath(releasePath(v.releaseId));
  return { ok: result.ok, message: result.ok ? (v.meaning === "recalled" ? "Recalled. Devices running it are flagged; unfinished updates are stopped." : "Withdrawn. Unfinished updates are stopped.") : result.message };
}

export async function addEvidenceAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(addEvidence, {
    releaseId: v.releaseId ?? "",
    kind: v.kind as never,
    outcome: v.outcome as never,
    acceptanceCriteria: v.acceptanceCriteria ?? "",
    summary: v.summary ?? "",
    attachment: await fileField(form, "attachment"),
  });
  if (result.ok) revalidatePath(releasePath(v.releaseId));
  return { ok: result.ok, message: result.ok ? "Evidence added." : result.message, fieldErrors: result.fieldErrors, values: result.ok ? undefined : v };
}

export async function saveBriefingAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(saveBriefing, {
    releaseId: v.releaseId ?? "",
    bedsideChanges: v.bedsideChanges ?? "",
    alarmsAndScreens: v.alarmsAndScreens ?? "",
    staffActions: v.staffActions ?? "",
    howToReport: v.howToReport ?? "",
    patientGuidance: v.patientGuidance ?? "",
  });
  if (result.ok) revalidatePath(releasePath(v.releaseId));
  return { ok: result.ok, message: result.ok ? (result.data?.warning ?? "Briefing saved.") : result.message, fieldErrors: result.fieldErrors, values: v };
}

export async function acknowledgeBriefingAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(acknowledgeBriefing, { releaseId: v.releaseId ?? "", unitId: v.unitId ?? "" });
  if (result.ok) revalidatePath("/briefings");
  return { ok: result.ok, message: result.ok ? "Acknowledged. Thank you." : result.message };
}

export async function reportProblemAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(reportProblem, {
    releaseId: v.releaseId ?? "",
    unitId: v.unitId ?? "",
    deviceSerial: v.deviceSerial || undefined,
    description: v.description ?? "",
    patientHarm: v.patientHarm ?? "",
  });
  return { ok: result.ok, message: result.ok ? "Report sent to clinical engineering. If a patient is at risk, also follow your unit's urgent procedure." : result.message, values: result.ok ? undefined : v };
}

export async function savePolicyAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(savePolicy, {
    criticality: v.criticality as never,
    riskClass: v.riskClass as never,
    requiredRoles: form.getAll("requiredRoles").map(String) as never,
    minSigners: Number(v.minSigners),
    requiredEvidence: form.getAll("requiredEvidence").map(String) as never,
    maxIssueSeverity: v.maxIssueSeverity as never,
  });
  if (result.ok) revalidatePath("/settings");
  return { ok: result.ok, message: result.ok ? "Policy saved." : result.message };
}

export async function addVendorKeyAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const file = await fileField(form, "pemFile");
  const result = await runAction(addVendorKey, { manufacturerId: v.manufacturerId ?? "", label: v.label ?? "", pem: file ? file.bytes.toString("utf8") : (v.pem ?? "") });
  if (result.ok) revalidatePath("/settings");
  return { ok: result.ok, message: result.ok ? "Key pinned. Packages signed with it now verify for this manufacturer." : result.message, values: result.ok ? undefined : v };
}

export async function retireVendorKeyAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(retireVendorKey, { keyId: v.keyId ?? "", reason: v.reason ?? "" });
  if (result.ok) revalidatePath("/settings");
  return { ok: result.ok, message: result.ok ? "Key retired. New packages signed with it are refused." : result.message };
}

export async function setUserUnitsAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(setUserUnits, { userId: v.userId ?? "", unitIds: form.getAll("unitIds").map(String) as never });
  if (result.ok) revalidatePath("/settings");
  return { ok: result.ok, message: result.ok ? "Units saved." : result.message };
}

export async function unlockSigningAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(unlockSigning, { userId: v.userId ?? "" });
  if (result.ok) revalidatePath("/settings");
  return { ok: result.ok, message: result.ok ? "Signing unlocked." : result.message };
}
