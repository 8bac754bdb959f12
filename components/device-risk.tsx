import { Badge } from "@/components/ui";
import { CRITICALITY_LABELS, EOS_STATE_LABELS } from "@/lib/domain";
import { RISK_WEIGHTS, type RiskBreakdown } from "@/lib/services/inventory/risk";

const W = RISK_WEIGHTS;

/** The device's risk score and what it is made of (weights documented in lib/services/inventory/risk.ts). */
export function DeviceRisk({ risk }: { risk: RiskBreakdown }) {
  const tone = risk.score >= 60 ? "red" : risk.score >= 35 ? "amber" : "green";
  const f = risk.firmware;
  const parts: [string, string, number, number][] = [
    ["Criticality", CRITICALITY_LABELS[risk.criticality.value], risk.criticality.points, W.criticality.life_sustaining],
    [
      "Firmware",
      `${f.versionsBehind === 0 ? "not behind" : `${f.versionsBehind} security ${f.versionsBehind === 1 ? "version" : "versions"} behind ${f.currentVersion}`}` +
        `; ${f.ageDays === null ? "age not counted (the installed release is not an approved one)" : `approved ${f.ageDays} days ago`}`,
      f.points,
      W.maxVersionsBehind * W.perVersionBehind + W.ageOneYear,
    ],
    ["Vendor support", `${EOS_STATE_LABELS[risk.support.state]}${risk.support.endOfSupport ? ` (${risk.support.endOfSupport})` : ""}`, risk.support.points, W.pastEos],
    ["Recall", risk.recall.recalled ? "runs a recalled release" : "not recalled", risk.recall.points, W.recalled],
    ["Failed updates", `${risk.failures.count} in the last 90 days`, risk.failures.points, W.maxFailures * W.perFailure],
  ];
  return (
    <section className="card mt-6 p-5" aria-labelledby="risk" data-testid="device-risk">
      <h2 id="risk" className="mb-1 flex items-center gap-3 text-base font-semibold">
        Risk score <Badge tone={tone}><span data-testid="risk-score">{risk.score}</span>&nbsp;of 100</Badge>
      </h2>
      <p className="mb-3 text-sm text-slate-600">Higher means look at this device first. The score adds up these parts:</p>
      <table className="min-w-full text-sm">
        <tbody className="divide-y divide-slate-100">
          {parts.map(([label, detail, points, max]) => (
            <tr key={label}>
              <th scope="row" className="py-1.5 pr-4 text-left font-medium">{label}</th>
              <td className="py-1.5 pr-4 text-slate-700">{detail}</td>
              <td className="py-1.5 text-right whitespace-nowrap">{points} of {max}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
