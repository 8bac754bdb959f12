import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { openDb, type DbHandle } from "@/db/client";
import { DEMO_USERS, isEmpty, seedDemo } from "@/db/seed/demo";
import { seedDemoReleases } from "@/db/seed/demo-releases";
import { startIncidentTicker } from "@/lib/services/incidents/escalation";
import { startRolloutTicker } from "@/lib/services/rollouts/engine";
import { startTelemetryTicker } from "@/lib/services/telemetry/retention";
import { env } from "@/lib/env";
import { formatControllers } from "@/lib/fleet/controllers";

// Next evaluates server modules once per bundle; keep one database per process on globalThis.
const g = globalThis as typeof globalThis & { __corridor?: Promise<DbHandle> };

/** The app's database: opened, migrated and (in demo mode) seeded exactly once per process. */
export function getDbHandle(): Promise<DbHandle> {
  g.__corridor ??= start().catch((err) => {
    g.__corridor = undefined;
    throw err;
  });
  return g.__corridor;
}

export const getDb = async () => (await getDbHandle()).db;

async function start(): Promise<DbHandle> {
  const handle = await openDb({ url: env.DATABASE_URL, dataDir: env.pgliteDir });
  const closeOnExit = () => void handle.close().finally(() => process.exit(0));
  process.once("SIGTERM", closeOnExit);
  process.once("SIGINT", closeOnExit);
  console.log(`[corridor] database: ${handle.kind === "pg" ? "PostgreSQL (DATABASE_URL)" : `embedded PGlite in ${env.pgliteDir}`}`);
  if (env.demo && (await isEmpty(handle.db))) {
    const password = env.CORRIDOR_DEMO_PASSWORD ?? `demo-${randomBytes(6).toString("base64url")}`;
    const t0 = Date.now();
    const fleet = env.CORRIDOR_FLEET_SECRET ? { secret: env.CORRIDOR_FLEET_SECRET, devices: env.CORRIDOR_FLEET_DEVICES } : undefined;
    const counts = await seedDemo(handle.db, { devices: env.CORRIDOR_SEED_DEVICES, password, fleet });
    await handle.db.execute(sql`ANALYZE`);
    console.log(`[corridor] demo hospital seeded in ${Date.now() - t0} ms: ${counts.sites} sites, ${counts.units} units, ${counts.devices} devices, ${counts.fleet} with simulated-fleet tokens`);
    if (counts.fleetDevices.length) writeFleetControllers(counts.fleetDevices);
    const t1 = Date.now();
    const releases = await seedDemoReleases(handle.db, { artifactDir: env.artifactDir, password, assignFleet: counts.fleetDevices.length > 0 });
    console.log(`[corridor] ${releases.releases} demo releases through intake, verification and approval in ${Date.now() - t1} ms; rolled out in waves to ${releases.assigned} simulated devices (labs install now, clinical units in their night window)`);
    printDemoLogins(password);
  } else if (env.demo) {
    if (env.CORRIDOR_DEMO_PASSWORD) printDemoLogins(env.CORRIDOR_DEMO_PASSWORD);
    else console.log("[corridor] demo mode: the logins were printed when the demo was first seeded");
  }
  if (env.ROLLOUT_TICK_SECONDS > 0) startRolloutTicker(handle.db, env.ROLLOUT_TICK_SECONDS * 1000);
  startIncidentTicker(handle.db, 30_000); // incident escalation and webhook delivery
  startTelemetryTicker(handle.db, 3_600_000); // telemetry retention, hourly
  return handle;
}

function printDemoLogins(password: string) {
  console.log("[corridor] DEMO MODE — one login per role (never use demo mode with real devices):");
  for (const u of DEMO_USERS) console.log(`[corridor]   ${u.role.padEnd(10)} username: ${u.username.padEnd(9)} password: ${password}`);
}

/**
 * The simulated fleet's device list (ids and versions, never tokens) for `npm run fleet` (lib/fleet):
 * the server keeps only token hashes and hands out no device list, so the fleet reads it from here.
 */
function writeFleetControllers(rows: Parameters<typeof formatControllers>[0]) {
  const file = path.join(env.CORRIDOR_DATA_DIR, "fleet-controllers.txt");
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, formatControllers(rows));
    fs.renameSync(`${file}.tmp`, file);
    console.log(`[corridor] simulated-fleet device list written to ${file}`);
  } catch (err) {
    console.error(`[corridor] could not write ${file}; the simulated fleet will not start`, err);
  }
}
