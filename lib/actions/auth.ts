"use server";

import { AuthError } from "next-auth";
import { headers } from "next/headers";
import { signIn, signOut } from "@/lib/auth/config";
import { originOf } from "@/lib/auth/origin";
import { currentUser } from "@/lib/auth/session";
import { getDb } from "@/lib/server/runtime";
import { endSession } from "@/lib/services/auth/sessions";

export type LoginState = { error?: string; username?: string };

// Signing in and out are the two actions that need no permission: they establish or end one.
export async function loginAction(_prev: LoginState, form: FormData): Promise<LoginState> {
  const username = String(form.get("username") ?? "").trim();
  const password = String(form.get("password") ?? "");
  if (!username || !password) return { error: "Enter your username and password.", username };
  try {
    await signIn("credentials", { username, password, redirectTo: "/" });
    return {};
  } catch (err) {
    // A successful signIn throws NEXT_REDIRECT, which must propagate.
    if (!(err instanceof AuthError)) throw err;
    const locked = (err as AuthError & { code?: string }).code === "locked";
    return {
      username,
      error: locked
        ? "Too many failed attempts from this computer. Wait 15 minutes, or ask an administrator."
        : "That username and password do not match an active account.",
    };
  }
}

export async function logoutAction(): Promise<void> {
  const user = await currentUser();
  if (user) await endSession(await getDb(), user, originOf(await headers()));
  await signOut({ redirectTo: "/login" });
}
