import fs from "node:fs";
import { parseControllers, withTokens } from "./controllers";
import { Device, type FleetContext, type LogKind } from "./device";
import { FleetHttp } from "./http";
import { rampSecondsFor, type FleetOptions } from "./options";
import { createRng, seedFor } from "@/lib/random";
import { Scheduler } from "./scheduler";
import { newCounters, snapshot, summaryLine, type Counters } from "./stats";
import { fingerprintOf, loadState, saveState, type DeviceMemory } from "./state-store";
import { rampOffsetMs } from "./timing";
import { keyIdOf } from "./verify";

// Runs the simulated fleet until --duration or a signal: loads the devices, fetches the manifest key,
// starts every device on one scheduler, prints a summary line every --status-every seconds, and on the
// way out saves what the devices remember.

export type FleetResult = { exitCode: number; counters: Counters; seconds: number; devices: number };

export class FleetError extends Error {}

/** The manifest key: pinned from a file, or fetched once (again only when a manifest names another key). */
class ManifestKeys {
  private pem: string | null = null;
  private keyId: string | null = null;
  private fetching: Promise<string> | null = null;
  private lastFetch = 0;

  constructor(
    private http: FleetHttp,
    private url: string,
    private pinned: string | null,
  ) {
    if (pinned) {
      this.pem = pinned;
      this.keyId = keyIdOf(pinned);
    }
  }

  async load(): Promise<string> {
    if (this.pem) return this.pem;
    return this.fetch();
  }

  async forKeyId(keyId: unknown): Promise<string> {
    const pem = await this.load();
    // Rotated key: fetch again, at most once a minute. A pinned key is never replaced.
    if (!this.pinned && typeof keyId === "string" && keyId !== this.keyId && Date.now() - this.lastFetch > 60_000) return this.fetch();
    return pem;
  }

  private fetch(): Promise<string> {
    this.fetching ??= (async () => {
      try {
        this.lastFetch = Date.now();
        const r = await this.http.request("GET", `${this.url}/api/ddi/manifest-key`, { accept: "application/x-pem-file" });
        if (r.status !== 200 || !r.body.includes("BEGIN PUBLIC KEY")) throw new Error(r.status ? `HTTP ${r.status}` : (r.error ?? "no answer"));
        this.keyId = keyIdOf(r.body);
        this.pem = r.body;
        return r.body;
      } finally {
        this.fetching = null;
      }
    })();
    return this.fetching;
  }
}

export async function runFleet(opts: FleetOptions, out: { log: (line: string) => void; error: (line: string) => void; signal?: AbortSignal }): Promise<FleetResult> {
  const t0 = Date.now();
  // Devices and their tokens.
  if (!fs.existsSync(opts.controllersFile)) {
    throw new FleetError(
      `no controllers file at ${opts.controllersFile}. The demo seed writes it when CORRIDOR_FLEET_SECRET is set at first start; otherwise pass --controllers FILE ("controllerId[,token]" per line).`,
    );
  }
  const all = withTokens(parseControllers(fs.readFileSync(opts.controllersFile, "utf8")), opts.secret);
  if (all.length === 0) throw new FleetError(`${opts.controllersFile} lists no devices`);
  const entries = opts.devices === null ? all : all.slice(0, opts.devices);
  if (opts.devices !== null && opts.devices > all.length) out.log(`only ${all.length} devices in ${opts.controllersFile}; running all of them`);

  const http = new FleetHttp({ sockets: opts.concurrency });
  const counters = newCounters();
  const scheduler = new Scheduler({ concurrency: opts.concurrency, onError: (err) => out.error(`internal error: ${(err as Error)?.stack ?? err}`) });
  const keys = new ManifestKeys(http, opts.url, opts.manifestKeyFile ? fs.readFileSync(opts.manifestKeyFile, "utf8") : null);

  // The key first: without it no device could check a manifest. The server may still be starting.
  for (let attempt = 1; ; attempt++) {
    try {
      await keys.load();
      break;
    } catch (err) {
      if (attempt >= 30 || out.signal?.aborted) {
        http.close();
        throw new FleetError(`cannot fetch the manifest key from ${opts.url}/api/ddi/manifest-key: ${(err as Error).message}`);
      }
      if (attempt === 1) out.log(`waiting for ${opts.url} (${(err as Error).message})…`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  // What the devices remember from earlier runs.
  const fingerprint = fingerprintOf(opts.controllersFile);
  const state = opts.stateFile ? loadState(opts.stateFile, fingerprint) : { devices: new Map<string, DeviceMemory>(), note: null };
  if (state.note) out.log(state.note);
  const memories = new Map<string, DeviceMemory>();

  const verbosity = opts.verbosity;
  const log = (kind: LogKind, message: string) => {
    if (kind === "error") out.error(message);
    else if (kind === "event" ? verbosity !== "quiet" : verbosity === "verbose") out.log(message);
  };
  const ctx: FleetContext = { opts, http, scheduler, counters, manifestKey: (id) => keys.forKeyId(id), log };

  const devices = entries.map((e) => {
    const memory: DeviceMemory = state.devices.get(e.controllerId) ?? {
      firmwareVersion: e.firmwareVersion,
      securityVersion: e.securityVersion ?? 0,
      pending: null,
      updated: false,
    };
    memories.set(e.controllerId, memory);
    return new Device(e, memory, ctx);
  });
  const unknownVersions = entries.filter((e) => e.securityVersion === null && !state.devices.has(e.controllerId)).length;
  if (unknownVersions) out.log(`${unknownVersions} devices have no known security version (no securityVersion column); their rollback check starts at 0`);

  const rampS = rampSecondsFor(opts, devices.length);
  const rng = createRng(seedFor("ramp", opts.seed));
  devices.forEach((d, i) => d.start(rampOffsetMs(i, devices.length, rampS, rng)));
  out.log(
    `${devices.length} devices → ${opts.url} (tenant ${opts.tenant}); first polls over ${rampS} s; ` +
      `time scale ${opts.timeScale}, telemetry every ${opts.telemetryEveryS} s (samples every ${opts.sampleEveryS} s)` +
      (opts.durationS ? `; stopping after ${opts.durationS} s` : "; Ctrl-C to stop"),
  );

  // Status, persistence, the auth sanity check, and the ways to stop.
  let before = snapshot(counters);
  let lastStatus = Date.now();
  const gauges = () => {
    let installing = 0, rebooting = 0, awaiting = 0, inUse = 0;
    for (const d of devices) {
      if (d.phase === "installing") installing++;
      else if (d.phase === "rebooting") rebooting++;
      if (d.memory.pending && d.phase === "idle") awaiting++;
      if (d.inUse) inUse++;
    }
    return { devices: devices.length, installing, rebooting, awaitingConfirmation: awaiting, inUse, queued: scheduler.queued, lagMs: scheduler.takeMaxLag() };
  };
  const status = () => {
    const now = Date.now();
    out.log(summaryLine(counters, before, (now - lastStatus) / 1000, gauges()));
    before = snapshot(counters);
    lastStatus = now;
  };
  const save = () => {
    if (!opts.stateFile) return;
    try {
      saveState(opts.stateFile, fingerprint, memories);
    } catch (err) {
      out.error(`could not save ${opts.stateFile}: ${(err as Error).message}`);
    }
  };

  let exitCode = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const stop = (code: number) => {
    exitCode = Math.max(exitCode, code);
    finish();
  };
  const timers = [
    setInterval(status, opts.statusEveryS * 1000),
    setInterval(save, 60_000),
    setInterval(() => {
      // Every token refused and nothing accepted: wrong secret or a different database. Stop instead of
      // filling the server's audit trail with failed sign-ins.
      if (counters.polls === 0 && counters.authFailures + counters.rateLimited >= Math.min(20, devices.length)) {
        out.error(
          `the server refuses the fleet's tokens (${counters.authFailures} × 401/403, ${counters.rateLimited} × 429, no successful poll). ` +
            "Is CORRIDOR_FLEET_SECRET the one the demo database was seeded with?",
        );
        stop(3);
      }
    }, 2000),
  ];
  if (opts.durationS) timers.push(setTimeout(() => stop(0), opts.durationS * 1000));
  // `on`, not `once`: under `npm start` a Ctrl-C reaches the fleet twice (from the terminal and from
  // start.mjs), and a second default-handled signal would kill it before it saves its state.
  const onSignal = () => stop(0);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  out.signal?.addEventListener("abort", onSignal);

  await finished;
  for (const t of timers) clearTimeout(t);
  for (const d of devices) d.stop();
  // Let requests in flight finish (bounded), then close the sockets.
  await Promise.race([scheduler.stop(), new Promise((r) => setTimeout(r, 5000))]);
  http.close();
  save();
  status();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  const seconds = (Date.now() - t0) / 1000;
  return { exitCode, counters, seconds, devices: devices.length };
}
