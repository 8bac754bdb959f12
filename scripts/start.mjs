#!/usr/bin/env node
// `npm start`: first-run set-up, a production build when the sources changed, then the server.
// Migrations and the demo seed run inside the server at start-up (instrumentation.ts), so only one
// process ever opens the embedded database.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";

const root = path.resolve(import.meta.dirname, "..");
const envFile = path.join(root, ".env.local");
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");

function ensureLocalEnv() {
  const existing = fs.existsSync(envFile) ? fs.readFileSync(envFile, "utf8") : "";
  const add = [];
  if (!/^AUTH_SECRET=/m.test(existing)) add.push(`AUTH_SECRET=${randomBytes(32).toString("base64url")}`);
  if (!/^AUTH_TRUST_HOST=/m.test(existing)) add.push("AUTH_TRUST_HOST=true");
  // Demo logins get a password made on this machine, never one that ships with the code (ACC-01).
  if (!process.env.DATABASE_URL && !/^CORRIDOR_DEMO_PASSWORD=/m.test(existing)) {
    add.push(`CORRIDOR_DEMO_PASSWORD=demo-${randomBytes(6).toString("base64url")}`);
  }
  // The simulated fleet's tokens are derived from this secret (demo only; see lib/fleet/).
  if (!process.env.DATABASE_URL && !process.env.CORRIDOR_FLEET_SECRET && !/^CORRIDOR_FLEET_SECRET=/m.test(existing)) {
    add.push(`CORRIDOR_FLEET_SECRET=${randomBytes(32).toString("base64url")}`);
  }
  // The demo polls every minute (production default: five) so its charts and states move visibly.
  if (!process.env.DATABASE_URL && !/^DDI_POLL_SECONDS=/m.test(existing)) add.push("DDI_POLL_SECONDS=60");
  if (add.length) fs.appendFileSync(envFile, (existing && !existing.endsWith("\n") ? "\n" : "") + add.join("\n") + "\n", { mode: 0o600 });
}

const SOURCES = ["app", "components", "lib", "db", "public", "instrumentation.ts", "next.config.ts", "package.json", "postcss.config.mjs", "tsconfig.json"];

function newestMtime(p) {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

function buildIfNeeded() {
  const buildId = path.join(root, ".next", "BUILD_ID");
  const built = fs.existsSync(buildId) ? fs.statSync(buildId).mtimeMs : 0;
  const changed = Math.max(...SOURCES.map((s) => newestMtime(path.join(root, s))));
  if (built && built >= changed) return;
  console.log(built ? "[corridor] sources changed since the last build; building…" : "[corridor] first start: building the app (about a minute)…");
  const r = spawnSync(process.execPath, [nextBin, "build"], { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** Settings as the server sees them: process variables win over .env.local, which wins over .env. */
function setting(name) {
  if (process.env[name]) return process.env[name];
  for (const file of [".env.local", ".env"]) {
    const p = path.join(root, file);
    if (!fs.existsSync(p)) continue;
    const m = new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=\\s*(.*?)\\s*$`, "m").exec(fs.readFileSync(p, "utf8"));
    if (m && m[1]) return m[1].replace(/^(["'])(.*)\1$/, "$2");
  }
  return undefined;
}

/**
 * Demo mode: once the server answers, run the simulated fleet (scripts/fleet.ts) in the background so
 * the demo is alive. Its devices are the ones the demo seed gave fleet tokens to; it learns their ids
 * from the controllers file the seed writes. Anything missing means no fleet, never a failed start.
 */
async function startFleet(port) {
  const demoFlag = setting("CORRIDOR_DEMO");
  const demo = demoFlag ? ["1", "true", "yes"].includes(demoFlag) : !setting("DATABASE_URL");
  if (!demo) return null;
  const devices = Number(setting("CORRIDOR_FLEET_DEVICES") ?? 300);
  const note = (msg) => console.log(`[corridor] simulated fleet not started: ${msg}`);
  if (!(devices > 0)) return note("CORRIDOR_FLEET_DEVICES is 0"), null;
  if (!setting("CORRIDOR_FLEET_SECRET")) return note("CORRIDOR_FLEET_SECRET is not set"), null;
  const tsxCli = path.join(root, "node_modules", "tsx", "dist", "cli.mjs");
  if (!fs.existsSync(tsxCli)) return note("tsx is not installed (npm install without --omit=dev)"), null;

  const url = `http://localhost:${port}`;
  for (let waited = 0; ; waited++) {
    if (server.exitCode !== null || server.signalCode !== null) return null;
    try {
      const r = await fetch(`${url}/login`, { redirect: "manual", signal: AbortSignal.timeout(5000) });
      if (r.status < 500) break;
    } catch {
      // not listening yet
    }
    if (waited > 900) return note(`${url}/login did not answer`), null;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const dataDir = path.resolve(root, setting("CORRIDOR_DATA_DIR") ?? ".data");
  const controllers = path.join(dataDir, "fleet-controllers.txt");
  if (!fs.existsSync(controllers)) {
    return note(`${controllers} does not exist (the demo data was seeded without a fleet; delete ${dataDir} to re-seed with one)`), null;
  }
  const extra = (setting("CORRIDOR_FLEET_ARGS") ?? "").split(/\s+/).filter(Boolean);
  const args = ["scripts/fleet.ts", "--url", url, "--devices", String(devices), "--controllers", controllers, "--time-scale", "0.1", "--status-every", "60", "--quiet", ...extra];
  console.log(`[corridor] starting the simulated fleet: ${devices} devices (npm run fleet -- ${args.slice(1).join(" ")})`);
  const child = spawn(process.execPath, [tsxCli, ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CORRIDOR_FLEET_SECRET: setting("CORRIDOR_FLEET_SECRET") },
  });
  for (const [stream, out] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
    readline.createInterface({ input: stream }).on("line", (line) => out.write(`[fleet] ${line}\n`));
  }
  child.on("exit", (code, signal) => {
    fleet = null;
    if (!stopping) console.log(`[corridor] simulated fleet stopped (${signal ?? `exit code ${code}`}); the server keeps running`);
  });
  return child;
}

ensureLocalEnv();
buildIfNeeded();
const port = process.env.PORT ?? "3000";
console.log(`[corridor] starting on http://localhost:${port}`);
// scripts/server.ts: Next for the console, node:http for the device API, in one process.
const server = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", "server.ts"), "--port", port], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
});
let fleet = null;
let stopping = false;
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    stopping = true;
    server.kill(sig);
    fleet?.kill(sig);
  });
}
server.on("exit", (code, signal) => {
  stopping = true;
  const exit = () => process.exit(code ?? (signal ? 0 : 1));
  if (!fleet) return exit();
  // Let the fleet save its devices' state; never wait long.
  fleet.once("exit", exit);
  fleet.kill("SIGTERM");
  setTimeout(exit, 10_000).unref();
});
startFleet(port)
  .then((child) => {
    if (child && stopping) child.kill("SIGTERM");
    fleet = child;
  })
  .catch((err) => console.log(`[corridor] simulated fleet not started: ${err.message}`));
