import "server-only";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import { getDb } from "@/lib/server/runtime";
import type { Actor, Ctx } from "@/lib/services/actor";
import { resolveSession } from "@/lib/services/auth/sessions";
import { auth, sessionPolicy } from "./config";
import { authorize } from "@/lib/services/operation";
import { can, type Permission } from "./permissions";
import { originOf } from "./origin";

export type UserActor = Extract<Actor, { type: "user" }>;

/** The signed-in user for this request, re-checked against the database (once per request). */
export const currentUser = cache(async (): Promise<UserActor | null> => {
  const session = await auth();
  if (!session?.sid) return null;
  const actor = await resolveSession(await getDb(), session.sid, sessionPolicy);
  return actor?.type === "user" ? actor : null;
});

/** Service context for the current request: database, actor (or anonymous) and origin. */
export const requestCtx = cache(async (): Promise<Ctx> => {
  const [db, actor, h] = await Promise.all([getDb(), currentUser(), headers()]);
  return { db, actor, origin: originOf(h) };
});

/** For pages: a signed-in user, or a redirect to the login page. */
export async function requireUser(): Promise<UserActor> {
  const user = await currentUser();
  if (!user) redirect("/login");
  return user;
}

/**
 * For pages: a signed-in user holding `permission`. Anyone else is refused (and the refusal audited)
 * and sees the "not allowed" page.
 */
export async function requirePagePermission(permission: Permission, page: string): Promise<UserActor> {
  const user = await requireUser();
  if (!can(user.role, permission)) {
    await authorize(await requestCtx(), permission, `page ${page}`).catch(() => {});
    redirect("/forbidden");
  }
  return user;
}
