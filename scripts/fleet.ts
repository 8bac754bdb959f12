// `npm run fleet -- --devices N …`: simulated medical devices speaking hawkBit DDI to a running
// Corridor. See `npm run fleet -- --help` and README "Simulated fleet"; the code is in lib/fleet/.
import fs from "node:fs";
import path from "node:path";
import { ControllersFileError } from "@/lib/fleet/controllers";
import { FleetError, runFleet } from "@/lib/fleet/fleet";
import { HELP, parseArgs, parseDotenv, UsageError } from "@/lib/fleet/options";

/** The environment as the server sees it: process variables win over .env.local, which wins over .env. */
function loadEnv(): Record<string, string | undefined> {
  const read = (name: string) => {
    const file = path.join(process.cwd(), name);
    return fs.existsSync(file) ? parseDotenv(fs.readFileSync(file, "utf8")) : {};
  };
  const fromProcess = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== ""));
  return { ...read(".env"), ...read(".env.local"), ...fromProcess };
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2), loadEnv());
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`fleet: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (opts === "help") {
    console.log(HELP);
    return 0;
  }
  const stamp = () => new Date().toISOString().slice(11, 19);
  try {
    const result = await runFleet(opts, {
      log: (line) => console.log(`${stamp()} ${line}`),
      error: (line) => console.error(`${stamp()} ERROR ${line}`),
    });
    if (opts.json) console.log(JSON.stringify({ devices: result.devices, seconds: Math.round(result.seconds), ...result.counters }));
    return result.exitCode;
  } catch (err) {
    if (err instanceof FleetError || err instanceof ControllersFileError) {
      console.error(`fleet: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
