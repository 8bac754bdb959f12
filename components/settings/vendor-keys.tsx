"use client";

import { useActionState } from "react";
import { addVendorKeyAction, retireVendorKeyAction } from "@/lib/actions/releases";
import type { ActionState } from "@/lib/actions/run";
import { FormMessage } from "../ui";

/** Pin a manufacturer's signing certificate or Ed25519 key: paste the PEM or upload the file. */
export function PinKeyForm({ manufacturers }: { manufacturers: { id: number; name: string }[] }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(addVendorKeyAction, { ok: true });
  const v = state.values ?? {};
  const err = (f: string) => state.fieldErrors?.[f]?.[0];
  if (manufacturers.length === 0) return <p className="text-sm text-slate-600">There are no manufacturers yet; keys are pinned per manufacturer.</p>;
  return (
    <form action={action} className="space-y-3" aria-label="Pin a vendor signing key" key={JSON.stringify(v)} data-testid="pin-key-form">
      <FormMessage ok={state.ok} message={state.message} />
      <div className="grid gap-3 md:grid-cols-2">
        <div>
          <label htmlFor="key-manufacturer" className="label">Manufacturer</label>
          <select id="key-manufacturer" name="manufacturerId" className="input" defaultValue={v.manufacturerId ?? ""} required>
            <option value="" disabled>Choose…</option>
            {manufacturers.map((m) => (
              <option key={m.id} value={m.id}>{m.name}</option>
            ))}
          </select>
          {err("manufacturerId") ? <p className="mt-1 text-xs text-red-700">{err("manufacturerId")}</p> : null}
        </div>
        <div>
          <label htmlFor="key-label" className="label">Label</label>
          <input id="key-label" name="label" className="input" defaultValue={v.label} required maxLength={120} placeholder="e.g. Release signing 2026" autoComplete="off" />
          {err("label") ? <p className="mt-1 text-xs text-red-700">{err("label")}</p> : null}
        </div>
      </div>
      <div>
        <label htmlFor="key-pem" className="label">Certificate or Ed25519 public key (PEM)</label>
        <textarea
          id="key-pem"
          name="pem"
          className="input min-h-32 font-mono text-xs"
          defaultValue={v.pem}
          spellCheck={false}
          placeholder={"-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----"}
          aria-describedby="key-pem-help"
        />
        <p id="key-pem-help" className="mt-1 text-xs text-slate-600">Paste the text, or choose the file below (a chosen file is used instead of pasted text).</p>
        {err("pem") ? <p className="mt-1 text-xs text-red-700">{err("pem")}</p> : null}
      </div>
      <div>
        <label htmlFor="key-file" className="label">Or upload a .pem / .crt file</label>
        <input id="key-file" name="pemFile" type="file" accept=".pem,.crt,.cer,application/x-pem-file,application/x-x509-ca-cert" className="block text-sm text-slate-700 file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm file:font-medium" />
      </div>
      <button type="submit" className="btn-primary" disabled={pending}>{pending ? "Pinning…" : "Pin key"}</button>
    </form>
  );
}

export function RetireKeyForm({ keyId, label }: { keyId: number; label: string }) {
  const [state, action, pending] = useActionState<ActionState, FormData>(retireVendorKeyAction, { ok: true });
  return (
    <details className="text-xs">
      <summary className="cursor-pointer font-medium text-red-700">Retire…<span className="sr-only"> key {label}</span></summary>
      <form action={action} className="mt-2 w-56 space-y-2" aria-label={`Retire key ${label}`}>
        <input type="hidden" name="keyId" value={keyId} />
        <label htmlFor={`retire-reason-${keyId}`} className="label">Reason</label>
        <input id={`retire-reason-${keyId}`} name="reason" className="input py-1 text-xs" required maxLength={500} placeholder="e.g. key compromised" />
        <button type="submit" className="btn-danger px-2 py-1 text-xs" disabled={pending}>{pending ? "Retiring…" : `Retire ${label}`}</button>
        {!state.ok ? <FormMessage ok={false} message={state.message} /> : null}
      </form>
    </details>
  );
}
