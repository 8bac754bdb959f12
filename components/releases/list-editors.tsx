"use client";

import { useState } from "react";
import { ISSUE_SEVERITIES, type IssueSeverity } from "@/lib/domain";

export type KnownIssueRow = { severity: IssueSeverity; symptom: string; workaround: string };
export type CompatibilityRow = { system: string; requiredVersions: string; notes: string };

type Column<R> = { key: keyof R & string; label: string; kind?: "severity" | "textarea"; placeholder?: string };

/**
 * Rows of small fields kept in React state and sent as JSON in one hidden input (the service parses
 * it). Blank rows are dropped so an unused row does not fail validation.
 */
function ListEditor<R extends Record<string, string>>(props: {
  name: string;
  legend: string;
  help: string;
  addLabel: string;
  itemLabel: string;
  columns: Column<R>[];
  blank: R;
  initial: R[];
  error?: string;
}) {
  const { name, legend, help, addLabel, itemLabel, columns, blank, initial, error } = props;
  const [rows, setRows] = useState<R[]>(initial);
  const filled = rows.filter((r) => Object.entries(r).some(([k, v]) => k !== "severity" && v.trim() !== ""));
  const set = (i: number, key: keyof R, value: string) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, [key]: value } : r)));
  return (
    <fieldset className="rounded-md border border-slate-200 p-4" aria-describedby={`${name}-help`}>
      <legend className="px-1 text-sm font-semibold text-slate-900">{legend}</legend>
      <p id={`${name}-help`} className="mb-3 text-xs text-slate-600">{help}</p>
      <input type="hidden" name={name} value={JSON.stringify(filled)} />
      {rows.length === 0 ? <p className="mb-3 text-sm text-slate-600">None listed.</p> : null}
      <ol className="space-y-3">
        {rows.map((row, i) => (
          <li key={i} className="grid gap-3 rounded-md border border-slate-200 bg-slate-50 p-3 md:grid-cols-[repeat(3,minmax(0,1fr))_auto]" data-testid={`${name}-row`}>
            {columns.map((c) => {
              const id = `${name}-${i}-${c.key}`;
              return (
                <div key={c.key}>
                  <label htmlFor={id} className="label">{c.label} <span className="sr-only">({itemLabel} {i + 1})</span></label>
                  {c.kind === "severity" ? (
                    <select id={id} className="input" value={row[c.key]} onChange={(e) => set(i, c.key, e.target.value)}>
                      {ISSUE_SEVERITIES.map((s) => <option key={s} value={s}>{s[0]!.toUpperCase() + s.slice(1)}</option>)}
                    </select>
                  ) : (
                    <input id={id} className="input" value={row[c.key]} placeholder={c.placeholder} onChange={(e) => set(i, c.key, e.target.value)} />
                  )}
                </div>
              );
            })}
            <div className="flex items-end">
              <button type="button" className="btn-secondary" onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))}>
                Remove <span className="sr-only">{itemLabel} {i + 1}</span>
              </button>
            </div>
          </li>
        ))}
      </ol>
      <button type="button" className="btn-secondary mt-3" onClick={() => setRows((rs) => [...rs, { ...blank }])}>{addLabel}</button>
      {error ? <p className="mt-2 text-xs text-red-700">{error}</p> : null}
    </fieldset>
  );
}

export function KnownIssuesEditor({ initial, error }: { initial: KnownIssueRow[]; error?: string }) {
  return (
    <ListEditor<KnownIssueRow>
      name="knownIssues"
      legend="Known issues"
      help="Problems the vendor knows about in this version. The approval policy caps how severe an accepted issue may be."
      addLabel="Add a known issue"
      itemLabel="known issue"
      blank={{ severity: "low", symptom: "", workaround: "" }}
      initial={initial}
      error={error}
      columns={[
        { key: "severity", label: "Severity", kind: "severity" },
        { key: "symptom", label: "Symptom", placeholder: "What the user sees" },
        { key: "workaround", label: "Workaround", placeholder: "What to do about it" },
      ]}
    />
  );
}

export function CompatibilityEditor({ initial, error }: { initial: CompatibilityRow[]; error?: string }) {
  return (
    <ListEditor<CompatibilityRow>
      name="compatibility"
      legend="Compatibility notes"
      help="Systems this firmware talks to (EMR gateway, central station, drug library…) and the versions it needs."
      addLabel="Add a compatibility note"
      itemLabel="compatibility note"
      blank={{ system: "", requiredVersions: "", notes: "" }}
      initial={initial}
      error={error}
      columns={[
        { key: "system", label: "System or model", placeholder: "e.g. Central station" },
        { key: "requiredVersions", label: "Required versions", placeholder: "e.g. 3.2 or later" },
        { key: "notes", label: "Notes" },
      ]}
    />
  );
}

/** The first error about any entry of a list field ("knownIssues.0.symptom" …). */
export function listError(fieldErrors: Record<string, string[]> | undefined, name: string): string | undefined {
  const key = Object.keys(fieldErrors ?? {}).find((k) => k === name || k.startsWith(`${name}.`));
  return key ? fieldErrors![key]![0] : undefined;
}
