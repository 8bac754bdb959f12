import { consoleRoute } from "@/lib/api/route";
import { modelHealthSeries } from "@/lib/services/telemetry/charts";

// The model health chart's data for TanStack Query (/api/telemetry/model/<id>?days=7); the operation
// checks the permission and validates the id.
export const GET = consoleRoute(async (ctx, request) => {
  const url = new URL(request.url);
  const id = decodeURIComponent(url.pathname.split("/").at(-1) ?? "");
  const days = url.searchParams.get("days") ?? undefined;
  return Response.json(await modelHealthSeries(ctx, { modelId: id, days }), { headers: { "Cache-Control": "no-store" } });
});
