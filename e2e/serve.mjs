#!/usr/bin/env node
// Web server for the browser tests: a fresh demo database in .data/e2e, then Corridor's server (scripts/server.ts) on port 3210.
// Expects `next build` to have run already. Signals are forwarded so PGlite closes cleanly (no stale lock).
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const dataDir = path.join(root, ".data", "e2e");
fs.rmSync(dataDir, { recursive: true, force: true });

const server = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", "server.ts"), "--port", "3210"], {
  cwd: root,
  stdio: "inherit",
  env: {
    ...process.env,
    CORRIDOR_DATA_DIR: ".data/e2e",
    CORRIDOR_DEMO: "1",
    // Keep in step with DEMO_PASSWORD in e2e/fixtures.ts.
    CORRIDOR_DEMO_PASSWORD: "e2e-demo-password-2026",
    CORRIDOR_SEED_DEVICES: "800",
    // The same demo whatever a developer's .env.local says (`npm start` writes one): no simulated fleet
    // (its rollouts would take the lab devices the tests roll out to), the production poll interval.
    CORRIDOR_FLEET_DEVICES: "0",
    DDI_POLL_SECONDS: "300",
    // A fixed secret for this throw-away test server only; it signs nothing outside the test run.
    AUTH_SECRET: "e2e-only-auth-secret-not-for-production-3f9c1d7a2b",
    AUTH_TRUST_HOST: "true",
    NEXT_TELEMETRY_DISABLED: "1",
  },
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.kill(sig));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
