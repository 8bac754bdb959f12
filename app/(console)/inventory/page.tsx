import type { Metadata } from "next";
import Link from "next/link";
import { CriticalityBadge, StatusBadge } from "@/components/device-badges";
import { formatAgo, formatCount } from "@/components/format";
import { Badge, EmptyState, Notice, PageHeader } from "@/components/ui";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { CRITICALITIES, CRITICALITY_LABELS, DEVICE_STATUSES, DEVICE_STATUS_LABELS } from "@/lib/domain";
import { ServiceError } from "@/lib/services/errors";
import { deviceFilterOptions, listDevices } from "@/lib/services/inventory/list-devices";
import { searchParamsToObject, type DeviceSort } from "@/lib/validation/inventory";
import { TableHead } from "@/components/table";
import { recalledFirmware } from "@/lib/services/releases/queries";

export const metadata: Metadata = { title: "Inventory" };

type Params = Record<string, string | string[] | undefined>;

const FILTER_KEYS = ["q", "site", "unit", "model", "manufacturer", "firmware", "status", "criticality", "sort", "dir"] as const;

function hrefWith(params: Params, changes: Record<string, string | undefined>): string {
  const next = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const v = params[key];
    if (typeof v === "string" && v) next.set(key, v);
  }
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) next.delete(k);
    else next.set(k, v);
  }
  const qs = next.toString();
  return qs ? `/inventory?${qs}` : "/inventory";
}

export default async function InventoryPage({ searchParams }: { searchParams: Promise<Params> }) {
  await requirePagePermission("devices.read", "/inventory");
  const params = await searchParams;
  const ctx = await requestCtx();
  const options = await deviceFilterOptions(ctx, undefined);
  let result: Awaited<ReturnType<typeof listDevices>> | null = null;
  let problem: string | null = null;
  try {
    result = await listDevices(ctx, searchParamsToObject(params));
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    problem = err.message;
  }
  // One query over this page's devices: which run a release that has been recalled.
  const recalled = result ? await recalledFirmware(ctx.db, result.rows.map((d) => d.id)) : new Set<number>();
  const value = (k: string) => (typeof params[k] === "string" ? (params[k] as string) : "");
  const sort = (value("sort") || "serial") as DeviceSort;
  const dir = value("dir") === "desc" ? "desc" : "asc";
  const sortHeader = (key: DeviceSort, label: string) => {
    const active = sort === key;
    // Risk opens highest first: the point of sorting by it is to see the riskiest devices.
    const nextDir = active ? (dir === "asc" ? "desc" : "asc") : key === "risk" ? "desc" : "asc";
    return (
      <Link href={hrefWith(params, { sort: key, dir: nextDir, after: undefined, before: undefined })} className="hover:underline">
        {label}
        {active ? <span aria-label={dir === "asc" ? "sorted ascending" : "sorted descending"}> {dir === "asc" ? "▲" : "▼"}</span> : null}
      </Link>
    );
  };

  return (
    <>
      <PageHeader
        title="Inventory"
        description="Every connected device across the hospital system. Search by serial number or UDI, or narrow the list with the filters."
      />

      <form method="get" action="/inventory" className="card mb-4 grid grid-cols-2 gap-3 p-4 md:grid-cols-4 xl:grid-cols-8" role="search" aria-label="Filter devices">
        <div className="col-span-2">
          <label htmlFor="q" className="label">Serial or UDI</label>
          <input id="q" name="q" className="input" placeholder="e.g. MFP4-1002" defaultValue={value("q")} />
        </div>
        <Select id="site" label="Site" value={value("site")} options={options.sites.map((s) => [String(s.id), s.name])} />
        <div>
          <label htmlFor="unit" className="label">Unit</label>
          <select id="unit" name="unit" className="input" defaultValue={value("unit")}>
            <option value="">All units</option>
            {options.sites.map((site) => (
              <optgroup key={site.id} label={site.name}>
                {options.units.filter((u) => u.siteId === site.id).map((u) => (
                  <option key={u.id} value={u.id}>{u.name}</option>
                ))}
              </optgroup>
            ))}
          </select>
        </div>
        <Select id="manufacturer" label="Manufacturer" value={value("manufacturer")} options={options.manufacturers.map((m) => [String(m.id), m.name])} />
        <Select id="model" label="Model" value={value("model")} options={options.models.map((m) => [String(m.id), m.name])} />
        <Select id="firmware" label="Firmware" value={value("firmware")} options={options.firmware.map((f) => [f, f])} />
        <Select id="status" label="Status" value={value("status")} options={DEVICE_STATUSES.map((s) => [s, DEVICE_STATUS_LABELS[s]])} />
        <Select id="criticality" label="Criticality" value={value("criticality")} options={CRITICALITIES.map((c) => [c, CRITICALITY_LABELS[c]])} />
        <input type="hidden" name="sort" value={sort} />
        <input type="hidden" name="dir" value={dir} />
        <div className="col-span-2 flex items-end gap-2 md:col-span-4 xl:col-span-7">
          <button type="submit" className="btn-primary">Apply filters</button>
          <Link href="/inventory" className="btn-secondary">Clear</Link>
        </div>
      </form>

      {problem ? (
        <Notice tone="error" title="These filters cannot be used">
          {problem} <Link href="/inventory" className="link">Clear the filters</Link>
        </Notice>
      ) : result && result.total === 0 ? (
        <EmptyState title="No devices match these filters" action={<Link href="/inventory" className="btn-secondary">Clear the filters</Link>}>
          Try a shorter serial number, or remove a filter.
        </EmptyState>
      ) : result ? (
        <div className="card overflow-hidden">
          <div className="flex items-center justify-between border-b border-slate-200 px-4 py-3 text-sm">
            <p data-testid="device-total"><span className="font-semibold">{formatCount(result.total)}</span> {result.total === 1 ? "device matches" : "devices match"}</p>
            <Pager params={params} prev={result.prev} next={result.next} />
          </div>
          <div className="overflow-x-auto">
            <table className="min-w-full divide-y divide-slate-200 text-sm">
              <TableHead columns={[sortHeader("serial", "Serial"), "Model", "Unit", sortHeader("firmware", "Firmware"), sortHeader("status", "Status"), "Criticality", sortHeader("risk", "Risk"), sortHeader("lastContact", "Last contact")]} />
              <tbody className="divide-y divide-slate-100" data-testid="device-rows">
                {result.rows.map((d) => (
                  <tr key={d.id} className="hover:bg-slate-50">
                    <td className="px-4 py-2 font-mono text-xs">
                      <Link href={`/inventory/${d.id}`} className="link">{d.serial}</Link>
                    </td>
                    <td className="px-4 py-2">
                      <div>{d.modelName}</div>
                      <div className="text-xs text-slate-600">{d.manufacturerName}</div>
                    </td>
                    <td className="px-4 py-2">
                      <div>{d.unitName}</div>
                      <div className="text-xs text-slate-600">{d.siteName}</div>
                    </td>
                    <td className="px-4 py-2">
                      <div className="font-mono text-xs">{d.firmwareVersion}</div>
                      <div className="text-xs text-slate-600">security v{d.securityVersion}</div>
                      {recalled.has(d.id) ? <div className="mt-1" data-testid="recalled-firmware"><Badge tone="red">Recalled firmware</Badge></div> : null}
                    </td>
                    <td className="px-4 py-2"><StatusBadge status={d.status} /></td>
                    <td className="px-4 py-2"><CriticalityBadge criticality={d.criticality} /></td>
                    <td className="px-4 py-2 tabular-nums" data-testid="risk-cell">{d.risk}</td>
                    <td className="px-4 py-2 text-slate-700" title={d.lastContactAt?.toISOString()}>{formatAgo(d.lastContactAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="flex justify-end border-t border-slate-200 px-4 py-3">
            <Pager params={params} prev={result.prev} next={result.next} />
          </div>
        </div>
      ) : null}
    </>
  );

  function Pager({ params, prev, next }: { params: Params; prev: string | null; next: string | null }) {
    return (
      <nav aria-label="Pages" className="flex gap-2">
        {prev ? <Link className="btn-secondary" href={hrefWith(params, { before: prev, after: undefined })}>← Previous</Link> : <span className="btn-secondary opacity-40" aria-disabled>← Previous</span>}
        {next ? <Link className="btn-secondary" href={hrefWith(params, { after: next, before: undefined })}>Next →</Link> : <span className="btn-secondary opacity-40" aria-disabled>Next →</span>}
      </nav>
    );
  }
}

function Select({ id, label, value, options }: { id: string; label: string; value: string; options: [string, string][] }) {
  return (
    <div>
      <label htmlFor={id} className="label">{label}</label>
      <select id={id} name={id} className="input" defaultValue={value}>
        <option value="">All</option>
        {options.map(([v, l]) => (
          <option key={v} value={v}>{l}</option>
        ))}
      </select>
    </div>
  );
}
