import http from "node:http";

// A compact hawkBit DDI device for the rollout simulation: the suricatta loop (poll → deploymentBase →
// feedback → download → install → result), clinical use that comes and goes, and a record of every offer
// and install start with the device's own view of the world at that instant. The simulation judges those
// records against its own schedule, not against anything the server says.

export type World = {
  /** The unit's maintenance window is surely open at `t` by the simulator's own schedule (no server logic). */
  windowOpen(unitKey: string, t: number): boolean;
  /** A freeze was surely in force at `t` (committed before, not yet ended), widened by `graceMs` at its start. */
  frozen(t: number, graceMs?: number): boolean;
};

export type View = { windowOpen: boolean; inUse: boolean; frozen: boolean };

/** One gated request as the device saw it: sent at `sent`, answered at `received`. */
export type Gated = { serial: string; unitKey: string; actionId: number; sent: number; received: number; atSend: View; atReceive: View };

export type Counters = {
  polls: number;
  offers: number;
  pollErrors: number;
  startRefused: number;
  downloadRefused: number;
  installs: number;
  succeeded: number;
  failed: number;
  cancelAcks: number;
  feedbackRetries: number;
  useReports: number;
};

export const newCounters = (): Counters => ({ polls: 0, offers: 0, pollErrors: 0, startRefused: 0, downloadRefused: 0, installs: 0, succeeded: 0, failed: 0, cancelAcks: 0, feedbackRetries: 0, useReports: 0 });

export type Recorder = {
  world: World;
  counters: Counters;
  offers: Gated[];
  installStarts: Gated[];
  /** Per device: the actions it installed and how each ended, as the device knows it. */
  results: Map<string, { actionId: number; ok: boolean }[]>;
};

export type DeviceSpec = { serial: string; token: string; unitKey: string; sandbox: boolean; failureRate: number; startsInUse: boolean };

const agent = new http.Agent({ keepAlive: true, maxSockets: 192 });

type Reply = { status: number; body: string } | { status: 0; error: string };

export function request(method: string, url: string, token: string, body?: string, timeoutMs = 15_000): Promise<Reply> {
  return new Promise((resolve) => {
    const req = http.request(url, { method, agent, headers: { Authorization: `TargetToken ${token}`, Accept: "application/hal+json", ...(body ? { "Content-Type": "application/json" } : {}) }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (err) => resolve({ status: 0, error: err.message }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (err) => resolve({ status: 0, error: err.message }));
    req.end(body);
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const sleepSeconds = (hhmmss: unknown) => {
  const m = typeof hhmmss === "string" ? /^(\d\d):(\d\d):(\d\d)$/.exec(hhmmss) : null;
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : 5;
};

/** A stable number in [0, 1) from a string: the failure model and dwell times are reproducible per device. */
export function unitHash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return ((h >>> 0) % 1_000_003) / 1_000_003;
}

const feedback = (id: number, execution: string, finished: string, details: string[]) =>
  JSON.stringify({ id: String(id), time: "20261123T201759", status: { result: { finished, progress: { cnt: 0, of: 1 } }, execution, details } });

export class SimDevice {
  inUse: boolean;
  private reported: boolean | null = null;
  private nextToggle: number;
  private toggles = 0;
  private busy = false;

  constructor(
    private readonly spec: DeviceSpec,
    private readonly base: string,
    private readonly rec: Recorder,
    private readonly opts: { installMs: [number, number]; inUseMs: [number, number]; idleMs: [number, number] },
  ) {
    this.inUse = spec.startsInUse;
    this.nextToggle = Date.now() + this.dwell();
  }

  get installing() {
    return this.busy;
  }

  private dwell(): number {
    const [lo, hi] = this.inUse ? this.opts.inUseMs : this.opts.idleMs;
    return lo + (hi - lo) * unitHash(`${this.spec.serial}:${this.toggles++}`);
  }

  private view(t: number): View {
    return { windowOpen: this.rec.world.windowOpen(this.spec.unitKey, t), inUse: this.inUse, frozen: this.rec.world.frozen(t) };
  }

  /** Runs until `stopped()` says so; an install under way is always finished and reported first. */
  async run(stopped: () => boolean, firstDelayMs: number) {
    await sleep(firstDelayMs);
    let backoff = 500;
    while (!stopped()) {
      // Clinical use changes only between installs (a device being updated is out of service), and every
      // change is reported before the next poll, so the server always knows what the device knows.
      if (!this.spec.sandbox && Date.now() >= this.nextToggle) {
        this.inUse = !this.inUse;
        this.nextToggle = Date.now() + this.dwell();
      }
      if (this.reported !== this.inUse) {
        const r = await request("PUT", `${this.base}/configData`, this.spec.token, JSON.stringify({ mode: "merge", data: { clinicalUse: this.inUse ? "in_use" : "idle" } }));
        if (r.status !== 200) {
          this.rec.counters.pollErrors++;
          await sleep((backoff = Math.min(backoff * 2, 4000)));
          continue;
        }
        this.rec.counters.useReports++;
        this.reported = this.inUse;
      }
      const sent = Date.now();
      const atSend = this.view(sent);
      const r = await request("GET", this.base, this.spec.token);
      const received = Date.now();
      if (r.status !== 200) {
        this.rec.counters.pollErrors++;
        await sleep((backoff = Math.min(backoff * 2, 4000)) * (0.5 + Math.random()));
        continue;
      }
      backoff = 500;
      this.rec.counters.polls++;
      const body = JSON.parse(r.body) as { config?: { polling?: { sleep?: string } }; _links?: Record<string, { href: string }> };
      const wait = sleepSeconds(body.config?.polling?.sleep) * 1000;
      const links = body._links ?? {};
      if (links.cancelAction) {
        const id = Number(/cancelAction\/(\d+)/.exec(links.cancelAction.href)?.[1]);
        const ack = await request("POST", `${this.base}/cancelAction/${id}/feedback`, this.spec.token, JSON.stringify({ id: String(id), status: { execution: "closed", result: { finished: "success" }, details: ["cancellation acknowledged."] } }));
        if (ack.status === 200) this.rec.counters.cancelAcks++;
      } else if (links.deploymentBase) {
        const actionId = Number(/deploymentBase\/(\d+)/.exec(links.deploymentBase.href)?.[1]);
        this.rec.counters.offers++;
        this.rec.offers.push({ serial: this.spec.serial, unitKey: this.spec.unitKey, actionId, sent, received, atSend, atReceive: this.view(received) });
        if (await this.attempt(actionId, links.deploymentBase.href)) continue; // poll again at once after an install
      }
      await sleep(wait);
    }
  }

  /** One install attempt; true when the device installed (and reported the result). */
  private async attempt(actionId: number, href: string): Promise<boolean> {
    const dep = await request("GET", href, this.spec.token);
    if (dep.status !== 200) return false;
    const deployment = JSON.parse(dep.body) as { deployment: { chunks: { artifacts: { _links: { "download-http": { href: string } } }[] }[] } };
    const artifactUrl = deployment.deployment.chunks[0]!.artifacts[0]!._links["download-http"].href;
    const start = await request("POST", `${this.base}/deploymentBase/${actionId}/feedback`, this.spec.token, feedback(actionId, "proceeding", "none", ["Installing Update Chunk Artifacts."]));
    if (start.status !== 200) {
      this.rec.counters.startRefused++;
      return false;
    }
    // The download is the last gated request: once it is served, the device installs.
    const sent = Date.now();
    const atSend = this.view(sent);
    const download = await request("GET", artifactUrl, this.spec.token);
    const received = Date.now();
    if (download.status !== 200) {
      this.rec.counters.downloadRefused++;
      return false;
    }
    this.busy = true;
    this.rec.counters.installs++;
    this.rec.installStarts.push({ serial: this.spec.serial, unitKey: this.spec.unitKey, actionId, sent, received, atSend, atReceive: this.view(received) });
    const [lo, hi] = this.opts.installMs;
    await sleep(lo + (hi - lo) * Math.random());
    // Lab rigs install cleanly; in the field a model fails at its rate (stable per device).
    const ok = this.spec.sandbox || unitHash(`fail:${this.spec.serial}`) >= this.spec.failureRate;
    const result = ok ? feedback(actionId, "closed", "success", ["Update Installed."]) : feedback(actionId, "closed", "failure", ["ERROR : sensor self-test failed after update"]);
    // The result is delivered whatever happens to the server meanwhile: retried with back-off until answered.
    for (let delay = 250; ; delay = Math.min(delay * 2, 3000)) {
      const fb = await request("POST", `${this.base}/deploymentBase/${actionId}/feedback`, this.spec.token, result);
      if (fb.status === 200 || (fb.status >= 400 && fb.status < 500)) break;
      this.rec.counters.feedbackRetries++;
      await sleep(delay);
    }
    if (ok) this.rec.counters.succeeded++;
    else this.rec.counters.failed++;
    const list = this.rec.results.get(this.spec.serial) ?? [];
    list.push({ actionId, ok });
    this.rec.results.set(this.spec.serial, list);
    this.busy = false;
    return true;
  }
}
