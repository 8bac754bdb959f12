#!/usr/bin/env node
// `npm start`: first-run set-up, a production build when the sources changed, then `next start`.
// Migrations and the demo seed run inside the server at start-up (instrumentation.ts), so only one
// process ever opens the embedded database.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

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

ensureLocalEnv();
buildIfNeeded();
const port = process.env.PORT ?? "3000";
console.log(`[corridor] starting on http://localhost:${port}`);
const server = spawn(process.execPath, [nextBin, "start", "-p", port], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.kill(sig));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
