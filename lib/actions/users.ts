"use server";

import { revalidatePath } from "next/cache";
import { createUser, updateUser } from "@/lib/services/users/manage-users";
import { formValues, runAction, type ActionState } from "./run";

export async function createUserAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const { password, ...v } = formValues(form);
  const result = await runAction(createUser, {
    username: v.username ?? "",
    displayName: v.displayName ?? "",
    email: v.email ?? "",
    role: v.role as never,
    password: password ?? "",
  });
  if (result.ok) revalidatePath("/settings");
  // The password is never echoed back to the browser.
  return { ...result, data: undefined, values: result.ok ? {} : v, message: result.ok ? `Account "${v.username}" created.` : result.message };
}

export async function updateUserAction(_prev: ActionState, form: FormData): Promise<ActionState> {
  const v = formValues(form);
  const result = await runAction(updateUser, {
    userId: Number(v.userId),
    role: (v.role || undefined) as never,
    active: v.active === undefined ? undefined : v.active === "true",
  });
  if (result.ok) revalidatePath("/settings");
  return { ...result, data: undefined };
}
