import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";

// The fleet's HTTP client: node:http with one keep-alive agent per scheme and a bounded socket pool,
// so thousands of devices share a few dozen connections. Requests look like SWUpdate's (JSON headers,
// `Authorization: TargetToken …`); hrefs from the server are used verbatim.

export type HttpResult = { status: number; body: string; error?: string };
export type DownloadResult = { status: number; size: number; sha256: string; sha1: string; error?: string };

const MAX_JSON_BYTES = 1024 * 1024;

export class FleetHttp {
  private agents: { http: http.Agent; https: https.Agent };
  private timeoutMs: number;
  readonly userAgent = "corridor-fleet/1.0 (libcurl-agent/1.0 compatible)";

  constructor(opts: { sockets: number; timeoutMs?: number }) {
    const common = { keepAlive: true, maxSockets: opts.sockets, maxFreeSockets: opts.sockets, scheduling: "lifo" as const };
    this.agents = { http: new http.Agent(common), https: new https.Agent(common) };
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private start(method: string, url: string, headers: Record<string, string>, onResponse: (res: http.IncomingMessage) => void, onError: (err: Error) => void) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      onError(new Error(`bad URL ${url}`));
      return null;
    }
    const secure = u.protocol === "https:";
    const req = (secure ? https : http).request(u, { method, headers, agent: secure ? this.agents.https : this.agents.http, timeout: this.timeoutMs }, onResponse);
    req.on("timeout", () => req.destroy(new Error(`timed out after ${this.timeoutMs} ms`)));
    req.on("error", onError);
    return req;
  }

  /** A JSON request. Network errors come back as status 0 with `error`; never throws. */
  request(method: string, url: string, opts: { token?: string; json?: unknown; accept?: string } = {}): Promise<HttpResult> {
    return new Promise((resolve) => {
      const body = opts.json === undefined ? undefined : Buffer.from(JSON.stringify(opts.json));
      const headers: Record<string, string> = {
        "User-Agent": this.userAgent,
        Accept: opts.accept ?? "application/json",
        "Content-Type": "application/json",
      };
      if (opts.token) headers.Authorization = `TargetToken ${opts.token}`;
      if (body) headers["Content-Length"] = String(body.length);
      let done = false;
      const finish = (r: HttpResult) => {
        if (!done) {
          done = true;
          resolve(r);
        }
      };
      const req = this.start(
        method,
        url,
        headers,
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (c: Buffer) => {
            size += c.length;
            if (size <= MAX_JSON_BYTES) chunks.push(c);
          });
          res.on("end", () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", (err) => finish({ status: 0, body: "", error: err.message }));
        },
        (err) => finish({ status: 0, body: "", error: err.message }),
      );
      if (!req) return;
      req.end(body);
    });
  }

  /** Streams a download through sha256 and sha1 without keeping it; never throws. */
  download(url: string, token: string, maxBytes: number): Promise<DownloadResult> {
    return new Promise((resolve) => {
      const sha256 = createHash("sha256");
      const sha1 = createHash("sha1");
      let size = 0;
      let done = false;
      const finish = (r: DownloadResult) => {
        if (!done) {
          done = true;
          resolve(r);
        }
      };
      const headers = { "User-Agent": this.userAgent, Accept: "application/octet-stream", Authorization: `TargetToken ${token}` };
      const req = this.start(
        "GET",
        url,
        headers,
        (res) => {
          const status = res.statusCode ?? 0;
          res.on("data", (c: Buffer) => {
            size += c.length;
            if (size > maxBytes) {
              res.destroy();
              finish({ status, size, sha256: "", sha1: "", error: `larger than the announced ${maxBytes} bytes` });
              return;
            }
            sha256.update(c);
            sha1.update(c);
          });
          res.on("end", () => finish({ status, size, sha256: sha256.digest("hex"), sha1: sha1.digest("hex") }));
          res.on("error", (err) => finish({ status, size, sha256: "", sha1: "", error: err.message }));
        },
        (err) => finish({ status: 0, size, sha256: "", sha1: "", error: err.message }),
      );
      req?.end();
    });
  }

  close() {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
