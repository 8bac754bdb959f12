import { defaultRampSeconds } from "./timing";

// The `npm run fleet` command line, parsed without dependencies. Per-model settings share one grammar:
// "0.05,MFP4=0.3,NVX3=0.1" — a bare value is the default for every model, KEY=value overrides one
// model (KEY is the model key, i.e. the demo serial's prefix).

export class UsageError extends Error {}

export type ModelMap = { fallback: number; byModel: ReadonlyMap<string, number> };

export const lookup = (map: ModelMap, model: string) => map.byModel.get(model) ?? map.fallback;

export function parseModelMap(spec: string, fallback: number, what: string, bounds: { min: number; max: number }): ModelMap {
  const byModel = new Map<string, number>();
  let base = fallback;
  for (const raw of spec.split(",")) {
    const part = raw.trim();
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = eq >= 0 ? part.slice(0, eq).trim() : null;
    const text = (eq >= 0 ? part.slice(eq + 1) : part).trim();
    const value = Number(text);
    if (text === "" || !Number.isFinite(value) || value < bounds.min || value > bounds.max) {
      throw new UsageError(`${what}: "${part}" — expected a number from ${bounds.min} to ${bounds.max}`);
    }
    if (key === null || key === "*") base = value;
    else if (!/^[A-Za-z0-9_.-]{1,40}$/.test(key)) throw new UsageError(`${what}: "${key}" is not a model key`);
    else byModel.set(key, value);
  }
  return { fallback: base, byModel };
}

export const METRICS = ["batteryPct", "sensorDrift", "powerDrawW", "alarmCount", "reboots"] as const;
export type Metric = (typeof METRICS)[number];

const METRIC_ALIASES: Record<string, Metric> = {
  batterypct: "batteryPct", battery: "batteryPct",
  sensordrift: "sensorDrift", drift: "sensorDrift",
  powerdraww: "powerDrawW", power: "powerDrawW",
  alarmcount: "alarmCount", alarms: "alarmCount",
  reboots: "reboots",
};

/** Makes the updated devices of a model (optionally: only those on one version) worse in one metric. */
export type Regression = { model: string; version: string | null; metric: Metric; factor: number };

/** "MFP4=powerDrawW:1.5,NVX3@3.2.0=alarms:4" */
export function parseRegressions(spec: string): Regression[] {
  const out: Regression[] = [];
  for (const raw of spec.split(",")) {
    const part = raw.trim();
    if (!part) continue;
    const m = /^([A-Za-z0-9_.-]{1,40})(?:@([^=\s]{1,40}))?=([A-Za-z]+):([0-9]*\.?[0-9]+)$/.exec(part);
    if (!m) throw new UsageError(`--regress: "${part}" — expected MODEL[@VERSION]=METRIC:FACTOR, e.g. MFP4=powerDrawW:1.5`);
    const metric = METRIC_ALIASES[m[3]!.toLowerCase()];
    if (!metric) throw new UsageError(`--regress: unknown metric "${m[3]}" (one of ${METRICS.join(", ")})`);
    const factor = Number(m[4]);
    if (!(factor > 0 && factor <= 1000)) throw new UsageError(`--regress: factor ${m[4]} must be above 0 and at most 1000`);
    out.push({ model: m[1]!, version: m[2] ?? null, metric, factor });
  }
  return out;
}

export type FleetOptions = {
  devices: number | null;
  url: string;
  tenant: string;
  controllersFile: string;
  stateFile: string | null;
  secret: string | null;
  manifestKeyFile: string | null;
  durationS: number | null;
  timeScale: number;
  fail: ModelMap;
  inUse: ModelMap;
  useCycleS: number;
  sampleEveryS: number;
  telemetryEveryS: number;
  regress: Regression[];
  jitter: number;
  initialPollS: number;
  concurrency: number;
  rampS: number | null;
  statusEveryS: number;
  verbosity: "quiet" | "normal" | "verbose";
  seed: number;
  json: boolean;
};

export const HELP = `Usage: npm run fleet -- [options]

Runs simulated medical devices that speak hawkBit DDI to a running Corridor server.

Devices
  --devices N            use the first N devices of the controllers file (default: all)
  --controllers FILE     "controllerId[,token]" per line, or a CSV with a header naming the columns
                         controllerId,token,model,firmwareVersion,securityVersion,hardwareRevision
                         (default: $CORRIDOR_DATA_DIR/fleet-controllers.txt, written by the demo seed)
  --secret S             derive missing tokens from the demo fleet secret (visible in ps; prefer the env)
                         (default: CORRIDOR_FLEET_SECRET from the environment or .env.local)
  --state FILE|none      where devices keep their installed version between runs
                         (default: fleet-state.json next to the controllers file)
Server
  --url URL              Corridor's address (default http://localhost:$PORT, PORT defaulting to 3000)
  --tenant T             DDI tenant (default $DDI_TENANT or DEFAULT)
  --manifest-key FILE    pin the manifest verification key (PEM) instead of fetching it once
Behaviour
  --time-scale F         multiply install and reboot durations (default 1; 0.05 = 20× faster)
  --fail SPEC            install failure probability per model (default 0.05), e.g. 0.02,MFP4=0.3
  --in-use SPEC          share of time in clinical use per model (default 0.6), e.g. 0.6,ARD9=0.05
  --use-cycle S          mean length of one in-use + idle cycle in seconds (default 1800)
  --sample-every S       telemetry sample interval (default 60)
  --telemetry-every S    telemetry batch interval (default 300)
  --regress SPEC         worse health after an update: MODEL[@VERSION]=METRIC:FACTOR[,...]
                         metrics: batteryPct (drain), sensorDrift, powerDrawW, alarmCount, reboots
  --jitter F             each device's own poll jitter, ± fraction (default 0.1)
  --initial-poll S       poll interval until the server has named one (default 30)
Run
  --duration S           stop after S seconds (default: until Ctrl-C / SIGTERM)
  --concurrency N        device steps (and sockets) in flight at once (default 64)
  --ramp S               spread the first polls over S seconds (default: ~50 devices a second, ≤ 60 s)
  --status-every S       one-line summary interval (default 10)
  --quiet | --verbose    summaries and errors only | every device event (the last one given wins)
  --seed N               random seed (default 1)
  --json                 print the final counters as JSON
  --help`;

type Env = Record<string, string | undefined>;

function num(name: string, text: string | undefined, min: number, max: number, integer = false): number {
  const v = Number(text);
  if (text === undefined || text.trim() === "" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new UsageError(`${name}: "${text ?? ""}" — expected ${integer ? "an integer" : "a number"} from ${min} to ${max}`);
  }
  return v;
}

/** Parses argv (without node and the script). `env` supplies defaults (process env merged with .env.local). */
export function parseArgs(argv: readonly string[], env: Env): FleetOptions | "help" {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const FLAGS = new Set(["quiet", "verbose", "json", "help"]);
  const VALUED = new Set([
    "devices", "url", "tenant", "controllers", "state", "secret", "manifest-key", "duration", "time-scale", "fail", "in-use",
    "use-cycle", "sample-every", "telemetry-every", "regress", "jitter", "initial-poll", "concurrency", "ramp", "status-every", "seed",
  ]);
  const regress: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument "${arg}" (see --help)`);
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (FLAGS.has(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      // --quiet and --verbose: the last one wins (so extra arguments can override a default).
      if (name === "quiet") flags.delete("verbose");
      if (name === "verbose") flags.delete("quiet");
      flags.add(name);
      continue;
    }
    if (!VALUED.has(name)) throw new UsageError(`unknown option --${name} (see --help)`);
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    if (name === "regress") regress.push(value);
    else values.set(name, value);
  }
  if (flags.has("help")) return "help";

  const dataDir = env.CORRIDOR_DATA_DIR || ".data";
  const controllersFile = values.get("controllers") ?? `${dataDir}/fleet-controllers.txt`;
  const stateArg = values.get("state");
  const stateFile = stateArg === "none" ? null : (stateArg ?? controllersFile.replace(/[^/\\]*$/, "fleet-state.json"));
  const url = (values.get("url") ?? `http://localhost:${env.PORT || "3000"}`).replace(/\/+$/, "");
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw new UsageError(`--url: "${url}" is not an http(s) URL`);
  }
  const tenant = values.get("tenant") ?? env.DDI_TENANT ?? "DEFAULT";
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(tenant)) throw new UsageError(`--tenant: "${tenant}" is not a valid tenant`);
  const get = (name: string) => values.get(name);
  const opt = <T>(name: string, parse: (v: string) => T, fallback: T): T => (values.has(name) ? parse(values.get(name)!) : fallback);

  return {
    devices: opt("devices", (v) => num("--devices", v, 1, 1_000_000, true), null),
    url,
    tenant,
    controllersFile,
    stateFile,
    secret: get("secret") ?? env.CORRIDOR_FLEET_SECRET ?? null,
    manifestKeyFile: get("manifest-key") ?? null,
    durationS: opt("duration", (v) => num("--duration", v, 1, 365 * 86400), null),
    timeScale: opt("time-scale", (v) => num("--time-scale", v, 0.0001, 1000), 1),
    fail: parseModelMap(get("fail") ?? "", 0.05, "--fail", { min: 0, max: 1 }),
    inUse: parseModelMap(get("in-use") ?? "", 0.6, "--in-use", { min: 0, max: 1 }),
    useCycleS: opt("use-cycle", (v) => num("--use-cycle", v, 1, 30 * 86400), 1800),
    sampleEveryS: opt("sample-every", (v) => num("--sample-every", v, 1, 86400), 60),
    telemetryEveryS: opt("telemetry-every", (v) => num("--telemetry-every", v, 1, 86400), 300),
    regress: regress.flatMap(parseRegressions),
    jitter: opt("jitter", (v) => num("--jitter", v, 0, 0.9), 0.1),
    initialPollS: opt("initial-poll", (v) => num("--initial-poll", v, 1, 86400), 30),
    concurrency: opt("concurrency", (v) => num("--concurrency", v, 1, 1024, true), 64),
    rampS: opt("ramp", (v) => num("--ramp", v, 0, 3600), null),
    statusEveryS: opt("status-every", (v) => num("--status-every", v, 1, 86400), 10),
    verbosity: flags.has("quiet") ? "quiet" : flags.has("verbose") ? "verbose" : "normal",
    seed: opt("seed", (v) => num("--seed", v, 0, 2 ** 32 - 1, true), 1),
    json: flags.has("json"),
  };
}

export const rampSecondsFor = (o: FleetOptions, devices: number) => o.rampS ?? defaultRampSeconds(devices);

/** `KEY=value` lines of a dotenv file (quotes stripped, comments and blank lines skipped). */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let v = m[2]!;
    if ((v.startsWith('"') && v.endsWith('"') && v.length >= 2) || (v.startsWith("'") && v.endsWith("'") && v.length >= 2)) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, "");
    out[m[1]!] = v;
  }
  return out;
}
