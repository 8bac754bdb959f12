/**
 * Inventory page at 100,000 devices: `listDevices` (permission check, validation, drizzle page query +
 * total count) against the floor — the same two statements written by hand and sent straight to the
 * driver under drizzle, in the same run, on the same data.
 */
import { performance } from "node:perf_hooks";
import type { z } from "zod";
import { seedDemo } from "@/db/seed/demo";
import { systemActor, type Ctx } from "@/lib/services/actor";
import { listDevices } from "@/lib/services/inventory/list-devices";
import type { DeviceListInput } from "@/lib/validation/inventory";
import { explain, type PlanSummary } from "./plan";
import { captureSql, compare, fmtMs, rawClient, stats, timeOnce, type BenchEnv, type BenchModule, type BenchRow, type RawClient } from "./lib";

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100_000);
const LIMIT = 50;
const DEEP_PAGE = 20;
const WARMUP = 5;
const RUNS = 30;
const PRE_ANALYZE_RUNS = 15;
/** A full Sort of more rows than this under a LIMIT means an index should have given the order. */
const BIG_SORT = 1000;
/** "Fast at 100k": the app's p95 for one inventory page should stay under this. */
export const FAST_MS = 50;

type Input = z.input<typeof DeviceListInput>;
type Statement = { text: string; params: unknown[] };
type Scenario = { name: string; input: Input; page: Statement; count: Statement };

// The page statement's select list and joins, as list-devices.ts builds them.
const PAGE_HEAD = (sortExpr: string) => `
SELECT d.id, d.serial, d.udi, d.hardware_revision, d.firmware_version, d.security_version, d.status,
       d.last_contact_at, (${sortExpr})::text AS sort_value,
       m.name AS model_name, m.criticality, mf.name AS manufacturer_name, u.name AS unit_name, s.name AS site_name
  FROM devices d
  JOIN device_models m ON m.id = d.model_id
  JOIN manufacturers mf ON mf.id = m.manufacturer_id
  JOIN units u ON u.id = d.unit_id
  JOIN sites s ON s.id = u.site_id`;

const LAST_CONTACT = `coalesce(d.last_contact_at, 'epoch'::timestamptz)`;

function scenarios(siteId: number, q: string, deepCursor: { raw: string; v: string; id: number }): Scenario[] {
  const prefix = `${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return [
    {
      name: "first page, by serial",
      input: { sort: "serial" },
      page: { text: `${PAGE_HEAD("d.serial")}\n ORDER BY d.serial ASC, d.id ASC\n LIMIT $1`, params: [LIMIT + 1] },
      count: { text: `SELECT count(*) AS n FROM devices d`, params: [] },
    },
    {
      name: "site+status, by lastContact desc",
      input: { site: siteId, status: "active", sort: "lastContact", dir: "desc" },
      page: {
        text: `${PAGE_HEAD(LAST_CONTACT)}
 WHERE d.unit_id IN (SELECT id FROM units WHERE site_id = $1) AND d.status = $2
 ORDER BY ${LAST_CONTACT} DESC, d.id DESC
 LIMIT $3`,
        params: [siteId, "active", LIMIT + 1],
      },
      count: {
        text: `SELECT count(*) AS n FROM devices d WHERE d.unit_id IN (SELECT id FROM units WHERE site_id = $1) AND d.status = $2`,
        params: [siteId, "active"],
      },
    },
    {
      name: `serial prefix "${q}"`,
      input: { q },
      page: {
        text: `${PAGE_HEAD("d.serial")}
 WHERE (lower(d.serial) LIKE $1 OR lower(d.udi) LIKE $2)
 ORDER BY d.serial ASC, d.id ASC
 LIMIT $3`,
        params: [prefix, prefix, LIMIT + 1],
      },
      count: { text: `SELECT count(*) AS n FROM devices d WHERE (lower(d.serial) LIKE $1 OR lower(d.udi) LIKE $2)`, params: [prefix, prefix] },
    },
    {
      name: `page ${DEEP_PAGE} via next, by serial`,
      input: { sort: "serial", after: deepCursor.raw },
      page: {
        text: `${PAGE_HEAD("d.serial")}
 WHERE (d.serial, d.id) > ($1::text, $2)
 ORDER BY d.serial ASC, d.id ASC
 LIMIT $3`,
        params: [deepCursor.v, deepCursor.id, LIMIT + 1],
      },
      count: { text: `SELECT count(*) AS n FROM devices d`, params: [] },
    },
  ];
}

/** The page and the count together, as listDevices issues them (concurrently). */
const floorCall = (raw: RawClient, s: Scenario) => () =>
  Promise.all([raw.query<{ id: number }>(s.page.text, s.page.params), raw.query<{ n: string | number }>(s.count.text, s.count.params)]);

function decodeCursor(raw: string): { v: string; id: number } {
  const [, v, id] = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as [string, string, number]; // [sort, value, id]
  return { v, id };
}

type PlanPair = { page: PlanSummary; count: PlanSummary };

async function plansFor(raw: RawClient, list: Scenario[]): Promise<PlanPair[]> {
  const out: PlanPair[] = [];
  for (const s of list) out.push({ page: await explain(raw, s.page.text, s.page.params), count: await explain(raw, s.count.text, s.count.params) });
  return out;
}

async function run(env: BenchEnv) {
  const handle = await env.openFreshDb();
  const raw = rawClient(handle);
  const ctx: Ctx = { db: handle.db, actor: systemActor("bench") };
  const notes: string[] = [];

  // Seed: context only, not compared against anything.
  env.log(`seeding ${DEVICES.toLocaleString()} devices...`);
  const t0 = performance.now();
  const seeded = await seedDemo(handle.db, { devices: DEVICES, seed: 20261123, now: new Date("2026-11-23T12:00:00Z") });
  const seedMs = performance.now() - t0;
  const [version] = await raw.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);

  const [site] = await raw.query<{ id: number }>(`SELECT id FROM sites WHERE code = 'SBMC'`);
  const siteId = Number(site!.id);
  const q = "MFP4-1001";

  // Walk to the deep page the way the UI does: follow `next` from the first page.
  let after: string | undefined;
  for (let page = 1; page < DEEP_PAGE; page++) {
    const res = await listDevices(ctx, { sort: "serial", ...(after ? { after } : {}) });
    if (!res.next) throw new Error(`bench: ran out of pages at page ${page}`);
    after = res.next;
  }
  const list = scenarios(siteId, q, { raw: after!, ...decodeCursor(after!) });

  // Plans as the planner sees the freshly loaded table, then after ANALYZE (the state the main timings
  // are taken in). PGlite runs single-user: no autovacuum, so nothing ever analyzes its tables and the
  // app on PGlite runs with the "before" plans; where those differ, PGlite is timed in that state too.
  const plansBefore = await plansFor(raw, list);
  const preAnalyze: BenchRow[] = [];
  if (env.db === "pglite") {
    env.log("timing before ANALYZE (fewer runs)...");
    for (const s of list) {
      const m = await compare(() => listDevices(ctx, s.input), floorCall(raw, s), { warmup: 3, runs: PRE_ANALYZE_RUNS });
      preAnalyze.push({ scenario: `${s.name} [no ANALYZE]`, ...m });
    }
  }
  const ta = performance.now();
  await raw.query(`ANALYZE`);
  const analyzeMs = performance.now() - ta;
  const plans = await plansFor(raw, list);
  const differs = list.map((_, i) => planChanges(plansBefore[i]!, plans[i]!));

  const rows: BenchRow[] = [];
  const perScenario: unknown[] = [];
  for (const [i, s] of list.entries()) {
    // Parity: the floor must return what the app returns, or the ratio compares different work.
    const { result: app, statements } = await captureSql(handle, () => listDevices(ctx, s.input));
    const [floorPage, floorCount] = await floorCall(raw, s)();
    const appIds = app.rows.map((r) => r.id).join(",");
    const floorIds = floorPage.slice(0, LIMIT).map((r) => Number(r.id)).join(",");
    const parity = appIds === floorIds && app.total === Number(floorCount[0]?.n);
    if (!parity) notes.push(`${s.name}: app and floor disagree (rows ${appIds === floorIds ? "same" : "differ"}, total ${app.total} vs ${floorCount[0]?.n})`);
    if (env.verbose) env.log(`${s.name}: app SQL\n${statements.join(";\n")}`);

    const m = await compare(() => listDevices(ctx, s.input), floorCall(raw, s), { warmup: WARMUP, runs: RUNS });
    const parts = await breakdown(raw, s);
    const plan = plans[i]!;
    const before = plansBefore[i]!;
    rows.push({ scenario: s.name, ...m, note: `total ${app.total}; floor page ${fmtMs(parts.page)} + count ${fmtMs(parts.count)}; ${plan.page.devices}` });
    if (plan.page.seqScanSort || plan.page.sortRows > BIG_SORT) {
      const what = plan.page.seqScanSort ? "reads all of devices (Seq Scan) and sorts" : "sorts";
      notes.push(`${s.name}: no index serves the ORDER BY; the page plan ${what} ~${plan.page.sortRows.toLocaleString()} rows to return ${LIMIT + 1}:\n${indent(plan.page.text)}`);
    }
    if (differs[i]) notes.push(`${s.name}: plan before ANALYZE: ${before.page.top} / ${before.page.devices}`);
    if (m.app.p95 >= FAST_MS) notes.push(`${s.name}: app p95 ${fmtMs(m.app.p95)} ms is not under ${FAST_MS} ms at ${DEVICES.toLocaleString()} devices`);
    perScenario.push({
      name: s.name,
      input: s.input,
      parity,
      floorBreakdownMs: parts,
      appSql: statements,
      floorSql: { page: s.page, count: s.count },
      plan: { page: plan.page, count: plan.count },
      planBeforeAnalyze: { page: before.page, count: before.count },
    });
  }
  // Only the scenarios whose plan ANALYZE changes get a row of their own; the JSON keeps them all.
  for (const [i, r] of preAnalyze.entries()) {
    if (differs[i]) rows.push({ ...r, note: `plan: ${plansBefore[i]!.page.devices}` });
  }

  const slow = rows.filter((r) => !r.scenario.includes("[no ANALYZE]") && r.app.p95 >= FAST_MS).length;
  if (!slow) notes.unshift(`every scenario: app p95 under ${FAST_MS} ms at ${DEVICES.toLocaleString()} devices (after ANALYZE)`);
  const planLines = list.map((s, i) => `  ${s.name}: page ${plans[i]!.page.top}; count ${plans[i]!.count.top} [${plans[i]!.count.devices}]`);
  return {
    context: {
      server: `PostgreSQL ${version?.v ?? "?"}`,
      devices: seeded.devices,
      "seed s": +(seedMs / 1000).toFixed(1),
      "seed rows/s": Math.round(seeded.devices / (seedMs / 1000)),
      "analyze ms": Math.round(analyzeMs),
      runs: `${WARMUP} warm-up + ${RUNS} each, alternating`,
    },
    rows,
    notes: [`plans (top node, after ANALYZE):\n${planLines.join("\n")}`, ...notes],
    details: { scenarios: perScenario, beforeAnalyze: preAnalyze },
  };
}

const indent = (s: string) => s.replace(/^/gm, "    ");

const planChanges = (a: PlanPair, b: PlanPair) => a.page.top !== b.page.top || a.page.devices !== b.page.devices;

/** The floor's two statements one at a time, to show where the time goes (page vs total count). */
async function breakdown(raw: RawClient, s: Scenario, runs = 10): Promise<{ page: number; count: number }> {
  const page: number[] = [];
  const count: number[] = [];
  for (let i = 0; i < runs; i++) {
    page.push(await timeOnce(() => raw.query(s.page.text, s.page.params)));
    count.push(await timeOnce(() => raw.query(s.count.text, s.count.params)));
  }
  return { page: stats(page).median, count: stats(count).median };
}

export const inventory: BenchModule = {
  name: "inventory",
  description: `inventory page (listDevices) at ${DEVICES.toLocaleString()} devices vs hand-written SQL on the same driver`,
  run,
};
