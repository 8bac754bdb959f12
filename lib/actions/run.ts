import "server-only";
import { requestCtx } from "@/lib/auth/session";
import { ServiceError, ValidationError } from "@/lib/services/errors";
import type { Operation } from "@/lib/services/operation";

export type ActionState<T = unknown> = {
  ok: boolean;
  message?: string;
  fieldErrors?: Record<string, string[]>;
  data?: T;
  /** Echo of what the person typed, so React can restore the form after a failed submit. */
  values?: Record<string, string>;
};

/**
 * The one way a server action reaches the service layer. The operation itself checks permission
 * (server actions are public POST endpoints), validates and audits; this maps errors to messages.
 */
export async function runAction<In, Out>(op: Operation<In, Out>, input: In): Promise<ActionState<Out>> {
  const ctx = await requestCtx();
  try {
    return { ok: true, data: await op(ctx, input) };
  } catch (err) {
    if (err instanceof ServiceError) {
      return { ok: false, message: err.message, fieldErrors: err instanceof ValidationError ? err.fieldErrors : undefined };
    }
    console.error(`[corridor] ${op.operationName} failed`, err);
    return { ok: false, message: "Something went wrong and nothing was changed. Please try again, or tell your administrator." };
  }
}

export const formValues = (form: FormData) =>
  Object.fromEntries([...form.entries()].filter(([, v]) => typeof v === "string")) as Record<string, string>;
