import { consoleRoute } from "@/lib/api/route";
import { auditCsvRows, startAuditExport } from "@/lib/services/audit/audit-trail";

// CSV export of the audit trail (AUD-08). The export is permission-checked and itself audited
// before the first byte is sent; rows are streamed page by page.
export const GET = consoleRoute(async (ctx, request) => {
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const filter = await startAuditExport(ctx, params);
  const rows = auditCsvRows(ctx.db, filter);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await rows.next();
      if (done) controller.close();
      else controller.enqueue(encoder.encode(value));
    },
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="corridor-audit-${stamp}.csv"`,
      "Cache-Control": "no-store",
    },
  });
});
