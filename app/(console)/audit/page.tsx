import type { Metadata } from "next";
import Link from "next/link";
import { AuditChanges } from "@/components/audit-changes";
import { formatCount, formatDateTime } from "@/components/format";
import { Badge, EmptyState, Notice, PageHeader } from "@/components/ui";
import { VerifyChainButton } from "@/components/verify-chain-button";
import { can } from "@/lib/auth/permissions";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { auditChainStatus, listAuditEvents } from "@/lib/services/audit/audit-trail";
import { ServiceError } from "@/lib/services/errors";
import { searchParamsToObject } from "@/lib/validation/inventory";
import { TableHead } from "@/components/table";

export const metadata: Metadata = { title: "Audit trail" };

type Params = Record<string, string | string[] | undefined>;
const FILTERS = ["action", "actor", "entityType", "entityId", "from", "to"] as const;

export default async function AuditPage({ searchParams }: { searchParams: Promise<Params> }) {
  const user = await requirePagePermission("audit.read", "/audit");
  const params = await searchParams;
  const ctx = await requestCtx();
  const chain = await auditChainStatus(ctx, {});
  let page: Awaited<ReturnType<typeof listAuditEvents>> | null = null;
  let problem: string | null = null;
  try {
    page = await listAuditEvents(ctx, searchParamsToObject(params));
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    problem = err.message;
  }
  const value = (k: string) => (typeof params[k] === "string" ? (params[k] as string) : "");
  const filterQuery = new URLSearchParams(FILTERS.flatMap((k) => (value(k) ? [[k, value(k)]] : []))).toString();

  return (
    <>
      <PageHeader
        title="Audit trail"
        description="Every change, sign-in and refusal, written in the same transaction as the change. Rows cannot be edited or deleted, and each row is chained to the one before it by a hash."
        actions={can(user.role, "audit.export") ? <a className="btn-secondary" href={`/api/audit/export${filterQuery ? `?${filterQuery}` : ""}`}>Export CSV</a> : null}
      />

      <section className="mb-6" aria-label="Chain status" data-testid="chain-status">
        {chain.ok ? (
          <Notice tone="success" title="The audit chain is intact">
            All {formatCount(chain.checked)} rows match their hashes and links{chain.lastSeq ? ` (through row ${chain.lastSeq})` : ""}.
          </Notice>
        ) : (
          <Notice tone="error" title="The audit chain is broken">
            The first broken link is row {chain.brokenAt}: {chain.problem}. Treat the rows from there on as untrusted and tell your security officer.
          </Notice>
        )}
        <div className="mt-3"><VerifyChainButton /></div>
      </section>

      <form method="get" action="/audit" className="card mb-4 grid grid-cols-2 gap-3 p-4 md:grid-cols-6" role="search" aria-label="Filter audit events">
        <Input id="action" label="Action starts with" value={value("action")} placeholder="e.g. device." />
        <Input id="actor" label="Who" value={value("actor")} placeholder="name or username" />
        <Input id="entityType" label="Record type" value={value("entityType")} placeholder="e.g. device" />
        <Input id="entityId" label="Record id" value={value("entityId")} />
        <Input id="from" label="From (UTC)" value={value("from")} type="date" />
        <Input id="to" label="To (UTC)" value={value("to")} type="date" />
        <div className="col-span-2 flex gap-2 md:col-span-6">
          <button type="submit" className="btn-primary">Apply filters</button>
          <Link href="/audit" className="btn-secondary">Clear</Link>
        </div>
      </form>

      {problem ? (
        <Notice tone="error" title="These filters cannot be used">{problem}</Notice>
      ) : page && page.rows.length === 0 ? (
        <EmptyState title="No audit events match these filters" />
      ) : page ? (
        <div className="card overflow-x-auto">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <TableHead columns={["#", "When", "Who", "What", "Record", "Changes", "From"]} />
            <tbody className="divide-y divide-slate-100" data-testid="audit-rows">
              {page.rows.map((e) => (
                <tr key={e.seq} className="align-top">
                  <td className="px-3 py-2 font-mono text-xs text-slate-600">{e.seq}</td>
                  <td className="px-3 py-2 whitespace-nowrap">{formatDateTime(e.createdAt)}</td>
                  <td className="px-3 py-2">{e.actorName ?? <span className="text-slate-600">{e.actorType}</span>}</td>
                  <td className="px-3 py-2">
                    <span className="font-mono text-xs">{e.action}</span>{" "}
                    {e.outcome !== "success" ? <Badge tone={e.outcome === "denied" ? "amber" : "red"}>{e.outcome}</Badge> : null}
                    {e.reason ? <p className="text-xs text-slate-600">{e.reason}</p> : null}
                  </td>
                  <td className="px-3 py-2 text-xs">{e.entityType ? `${e.entityType} ${e.entityId ?? ""}` : "—"}</td>
                  <td className="px-3 py-2"><AuditChanges before={e.before} after={e.after} fields={e.changedFields} /></td>
                  <td className="px-3 py-2 text-xs text-slate-600">{e.sourceIp ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.nextBefore ? (
            <div className="flex justify-end border-t border-slate-200 px-4 py-3">
              <Link className="btn-secondary" href={`/audit?${new URLSearchParams({ ...Object.fromEntries(new URLSearchParams(filterQuery)), before: String(page.nextBefore) })}`}>
                Older events →
              </Link>
            </div>
          ) : null}
        </div>
      ) : null}
    </>
  );
}

function Input({ id, label, value, placeholder, type = "text" }: { id: string; label: string; value: string; placeholder?: string; type?: string }) {
  return (
    <div>
      <label htmlFor={id} className="label">{label}</label>
      <input id={id} name={id} type={type} className="input" defaultValue={value} placeholder={placeholder} />
    </div>
  );
}
