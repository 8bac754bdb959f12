import "server-only";

/**
 * Marks a route handler as deliberately public (it serves only public material, such as a public key).
 * The entry-point inventory test lists every use, so adding one is a visible decision.
 */
export function publicRoute(handler: () => Promise<Response>) {
  return async (): Promise<Response> => {
    try {
      return await handler();
    } catch (err) {
      console.error("[corridor] public route failed", err);
      return Response.json({ error: { code: "internal", message: "Something went wrong." } }, { status: 500 });
    }
  };
}
