/** EXPLAIN helpers: run a floor statement's plan once and boil it down to a line a reader can scan. */
import type { RawClient } from "./lib";

type PlanNode = {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Sort Key"?: string[];
  "Presorted Key"?: string[];
  "Plan Rows"?: number;
  "Total Cost"?: number;
  Plans?: PlanNode[];
};

export type PlanSummary = {
  /** The root node and the nodes under it down to the first join or scan, e.g. "Limit > Incremental Sort > Nested Loop". */
  top: string;
  /** How `devices` is read, e.g. "Index Scan devices_serial_key", "Seq Scan". */
  devices: string;
  /** The plan reads all of `devices` and sorts it (a Sort, not an Incremental Sort, above a Seq Scan on devices). */
  seqScanSort: boolean;
  /** Estimated input rows of the largest full Sort (not Incremental Sort) in the plan, 0 if none. */
  sortRows: number;
  /** The planner's total cost estimate. */
  cost: number;
  text: string;
};

const label = (n: PlanNode) => {
  const sortKey = n["Sort Key"]?.length ? `(${n["Sort Key"].join(", ")})` : "";
  return `${n["Node Type"]}${n["Node Type"].includes("Sort") ? sortKey : ""}`;
};

const isJoinOrScan = (n: PlanNode) => /Join|Nested Loop|Scan/.test(n["Node Type"]);

function walk(n: PlanNode, visit: (n: PlanNode, ancestors: PlanNode[]) => void, ancestors: PlanNode[] = []) {
  visit(n, ancestors);
  for (const c of n.Plans ?? []) walk(c, visit, [...ancestors, n]);
}

/** Index names used to reach devices rows, with the access node type. */
function devicesAccess(root: PlanNode): string[] {
  const out: string[] = [];
  walk(root, (n) => {
    if (n["Relation Name"] === "devices") {
      if (n["Node Type"] === "Bitmap Heap Scan") {
        const idx: string[] = [];
        walk(n, (c) => {
          if (c["Index Name"]) idx.push(c["Index Name"]);
        });
        out.push(`Bitmap Heap Scan [${idx.join(" | ")}]`);
      } else {
        out.push(`${n["Node Type"]}${n["Index Name"] ? ` ${n["Index Name"]}` : ""}`);
      }
    }
  });
  return out;
}

function hasSeqScanSort(root: PlanNode): boolean {
  let found = false;
  walk(root, (n, ancestors) => {
    if (n["Node Type"] === "Seq Scan" && n["Relation Name"] === "devices" && ancestors.some((a) => a["Node Type"] === "Sort")) {
      found = true;
    }
  });
  return found;
}

function largestSort(root: PlanNode): number {
  let rows = 0;
  walk(root, (n) => {
    if (n["Node Type"] === "Sort") rows = Math.max(rows, n["Plan Rows"] ?? 0);
  });
  return rows;
}

export async function explain(raw: RawClient, text: string, params: unknown[]): Promise<PlanSummary> {
  const [row] = await raw.query<Record<string, unknown>>(`EXPLAIN (FORMAT JSON) ${text}`, params);
  const value = row ? Object.values(row)[0] : undefined;
  const parsed = (typeof value === "string" ? JSON.parse(value) : value) as { Plan: PlanNode }[];
  const root = parsed[0]!.Plan;
  const chain: string[] = [];
  for (let n: PlanNode | undefined = root; n; n = n.Plans?.[0]) {
    chain.push(label(n));
    if (isJoinOrScan(n)) break;
  }
  const textRows = await raw.query<Record<string, string>>(`EXPLAIN ${text}`, params);
  return {
    top: chain.join(" > "),
    devices: devicesAccess(root).join(", ") || "(not read)",
    seqScanSort: hasSeqScanSort(root),
    sortRows: largestSort(root),
    cost: root["Total Cost"] ?? NaN,
    text: textRows.map((r) => Object.values(r)[0]).join("\n"),
  };
}
