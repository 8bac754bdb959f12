"use client";

import { useActionState, useState, startTransition, type FormEvent } from "react";
import { savePolicyAction } from "@/lib/actions/releases";
import type { ActionState } from "@/lib/actions/run";
import { rolesWith } from "@/lib/auth/permissions";
import {
  CRITICALITIES, CRITICALITY_LABELS, EVIDENCE_KINDS, EVIDENCE_KIND_LABELS, ISSUE_SEVERITIES, RISK_CLASSES, RISK_CLASS_LABELS, ROLE_LABELS,
  type Criticality, type IssueSeverity, type RiskClass,
} from "@/lib/domain";
import type { Policy } from "@/lib/services/releases/policies";
import { Badge, FormMessage } from "../ui";


const SIGNING_ROLES = rolesWith("releases.sign");
const SEVERITY_LABELS: Record<IssueSeverity, string> = { low: "Low", medium: "Medium", high: "High", critical: "Critical" };
const cellName = (c: Criticality, r: RiskClass) => `${CRITICALITY_LABELS[c]}, ${RISK_CLASS_LABELS[r]}`;

/** Criticality × risk class grid; choosing a cell opens its editor below the grid. */
export function PolicyEditor({ policies }: { policies: Policy[] }) {
  const [selected, setSelected] = useState<{ c: Criticality; r: RiskClass } | null>(null);
  const find = (c: Criticality, r: RiskClass) => policies.find((p) => p.criticality === c && p.riskClass === r);
  const current = selected ? find(selected.c, selected.r) : undefined;
  return (
    <div>
      <div className="overflow-x-auto rounded-md border border-slate-200">
        <table className="min-w-full table-fixed divide-y divide-slate-200 text-sm" data-testid="policy-grid">
          <caption className="sr-only">Approval policy for each device criticality and release risk class</caption>
          <thead className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
            <tr>
              <th scope="col" className="w-40 px-3 py-2">Device criticality</th>
              {RISK_CLASSES.map((r) => (
                <th key={r} scope="col" className="px-3 py-2">{RISK_CLASS_LABELS[r]}</th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200">
            {CRITICALITIES.map((c) => (
              <tr key={c} className="align-top">
                <th scope="row" className="px-3 py-3 text-left font-semibold text-slate-900">{CRITICALITY_LABELS[c]}</th>
                {RISK_CLASSES.map((r) => {
                  const p = find(c, r);
                  const active = selected?.c === c && selected?.r === r;
                  return (
                    <td key={r} className={`border-l border-slate-200 px-3 py-3 ${active ? "bg-brand-50" : ""}`} data-testid={`policy-${c}-${r}`}>
                      {p ? <PolicySummary policy={p} /> : null}
                      <button
                        type="button"
                        className="btn-secondary mt-2 px-2 py-1 text-xs"
                        aria-label={`Edit policy: ${cellName(c, r)}`}
                        aria-expanded={active}
                        aria-controls="policy-form"
                        onClick={() => setSelected(active ? null : { c, r })}
                      >
                        {active ? "Close" : "Edit"}
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {current ? <PolicyForm key={`${current.criticality}/${current.riskClass}`} policy={current} onClose={() => setSelected(null)} /> : null}
    </div>
  );
}

function PolicySummary({ policy }: { policy: Policy }) {
  return (
    <div className="space-y-1 text-xs text-slate-700">
      <p><span className="font-semibold text-slate-900">Sign:</span> {policy.requiredRoles.map((r) => ROLE_LABELS[r]).join(" + ")}</p>
      <p><span className="font-semibold text-slate-900">Signers:</span> {policy.minSigners} distinct {policy.minSigners === 1 ? "person" : "people"}</p>
      <p><span className="font-semibold text-slate-900">Evidence:</span> {policy.requiredEvidence.length ? policy.requiredEvidence.map((e) => EVIDENCE_KIND_LABELS[e]).join(", ") : "none"}</p>
      <p><span className="font-semibold text-slate-900">Known issues up to:</span> {SEVERITY_LABELS[policy.maxIssueSeverity]}</p>
      <p>{policy.isDefault ? <Badge>Default</Badge> : <Badge tone="violet">Customised</Badge>}</p>
    </div>
  );
}

function PolicyForm({ policy, onClose }: { policy: Policy; onClose: () => void }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(savePolicyAction, { ok: true });
  const name = cellName(policy.criticality, policy.riskClass);
  // The service names the field in front of a validation message ("minSigners: …"); the admin does not need it.
  const message = state.ok ? state.message : state.message?.replace(/^[a-z][A-Za-z]*: /, "");
  // Submitted by hand, not as a form action, so React does not reset what the admin chose when saving fails.
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    startTransition(() => action(form));
  };
  return (
    <form id="policy-form" onSubmit={submit} className="mt-4 space-y-4 rounded-md border border-brand-600 bg-white p-4" aria-label={`Policy: ${name}`} data-testid="policy-form">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h3 className="text-base font-semibold">
          {CRITICALITY_LABELS[policy.criticality]} devices · {RISK_CLASS_LABELS[policy.riskClass]} releases
        </h3>
        {policy.isDefault ? <span className="text-xs text-slate-600">Currently the built-in default; saving makes it a customised policy.</span> : null}
      </div>
      <FormMessage ok={state.ok} message={message} />
      <input type="hidden" name="criticality" value={policy.criticality} />
      <input type="hidden" name="riskClass" value={policy.riskClass} />
      <div className="grid gap-4 md:grid-cols-4">
        <Checkboxes legend="Roles that must sign" name="requiredRoles" options={SIGNING_ROLES} labels={ROLE_LABELS} checked={policy.requiredRoles} />
        <div>
          <label htmlFor="policy-minSigners" className="label">Distinct signers</label>
          <input id="policy-minSigners" name="minSigners" type="number" min={1} max={10} required defaultValue={policy.minSigners} className="input w-24" />
          <p className="mt-1 text-xs text-slate-600">At least one per required role.</p>
        </div>
        <Checkboxes legend="Evidence required (passed)" name="requiredEvidence" options={EVIDENCE_KINDS} labels={EVIDENCE_KIND_LABELS} checked={policy.requiredEvidence} />
        <div>
          <label htmlFor="policy-maxIssueSeverity" className="label">Worst acceptable known issue</label>
          <select id="policy-maxIssueSeverity" name="maxIssueSeverity" defaultValue={policy.maxIssueSeverity} className="input">
            {ISSUE_SEVERITIES.map((s) => (
              <option key={s} value={s}>{SEVERITY_LABELS[s]}</option>
            ))}
          </select>
        </div>
      </div>
      <div className="flex gap-2">
        <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Saving…" : "Save policy"}</button>
        <button type="button" className="btn-secondary" onClick={onClose}>Close</button>
      </div>
    </form>
  );
}

function Checkboxes<T extends string>({ legend, name, options, labels, checked }: { legend: string; name: string; options: readonly T[]; labels: Record<T, string>; checked: readonly T[] }) {
  return (
    <fieldset>
      <legend className="label">{legend}</legend>
      {options.map((o) => (
        <label key={o} className="flex items-center gap-2 py-0.5 text-sm">
          <input type="checkbox" name={name} value={o} defaultChecked={checked.includes(o)} className="h-4 w-4 accent-brand-700" />
          {labels[o]}
        </label>
      ))}
    </fieldset>
  );
}
