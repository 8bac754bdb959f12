/**
 * `npm run bench [-- --only <name>] [-- --db pglite|pg|both] [-- --verbose]`
 *
 * Runs the benchmark modules in order and prints, for each, the app's time against a floor measured
 * in the same run (ratio = app median / floor median). Benchmarks are not tests: nothing here fails on
 * a number. Results go to bench/results/latest.json (git-ignored).
 *
 * PGlite runs in memory. pg uses DATABASE_URL (default postgres://127.0.0.1:5432/test) only to create
 * and drop a dedicated `corridor_bench` database; the database in the URL is never written to.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { ddiPoll } from "./ddi-poll";
import { inventory } from "./inventory";
import { rollout, rolloutSim } from "./rollout";
import { telemetry } from "./telemetry";
import { DbLease, DEFAULT_PG_URL, fmtMs, fmtRatio, table, type BenchModule, type DbKind, type ModuleResult } from "./lib";

/** In run order. `rollout-sim` runs only when asked for by name (--only rollout-sim). */
const MODULES: BenchModule[] = [inventory, ddiPoll, rollout, telemetry, rolloutSim];

const { values: args } = parseArgs({
  options: {
    only: { type: "string" },
    db: { type: "string", default: "pglite" },
    verbose: { type: "boolean", default: false },
  },
  strict: true,
});

const dbArg = args.db ?? "pglite";
if (!["pglite", "pg", "both"].includes(dbArg)) fail(`--db must be pglite, pg or both (got "${dbArg}")`);
const kinds: DbKind[] = dbArg === "both" ? ["pglite", "pg"] : [dbArg as DbKind];
const selected = args.only ? MODULES.filter((m) => m.name === args.only) : MODULES.filter((m) => m !== rolloutSim);
if (!selected.length) fail(`--only: no benchmark named "${args.only}" (have: ${MODULES.map((m) => m.name).join(", ")})`);
const pgBaseUrl = process.env.DATABASE_URL || DEFAULT_PG_URL;

type RunRecord = { module: string; db: DbKind; ms: number } & (ModuleResult | { error: string });

function fail(msg: string): never {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

let current: DbLease | null = null;
process.once("SIGINT", () => {
  console.error("\nbench: interrupted, cleaning up");
  void (current?.release() ?? Promise.resolve()).finally(() => process.exit(130));
});

function print(name: string, db: DbKind, res: ModuleResult, ms: number) {
  console.log(`\n== ${name} on ${db} (${(ms / 1000).toFixed(1)} s)`);
  console.log(Object.entries(res.context).map(([k, v]) => `${k}: ${typeof v === "number" ? v.toLocaleString() : v}`).join(" | "));
  console.log(
    table(
      ["scenario", "app med", "app p95", "floor med", "floor p95", "app/floor", "note"],
      res.rows.map((r) => [r.scenario, fmtMs(r.app.median), fmtMs(r.app.p95), fmtMs(r.floor.median), fmtMs(r.floor.p95), fmtRatio(r.ratio), r.note ?? ""]),
      [false, true, true, true, true, true, false],
    ),
  );
  console.log("(ms; ratio = app median / floor median)");
  for (const n of res.notes) console.log(`- ${n}`);
}

async function main() {
  const started = new Date();
  const t0 = performance.now();
  const records: RunRecord[] = [];
  console.log(`corridor bench: ${selected.map((m) => m.name).join(", ")} on ${kinds.join(" + ")} | node ${process.version} | ${os.cpus().length} cpu`);

  for (const db of kinds) {
    for (const mod of selected) {
      const lease = new DbLease(db, pgBaseUrl);
      current = lease;
      const tm = performance.now();
      try {
        const res = await mod.run({
          db,
          openFreshDb: () => lease.open(),
          log: (msg) => console.log(`  [${mod.name}/${db}] ${msg}`),
          verbose: args.verbose ?? false,
        });
        const ms = performance.now() - tm;
        print(mod.name, db, res, ms);
        records.push({ module: mod.name, db, ms, ...res });
      } catch (err) {
        const ms = performance.now() - tm;
        const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
        console.error(`\n== ${mod.name} on ${db}: FAILED after ${(ms / 1000).toFixed(1)} s\n${msg}`);
        records.push({ module: mod.name, db, ms, error: msg });
      } finally {
        await lease.release().catch((e) => console.error(`bench: cleanup failed: ${String(e)}`));
        current = null;
      }
    }
  }

  const totalMs = performance.now() - t0;
  const out = path.join(process.cwd(), "bench", "results", "latest.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(
    out,
    JSON.stringify(
      {
        startedAt: started.toISOString(),
        totalMs: Math.round(totalMs),
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        args: { only: args.only ?? null, db: dbArg },
        runs: records,
      },
      null,
      2,
    ),
  );
  console.log(`\ntotal ${(totalMs / 1000).toFixed(1)} s; results in ${path.relative(process.cwd(), out)}`);
  if (records.some((r) => "error" in r)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
