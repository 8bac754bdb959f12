import type { Metadata } from "next";
import Link from "next/link";
import { IncidentStatusBadge, SeverityBadge, timeToDeadline } from "@/components/incidents/badges";
import { formatDateTime } from "@/components/format";
import { TableHead } from "@/components/table";
import { EmptyState, Notice, PageHeader } from "@/components/ui";
import { can } from "@/lib/auth/permissions";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { INCIDENT_SEVERITIES, INCIDENT_SOURCE_LABELS, INCIDENT_SOURCES, INCIDENT_STATUS_LABELS, INCIDENT_STATUSES } from "@/lib/domain";
import { ServiceError } from "@/lib/services/errors";
import { listIncidents } from "@/lib/services/incidents/queries";

export const metadata: Metadata = { title: "Incidents" };

type Params = Record<string, string | string[] | undefined>;

export default async function IncidentsPage({ searchParams }: { searchParams: Promise<Params> }) {
  const user = await requirePagePermission("incidents.read", "/incidents");
  const params = await searchParams;
  const value = (k: string) => (typeof params[k] === "string" ? (params[k] as string) : "");
  const filter = { status: value("status"), severity: value("severity"), source: value("source") };
  let rows: Awaited<ReturnType<typeof listIncidents>> = [];
  let problem: string | null = null;
  try {
    rows = await listIncidents(await requestCtx(), filter as Parameters<typeof listIncidents>[1]);
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    problem = err.message;
  }
  const filtered = Boolean(filter.status || filter.severity || filter.source);

  return (
    <>
      <PageHeader
        title="Incidents"
        description="Failed updates, health problems after an update, devices that refuse a package or report an attack, misused device credentials, and problems reported by clinicians. Each has an owner and a deadline; past the deadline it is escalated."
        actions={can(user.role, "incidents.manage") ? <Link href="/incidents/new" className="btn-primary">Open an incident</Link> : null}
      />
      <form method="get" action="/incidents" className="card mb-4 flex flex-wrap items-end gap-3 p-4" role="search" aria-label="Filter incidents">
        <Select id="status" label="Status" value={filter.status} options={[["", "Open (triage or contained)"], ["all", "All"], ...INCIDENT_STATUSES.map((s) => [s, INCIDENT_STATUS_LABELS[s]] as [string, string])]} />
        <Select id="severity" label="Severity" value={filter.severity} options={[["", "Any severity"], ...INCIDENT_SEVERITIES.map((s) => [s, s[0]!.toUpperCase() + s.slice(1)] as [string, string])]} />
        <Select id="source" label="Where it came from" value={filter.source} options={[["", "Any source"], ...INCIDENT_SOURCES.map((s) => [s, INCIDENT_SOURCE_LABELS[s]] as [string, string])]} />
        <button type="submit" className="btn-secondary">Show</button>
        {filtered ? <Link href="/incidents" className="link text-sm">Clear filters</Link> : null}
      </form>
      {problem ? <Notice tone="error">{problem}</Notice> : null}
      {!problem && rows.length === 0 ? (
        <EmptyState title={filtered ? "No incident matches these filters" : "No open incidents"}>
          {filtered ? "Try other filters, or clear them." : "Nothing needs attention right now. Incidents appear here when an update fails, a device reports a problem, or someone reports one."}
        </EmptyState>
      ) : null}
      {rows.length > 0 ? (
        <div className="card overflow-x-auto">
          <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="incident-rows">
            <TableHead columns={["Incident", "Severity", "Status", "Owner", "Escalation", "Deadline", "Opened"]} />
            <tbody className="divide-y divide-slate-100">
              {rows.map((i) => {
                const overdue = i.escalationDueAt && i.escalationDueAt.getTime() < new Date(i.now).getTime();
                return (
                  <tr key={i.id} className="align-top">
                    <td className="px-4 py-2">
                      <Link href={`/incidents/${i.id}`} className="link font-medium">#{i.id} {i.title}</Link>
                      <div className="text-xs text-slate-600">{INCIDENT_SOURCE_LABELS[i.source]}{i.devices ? ` · ${i.devices} device${i.devices === 1 ? "" : "s"}` : ""}{i.signedOffAt ? " · signed off" : ""}</div>
                    </td>
                    <td className="px-4 py-2"><SeverityBadge severity={i.severity} /></td>
                    <td className="px-4 py-2"><IncidentStatusBadge status={i.status} /></td>
                    <td className="px-4 py-2">{i.ownerName ?? <span className="text-slate-600">Nobody yet</span>}</td>
                    <td className="px-4 py-2 tabular-nums">{i.escalationLevel === 0 ? "Not escalated" : `Level ${i.escalationLevel}`}</td>
                    <td className={`px-4 py-2 whitespace-nowrap ${overdue ? "font-semibold text-red-700" : ""}`}>{timeToDeadline(i.escalationDueAt, new Date(i.now))}</td>
                    <td className="px-4 py-2 text-xs whitespace-nowrap text-slate-600">{formatDateTime(i.createdAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

function Select({ id, label, value, options }: { id: string; label: string; value: string; options: [string, string][] }) {
  return (
    <div>
      <label htmlFor={id} className="label">{label}</label>
      <select id={id} name={id} className="input" defaultValue={value}>
        {options.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
      </select>
    </div>
  );
}
