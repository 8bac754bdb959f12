import type { ReactNode } from "react";

/** The header row every console table uses. */
export function TableHead({ columns }: { columns: ReactNode[] }) {
  return (
    <thead className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
      <tr>
        {columns.map((c, i) => (
          <th key={i} scope="col" className="px-4 py-2">{c}</th>
        ))}
      </tr>
    </thead>
  );
}
