import net from "node:net";

// A small HTTP-aware TCP proxy between swupdate and the Corridor server. It forwards bytes unchanged
// and records every request (method, path, headers) with its response status, headers and payload
// size. It can interfere with the body of the FIRST artifact download
// (GET …/softwaremodules/{id}/artifacts/{file}):
//   cut:     deliver `afterBytes` payload bytes, then close the device's connection (as a dropped
//            network link would), so the device has to resume;
//   trickle: deliver `afterBytes` at full speed, then `bytesPerTick` every `tickMs` (a very slow
//            network), so the download is certainly still running while the test acts.
// curl never pipelines requests, so every byte coming back from the server belongs to the newest
// request on that connection. Chunked responses are decoded for counting, so byte counts are payload
// bytes (what a Range header refers to), whatever the framing.

export type Interference =
  | { mode: "none" }
  | { mode: "cut"; afterBytes: number }
  | { mode: "trickle"; afterBytes: number; bytesPerTick: number; tickMs: number };

export type ProxiedRequest = {
  seq: number;
  conn: number;
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  status?: number;
  responseHeaders?: Record<string, string>;
  /** Response payload bytes delivered to the device (chunk framing not counted). */
  bodyBytes: number;
  interfered?: "cut" | "trickle";
  /** The device closed the connection while a trickled response was still incomplete. */
  clientClosedEarly?: boolean;
};

export const isArtifactPath = (p: string) => /\/softwaremodules\/\d+\/artifacts\/[^/?]+/.test(p);

function parseHead(text: string): { first: string; headers: Record<string, string> } {
  const [first = "", ...lines] = text.split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(":");
    if (i > 0) {
      const k = line.slice(0, i).trim().toLowerCase();
      const v = line.slice(i + 1).trim();
      headers[k] = headers[k] ? `${headers[k]}, ${v}` : v;
    }
  }
  return { first, headers };
}

/** Counts payload bytes of a response body, identity or chunked. */
class BodyMeter {
  payload = 0;
  private readonly chunked: boolean;
  private readonly length: number;
  private phase: "size" | "data" | "crlf" | "end" = "size";
  private left = 0;
  private line = "";

  constructor(headers: Record<string, string>) {
    this.chunked = /chunked/i.test(headers["transfer-encoding"] ?? "");
    this.length = Number(headers["content-length"] ?? Infinity);
  }

  get complete(): boolean {
    return this.chunked ? this.phase === "end" : this.payload >= this.length;
  }

  /** Consumes raw bytes until at most `limit` payload bytes have been seen in total; returns the raw bytes consumed. */
  consume(buf: Buffer, limit = Infinity): number {
    if (!this.chunked) {
      const n = Math.max(0, Math.min(buf.length, limit - this.payload));
      this.payload += n;
      return n;
    }
    let i = 0;
    while (i < buf.length) {
      if (this.phase === "size") {
        const nl = buf.indexOf(0x0a, i);
        if (nl < 0) {
          this.line += buf.toString("latin1", i);
          return buf.length;
        }
        this.line += buf.toString("latin1", i, nl);
        i = nl + 1;
        const size = parseInt(this.line.trim().split(";")[0] ?? "", 16);
        this.line = "";
        if (!size) this.phase = "end";
        else {
          this.phase = "data";
          this.left = size;
        }
      } else if (this.phase === "data") {
        if (this.payload >= limit) return i;
        const n = Math.min(this.left, buf.length - i, limit - this.payload);
        this.payload += n;
        this.left -= n;
        i += n;
        if (this.left === 0) {
          this.phase = "crlf";
          this.left = 2;
        }
      } else if (this.phase === "crlf") {
        const n = Math.min(this.left, buf.length - i);
        this.left -= n;
        i += n;
        if (this.left === 0) this.phase = "size";
      } else {
        return buf.length; // trailer after the last chunk
      }
    }
    return i;
  }
}

export class HttpTap {
  readonly requests: ProxiedRequest[] = [];
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  private timers = new Set<NodeJS.Timeout>();
  private interfered = false;
  private seq = 0;
  private conns = 0;
  port = 0;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly interference: Interference,
  ) {
    this.server = net.createServer((client) => this.handle(client));
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  find(method: string, pathTest: (p: string) => boolean): ProxiedRequest[] {
    return this.requests.filter((r) => r.method === method && pathTest(r.path));
  }

  artifactGets(): ProxiedRequest[] {
    return this.find("GET", isArtifactPath);
  }

  /** A readable transcript for failure messages. */
  transcript(): string {
    return this.requests
      .map((r) => {
        const rh = r.responseHeaders ?? {};
        const framing = rh["content-length"] ? `Content-Length ${rh["content-length"]}` : rh["transfer-encoding"] ? `Transfer-Encoding ${rh["transfer-encoding"]}` : "no length";
        const range = rh["content-range"] ? `, Content-Range ${rh["content-range"]}` : "";
        const flags = `${r.interfered ? `, ${r.interfered}` : ""}${r.clientClosedEarly ? ", device closed early" : ""}`;
        return `#${r.seq} c${r.conn} ${r.method} ${r.path}${r.headers.range ? ` [Range: ${r.headers.range}]` : ""} -> ${r.status ?? "…"} (${framing}${range}; ${r.bodyBytes} B${flags})`;
      })
      .join("\n");
  }

  private handle(client: net.Socket) {
    const conn = ++this.conns;
    const upstream = net.connect(this.target.port, this.target.host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    let current: ProxiedRequest | undefined; // newest request on this connection
    let meter: BodyMeter | undefined; // its response body, once the head is through
    let reqBuf = Buffer.alloc(0);
    let reqBodyLeft = 0;
    let resHead = Buffer.alloc(0); // response head bytes while still incomplete
    let mode: "forward" | "cut" | "trickle" = "forward";
    const queue: Buffer[] = [];
    let drip: NodeJS.Timeout | undefined;

    const stopDrip = () => {
      if (drip) {
        clearInterval(drip);
        this.timers.delete(drip);
        drip = undefined;
      }
    };
    const finish = () => {
      stopDrip();
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };

    client.on("data", (chunk: Buffer) => {
      upstream.write(chunk);
      // Request boundaries: head up to CRLFCRLF, then Content-Length body bytes (curl sends no chunked requests).
      reqBuf = Buffer.concat([reqBuf, chunk]);
      for (;;) {
        if (reqBodyLeft > 0) {
          const n = Math.min(reqBodyLeft, reqBuf.length);
          reqBodyLeft -= n;
          reqBuf = reqBuf.subarray(n);
          if (reqBodyLeft > 0) break;
        }
        const end = reqBuf.indexOf("\r\n\r\n");
        if (end < 0) break;
        const { first, headers } = parseHead(reqBuf.subarray(0, end).toString("latin1"));
        reqBuf = reqBuf.subarray(end + 4);
        reqBodyLeft = Number(headers["content-length"] ?? 0);
        const [method = "", target = ""] = first.split(" ");
        current = { seq: ++this.seq, conn, at: Date.now(), method, path: target, headers, bodyBytes: 0 };
        this.requests.push(current);
        meter = undefined;
        resHead = Buffer.alloc(0);
      }
    });

    const startDrip = (r: ProxiedRequest, m: BodyMeter, bytesPerTick: number, tickMs: number) => {
      drip = setInterval(() => {
        let budget = bytesPerTick;
        while (budget > 0 && queue.length) {
          const head = queue[0]!;
          const part = head.subarray(0, budget);
          client.write(part);
          m.consume(part);
          r.bodyBytes = m.payload;
          budget -= part.length;
          if (part.length === head.length) queue.shift();
          else queue[0] = head.subarray(part.length);
        }
        if (m.complete && !queue.length) {
          // The whole response went through, slowly: back to normal forwarding.
          stopDrip();
          mode = "forward";
        }
        if (!queue.length) {
          if (upstream.destroyed) client.end();
          else upstream.resume();
        }
      }, tickMs);
      this.timers.add(drip);
    };

    const deliverBody = (r: ProxiedRequest, m: BodyMeter, body: Buffer) => {
      if (mode === "trickle") {
        queue.push(body);
        upstream.pause();
        return;
      }
      const rule = this.interference;
      if (rule.mode === "none" || this.interfered || r.method !== "GET" || !isArtifactPath(r.path) || r.status !== 200) {
        client.write(body);
        m.consume(body);
        r.bodyBytes = m.payload;
        return;
      }
      // The first artifact download: deliver `afterBytes` payload bytes, then interfere.
      const used = m.consume(body, rule.afterBytes);
      client.write(body.subarray(0, used));
      r.bodyBytes = m.payload;
      if (m.payload < rule.afterBytes) return;
      this.interfered = true;
      r.interfered = rule.mode;
      mode = rule.mode;
      if (rule.mode === "cut") {
        // A dropped link: what was sent reaches the device, then its connection ends.
        upstream.destroy();
        client.end();
        return;
      }
      if (used < body.length) queue.push(body.subarray(used));
      upstream.pause();
      startDrip(r, m, rule.bytesPerTick, rule.tickMs);
    };

    upstream.on("data", (chunk: Buffer) => {
      if (mode === "cut") return;
      const r = current;
      if (!r) {
        client.write(chunk);
        return;
      }
      if (meter) return deliverBody(r, meter, chunk);
      // Still reading the response head (interim 1xx responses such as 100 Continue are passed on).
      let buf = Buffer.concat([resHead, chunk]);
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) {
          resHead = buf;
          return;
        }
        const headBytes = buf.subarray(0, end + 4);
        const { first, headers } = parseHead(headBytes.subarray(0, end).toString("latin1"));
        const status = Number(first.split(" ")[1]);
        client.write(headBytes);
        buf = buf.subarray(end + 4);
        if (status >= 100 && status < 200) continue;
        r.status = status;
        r.responseHeaders = headers;
        meter = new BodyMeter(r.method === "HEAD" ? { "content-length": "0" } : headers);
        resHead = Buffer.alloc(0);
        if (buf.length) deliverBody(r, meter, buf);
        return;
      }
    });

    client.on("close", () => {
      if (current && mode === "trickle") current.clientClosedEarly = true;
      finish();
    });
    upstream.on("close", () => {
      if (mode === "trickle" && queue.length) return; // the drip still has buffered bytes to deliver
      if (mode !== "cut") client.end();
    });
    client.on("error", () => finish());
    upstream.on("error", () => finish());
  }
}
