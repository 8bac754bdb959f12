"use client";

import { useState } from "react";
import { RISK_CLASSES, RISK_CLASS_LABELS, type RiskClass } from "@/lib/domain";
import { RISK_CLASS_HELP } from "./badges";
import { FieldError } from "./field-error";
import { CompatibilityEditor, KnownIssuesEditor, listError, type CompatibilityRow, type KnownIssueRow } from "./list-editors";

export type ReleaseContent = {
  securityVersion: number | string;
  hardwareRevisions: string[];
  riskClass: RiskClass;
  changeLog: string;
  knownIssues: KnownIssueRow[];
  compatibility: CompatibilityRow[];
  privacyImpact: boolean;
  privacyNote: string | null;
};

export const EMPTY_CONTENT: ReleaseContent = {
  securityVersion: "", hardwareRevisions: [], riskClass: "routine", changeLog: "", knownIssues: [], compatibility: [], privacyImpact: false, privacyNote: null,
};

/** Everything a signer vouches for apart from files: shared by the intake form and the edit form. */
export function ReleaseContentFields({ initial, errors, securityVersionLocked = false }: { initial: ReleaseContent; errors?: Record<string, string[]>; securityVersionLocked?: boolean }) {
  const [privacy, setPrivacy] = useState(initial.privacyImpact);
  const err = (f: string) => errors?.[f]?.[0];
  const described = (f: string, help?: string) => [help, err(f) ? `${f}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <>
      <div className="grid gap-4 md:grid-cols-2">
        <div>
          <label htmlFor="securityVersion" className="label">Security version</label>
          <input
            id="securityVersion" name="securityVersion" type="number" min={0} step={1} required className="input"
            defaultValue={initial.securityVersion} readOnly={securityVersionLocked} aria-describedby={described("securityVersion", "securityVersion-help")}
          />
          <p id="securityVersion-help" className="mt-1 text-xs text-slate-600">
            The anti-rollback counter. It never goes down across a model’s releases{securityVersionLocked ? "; it can change only while the release is a draft." : "."}
          </p>
          <FieldError id="securityVersion" message={err("securityVersion")} />
        </div>
        <div>
          <label htmlFor="hardwareRevisions" className="label">Hardware revisions</label>
          <input
            id="hardwareRevisions" name="hardwareRevisions" required className="input" placeholder="e.g. A2, B1"
            defaultValue={initial.hardwareRevisions.join(", ")} aria-describedby={described("hardwareRevisions", "hardwareRevisions-help")}
          />
          <p id="hardwareRevisions-help" className="mt-1 text-xs text-slate-600">Comma-separated. Devices with another revision never receive this release.</p>
          <FieldError id="hardwareRevisions" message={err("hardwareRevisions")} />
        </div>
      </div>

      <fieldset aria-describedby={err("riskClass") ? "riskClass-error" : undefined}>
        <legend className="label">Risk class</legend>
        <div className="grid gap-2 md:grid-cols-2">
          {RISK_CLASSES.map((r) => (
            <label key={r} className="flex cursor-pointer gap-3 rounded-md border border-slate-200 bg-white p-3 text-sm has-checked:border-brand-600 has-checked:bg-brand-50">
              <input type="radio" name="riskClass" value={r} defaultChecked={initial.riskClass === r} className="mt-1" />
              <span>
                <span className="font-medium text-slate-900">{RISK_CLASS_LABELS[r]}</span>
                <span className="block text-xs text-slate-600">{RISK_CLASS_HELP[r]}</span>
              </span>
            </label>
          ))}
        </div>
        <FieldError id="riskClass" message={err("riskClass")} />
      </fieldset>

      <div>
        <label htmlFor="changeLog" className="label">Change log</label>
        <textarea
          id="changeLog" name="changeLog" rows={6} required className="input" defaultValue={initial.changeLog}
          placeholder="What changed in this version, as the vendor describes it." aria-describedby={described("changeLog")}
        />
        <FieldError id="changeLog" message={err("changeLog")} />
      </div>

      <KnownIssuesEditor initial={initial.knownIssues} error={listError(errors, "knownIssues")} />
      <CompatibilityEditor initial={initial.compatibility} error={listError(errors, "compatibility")} />

      <div className="rounded-md border border-slate-200 p-4">
        <label className="flex items-start gap-3 text-sm">
          <input type="checkbox" name="privacyImpact" className="mt-1" defaultChecked={initial.privacyImpact} onChange={(e) => setPrivacy(e.target.checked)} />
          <span>
            <span className="font-medium">This release changes how patient data is handled, or what patients consent to</span>
            <span className="block text-xs text-slate-600">For example new data sent off the device, a new cloud service, or different retention.</span>
          </span>
        </label>
        {privacy ? (
          <div className="mt-3">
            <label htmlFor="privacyNote" className="label">Privacy impact note</label>
            <textarea id="privacyNote" name="privacyNote" rows={3} required className="input" defaultValue={initial.privacyNote ?? ""} aria-describedby={described("privacyNote")} />
            <FieldError id="privacyNote" message={err("privacyNote")} />
          </div>
        ) : null}
      </div>
    </>
  );
}
