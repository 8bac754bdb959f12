import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import pg from "pg";

// Helpers for the real-SWUpdate interop suite: a dedicated PostgreSQL database, the production
// Corridor server, signing keys and .swu images built with openssl + cpio, and the unmodified Debian
// swupdate daemon run as a process group of its own. See test/interop/README.md.

export const ROOT = path.resolve(import.meta.dirname, "..", "..");

/** Runs a command to completion; throws with its output when it fails. */
export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string | Buffer } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: "buffer", timeout: 120_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status}:\n${r.stdout.toString()}\n${r.stderr.toString()}`);
  }
  return r.stdout.toString();
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, describe?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.${describe ? `\n${describe()}` : ""}`);
    await sleep(200);
  }
}

/** The last lines of a log file, for failure messages. */
export function tail(file: string, lines = 60): string {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return `(no log at ${file})`;
  }
}

// ------------------------------------------------------------------------------------------------
// Database

/** Creates an empty database next to `adminUrl`; returns its URL and a function that drops it. */
export async function createDatabase(adminUrl: string, prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // Waits for the last sessions to go away (a closed pg pool ends its sockets asynchronously, and a
    // forced drop would hit a closing client with an unhandled FATAL); forces only as a last resort.
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        const deadline = Date.now() + 10_000;
        for (;;) {
          try {
            await c.query(`DROP DATABASE IF EXISTS "${name}"`);
            return;
          } catch (err) {
            if ((err as { code?: string }).code !== "55006" || Date.now() > deadline) break; // 55006: in use
            await sleep(200);
          }
        }
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Process groups

/** Process ids whose process group is `pgid` (read from /proc, so nothing else is needed). */
export function processGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp ... — comm may contain spaces, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") members.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return members;
}

/** SIGTERM to a whole process group, SIGKILL after `graceMs`; resolves when the group is gone. */
export async function killGroup(pgid: number, graceMs = 3000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      /* already gone */
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (processGroupMembers(pgid).length && Date.now() < deadline) await sleep(50);
  if (processGroupMembers(pgid).length) {
    signal("SIGKILL");
    const hard = Date.now() + 3000;
    while (processGroupMembers(pgid).length && Date.now() < hard) await sleep(50);
  }
  const left = processGroupMembers(pgid);
  if (left.length) throw new Error(`Process group ${pgid} still has members after SIGKILL: ${left.join(", ")}`);
}

// ------------------------------------------------------------------------------------------------
// The Corridor server

export type Server = { url: string; pgid: number; log: string; child: ChildProcess; stop: () => Promise<void>; exited: () => string | null };

export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/**
 * Starts Corridor's production server exactly as `npm start` does (scripts/server.ts: the device API
 * on node:http, the console through Next's production build) in its own process group, and waits
 * until /login answers. `appDir` holds the sources and the `.next` build (the repository itself unless
 * INTEROP_APP_DIR says otherwise).
 */
export async function startServer(opts: { appDir: string; port: number; env: Record<string, string>; logFile: string; timeoutMs: number }): Promise<Server> {
  if (!fs.existsSync(path.join(opts.appDir, ".next", "BUILD_ID"))) {
    throw new Error(`No production build in ${opts.appDir}/.next: run \`npx next build\` first (npm test builds before this step).`);
  }
  if (!(await portIsFree(opts.port))) throw new Error(`Port ${opts.port} is already in use; the interop suite needs it for its own server.`);
  const out = fs.openSync(opts.logFile, "a");
  const child = spawn(process.execPath, ["--import", "tsx", path.join(opts.appDir, "scripts", "server.ts"), "--port", String(opts.port), "--hostname", "127.0.0.1"], {
    cwd: opts.appDir,
    detached: true, // own session and process group: the whole server is stopped with one signal
    stdio: ["ignore", out, out],
    env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", ...opts.env },
  });
  fs.closeSync(out);
  const pgid = child.pid!;
  let exited: string | null = null;
  let stopping = false;
  child.once("exit", (code, sig) => (exited = `The Corridor server exited with ${code ?? sig}${stopping ? "" : " while the tests were running (killed from outside, or it crashed: see its log)"}`));
  const url = `http://127.0.0.1:${opts.port}`;
  const stop = () => {
    stopping = true;
    return killGroup(pgid, 5000);
  };
  const server: Server = { url, pgid, log: opts.logFile, child, stop, exited: () => exited };
  try {
    await waitFor(`the Corridor server at ${url}`, opts.timeoutMs, async () => {
      if (exited) throw new Error(`${exited}:\n${tail(opts.logFile)}`);
      try {
        const res = await fetch(`${url}/login`, { redirect: "manual", signal: AbortSignal.timeout(2000) });
        return res.status < 500 ? true : undefined;
      } catch {
        return undefined;
      }
    }, () => tail(opts.logFile));
  } catch (err) {
    await server.stop().catch(() => {});
    throw err;
  }
  return server;
}

// ------------------------------------------------------------------------------------------------
// Keys and .swu images

export type KeyPair = { key: string; cert: string };

/**
 * A throw-away self-signed signer (no EKU, so SWUpdate's default purpose check accepts it). The serial
 * always has 20 significant bytes, so two signers whose names have the same length produce CMS
 * signatures of the same length (the store-substitution scenarios swap files of equal size).
 */
export function makeSigner(dir: string, name: string): KeyPair {
  fs.mkdirSync(dir, { recursive: true });
  const key = path.join(dir, `${name}.key.pem`);
  const cert = path.join(dir, `${name}.cert.pem`);
  const serial = randomBytes(20);
  serial[0] = 0x40 | (serial[0]! & 0x3f);
  run("openssl", ["req", "-x509", "-newkey", "rsa:3072", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-set_serial", `0x${serial.toString("hex")}`, "-subj", `/O=Corridor interop/CN=${name}`]);
  return { key, cert };
}

const sha256Hex = (file: string) => {
  const out = run("openssl", ["dgst", "-sha256", "-r", file]);
  return out.split(" ")[0]!.trim();
};

export type SwuSpec = {
  dir: string; // build directory (created)
  name: string; // output file name without .swu
  version: string;
  signer: KeyPair;
  hardware: string[]; // hardware-compatibility list in sw-description
  rawPayload: Buffer; // installed with the `raw` handler into rawTarget (must exist on the device)
  rawTarget: string;
  filePayload: string; // installed with the `rawfile` handler into fileTarget (created)
  fileTarget: string;
  /** Changes a byte of the raw payload after sw-description was signed. */
  tamperAfterSigning?: boolean;
};

/**
 * Builds a CMS-signed .swu exactly as SWUpdate's documentation describes: sw-description (with the
 * sha256 of every payload) signed with `openssl cms`, then a `cpio -H crc` archive whose first two
 * entries are sw-description and sw-description.sig.
 */
export function buildSwu(spec: SwuSpec): string {
  const d = path.join(spec.dir, spec.name);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, "payload.bin"), spec.rawPayload);
  fs.writeFileSync(path.join(d, "payload.txt"), spec.filePayload);
  const q = (s: string) => JSON.stringify(s); // libconfig strings use the same escapes for these values
  const description = `software =
{
	version = ${q(spec.version)};
	description = "Corridor interop test image ${spec.name}";
	hardware-compatibility: [ ${spec.hardware.map(q).join(", ")} ];
	images: (
		{
			filename = "payload.bin";
			type = "raw";
			device = ${q(spec.rawTarget)};
			sha256 = ${q(sha256Hex(path.join(d, "payload.bin")))};
		}
	);
	files: (
		{
			filename = "payload.txt";
			type = "rawfile";
			path = ${q(spec.fileTarget)};
			sha256 = ${q(sha256Hex(path.join(d, "payload.txt")))};
			properties = { create-destination = "true"; atomic-install = "true"; };
		}
	);
};
`;
  fs.writeFileSync(path.join(d, "sw-description"), description);
  signDescription(d, spec.signer);
  if (spec.tamperAfterSigning) flipPayloadByte(d);
  return pack(d, path.join(spec.dir, `${spec.name}.swu`));
}

function signDescription(d: string, signer: KeyPair) {
  run("openssl", ["cms", "-sign", "-in", "sw-description", "-out", "sw-description.sig", "-signer", signer.cert, "-inkey", signer.key, "-outform", "DER", "-nosmimecap", "-binary"], { cwd: d });
}

function flipPayloadByte(d: string) {
  const bytes = fs.readFileSync(path.join(d, "payload.bin"));
  const at = bytes.length >> 1;
  bytes[at] = bytes[at]! ^ 0xff;
  fs.writeFileSync(path.join(d, "payload.bin"), bytes);
}

function pack(d: string, swu: string): string {
  // sw-description first, its signature second (SWUpdate refuses any other order).
  const r = spawnSync("bash", ["-c", "printf '%s\\n' sw-description sw-description.sig payload.bin payload.txt | cpio --quiet -o -H crc"], { cwd: d, encoding: "buffer", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`cpio failed: ${r.stderr.toString()}`);
  fs.writeFileSync(swu, r.stdout);
  return swu;
}

export type Forgery =
  /** A payload byte changed after signing (sw-description and its signature kept). */
  | { kind: "tamper" }
  /** The same sw-description signed with another key. */
  | { kind: "resign"; signer: KeyPair }
  /** A properly signed package of the same payloads for other hardware, as the vendor ships for another board. */
  | { kind: "hardware"; hardware: string[]; signer: KeyPair };

/**
 * A variant of an image built by `buildSwu`, made from the same files, so it has the same size: what an
 * attacker with write access to the artifact store could put in place of the approved file.
 */
export function forgeSwu(swu: string, forgery: Forgery, label: string): string {
  const src = swu.replace(/\.swu$/, "");
  const d = `${src}-${label}`;
  fs.cpSync(src, d, { recursive: true });
  if (forgery.kind === "tamper") flipPayloadByte(d);
  if (forgery.kind === "resign") signDescription(d, forgery.signer);
  if (forgery.kind === "hardware") {
    const file = path.join(d, "sw-description");
    const text = fs.readFileSync(file, "utf8");
    const changed = text.replace(/hardware-compatibility: \[[^\]]*\]/, `hardware-compatibility: [ ${forgery.hardware.map((h) => JSON.stringify(h)).join(", ")} ]`);
    if (changed === text) throw new Error("no hardware-compatibility line to change");
    fs.writeFileSync(file, changed);
    signDescription(d, forgery.signer);
  }
  const out = pack(d, `${d}.swu`);
  const [a, b] = [fs.statSync(swu).size, fs.statSync(out).size];
  if (a !== b) throw new Error(`the forged image has ${b} bytes, the original ${a}: the store serves the recorded size, so they must match`);
  return out;
}

// ------------------------------------------------------------------------------------------------
// The swupdate daemon

export type SwupdateOptions = {
  workDir: string; // per-run directory: config, TMPDIR, log
  serverUrl: string; // e.g. http://127.0.0.1:3220/api/ddi
  controllerId: string;
  token: string;
  publicKey: string; // trusted signer certificate (PEM)
  postUpdateMarker: string; // touched by the post-update ("reboot") hook
  board: string;
  hwRevision: string;
  identify: Record<string, string>;
  /** Extra suricatta arguments, e.g. "-c 2" after the "reboot". */
  suricattaArgs?: string;
};

export type SwupdateRun = { pgid: number; log: string; tmpDir: string; stop: () => Promise<void>; exited: () => string | null };

/** Starts `swupdate -f cfg -H board:rev -u "…"` in its own session (like `setsid`), with a private TMPDIR. */
export function startSwupdate(o: SwupdateOptions): SwupdateRun {
  fs.mkdirSync(o.workDir, { recursive: true });
  const tmpDir = path.join(o.workDir, "tmp");
  fs.mkdirSync(tmpDir, { recursive: true });
  const hook = path.join(o.workDir, "postupdate.sh");
  fs.writeFileSync(hook, `#!/bin/sh\necho "$(date +%s.%N) $*" >> ${JSON.stringify(o.postUpdateMarker)}\n`, { mode: 0o755 });
  const s = JSON.stringify;
  const cfg = path.join(o.workDir, "swupdate.cfg");
  fs.writeFileSync(
    cfg,
    `globals :
{
	verbose = true;
	loglevel = 5;
	syslog = false;
	public-key-file = ${s(o.publicKey)};
	postupdatecmd = ${s(hook)};
};
suricatta :
{
	tenant = "DEFAULT";
	id = ${s(o.controllerId)};
	url = ${s(o.serverUrl)};
	targettoken = ${s(o.token)};
	polldelay = 1;
	retry = 3;
	retrywait = "1";
	connection-timeout = 10;
};
identify : (
${Object.entries(o.identify).map(([name, value]) => `	{ name = ${s(name)}; value = ${s(value)}; }`).join(",\n")}
);
`,
  );
  const log = path.join(o.workDir, "swupdate.log");
  const out = fs.openSync(log, "a");
  const child = spawn("swupdate", ["-f", cfg, "-H", `${o.board}:${o.hwRevision}`, "-u", o.suricattaArgs ?? ""], {
    detached: true,
    stdio: ["ignore", out, out],
    env: { ...process.env, TMPDIR: tmpDir },
  });
  fs.closeSync(out);
  const pgid = child.pid!;
  let exited: string | null = null;
  child.once("exit", (code, sig) => (exited = `swupdate exited with ${code ?? sig}`));
  child.once("error", (err) => (exited = `swupdate could not start: ${err.message}`));
  return { pgid, log, tmpDir, stop: () => killGroup(pgid), exited: () => exited };
}
