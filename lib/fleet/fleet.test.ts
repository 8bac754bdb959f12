import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fleetToken } from "@/lib/services/ddi/fleet-token";
import { signManifest } from "@/lib/services/ddi/manifest";
import { runFleet } from "./fleet";
import { parseArgs, type FleetOptions } from "./options";
import { keyIdOf } from "./verify";

// The whole simulator against a small fake DDI server that speaks Corridor's wire format: one device
// per behaviour, checked by what the server received.

const SECRET = "fleet-test-secret-0123456789";
const DEVICES = ["HAPPY-1", "EXPIRED-1", "ROLLBACK-1", "SIGN-1", "TAMPER-1", "FAIL-1", "CANCEL-1", "INUSE-1"] as const;
const image = Buffer.alloc(70_000, 7);
const sha = (alg: string, b: Buffer) => createHash(alg).update(b).digest("hex");

function key() {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  return { privateKey: privateKey as KeyObject, publicKeyPem, keyId: keyIdOf(publicKeyPem) };
}
const serverKey = key();
const strangerKey = key();

type Received = { method: string; path: string; body: unknown };
type DeviceState = { actionId: number; state: "open" | "awaiting" | "closed" | "cancel"; configured: boolean };

function fakeServer() {
  const received = new Map<string, Received[]>(DEVICES.map((d) => [d, []]));
  const devices = new Map<string, DeviceState>(DEVICES.map((d, i) => [d, { actionId: 100 + i, state: d === "CANCEL-1" ? "cancel" : "open", configured: false }]));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url!, "http://x");
      const send = (status: number, body?: unknown, type = "application/hal+json") => {
        res.writeHead(status, { "Content-Type": type });
        res.end(body === undefined ? undefined : typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body));
      };
      if (url.pathname === "/api/ddi/manifest-key") return send(200, serverKey.publicKeyPem, "application/x-pem-file");
      const m = /^\/api\/ddi\/DEFAULT\/controller\/v1\/([^/]+)(?:\/(.*))?$/.exec(url.pathname);
      if (!m) return send(404, { error: "no route" });
      const id = decodeURIComponent(m[1]!);
      const rest = m[2] ?? "";
      const dev = devices.get(id);
      if (!dev || req.headers.authorization !== `TargetToken ${fleetToken(SECRET, id)}`) return send(401, { error: "unauthenticated" });
      const raw = Buffer.concat(chunks).toString("utf8");
      const body = raw ? JSON.parse(raw) : undefined;
      received.get(id)!.push({ method: req.method!, path: rest, body });
      const base = `http://${req.headers.host}/api/ddi/DEFAULT/controller/v1/${id}`;
      const a = dev.actionId;

      if (req.method === "GET" && rest === "") {
        const links: Record<string, { href: string }> = {};
        if (dev.state === "cancel") links.cancelAction = { href: `${base}/cancelAction/${a}` };
        else if (dev.state !== "closed") links.deploymentBase = { href: `${base}/deploymentBase/${a}?c=1` };
        if (!dev.configured) links.configData = { href: `${base}/configData` };
        return send(200, { config: { polling: { sleep: "00:00:01" } }, _links: links });
      }
      if (req.method === "PUT" && rest === "configData") {
        dev.configured = true;
        return send(200);
      }
      if (req.method === "GET" && rest === `deploymentBase/${a}`) {
        const href = `${base}/softwaremodules/9/artifacts/fw.swu`;
        return send(200, {
          id: String(a),
          deployment: {
            download: "forced", update: "forced",
            chunks: [{ part: "os", version: "2.0.0", name: "Model", artifacts: [{ filename: "fw.swu", hashes: { sha1: sha("sha1", image), md5: sha("md5", image), sha256: sha("sha256", image) }, size: image.length, _links: { download: { href }, "download-http": { href }, manifest: { href: `${base}/deploymentBase/${a}/manifest` } } }] }],
          },
          actionHistory: { status: "RUNNING", messages: [] },
        });
      }
      if (req.method === "GET" && rest === `deploymentBase/${a}/manifest`) {
        const now = Date.now();
        return send(200, signManifest(id === "SIGN-1" ? strangerKey : serverKey, {
          v: 1, controllerId: id, actionId: a,
          release: { version: "2.0.0", securityVersion: id === "ROLLBACK-1" ? 5 : 10 },
          artifact: { filename: "fw.swu", sha256: sha("sha256", image), size: image.length },
          issuedAt: new Date(now - 7_200_000).toISOString(),
          expiresAt: new Date(id === "EXPIRED-1" ? now - 3_600_000 : now + 3_600_000).toISOString(),
        }));
      }
      if (req.method === "GET" && rest === "softwaremodules/9/artifacts/fw.swu") {
        const bytes = id === "TAMPER-1" ? Buffer.concat([image.subarray(0, -1), Buffer.from([8])]) : image;
        res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": bytes.length });
        return res.end(bytes);
      }
      if (req.method === "POST" && rest === `deploymentBase/${a}/feedback`) {
        const s = (body as { status: { execution: string; details: string[] } }).status;
        if (s.execution === "closed") dev.state = "closed";
        else if (s.details.includes("All Chunks Installed.")) dev.state = "awaiting";
        return send(200);
      }
      if (req.method === "GET" && rest === `cancelAction/${a}`) return send(200, { id: String(a), cancelAction: { stopId: String(a) } });
      if (req.method === "POST" && rest === `cancelAction/${a}/feedback`) {
        dev.state = "closed";
        return send(200);
      }
      if (req.method === "POST" && rest === "telemetry") {
        const samples = (body as { samples: Record<string, unknown>[] }).samples;
        return send(200, { accepted: samples.length, rejected: [] });
      }
      return send(404, { error: "no route" });
    });
  });
  return { server, received, devices };
}

let fake: ReturnType<typeof fakeServer>;
let url: string;
let dir: string;

beforeAll(async () => {
  fake = fakeServer();
  await new Promise<void>((r) => fake.server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-test-"));
  fs.writeFileSync(
    path.join(dir, "controllers.csv"),
    ["controllerId,firmwareVersion,securityVersion,hardwareRevision", ...DEVICES.map((d) => `${d},1.0.0,${d === "ROLLBACK-1" ? 7 : 3},A`)].join("\n"),
  );
});

afterAll(async () => {
  await new Promise((r) => fake.server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

const options = (extra: string[] = []) =>
  parseArgs(
    ["--url", url, "--controllers", path.join(dir, "controllers.csv"), "--duration", "4", "--time-scale", "0.0001", "--initial-poll", "1", "--ramp", "0",
      "--sample-every", "1", "--telemetry-every", "1", "--fail", "0,FAIL=1", "--in-use", "0,INUSE=1", "--status-every", "1", ...extra],
    { CORRIDOR_FLEET_SECRET: SECRET },
  ) as FleetOptions;

describe("simulated fleet against a DDI server", () => {
  it("installs, confirms, refuses, fails, acknowledges cancels, defers while in use, and reports telemetry", async () => {
    const lines: string[] = [];
    const result = await runFleet(options(), { log: (l) => lines.push(l), error: (l) => lines.push(`ERROR ${l}`) });
    expect(result.exitCode).toBe(0);
    const feedback = (id: string) =>
      fake.received.get(id)!.filter((r) => r.method === "POST" && r.path.endsWith("/feedback")).map((r) => r.body as { id: number; status: { execution: string; result: { finished: string }; details: string[] } });
    const details = (id: string) => feedback(id).map((f) => `${f.status.execution}/${f.status.result.finished}: ${f.status.details.join(" | ")}`);

    // Happy path, byte for byte in SWUpdate's order, ending with the post-reboot confirmation.
    expect(details("HAPPY-1")).toEqual([
      "proceeding/none: Installing Update Chunk Artifacts.",
      "proceeding/none: [install_single_image] : Installing fw.swu (70000 bytes) for Medical device HAPPY",
      "proceeding/none: Installed Chunk.",
      "proceeding/none: All Chunks Installed.",
      "closed/success: Update Installed.",
    ]);
    expect(feedback("HAPPY-1")[0]!.id).toBe(100);
    // The configData PUT comes first and carries the device's attributes.
    const put = fake.received.get("HAPPY-1")!.find((r) => r.method === "PUT")!;
    expect(put.body).toMatchObject({ status: { execution: "closed" }, data: { swVersion: "1.0.0", hwRevision: "A", clinicalUse: "idle" } });

    // Refusals: one closed/failure with the reason, before any download (no "Installing…" feedback).
    expect(details("EXPIRED-1")).toEqual(["closed/failure: ERROR : Update refused: manifest expired"]);
    expect(details("ROLLBACK-1")).toEqual(["closed/failure: ERROR : Update refused: rollback refused: security version below the installed one"]);
    expect(details("SIGN-1")).toEqual(["closed/failure: ERROR : Update refused: manifest signature invalid"]);
    for (const id of ["EXPIRED-1", "ROLLBACK-1", "SIGN-1"]) expect(fake.received.get(id)!.some((r) => r.path.includes("artifacts"))).toBe(false);
    // Tampered bytes: detected after the download.
    expect(details("TAMPER-1")).toEqual(["proceeding/none: Installing Update Chunk Artifacts.", expect.stringMatching(/^closed\/failure: ERROR : Update refused: HASH mismatch/)]);
    // Simulated install failure: the model's error line, then SWUpdate's closing message.
    expect(details("FAIL-1").at(-1)).toMatch(/^closed\/failure: ERROR : .+ \| No suitable \.swu image found$/);
    // Cancel: acknowledged to <href>/feedback with the stop id.
    const cancel = fake.received.get("CANCEL-1")!.find((r) => r.method === "POST" && r.path.startsWith("cancelAction"))!;
    expect(cancel.path).toBe("cancelAction/106/feedback");
    expect(cancel.body).toMatchObject({ id: 106, status: { execution: "closed", result: { finished: "success" }, details: ["cancellation acknowledged."] } });
    // In clinical use: never starts an install.
    expect(feedback("INUSE-1")).toEqual([]);

    // Telemetry from every device, with its clinical-use state and (after the update) the new version.
    for (const id of DEVICES) {
      const samples = fake.received.get(id)!.filter((r) => r.path === "telemetry").flatMap((r) => (r.body as { samples: Record<string, unknown>[] }).samples);
      expect(samples.length, id).toBeGreaterThan(1);
      expect(samples.every((s) => s.inClinicalUse === (id === "INUSE-1")), id).toBe(true);
    }
    const happySamples = fake.received.get("HAPPY-1")!.filter((r) => r.path === "telemetry").flatMap((r) => (r.body as { samples: { firmwareVersion: string; reboots: number }[] }).samples);
    expect(happySamples.at(-1)!.firmwareVersion).toBe("2.0.0");
    expect(happySamples.reduce((n, s) => n + s.reboots, 0)).toBeGreaterThanOrEqual(1);

    const c = result.counters;
    expect(c).toMatchObject({ confirmed: 1, installsDone: 1, installFailures: 1, refusals: 4, cancels: 1, authFailures: 0, configPuts: 8, feedbackErrors: 0 });
    expect(c.refusalsByKind).toEqual({ expired: 1, rollback: 1, signature: 1, hash: 1 });
    expect(c.deferredInUse).toBeGreaterThan(0);
    expect(c.samplesAccepted).toBe(c.samplesSent);
    expect(lines.some((l) => /^8 devices, 1 in use \| polls [\d.]+\/s/.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith("ERROR"))).toEqual([]);
  }, 20_000);

  it("stops with a clear message when the server refuses every token", async () => {
    const errors: string[] = [];
    const t0 = Date.now();
    const result = await runFleet({ ...options(), secret: "another-secret-0123456789", durationS: 30 }, { log: () => {}, error: (l) => errors.push(l) });
    expect(result.exitCode).toBe(3);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(errors.join("\n")).toMatch(/refuses the fleet's tokens.*CORRIDOR_FLEET_SECRET/s);
  }, 20_000);
});
