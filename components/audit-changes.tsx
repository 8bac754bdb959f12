type Values = Record<string, unknown> | null;

const show = (v: unknown) => (v === null || v === undefined ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v));

/** Field-level old → new values of one audit row. */
export function AuditChanges({ before, after, fields }: { before: unknown; after: unknown; fields: string[] | null }) {
  if (!fields?.length) return null;
  const b = before as Values;
  const a = after as Values;
  return (
    <ul className="mt-1 text-xs text-slate-700">
      {fields.map((f) => (
        <li key={f}>
          <span className="font-mono">{f}</span>: <span className="line-through decoration-slate-400">{show(b?.[f])}</span> →{" "}
          <span className="font-medium">{show(a?.[f])}</span>
        </li>
      ))}
    </ul>
  );
}
