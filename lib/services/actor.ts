import type { Db } from "@/db/client";
import type { Role } from "@/lib/domain";

/** Who is acting. Every service call names one; `null` means an anonymous caller. */
export type Actor =
  | { type: "user"; userId: number; username: string; name: string; role: Role; sessionId?: string }
  | { type: "device"; deviceId: number; name: string }
  | { type: "system"; name: string };

/** Where a request came from, recorded with every audit row (AUD-02). */
export type Origin = { ip?: string | null; userAgent?: string | null };

export type Ctx = { db: Db; actor: Actor | null; origin?: Origin };

export const systemActor = (name: string): Actor => ({ type: "system", name });

export function actorIdentity(actor: Actor | null): { type: string; id: string | null; name: string | null } {
  if (!actor) return { type: "anonymous", id: null, name: null };
  switch (actor.type) {
    case "user":
      return { type: "user", id: String(actor.userId), name: `${actor.name} (${actor.username})` };
    case "device":
      return { type: "device", id: String(actor.deviceId), name: actor.name };
    case "system":
      return { type: "system", id: null, name: actor.name };
  }
}
