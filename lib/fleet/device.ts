import { initialInUse, nextDwellS, planInstall, type InstallPlan } from "./behaviour";
import type { ControllerEntry } from "./controllers";
import { parseJson, type FleetHttp } from "./http";
import { lookup, type FleetOptions } from "./options";
import { profileFor, type ModelProfile } from "./profiles";
import { createRng, seedFor, type Rng } from "@/lib/random";
import type { Scheduler, TaskHandle } from "./scheduler";
import type { Counters } from "./stats";
import type { DeviceMemory } from "./state-store";
import { factorsFor, initialHealth, takeSample, type HealthState, type TelemetrySample } from "./telemetry";
import { backoffMs, jitteredMs, parseSleep } from "./timing";
import { checkDownload, parseDeployment, refusalKind, verifyManifest, type Offer } from "./verify";
import type { ManifestPayload } from "@/lib/services/ddi/manifest";

// One simulated device: SWUpdate's suricatta loop (poll → configData / cancel / deployment → feedback),
// Corridor's manifest check, a simulated install and reboot, clinical-use changes and health
// telemetry. A device never waits inside a task: every later step is a new entry in the scheduler.

export type LogKind = "event" | "debug" | "error";

export type FleetContext = {
  opts: FleetOptions;
  http: FleetHttp;
  scheduler: Scheduler;
  counters: Counters;
  /** The manifest verification key (PEM) for a manifest's key id. */
  manifestKey(keyId: unknown): Promise<string>;
  log(kind: LogKind, message: string): void;
};

/** SWUpdate's feedback time: local time, no zone. */
export function ddiTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}T${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

const MAX_BUFFERED_SAMPLES = 500;
const TELEMETRY_BATCH = 1000;
let rejectionLogged = false;

export class Device {
  readonly controllerId: string;
  readonly model: string;
  readonly profile: ModelProfile;
  readonly memory: DeviceMemory;
  phase: "idle" | "installing" | "rebooting" = "idle";
  inUse: boolean;
  private readonly token: string;
  private readonly base: string;
  private readonly hardwareRevision: string | null;
  private readonly rng: Rng;
  private intervalS: number;
  private failures = 0;
  private health: HealthState;
  private buffer: TelemetrySample[] = [];
  private lastSampleAt: number;
  private lastPostAt = -Infinity;
  private pollTask: TaskHandle | null = null;
  private stopped = false;

  constructor(
    entry: ControllerEntry & { token: string },
    memory: DeviceMemory,
    private ctx: FleetContext,
  ) {
    this.controllerId = entry.controllerId;
    this.token = entry.token;
    this.model = entry.model;
    this.profile = profileFor(entry.model);
    this.memory = memory;
    this.hardwareRevision = entry.hardwareRevision;
    this.base = `${ctx.opts.url}/api/ddi/${ctx.opts.tenant}/controller/v1/${encodeURIComponent(entry.controllerId)}`;
    this.rng = createRng(seedFor(entry.controllerId, ctx.opts.seed));
    this.intervalS = ctx.opts.initialPollS;
    this.inUse = initialInUse(this.pInUse, this.rng);
    this.health = initialHealth(this.profile, this.rng);
    this.lastSampleAt = ctx.scheduler.now() - ctx.opts.sampleEveryS * 1000;
  }

  private get pInUse() {
    return lookup(this.ctx.opts.inUse, this.model);
  }

  /** First poll after `offsetMs`; telemetry and clinical use start on their own random phase. */
  start(offsetMs: number) {
    this.schedulePoll(offsetMs);
    this.ctx.scheduler.after(offsetMs + this.rng.next() * this.ctx.opts.sampleEveryS * 1000, () => this.sampleTick());
    this.scheduleFlip();
  }

  stop() {
    this.stopped = true;
  }

  private log(kind: LogKind, message: string) {
    this.ctx.log(kind, `${this.controllerId}: ${message}`);
  }

  private schedulePoll(ms: number) {
    this.pollTask?.cancel();
    this.pollTask = this.ctx.scheduler.after(ms, () => this.poll());
  }

  private nextPoll() {
    this.schedulePoll(jitteredMs(this.intervalS, this.ctx.opts.jitter, this.rng));
  }

  // ---- the suricatta loop ------------------------------------------------------------------------

  async poll(): Promise<void> {
    this.pollTask = null;
    if (this.stopped || this.phase !== "idle") return;
    const { counters, http } = this.ctx;
    const r = await http.request("GET", this.base, { token: this.token });
    const body = r.status === 200 ? (parseJson(r.body) as { config?: { polling?: { sleep?: unknown } }; _links?: Record<string, { href?: unknown }> } | undefined) : undefined;
    if (!body || typeof body !== "object") {
      this.failures++;
      counters.pollErrors++;
      if (r.status === 401 || r.status === 403) counters.authFailures++;
      if (r.status === 429) counters.rateLimited++;
      this.log("debug", `poll failed: ${r.status ? `HTTP ${r.status} ${r.body.slice(0, 200)}` : r.error}`);
      this.schedulePoll(backoffMs(this.intervalS, this.failures, this.rng));
      return;
    }
    counters.polls++;
    this.failures = 0;
    this.intervalS = parseSleep(body.config?.polling?.sleep) ?? this.intervalS;
    const links = body._links ?? {};
    const href = (name: string) => (typeof links[name]?.href === "string" ? (links[name]!.href as string) : null);

    if (href("configData")) {
      // Like SWUpdate: a loop that sends configData does only that.
      await this.putConfigData();
    } else if (href("cancelAction")) {
      await this.acknowledgeCancel(href("cancelAction")!);
    } else if (href("deploymentBase")) {
      if (await this.onDeployment(href("deploymentBase")!)) return; // busy installing: the install schedules the next poll
    }
    // No offer while an install awaits confirmation: the server withholds it while the install gate is
    // closed (in use, outside the window), so keep waiting; a different action or a cancel ends it.
    if (!this.stopped && this.phase === "idle") this.nextPoll();
  }

  private async putConfigData() {
    const data: Record<string, string> = { model: this.model, deviceType: this.profile.deviceType, clinicalUse: this.inUse ? "in_use" : "idle" };
    if (this.memory.firmwareVersion) data.swVersion = this.memory.firmwareVersion;
    if (this.hardwareRevision) data.hwRevision = this.hardwareRevision;
    const r = await this.ctx.http.request("PUT", `${this.base}/configData`, {
      token: this.token,
      json: { id: "", time: ddiTime(new Date(this.ctx.scheduler.now())), status: { result: { finished: "success" }, execution: "closed", details: [""] }, data },
    });
    if (r.status >= 200 && r.status < 300) this.ctx.counters.configPuts++;
    else this.log("event", `configData refused: HTTP ${r.status} ${r.error ?? r.body.slice(0, 200)}`);
  }

  private async acknowledgeCancel(href: string) {
    const r = await this.ctx.http.request("GET", href, { token: this.token });
    const body = parseJson(r.body) as { id?: unknown; cancelAction?: { stopId?: unknown } } | undefined;
    if (r.status !== 200 || !body) return this.log("debug", `cancelAction GET failed: HTTP ${r.status}`);
    const stopId = Number(body.cancelAction?.stopId ?? body.id);
    const ack = await this.ctx.http.request("POST", `${href}/feedback`, {
      token: this.token,
      json: { id: stopId, time: ddiTime(new Date(this.ctx.scheduler.now())), status: { result: { finished: "success" }, execution: "closed", details: ["cancellation acknowledged."] } },
    });
    if (ack.status >= 200 && ack.status < 300) {
      this.ctx.counters.cancels++;
      this.log("event", `cancel of action ${stopId} acknowledged`);
      if (this.memory.pending?.actionId === stopId) this.memory.pending = null;
    } else {
      this.ctx.counters.feedbackErrors++;
      this.log("event", `cancel acknowledgement refused: HTTP ${ack.status} ${ack.error ?? ack.body.slice(0, 200)}`);
    }
  }

  /** Returns true when an install has started (the device is busy). */
  private async onDeployment(href: string): Promise<boolean> {
    const { http, counters } = this.ctx;
    const r = await http.request("GET", href, { token: this.token });
    if (r.status !== 200) {
      this.log("debug", `deploymentBase GET: HTTP ${r.status}`);
      return false;
    }
    const parsed = parseDeployment(parseJson(r.body));
    if (!parsed.ok) {
      // Unusable offer: tell the server why rather than leave the action hanging.
      const id = Number((parseJson(r.body) as { id?: unknown } | undefined)?.id);
      if (Number.isInteger(id) && id > 0) await this.refuse(id, parsed.reason);
      else this.log("event", `unusable deployment: ${parsed.reason}`);
      return false;
    }
    const offer = parsed.offer;
    counters.offers++;

    const pending = this.memory.pending;
    if (pending && pending.actionId === offer.actionId) {
      // Rebooted into the new firmware: confirm, as SWUpdate does when started with -c 2.
      if (await this.feedback(offer.actionId, "closed", "success", ["Update Installed."], { cnt: 0, of: 0 })) {
        counters.confirmed++;
        this.memory.pending = null;
        this.log("event", `running ${offer.version}; update confirmed (action ${offer.actionId})`);
      }
      return false;
    }
    if (pending) this.memory.pending = null; // a different action now: the old one was closed meanwhile

    if (this.inUse) {
      // The server should not offer an install to a device in use; the device refuses to start one anyway.
      counters.deferredInUse++;
      this.log("debug", `action ${offer.actionId} offered while in clinical use; waiting`);
      return false;
    }
    // From the decision to install until the install ends the device is busy: it is not taken into
    // clinical use meanwhile (a change now would close Corridor's gate between offer and download).
    this.phase = "installing";
    let started = false;
    try {
      started = await this.install(offer);
    } finally {
      if (!started) this.phase = "idle";
    }
    return started;
  }

  /** The attempt up to the simulated install; true when the install is under way. */
  private async install(offer: Offer): Promise<boolean> {
    const { http, counters, opts } = this.ctx;
    // 1. The signed manifest, before a single byte of the image.
    const mr = await http.request("GET", offer.manifestHref ?? `${this.base}/deploymentBase/${offer.actionId}/manifest`, { token: this.token });
    if (mr.status === 0 || mr.status === 429 || mr.status >= 500) {
      counters.abandoned++;
      this.log("debug", `manifest unavailable (${mr.status || mr.error}); retrying at the next poll`);
      return false;
    }
    if (mr.status !== 200) {
      await this.refuse(offer.actionId, `no signed manifest for this deployment (HTTP ${mr.status})`);
      return false;
    }
    const signed = parseJson(mr.body) as { keyId?: unknown } | undefined;
    let key: string;
    try {
      key = await this.ctx.manifestKey(signed?.keyId);
    } catch (err) {
      counters.abandoned++;
      this.log("event", `manifest key unavailable (${(err as Error).message}); retrying at the next poll`);
      return false;
    }
    const verdict = verifyManifest(signed, key, offer, { controllerId: this.controllerId, securityVersion: this.memory.securityVersion }, new Date(this.ctx.scheduler.now()));
    if (!verdict.ok) {
      await this.refuse(offer.actionId, verdict.reason);
      return false;
    }

    // 2. SWUpdate's first feedback; without a 2xx it gives up this attempt and retries at the next poll.
    if (!(await this.feedback(offer.actionId, "proceeding", "none", ["Installing Update Chunk Artifacts."], { cnt: 0, of: 1 }))) {
      counters.abandoned++;
      return false;
    }

    // 3. Download, hashing as it streams; never more bytes than announced.
    const dl = await http.download(offer.downloadHref, this.token, offer.size);
    counters.downloadBytes += dl.size;
    if (dl.error || dl.status !== 200) {
      const why = dl.status && dl.status !== 200 ? `Channel operation returned HTTP error code ${dl.status}` : `download failed: ${dl.error}`;
      counters.installFailures++;
      this.log("event", `install of ${offer.version} failed: ${why}`);
      await this.feedback(offer.actionId, "closed", "failure", [`ERROR : ${why}`, "No suitable .swu image found"], { cnt: 0, of: 1 });
      return false;
    }
    const mismatch = checkDownload(offer, verdict.payload, dl);
    if (mismatch) {
      await this.refuse(offer.actionId, mismatch);
      return false;
    }

    // 4. Install (simulated), then reboot and confirm.
    await this.feedback(offer.actionId, "proceeding", "none", [`[install_single_image] : Installing ${offer.filename} (${offer.size} bytes) for ${this.profile.deviceType} ${this.model}`], { cnt: 0, of: 0 });
    const plan = planInstall(this.profile, lookup(opts.fail, this.model), opts.timeScale, this.rng);
    counters.installsStarted++;
    this.log("debug", `installing ${offer.version} (action ${offer.actionId}), ${Math.round(plan.durationMs / 1000)} s`);
    this.ctx.scheduler.after(plan.durationMs, () => this.finishInstall(offer, verdict.payload, plan));
    return true;
  }

  private async finishInstall(offer: Offer, manifest: ManifestPayload, plan: InstallPlan) {
    if (this.stopped) return;
    const { counters, scheduler } = this.ctx;
    if (!plan.ok) {
      counters.installFailures++;
      this.log("event", `install of ${offer.version} failed: ${plan.line}`);
      await this.feedback(offer.actionId, "closed", "failure", [plan.line, "No suitable .swu image found"], { cnt: 0, of: 1 });
      this.phase = "idle";
      this.nextPoll();
      return;
    }
    await this.feedback(offer.actionId, "proceeding", "none", ["Installed Chunk."], { cnt: 1, of: 1 });
    await this.feedback(offer.actionId, "proceeding", "none", ["All Chunks Installed."], { cnt: 1, of: 1 });
    counters.installsDone++;
    // From here the device boots into the new image, even if it is switched off meanwhile.
    this.memory.pending = { actionId: offer.actionId, version: offer.version, securityVersion: manifest.release.securityVersion };
    this.memory.firmwareVersion = offer.version;
    this.memory.securityVersion = Math.max(this.memory.securityVersion, manifest.release.securityVersion); // the floor only rises
    this.memory.updated = true;
    this.phase = "rebooting";
    this.log("debug", `installed ${offer.version}; rebooting for ${Math.round(plan.rebootMs / 1000)} s`);
    scheduler.after(plan.rebootMs, () => this.rebooted());
  }

  private rebooted() {
    if (this.stopped) return;
    this.health.pendingReboots++;
    this.phase = "idle";
    this.schedulePoll(0); // a restarted agent polls at once
  }

  private async refuse(actionId: number, reason: string) {
    const { counters } = this.ctx;
    counters.refusals++;
    const kind = refusalKind(reason);
    counters.refusalsByKind[kind] = (counters.refusalsByKind[kind] ?? 0) + 1;
    this.log("event", `refused action ${actionId}: ${reason}`);
    await this.feedback(actionId, "closed", "failure", [`ERROR : Update refused: ${reason}`], { cnt: 0, of: 1 });
  }

  private async feedback(actionId: number, execution: string, finished: string, details: string[], progress: { cnt: number; of: number }): Promise<boolean> {
    const r = await this.ctx.http.request("POST", `${this.base}/deploymentBase/${actionId}/feedback`, {
      token: this.token,
      json: { id: actionId, time: ddiTime(new Date(this.ctx.scheduler.now())), status: { result: { progress, finished }, execution, details } },
    });
    const ok = r.status >= 200 && r.status < 300;
    if (!ok) {
      this.ctx.counters.feedbackErrors++;
      this.log("event", `feedback "${details[0]}" for action ${actionId} not accepted: ${r.status ? `HTTP ${r.status} ${r.body.slice(0, 200)}` : r.error}`);
    }
    return ok;
  }

  // ---- clinical use and telemetry ----------------------------------------------------------------

  private scheduleFlip() {
    const dwell = nextDwellS(this.inUse, this.pInUse, this.ctx.opts.useCycleS, this.rng);
    if (dwell !== null) this.ctx.scheduler.after(dwell * 1000, () => this.flip());
  }

  private async flip() {
    if (this.stopped) return;
    if (this.phase !== "idle") {
      // Being updated: not available for a patient; look again shortly.
      this.ctx.scheduler.after(30_000, () => this.flip());
      return;
    }
    this.inUse = !this.inUse;
    this.ctx.counters.clinicalUseChanges++;
    this.scheduleFlip();
    // The install gate relies on this report: send it now, not at the next batch.
    this.addSample();
    await this.postTelemetry();
  }

  private async sampleTick() {
    if (this.stopped) return;
    const { opts, scheduler } = this.ctx;
    if (this.phase !== "rebooting") {
      this.addSample();
      // Due within half a sample interval counts as due, so batches keep a steady rhythm despite tick jitter.
      if (scheduler.now() - this.lastPostAt >= (opts.telemetryEveryS - opts.sampleEveryS / 2) * 1000) await this.postTelemetry();
    }
    if (!this.stopped) scheduler.after(jitteredMs(opts.sampleEveryS, 0.02, this.rng), () => this.sampleTick());
  }

  private addSample() {
    const now = this.ctx.scheduler.now();
    const factors = factorsFor(this.ctx.opts.regress, this.model, this.memory.firmwareVersion, this.memory.updated);
    this.buffer.push(
      takeSample(this.profile, this.health, {
        at: new Date(now),
        dtS: (now - this.lastSampleAt) / 1000,
        inUse: this.inUse,
        firmwareVersion: this.memory.firmwareVersion,
        factors,
        rng: this.rng,
      }),
    );
    this.lastSampleAt = now;
    if (this.buffer.length > MAX_BUFFERED_SAMPLES) {
      this.ctx.counters.samplesDropped += this.buffer.length - MAX_BUFFERED_SAMPLES;
      this.buffer.splice(0, this.buffer.length - MAX_BUFFERED_SAMPLES);
    }
  }

  private async postTelemetry() {
    if (this.phase === "rebooting" || this.buffer.length === 0) return;
    const { http, counters, scheduler } = this.ctx;
    const batch = this.buffer.splice(0, TELEMETRY_BATCH);
    this.lastPostAt = scheduler.now();
    const r = await http.request("POST", `${this.base}/telemetry`, { token: this.token, json: { samples: batch } });
    counters.telemetryPosts++;
    counters.samplesSent += batch.length;
    if (r.status === 200) {
      const body = parseJson(r.body) as { accepted?: unknown; rejected?: { index?: number; error?: string }[] } | undefined;
      const accepted = typeof body?.accepted === "number" ? body.accepted : 0;
      const rejected = Array.isArray(body?.rejected) ? body.rejected : [];
      counters.samplesAccepted += accepted;
      counters.samplesRejected += rejected.length;
      if (rejected.length && !rejectionLogged) {
        rejectionLogged = true;
        this.log("error", `telemetry sample rejected: ${rejected[0]?.error} (sample ${JSON.stringify(batch[rejected[0]?.index ?? 0])}); further rejections are only counted`);
      }
      return;
    }
    counters.telemetryErrors++;
    if (r.status === 0 || r.status === 429 || r.status >= 500) {
      // Keep the samples for the next try (bounded).
      this.buffer.unshift(...batch.slice(-MAX_BUFFERED_SAMPLES));
      if (this.buffer.length > MAX_BUFFERED_SAMPLES) {
        counters.samplesDropped += this.buffer.length - MAX_BUFFERED_SAMPLES;
        this.buffer.splice(0, this.buffer.length - MAX_BUFFERED_SAMPLES);
      }
    } else {
      counters.samplesRejected += batch.length;
      if (!rejectionLogged) {
        rejectionLogged = true;
        this.log("error", `telemetry batch refused: HTTP ${r.status} ${r.body.slice(0, 300)}; further refusals are only counted`);
      }
    }
  }
}
