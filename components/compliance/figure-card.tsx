import type { ReactNode } from "react";
import { TableHead } from "@/components/table";
import type { FigureTable } from "@/lib/services/compliance/tables";

/** A figure's table: the chart's numbers for screen readers and the printable report. */
export function FigureNumbers({ table }: { table: FigureTable }) {
  return (
    <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid={`table-${table.key}`}>
      <TableHead columns={table.header} />
      <tbody className="divide-y divide-slate-100">
        {table.rows.map((row, i) => (
          <tr key={i}>
            {row.map((cell, j) => (
              <td key={j} className="px-4 py-1.5">{cell ?? "—"}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * One figure on the dashboard: its question as the heading, a one-line answer in plain words, then the
 * chart with its numbers one click away, or a plain sentence when there is nothing to show.
 */
export function FigureCard({ table, summary, empty, chart, footer }: { table: FigureTable; summary: string; empty: string | null; chart: ReactNode; footer?: ReactNode }) {
  const id = `figure-${table.key}`;
  return (
    <section className="card p-5" aria-labelledby={id} data-testid={id}>
      <h2 id={id} className="text-base font-semibold">{table.title}</h2>
      {empty ? (
        <p className="mt-2 text-sm text-slate-600" data-testid="figure-empty">{empty}</p>
      ) : (
        <>
          <p className="mt-1 mb-3 text-sm text-slate-700">{summary}</p>
          {chart}
          <details className="mt-3 text-sm">
            <summary className="cursor-pointer font-medium text-brand-700">Show the numbers</summary>
            {/* Focusable so keyboard users can scroll a wide table. */}
            <div className="mt-2 overflow-x-auto" tabIndex={0} role="region" aria-label={`Numbers: ${table.title}`}><FigureNumbers table={table} /></div>
          </details>
        </>
      )}
      {footer ? <div className="mt-3 text-sm">{footer}</div> : null}
    </section>
  );
}
