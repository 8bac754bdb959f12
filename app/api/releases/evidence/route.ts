import fs from "node:fs";
import { Readable } from "node:stream";
import { consoleRoute } from "@/lib/api/route";
import { evidenceAttachment } from "@/lib/services/releases/queries";

// Downloads an evidence attachment for people who may read the release. Served as an attachment with
// a neutral type, so a crafted file cannot run in the console's origin.
export const GET = consoleRoute(async (ctx, request) => {
  const file = await evidenceAttachment(ctx, { evidenceId: new URL(request.url).searchParams.get("id") ?? "" });
  const stream = Readable.toWeb(fs.createReadStream(file.path)) as ReadableStream;
  return new Response(stream, {
    headers: {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(file.size),
      "Content-Disposition": `attachment; filename="${file.filename.replace(/[^\w.+-]/g, "_")}"`,
    },
  });
});
