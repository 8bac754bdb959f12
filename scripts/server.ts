// Corridor's HTTP server: the device API (hawkBit DDI, /api/ddi/…) is served straight from node:http,
// everything else (console pages, server actions, console routes) by Next. Both share one process,
// one database handle and one service layer. The poll is the hottest path: it skips page routing.
//
//   tsx scripts/server.ts [--dev] [--port 3000]
import "./load-env";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";
import next from "next";
import { handleDdi, type DdiRequest } from "@/lib/api/ddi";
import { env } from "@/lib/env";
import { getDbHandle } from "@/lib/server/runtime";
import { ServiceError } from "@/lib/services/errors";

const { values } = parseArgs({ options: { dev: { type: "boolean", default: false }, port: { type: "string" }, hostname: { type: "string" } } });
const port = Number(values.port ?? process.env.PORT ?? 3000);
const hostname = values.hostname ?? process.env.HOSTNAME ?? "0.0.0.0";
const DDI_PREFIX = "/api/ddi/";

/** The client's address: the socket's, unless a trusted proxy in front forwarded the original. */
function clientIp(req: http.IncomingMessage): string | null {
  if (env.CORRIDOR_TRUST_PROXY) {
    const forwarded = String(req.headers["x-forwarded-for"] ?? "").split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  return req.socket.remoteAddress ?? null;
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new ServiceError("The request body is too large.", 413, "too_large"));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

async function serveDdi(req: http.IncomingMessage, res: http.ServerResponse, pathname: string) {
  const ddiReq: DdiRequest = {
    method: req.method ?? "GET",
    segments: pathname.slice(DDI_PREFIX.length).split("/").filter(Boolean).map((s) => decodeURIComponent(s)),
    authorization: req.headers.authorization ?? null,
    range: typeof req.headers.range === "string" ? req.headers.range : null,
    readBody: (limit) => readBody(req, limit),
    from: { ip: clientIp(req), userAgent: req.headers["user-agent"] ?? null },
    origin: env.CORRIDOR_PUBLIC_URL ?? `${env.CORRIDOR_TRUST_PROXY && req.headers["x-forwarded-proto"] === "https" ? "https" : "http"}://${req.headers.host ?? `localhost:${port}`}`,
  };
  const out = await handleDdi(ddiReq);
  res.writeHead(out.status, out.headers);
  if (out.body === undefined) return void res.end();
  if (typeof out.body === "string") return void res.end(out.body);
  const stream = fs.createReadStream(out.body.file, { start: out.body.start, end: out.body.end });
  stream.on("error", () => res.destroy());
  res.on("close", () => stream.destroy());
  stream.pipe(res);
}

const app = next({ dev: values.dev, dir: path.resolve(import.meta.dirname, ".."), hostname, port });
const handleNext = app.getRequestHandler();
await app.prepare();
await getDbHandle(); // open, migrate, seed before the first request

const server = http.createServer((req, res) => {
  const pathname = (req.url ?? "/").split("?")[0]!;
  if (pathname.startsWith(DDI_PREFIX)) {
    serveDdi(req, res, pathname).catch((err) => {
      console.error("[corridor] DDI transport failed", err);
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
      res.end();
    });
  } else {
    void handleNext(req, res);
  }
});
server.keepAliveTimeout = 65_000;
server.listen(port, hostname, () => console.log(`[corridor] ready on http://localhost:${port} (device API at /api/ddi)`));
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => server.close());
