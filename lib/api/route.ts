import "server-only";
import { requestCtx } from "@/lib/auth/session";
import type { Ctx } from "@/lib/services/actor";
import { ServiceError } from "@/lib/services/errors";

/**
 * Console route handlers go through here: the handler calls a permission-checked operation with the
 * request's context, and service errors become JSON with the right status. Unknown errors are hidden.
 */
export function consoleRoute(handler: (ctx: Ctx, request: Request) => Promise<Response>) {
  return async (request: Request): Promise<Response> => {
    try {
      return await handler(await requestCtx(), request);
    } catch (err) {
      if (err instanceof ServiceError) {
        return Response.json({ error: { code: err.code, message: err.message } }, { status: err.status });
      }
      console.error("[corridor] route failed", err);
      return Response.json({ error: { code: "internal", message: "Something went wrong." } }, { status: 500 });
    }
  };
}
