import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { and, asc, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openDb, type DbHandle } from "@/db/client";
import {
  actionFeedback, artifacts, auditEvents, deploymentActions, deviceModels, deviceReports, devices, manufacturers, quarantinedPackages, releases, sites, units, users,
} from "@/db/schema";
import { governedRelease, type Signer } from "@/db/seed/governed-release";
import { hashPassword } from "@/lib/auth/password";
import type { ActionState, Role } from "@/lib/domain";
import { systemActor, type Ctx } from "@/lib/services/actor";
import { artifactPath } from "@/lib/services/artifacts/store";
import { assignRelease, cancelAction } from "@/lib/services/deployments/actions";
import { provisionDeviceToken } from "@/lib/services/deployments/credentials";
import { setWindows } from "@/lib/services/deployments/windows";
import { createRelease } from "@/lib/services/releases/intake";
import { addVendorKey } from "@/lib/services/releases/vendor-keys";
import {
  buildSwu, createDatabase, forgeSwu, makeSigner, ROOT, run, sleep, startServer, startSwupdate, tail, waitFor,
  type Forgery, type KeyPair, type Server, type SwupdateOptions, type SwupdateRun,
} from "./harness";
import { HttpTap } from "./proxy";

// Real SWUpdate interop (issue: "a test installs Debian's swupdate when missing, builds a CMS-signed
// .swu …"). The unmodified Debian `swupdate` daemon talks hawkBit DDI to the production Corridor
// server; the test drives the server through its service operations and checks the truth on both
// sides: the database (action state, feedback, audit trail) and the device's file system.
// Design notes and the deterministic cancel are described in test/interop/README.md.

const PORT = Number(process.env.INTEROP_PORT ?? 3220);
const ADMIN_DB_URL = process.env.TEST_DATABASE_URL || "postgres://root@127.0.0.1:5432/test";
const APP_DIR = process.env.INTEROP_APP_DIR ? path.resolve(process.env.INTEROP_APP_DIR) : ROOT;
const BOARD = "corridor-interop-board";
const HW_REV = "1.0";
const START_VERSION = "1.0.0";

let work: string;
let artifactDir: string;
let dropDb: (() => Promise<void>) | undefined;
let handle: DbHandle | undefined;
let server: Server | undefined;
let ctx: Ctx;
let place: { unitId: number; modelId: number };
let signer: KeyPair;
let rogue: KeyPair;
/** The people release governance needs: an administrator who pins the key and submits, a reviewer, two approvers. */
let people: { admin: Ctx & { username: string; userId: number }; reviewer: Ctx; approvers: Signer[] };
const PASSWORD = `interop-${randomBytes(12).toString("base64url")}`;
let anyFailed = false;
const running = new Set<SwupdateRun>();
const taps = new Set<HttpTap>();
const tracked: { device: Device; actionId: number }[] = [];

const db = () => handle!.db;

beforeAll(async () => {
  anyFailed = true; // until the set-up has finished: keep the logs of a failed start
  // "installs Debian's swupdate when missing" (a no-op when the packages are there).
  run("bash", [path.join(ROOT, "scripts", "ensure-debian-packages.sh"), "swupdate", "cpio"]);

  work = fs.mkdtempSync(path.join(os.tmpdir(), "corridor-interop-"));
  artifactDir = path.join(work, "artifacts");
  const created = await createDatabase(ADMIN_DB_URL, "corridor_interop");
  dropDb = created.drop;
  handle = await openDb({ url: created.url, dataDir: "" }); // applies the migrations
  ctx = { db: db(), actor: systemActor("interop-test"), origin: {} };

  const tag = randomBytes(3).toString("hex");
  const [site] = await db().insert(sites).values({ code: `IOP${tag}`.toUpperCase(), name: `Interop lab ${tag}`, timeZone: "UTC" }).returning();
  const [unit] = await db().insert(units).values({ siteId: site!.id, name: "Interop bench", kind: "lab", timeZone: "UTC" }).returning();
  const [maker] = await db().insert(manufacturers).values({ name: `Interop maker ${tag}` }).returning();
  const [model] = await db()
    .insert(deviceModels)
    .values({ manufacturerId: maker!.id, name: "Interop pump", deviceType: "Infusion pump", deviceClass: "II", criticality: "life_supporting", updateMinutes: 10 })
    .returning();
  place = { unitId: unit!.id, modelId: model!.id };
  // Always open, so only the clinical-use report gates the offer.
  await setWindows(ctx, { unitId: unit!.id, windows: [{ rrule: "FREQ=DAILY", startsAt: "00:00", durationMinutes: 1440 }] });

  // Names of equal length: images re-signed by the rogue have the size of the signer's (see forgeSwu).
  signer = makeSigner(path.join(work, "keys"), "corridor-interop-signer");
  rogue = makeSigner(path.join(work, "keys"), "corridor-interop-forger");

  const hash = await hashPassword(PASSWORD);
  const person = async (role: Role, label: string): Promise<Ctx & { username: string; userId: number }> => {
    const username = `interop-${label}-${tag}`;
    const [u] = await db().insert(users).values({ username, displayName: `Interop ${label}`, role, passwordHash: hash }).returning();
    return { db: db(), actor: { type: "user", userId: u!.id, username, name: u!.displayName, role }, origin: {}, username, userId: u!.id };
  };
  const admin = await person("admin", "admin");
  const reviewer = await person("biomed", "reviewer");
  // The default policy for a life-supporting model's routine release: two people other than the
  // submitter, one of them from biomedical engineering.
  const approvers = [{ ctx: await person("biomed", "approver-biomed"), password: PASSWORD }, { ctx: await person("security", "approver-security"), password: PASSWORD }];
  people = { admin, reviewer, approvers };
  // The manufacturer's signing certificate, pinned by the administrator (UPD-01). The rogue's is not.
  await addVendorKey(admin, { manufacturerId: maker!.id, label: "Interop signer", pem: fs.readFileSync(signer.cert, "utf8") });

  server = await startServer({
    appDir: APP_DIR,
    port: PORT,
    logFile: path.join(work, "server.log"),
    timeoutMs: 60_000,
    env: {
      DATABASE_URL: created.url,
      CORRIDOR_DEMO: "0",
      CORRIDOR_ARTIFACT_DIR: artifactDir,
      DDI_POLL_SECONDS: "1",
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      AUTH_TRUST_HOST: "true",
      // Links must come from the address each device used (no fixed public URL, no trusted proxy).
      CORRIDOR_PUBLIC_URL: "",
      CORRIDOR_TRUST_PROXY: "0",
    },
  });
  anyFailed = false;
}, 150_000);

afterEach(async (testCtx) => {
  if (testCtx.task.result?.state === "fail") anyFailed = true;
  for (const r of running) await r.stop().catch((err) => console.error(err));
  running.clear();
  for (const t of taps) await t.close();
  taps.clear();
  for (const { device, actionId } of tracked) await saveFeedback(device, actionId).catch(() => {});
  tracked.length = 0;
});

afterAll(async () => {
  for (const r of running) await r.stop().catch(() => {});
  await server?.stop().catch((err) => console.error("[interop] stopping the server:", err));
  await handle?.close().catch(() => {});
  await dropDb?.().catch((err) => console.error("[interop] dropping the database:", err));
  if (work) {
    if (anyFailed || process.env.INTEROP_KEEP) console.log(`[interop] logs and images kept in ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}, 60_000);

// ------------------------------------------------------------------------------------------------
// Per-scenario helpers

type Device = {
  id: number;
  serial: string;
  token: string;
  dir: string;
  rawTarget: string; // pre-existing file the `raw` handler writes into
  rawOriginal: Buffer;
  fileTarget: string; // file the `rawfile` handler creates
  marker: string; // touched by the post-update ("reboot") hook
};

/** A device of its own (own token, own target files), so scenarios never influence each other. */
async function newDevice(label: string): Promise<Device> {
  const serial = `IOP-${label}-${randomBytes(3).toString("hex")}`.toUpperCase();
  const [row] = await db()
    .insert(devices)
    .values({
      serial,
      udi: `(01)09999999999999(21)${serial}`,
      modelId: place.modelId,
      unitId: place.unitId,
      hardwareRevision: HW_REV,
      firmwareVersion: START_VERSION,
      securityVersion: 1,
      network: "ethernet",
      status: "active",
    })
    .returning();
  const { token } = await provisionDeviceToken(ctx, { deviceId: row!.id });
  const dir = path.join(work, "devices", label);
  fs.mkdirSync(path.join(dir, "target"), { recursive: true });
  const rawTarget = path.join(dir, "target", "raw-target.img");
  const rawOriginal = randomBytes(64 * 1024);
  fs.writeFileSync(rawTarget, rawOriginal);
  return { id: row!.id, serial, token, dir, rawTarget, rawOriginal, fileTarget: path.join(dir, "target", "installed", "payload.txt"), marker: path.join(dir, "rebooted.marker") };
}

type ImageOptions = { version: string; signer?: KeyPair; hardware?: string[]; rawPayload?: Buffer; tamper?: boolean };

/** A CMS-signed .swu for `device` (its own target files). */
function imageFor(device: Device, opts: ImageOptions) {
  const rawPayload = opts.rawPayload ?? randomBytes(device.rawOriginal.length);
  const filePayload = `Corridor interop ${opts.version} for ${device.serial}\n`;
  const swu = buildSwu({
    dir: path.join(work, "images"),
    name: `${device.serial}-${opts.version}`,
    version: opts.version,
    signer: opts.signer ?? signer,
    hardware: opts.hardware ?? [HW_REV],
    rawPayload,
    rawTarget: device.rawTarget,
    filePayload,
    fileTarget: device.fileTarget,
    tamperAfterSigning: opts.tamper,
  });
  return { swu, rawPayload, filePayload };
}

/**
 * Builds a genuine image for `device`, takes it through release governance with the real services
 * (signer's certificate pinned, intake verification into the server's artifact store, SBOM, review,
 * evidence, two approvals) and assigns the approved release.
 */
async function publishAndAssign(device: Device, opts: { version: string; rawPayload?: Buffer }) {
  const { swu, rawPayload, filePayload } = imageFor(device, opts);
  const bytes = fs.readFileSync(swu);
  const release = await governedRelease({
    admin: people.admin,
    submitter: people.admin,
    reviewer: people.reviewer,
    approvers: people.approvers,
    modelId: place.modelId,
    version: opts.version,
    securityVersion: 2,
    hardwareRevisions: [HW_REV],
    bytes,
    filename: `corridor-${opts.version}.swu`,
    vendorKeyPem: fs.readFileSync(signer.cert, "utf8"),
    artifactDir,
  });
  expect(release.state).toBe("approved");
  const file = { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
  const action = await assignRelease(ctx, { deviceId: device.id, releaseId: release.id });
  expect(action.state).toBe("scheduled");
  tracked.push({ device, actionId: action.id });
  return { action, release, file, rawPayload, filePayload, swu };
}

function swupdate(device: Device, opts: { run: string; url?: string; swVersion?: string; suricattaArgs?: string; publicKey?: string }): SwupdateRun {
  const o: SwupdateOptions = {
    workDir: path.join(device.dir, opts.run),
    serverUrl: opts.url ?? `${server!.url}/api/ddi`,
    controllerId: device.serial,
    token: device.token,
    publicKey: opts.publicKey ?? signer.cert,
    postUpdateMarker: device.marker,
    board: BOARD,
    hwRevision: HW_REV,
    // clinicalUse=idle is the device's "not in clinical use" report (ROL-02): without it nothing is offered.
    identify: { clinicalUse: "idle", swVersion: opts.swVersion ?? START_VERSION },
    suricattaArgs: opts.suricattaArgs,
  };
  const r = startSwupdate(o);
  running.add(r);
  return r;
}

async function stopSwupdate(r: SwupdateRun) {
  await r.stop();
  running.delete(r);
}

const actionRow = async (id: number) => (await db().select().from(deploymentActions).where(eq(deploymentActions.id, id)))[0]!;
const feedbackOf = (id: number) => db().select().from(actionFeedback).where(eq(actionFeedback.actionId, id)).orderBy(asc(actionFeedback.id));
const stateChanges = (id: number) =>
  db()
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, "deployment.state_changed"), eq(auditEvents.entityType, "deployment_action"), eq(auditEvents.entityId, String(id))))
    .orderBy(asc(auditEvents.seq));

const FINISHED: ActionState[] = ["succeeded", "failed", "canceled", "rolled_back"];

/** Everything useful when a scenario goes wrong: device log, proxy transcript, feedback, server log. */
async function diagnostics(actionId: number, r?: SwupdateRun, tap?: HttpTap): Promise<string> {
  const fb = await feedbackOf(actionId).catch(() => []);
  return [
    `action ${actionId}: ${JSON.stringify(await actionRow(actionId).catch(() => null))}`,
    `feedback:\n${fb.map((f) => `  ${f.kind} ${f.execution}/${f.finished} ${JSON.stringify(f.details).slice(0, 400)}`).join("\n")}`,
    r ? `swupdate (${r.exited() ?? "running"}) log tail:\n${tail(r.log, 40)}` : "",
    tap ? `proxy transcript:\n${tap.transcript()}` : "",
    `server (${server!.exited() ?? "running"}) log tail:\n${tail(server!.log, 20)}`,
  ].join("\n");
}

/** Keeps the server's view of an action next to the device's logs (kept with INTEROP_KEEP=1 or on failure). */
async function saveFeedback(device: Device, actionId: number) {
  const fb = await feedbackOf(actionId);
  fs.writeFileSync(path.join(device.dir, `action-${actionId}.json`), JSON.stringify({ action: await actionRow(actionId), feedback: fb }, null, 2));
}

/** Waits until the action is in one of `want`; fails at once if it finishes in any other state. */
async function waitForState(actionId: number, want: ActionState[], timeoutMs: number, r?: SwupdateRun, tap?: HttpTap): Promise<ActionState> {
  let last: ActionState | undefined;
  try {
    return await waitFor(`action ${actionId} to reach ${want.join("/")}`, timeoutMs, async () => {
      last = (await actionRow(actionId)).state;
      if (want.includes(last)) return last;
      if (FINISHED.includes(last)) throw new Error(`action ${actionId} ended as ${last}, expected ${want.join("/")}`);
      if (r?.exited()) throw new Error(r.exited()!);
      if (server?.exited()) throw new Error(server.exited()!);
      if (tap && last !== "scheduled" && tap.find("GET", (p) => p.includes("/deploymentBase/")).length === 0) {
        throw new Error("the device works on the action but fetched its deployment without going through the address it was configured with: the server's links point elsewhere (see the DDI links test)");
      }
      return undefined;
    });
  } catch (err) {
    throw new Error(`${(err as Error).message} (last state: ${last})\n${await diagnostics(actionId, r, tap)}`);
  }
}

const allDetails = (fb: Awaited<ReturnType<typeof feedbackOf>>) => fb.flatMap((f) => f.details);

/** The device was not changed: the raw target still holds its original bytes, nothing else was written. */
function expectUntouched(device: Device) {
  expect(fs.readFileSync(device.rawTarget).equals(device.rawOriginal), "raw target must keep its original bytes").toBe(true);
  expect(fs.existsSync(device.fileTarget), "rawfile target must not have been created").toBe(false);
  expect(fs.existsSync(device.marker), "the post-update (reboot) hook must not have run").toBe(false);
}

/**
 * Publishes a genuine image through governance and assigns it, then overwrites the stored artifact with
 * `forgery` of it, as an attacker with write access to the artifact store would; the device must refuse
 * what it downloads. The package itself fails SWUpdate's own check (`packageCheck`: payload hash,
 * signature or hardware). A second defence may fire too, depending on which finishes first: the download
 * does not match the SHA-1 that deploymentBase announced for the approved file (suricatta's check); when
 * the installer refuses first, it aborts the download before that check is reached.
 */
async function expectSubstitutionRefused(label: string, version: string, forgery: Forgery, packageCheck: RegExp) {
  const downloadCheck = /Checksum does not match/;
  const reason = new RegExp(`${downloadCheck.source}|${packageCheck.source}`);
  const device = await newDevice(label);
  const { action, file, swu } = await publishAndAssign(device, { version });
  const forged = forgeSwu(swu, forgery, label);
  const stored = artifactPath(artifactDir, file.sha256);
  expect(fs.statSync(stored).size).toBe(file.size);
  fs.writeFileSync(stored, fs.readFileSync(forged));
  expect(createHash("sha256").update(fs.readFileSync(stored)).digest("hex")).not.toBe(file.sha256);
  const r = swupdate(device, { run: "run1" });
  await waitForState(action.id, ["failed"], 40_000, r);
  const row = await actionRow(action.id);
  const fb = await feedbackOf(action.id);
  // SWUpdate's own closing message: closed/failure.
  expect(fb.at(-1)).toMatchObject({ kind: "deployment", execution: "closed", finished: "failure" });
  expect(row.finishedAt).not.toBeNull();
  expect(row.failureReason).toBeTruthy();
  // The specific reasons arrive only in batches of log lines that SWUpdate may thin out; when one
  // did arrive, the recorded failure reason must name a refusal rather than the generic closing line.
  if (allDetails(fb).some((d) => reason.test(d))) expect(row.failureReason).toMatch(reason);
  // The device's own log is complete: SWUpdate's package verification refused, whatever else did.
  await waitFor(`the device log to show ${packageCheck}`, 5000, () => (packageCheck.test(fs.readFileSync(r.log, "utf8")) ? true : undefined), () => tail(r.log));
  const changes = await stateChanges(action.id);
  expect(changes.at(-1)).toMatchObject({ actorType: "device", before: { state: expect.any(String) }, after: { state: "failed" } });
  expectUntouched(device);
  // A failed action is not offered again: the device keeps polling and nothing is downloaded.
  await sleep(2500);
  expect((await actionRow(action.id)).state).toBe("failed");
  expectUntouched(device);
  const [dev] = await db().select().from(devices).where(eq(devices.id, device.id));
  expect(dev!.firmwareVersion).toBe(START_VERSION);
  return { device, action, fb, row };
}

/** A DDI request as a device would send it, with full control over the Host header. */
function ddi(device: Device, method: string, suffix: string, opts: { host?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: PORT,
        method,
        path: `/api/ddi/DEFAULT/controller/v1/${encodeURIComponent(device.serial)}${suffix}`,
        headers: {
          Host: opts.host ?? `127.0.0.1:${PORT}`,
          Authorization: `TargetToken ${device.token}`,
          Accept: "application/json",
          ...(opts.body ? { "Content-Type": "application/json" } : {}),
          ...opts.headers,
        },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${suffix} timed out`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Cookies as a browser would send them back: `name=value` of each Set-Cookie. */
const cookieHeader = (setCookies: string[]) => setCookies.map((c) => c.split(";")[0]).join("; ");

let session: string | undefined;

/**
 * A console session of the administrator, through Auth.js's credentials sign-in (the provider the login
 * form's server action calls): CSRF token, then the credentials callback, which sets the session cookie.
 */
async function consoleSession(): Promise<string> {
  if (session) return session;
  const csrf = await fetch(`${server!.url}/api/auth/csrf`);
  expect(csrf.status).toBe(200);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const res = await fetch(`${server!.url}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: cookieHeader(csrf.headers.getSetCookie()) },
    body: new URLSearchParams({ csrfToken, username: people.admin.username, password: PASSWORD, callbackUrl: `${server!.url}/` }),
  });
  const location = res.headers.get("location") ?? "";
  expect(res.status, `sign-in answered ${res.status} ${location}`).toBe(302);
  expect(location, "sign-in refused").not.toMatch(/error/);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("authjs.session-token="));
  if (!cookie) throw new Error(`no session cookie after sign-in: ${JSON.stringify(res.headers.getSetCookie())}`);
  session = cookieHeader([cookie]);
  const check = (await (await fetch(`${server!.url}/api/auth/session`, { headers: { Cookie: session } })).json()) as { sid?: string };
  expect(check.sid, "the session cookie is accepted").toBeTruthy();
  return session;
}

/** The console's package upload, as the release page sends it: the .swu alone, no detached signature. */
async function uploadPackage(releaseId: number, filename: string, bytes: Buffer) {
  const res = await fetch(`${server!.url}/api/releases/package?releaseId=${releaseId}&filename=${encodeURIComponent(filename)}`, {
    method: "POST",
    headers: { Cookie: await consoleSession(), "Content-Type": "application/octet-stream", "x-signature-length": "0" },
    body: new Uint8Array(bytes),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

/** The device's "not in clinical use" report through Corridor's telemetry extension of DDI. */
async function reportIdle(device: Device) {
  const res = await ddi(device, "POST", "/telemetry", { body: JSON.stringify({ samples: [{ takenAt: new Date().toISOString(), inClinicalUse: false }] }) });
  expect(res.status, res.body.toString()).toBe(200);
}

// ------------------------------------------------------------------------------------------------

describe("DDI contract that SWUpdate relies on (plain HTTP, no swupdate)", () => {
  it("UPD-05: links in DDI answers point at the address the device used, so a device behind any proxy or name can follow them", async () => {
    const device = await newDevice("links");
    await reportIdle(device);
    const { action, release } = await publishAndAssign(device, { version: "2.0.7" });
    // The name and port a device (or a reverse proxy in front of Corridor) uses, not the address the server listens on.
    const host = `devices.corridor.test:${PORT + 1}`;
    const origin = `http://${host}/api/ddi/DEFAULT/controller/v1/${device.serial}`;
    const base = await ddi(device, "GET", "", { host });
    expect(base.status).toBe(200);
    const links = JSON.parse(base.body.toString())._links as Record<string, { href: string }>;
    expect(links.deploymentBase?.href.split("?")[0], `deploymentBase link for Host ${host}`).toBe(`${origin}/deploymentBase/${action.id}`);
    expect(links.configData?.href, "configData link").toBe(`${origin}/configData`);
    const deployment = await ddi(device, "GET", `/deploymentBase/${action.id}`, { host });
    expect(deployment.status).toBe(200);
    const artifact = JSON.parse(deployment.body.toString()).deployment.chunks[0].artifacts[0];
    const download = `${origin}/softwaremodules/${release.id}/artifacts/${release.filename}`;
    expect(artifact._links["download-http"].href, "artifact download link").toBe(download);
    expect(artifact._links.download.href, "artifact download link").toBe(download);
  });

  it("UPD-08: artifact HEAD, GET and ranged GET state exact lengths (Content-Length, Content-Range)", async () => {
    const device = await newDevice("lengths");
    await reportIdle(device); // downloads are gated like offers
    const { release, file, swu } = await publishAndAssign(device, { version: "2.0.8" });
    const bytes = fs.readFileSync(swu);
    const artifactPath = `/softwaremodules/${release.id}/artifacts/${release.filename}`;

    const head = await ddi(device, "HEAD", artifactPath, { headers: { Accept: "application/octet-stream" } });
    expect(head.status).toBe(200);
    expect(head.headers["accept-ranges"]).toBe("bytes");
    expect(head.headers["content-length"], `HEAD headers: ${JSON.stringify(head.headers)}`).toBe(String(file.size));

    const get = await ddi(device, "GET", artifactPath, { headers: { Accept: "application/octet-stream" } });
    expect(get.status).toBe(200);
    expect(get.body.equals(bytes)).toBe(true);
    expect(get.headers["content-length"], `GET headers: ${JSON.stringify(get.headers)}`).toBe(String(file.size));

    const from = 1000;
    const ranged = await ddi(device, "GET", artifactPath, { headers: { Accept: "application/octet-stream", Range: `bytes=${from}-` } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers["content-range"]).toBe(`bytes ${from}-${file.size - 1}/${file.size}`);
    expect(ranged.body.equals(bytes.subarray(from))).toBe(true);
    expect(ranged.headers["content-length"], `ranged GET headers: ${JSON.stringify(ranged.headers)}`).toBe(String(file.size - from));
  });
});

describe("real SWUpdate (Debian swupdate 2022.12) against Corridor's hawkBit DDI", () => {
  it("UPD-05, ROL-02: installs a CMS-signed image, waits for confirmation, and succeeds after the reboot report", async () => {
    const device = await newDevice("good");
    const { action, release, rawPayload, filePayload } = await publishAndAssign(device, { version: "2.0.1" });

    const r1 = swupdate(device, { run: "run1" });
    await waitForState(action.id, ["installed_awaiting_confirmation"], 40_000, r1);
    // The device side: both payloads written, the "reboot" hook ran.
    expect(fs.readFileSync(device.rawTarget).equals(rawPayload)).toBe(true);
    expect(fs.readFileSync(device.fileTarget, "utf8")).toBe(filePayload);
    await waitFor("the post-update (reboot) hook to run", 10_000, () => (fs.existsSync(device.marker) ? true : undefined)); // it runs just after the last feedback
    // configData (PUT) reached the server: that is how the device said it is idle (ROL-02).
    const [report] = await db().select().from(deviceReports).where(eq(deviceReports.deviceId, device.id));
    expect(report?.attributes).toMatchObject({ clinicalUse: "idle", swVersion: START_VERSION });
    expect(report?.inClinicalUse).toBe(false);
    // SWUpdate never closes a successful install by itself: the action must stay open (not succeeded).
    await sleep(2500);
    expect((await actionRow(action.id)).state).toBe("installed_awaiting_confirmation");
    const [before] = await db().select().from(devices).where(eq(devices.id, device.id));
    expect(before!.firmwareVersion).toBe(START_VERSION);
    await stopSwupdate(r1);

    // "Reboot": the new image comes up and its check reports TESTING -> closed/success.
    const r2 = swupdate(device, { run: "run2-confirm", suricattaArgs: "-c 2", swVersion: release.version });
    await waitForState(action.id, ["succeeded"], 30_000, r2);
    await stopSwupdate(r2);

    const [after] = await db().select().from(devices).where(eq(devices.id, device.id));
    expect(after!.firmwareVersion).toBe("2.0.1");
    expect(after!.securityVersion).toBe(2);
    const fb = await feedbackOf(action.id);
    expect(fb.some((f) => f.execution === "proceeding" && f.details.some((d) => /all chunks installed/i.test(d)))).toBe(true);
    expect(fb.at(-1)).toMatchObject({ kind: "deployment", execution: "closed", finished: "success" });
    const states = (await stateChanges(action.id)).map((e) => (e.after as { state: string }).state);
    expect(states[0]).toBe("downloading");
    expect(states.slice(-2)).toEqual(["installed_awaiting_confirmation", "succeeded"]);
    const row = await actionRow(action.id);
    expect(row.finishedAt).not.toBeNull();
    expect(row.failureReason).toBeNull();
  }, 90_000);

  // Defence in depth: Corridor refuses these packages at intake (the UPD-01 tests below), so they can only
  // reach a device if someone overwrites an approved file in the artifact store. The device must still refuse.
  it("UPD-05, ROL-03: an approved image changed in the artifact store after signing is refused by the device: failed, target untouched", async () => {
    await expectSubstitutionRefused("tampered", "2.0.2", { kind: "tamper" }, /HASH mismatch/);
  }, 60_000);

  it("UPD-05, ROL-03: an approved image replaced in the artifact store by one signed with an unknown key is refused by the device: failed, target untouched", async () => {
    await expectSubstitutionRefused("rogue", "2.0.3", { kind: "resign", signer: rogue }, /Authentication of all signatures failed/);
  }, 60_000);

  it("UPD-09, ROL-03: an approved image replaced in the artifact store by a signed one for other hardware (9.9) is refused by the device: failed, target untouched", async () => {
    await expectSubstitutionRefused("hwmismatch", "2.0.4", { kind: "hardware", hardware: ["9.9"], signer }, /SW not compatible with hardware/);
  }, 60_000);

  it("ROL-01: a cancel during a (slow) download is acknowledged by the device: canceled, target untouched", async () => {
    const device = await newDevice("cancel");
    const { action, file } = await publishAndAssign(device, { version: "2.0.5", rawPayload: randomBytes(8 * 1024 * 1024) });
    // A slow link after the first MiB (160 KiB/s: the rest would need ~45 s), so the download is
    // certainly still running when the cancel is requested; the install cannot win the race.
    const tap = new HttpTap({ host: "127.0.0.1", port: PORT }, { mode: "trickle", afterBytes: 1024 * 1024, bytesPerTick: 16 * 1024, tickMs: 100 });
    taps.add(tap);
    await tap.listen();
    const r = swupdate(device, { run: "run1", url: `http://127.0.0.1:${tap.port}/api/ddi` });

    await waitFor("the artifact download to be under way", 30_000, async () => {
      if (r.exited() || server?.exited()) throw new Error(`${r.exited() ?? server?.exited()}\n${await diagnostics(action.id, r, tap)}`);
      const get = tap.artifactGets()[0];
      const state = (await actionRow(action.id)).state;
      if (state !== "scheduled" && !get && tap.find("GET", (p) => p.includes("/deploymentBase/")).length === 0) {
        throw new Error(`the device works on the action without fetching its deployment through the proxy: the server's links point elsewhere (see the DDI links test)\n${tap.transcript()}`);
      }
      return get?.interfered === "trickle" && (state === "downloading" || state === "installing") ? true : undefined;
    }, () => tap.transcript());
    const requested = await cancelAction(ctx, { actionId: action.id, reason: "interop test: cancel during download" });
    expect(requested.state).toBe("cancel_requested"); // the device has started: it must acknowledge

    await waitForState(action.id, ["canceled"], 30_000, r, tap);
    const get = tap.artifactGets()[0]!;
    expect(get.bodyBytes).toBeLessThan(file.size);
    expect(get.clientClosedEarly, "the device aborts the download").toBe(true);
    // The acknowledgement came from the device, through cancelAction (the server commits before it
    // answers, so the answer may still be on its way through the proxy).
    expect(tap.requests.some((q) => q.method === "GET" && q.path.endsWith(`/cancelAction/${action.id}`) && q.status === 200), tap.transcript()).toBe(true);
    await waitFor("the answer to the cancel acknowledgement", 5000, () =>
      tap.requests.some((q) => q.method === "POST" && q.path.endsWith(`/cancelAction/${action.id}/feedback`) && q.status === 200) ? true : undefined,
    () => tap.transcript());
    const fb = await feedbackOf(action.id);
    expect(fb.at(-1)).toMatchObject({ kind: "cancel", execution: "closed", finished: "success" });
    const changes = await stateChanges(action.id);
    expect(changes.at(-1)).toMatchObject({ actorType: "device", before: { state: "cancel_requested" }, after: { state: "canceled" } });
    const cancelAudit = await db().select().from(auditEvents).where(and(eq(auditEvents.action, "deployment.cancel"), eq(auditEvents.entityId, String(action.id))));
    expect(cancelAudit).toHaveLength(1);

    // Nothing was installed, and nothing is offered afterwards.
    await sleep(2500);
    expect((await actionRow(action.id)).state).toBe("canceled");
    expect(tap.artifactGets()).toHaveLength(1);
    expectUntouched(device);
  }, 90_000);

  it("ROL-13, UPD-08: a download cut off mid-way is resumed with Range (206) and the install succeeds", async () => {
    const device = await newDevice("resume");
    const { action, file, rawPayload, filePayload } = await publishAndAssign(device, { version: "2.0.6", rawPayload: randomBytes(2 * 1024 * 1024) });
    const cutAt = 300_000;
    const tap = new HttpTap({ host: "127.0.0.1", port: PORT }, { mode: "cut", afterBytes: cutAt });
    taps.add(tap);
    await tap.listen();
    const r = swupdate(device, { run: "run1", url: `http://127.0.0.1:${tap.port}/api/ddi` });

    await waitForState(action.id, ["installed_awaiting_confirmation"], 40_000, r, tap);
    const [first, second, ...rest] = tap.artifactGets();
    const transcript = tap.transcript();
    expect(first, transcript).toMatchObject({ status: 200, interfered: "cut", bodyBytes: cutAt });
    expect(first!.headers.range, transcript).toBeUndefined();
    expect(second, transcript).toBeDefined();
    expect(second!.headers.range, transcript).toBe(`bytes=${cutAt}-`);
    expect(second!.status, transcript).toBe(206);
    expect(second!.responseHeaders?.["content-range"], transcript).toBe(`bytes ${cutAt}-${file.size - 1}/${file.size}`);
    expect(second!.bodyBytes, transcript).toBe(file.size - cutAt);
    expect(rest, transcript).toHaveLength(0);
    expect(fs.readFileSync(device.rawTarget).equals(rawPayload)).toBe(true);
    expect(fs.readFileSync(device.fileTarget, "utf8")).toBe(filePayload);
    await waitFor("the post-update (reboot) hook to run", 10_000, () => (fs.existsSync(device.marker) ? true : undefined)); // it runs just after the last feedback
  }, 60_000);
});

describe("release intake on the production server refuses bad vendor packages while real SWUpdate polls", () => {
  // Before release governance these packages were published and the device refused them; now Corridor
  // refuses them at upload, so they never become a release, and the device is never offered them.
  const cases: [what: string, label: string, image: () => Omit<ImageOptions, "version">, reason: RegExp][] = [
    ["with an image changed after signing", "tampered-intake", () => ({ tamper: true }), /payload\.bin does not match the sha256 in sw-description/],
    ["signed by an unknown key", "rogue-intake", () => ({ signer: rogue }), /signed by a certificate that is not pinned for this manufacturer/],
    ["for other hardware (9.9)", "hw-intake", () => ({ hardware: ["9.9"] }), /supports hardware 9\.9, not 1\.0/],
  ];

  it.each(cases.map((c, i) => [...c, `3.0.${i + 1}`] as const))(
    "UPD-01: a package %s is refused at upload (422, quarantined, no artifact) and the polling device is offered nothing",
    async (_what, label, image, reason, version) => {
      const device = await newDevice(label);
      const tap = new HttpTap({ host: "127.0.0.1", port: PORT }, { mode: "none" });
      taps.add(tap);
      await tap.listen();
      const r = swupdate(device, { run: "run1", url: `http://127.0.0.1:${tap.port}/api/ddi` });
      const polls = () => tap.requests.filter((q) => q.method === "GET" && q.path.split("?")[0]!.endsWith(`/controller/v1/${device.serial}`) && q.status === 200).length;
      // Polling, and reported idle (configData): anything assigned would be offered now.
      await waitFor("the device to poll and report itself idle", 20_000, async () => {
        if (r.exited() || server?.exited()) throw new Error(`${r.exited() ?? server?.exited()}\n${tail(r.log)}`);
        return polls() >= 1 && tap.find("PUT", (p) => p.endsWith("/configData")).some((q) => q.status === 200) ? true : undefined;
      }, () => tap.transcript());

      const { swu } = imageFor(device, { version, ...image() });
      const bytes = fs.readFileSync(swu);
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      const filename = `corridor-${version}.swu`;
      const draft = await createRelease(people.admin, {
        modelId: place.modelId, version, securityVersion: 2, hardwareRevisions: [HW_REV], riskClass: "routine",
        changeLog: `Version ${version}: maintenance release.`, knownIssues: [], compatibility: [], privacyImpact: false,
      });
      const res = await uploadPackage(draft.id, filename, bytes);
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.error?.message).toMatch(/^Package rejected and quarantined: /);
      expect(res.body.error?.message).toMatch(reason);

      // Quarantined with its reason, never kept: no artifact row, nothing at a servable address.
      const quarantined = await db().select().from(quarantinedPackages).where(eq(quarantinedPackages.releaseId, draft.id));
      expect(quarantined).toEqual([expect.objectContaining({ filename, sha256, size: bytes.length, uploadedBy: people.admin.userId })]);
      expect(quarantined[0]!.reason).toMatch(reason);
      expect(await db().select().from(artifacts).where(eq(artifacts.sha256, sha256))).toHaveLength(0);
      expect(fs.existsSync(artifactPath(artifactDir, sha256))).toBe(false);
      const [release] = await db().select().from(releases).where(eq(releases.id, draft.id));
      expect(release).toMatchObject({ state: "draft", artifactId: null });
      const [audit] = await db().select().from(auditEvents).where(and(eq(auditEvents.action, "release.package_quarantined"), eq(auditEvents.entityId, String(draft.id))));
      expect(audit).toMatchObject({ outcome: "denied", actorType: "user", actorId: String(people.admin.userId), entityType: "release" });
      expect(audit!.reason).toMatch(reason);
      // It cannot be published.
      await expect(assignRelease(ctx, { deviceId: device.id, releaseId: draft.id })).rejects.toThrow(/Only an approved release can be assigned/);

      // Meanwhile the device keeps polling and is offered nothing.
      const seen = polls();
      await waitFor("two more polls", 15_000, () => (polls() >= seen + 2 ? true : undefined), () => tap.transcript());
      const base = await ddi(device, "GET", "");
      expect(base.status).toBe(200);
      expect(JSON.parse(base.body.toString())._links?.deploymentBase).toBeUndefined();
      expect(tap.find("GET", (p) => p.includes("/deploymentBase/")), tap.transcript()).toHaveLength(0);
      expect(tap.artifactGets(), tap.transcript()).toHaveLength(0);
      expect(await db().select().from(deploymentActions).where(eq(deploymentActions.deviceId, device.id))).toHaveLength(0);
      expect(r.exited()).toBeNull();
      const log = fs.readFileSync(r.log, "utf8");
      expect(log).toMatch(/No pending action on server/);
      expect(log, "the device never started an update").not.toMatch(/Update action available|Software Update started/);
      expectUntouched(device);
    },
    60_000,
  );
});
