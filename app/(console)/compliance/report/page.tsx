import type { Metadata } from "next";
import { FigureNumbers } from "@/components/compliance/figure-card";
import { PrintButton } from "@/components/print-button";
import { formatDateTime } from "@/components/format";
import { BackLink } from "@/components/ui";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { ROLE_LABELS } from "@/lib/domain";
import { getComplianceFigures } from "@/lib/services/compliance/figures";
import { complianceTables } from "@/lib/services/compliance/tables";

export const metadata: Metadata = { title: "Compliance report" };

/** Every compliance figure as a table, laid out for paper: one figure never splits across pages. */
export default async function ComplianceReportPage() {
  const user = await requirePagePermission("compliance.read", "/compliance/report");
  const figures = await getComplianceFigures(await requestCtx(), {});
  return (
    <article className="max-w-5xl print:max-w-none print:text-[11pt]">
      <div className="print:hidden"><BackLink href="/compliance">Compliance</BackLink></div>
      <header className="mb-6 flex flex-wrap items-end justify-between gap-4 border-b border-slate-200 pb-4">
        <div>
          <h1 className="text-2xl font-semibold text-slate-900">Corridor compliance report</h1>
          <p className="mt-1 text-sm text-slate-700" data-testid="report-meta">
            Generated {formatDateTime(figures.now)} by {user.name} ({ROLE_LABELS[user.role]}).
          </p>
        </div>
        <PrintButton primary />
      </header>
      {complianceTables(figures).map((t) => (
        <section key={t.key} className="mb-8 break-inside-avoid" aria-labelledby={`report-${t.key}`}>
          <h2 id={`report-${t.key}`} className="mb-2 text-base font-semibold">{t.title}</h2>
          {t.rows.length ? <FigureNumbers table={t} /> : <p className="text-sm text-slate-600">Nothing to report.</p>}
        </section>
      ))}
    </article>
  );
}
