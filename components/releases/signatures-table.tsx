import { SIGNATURE_MEANING_LABELS, ROLE_LABELS } from "@/lib/domain";
import { SignatureStatusBadge } from "./badges";
import { isoUtc } from "./iso-time";
import { LocalTime } from "./local-time";
import type { ReleaseDetail } from "./types";

/** Every signature's manifestation (21 CFR 11.50): printed name, time, meaning, and whether it still counts. */
export function SignaturesTable({ signatures, printable = false }: { signatures: ReleaseDetail["approval"]["signatures"]; printable?: boolean }) {
  if (signatures.length === 0) return <p className="text-sm text-slate-600">Nobody has signed this release yet.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="signatures">
        <thead className="text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
          <tr>
            {["#", "Printed name", "Role", "Meaning", "Signed at (UTC)", "Status", "Reason"].map((h) => <th key={h} scope="col" className="py-2 pr-4">{h}</th>)}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {signatures.map((s) => (
            <tr key={s.id} className={s.status === "stale" ? "bg-red-50/50" : undefined}>
              <td className="py-2 pr-4 align-top text-xs text-slate-600">{s.id}</td>
              <td className="py-2 pr-4 align-top font-medium">{s.printedName}</td>
              <td className="py-2 pr-4 align-top">{ROLE_LABELS[s.role]}</td>
              <td className="py-2 pr-4 align-top">
                {SIGNATURE_MEANING_LABELS[s.meaning]}
                {s.revokesId ? <span className="block text-xs text-slate-600">of signature #{s.revokesId}</span> : null}
              </td>
              <td className="py-2 pr-4 align-top whitespace-nowrap">
                <span className="font-mono text-xs">{isoUtc(s.signedAt)}</span>
                {printable ? null : <LocalTime iso={new Date(s.signedAt).toISOString()} />}
              </td>
              <td className="py-2 pr-4 align-top"><SignatureStatusBadge status={s.status} /></td>
              <td className="py-2 align-top">{s.reason ?? <span className="text-slate-600">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
