#!/usr/bin/env node
// `npm test`: everything, in order, stopping at the first failure:
// types, lint, unit tests, integration tests on PGlite and on PostgreSQL, production build, real SWUpdate
// interop against that build, browser tests.
import { spawnSync } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const pgUrl = process.env.TEST_DATABASE_URL ?? "postgres://root@127.0.0.1:5432/test";

const steps = [
  ["Debian packages (chromium swupdate cpio)", "bash", ["scripts/ensure-debian-packages.sh", "chromium", "swupdate", "cpio"]],
  ["type-check", bin("tsc"), ["--noEmit"]],
  ["lint", bin("eslint"), ["--max-warnings=0", "."]],
  ["unit tests", bin("vitest"), ["run", "--project", "unit"]],
  ["integration tests on PGlite", bin("vitest"), ["run", "--project", "integration"], { TEST_DATABASE_URL: "" }],
  ["integration tests on PostgreSQL", bin("vitest"), ["run", "--project", "integration"], { TEST_DATABASE_URL: pgUrl }],
  ["production build", bin("next"), ["build"]],
  // The unmodified Debian swupdate daemon against that build (scripts/server.ts) on a database of its own.
  ["real SWUpdate interop", bin("vitest"), ["run", "--project", "interop"], { TEST_DATABASE_URL: pgUrl }],
  // A simulated fleet through staged rollouts against that build, with a SIGKILL and restart mid-wave.
  ["rollout simulation (2,000 devices)", bin("vitest"), ["run", "--project", "simulation"], { TEST_DATABASE_URL: pgUrl, SIM_DEVICES: "2000" }],
  ["browser tests (Chromium)", bin("playwright"), ["test", "-c", "e2e/playwright.config.ts"]],
];

const results = [];
for (const [name, cmd, args, extraEnv = {}] of steps) {
  console.log(`\n=== ${name} ===`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...extraEnv } });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  results.push([name, r.status === 0, seconds]);
  if (r.status !== 0) break;
}

console.log("\n=== summary ===");
for (const [name, ok, s] of results) console.log(`${ok ? "PASS" : "FAIL"}  ${name.padEnd(42)} ${s} s`);
const failed = results.filter(([, ok]) => !ok).length;
const skipped = steps.length - results.length;
console.log(`steps: ${results.length - failed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed ? 1 : 0);
