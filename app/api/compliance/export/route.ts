import { consoleRoute } from "@/lib/api/route";
import { exportCompliance } from "@/lib/services/compliance/export";

// CSV export of the compliance figures: `?figure=<name>` for one table, nothing for all of them.
// Permission-checked and audited in the operation.
export const GET = consoleRoute(async (ctx, request) => {
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const { csv, now } = await exportCompliance(ctx, params);
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  const name = params.figure ? `corridor-compliance-${params.figure}-${stamp}.csv` : `corridor-compliance-${stamp}.csv`;
  return new Response(csv, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${name}"`,
      "Cache-Control": "no-store",
    },
  });
});
