import type { Metadata } from "next";
import { BarFigure } from "@/components/compliance/bar-figure";
import { PALETTE } from "@/components/compliance/palette";
import { formatCount } from "@/components/format";
import { TableHead } from "@/components/table";
import { BackLink, PageHeader } from "@/components/ui";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import { endOfSupportPlan, type EosGroupRow } from "@/lib/services/compliance/end-of-support";

export const metadata: Metadata = { title: "End-of-support planning" };

function Groups({ rows, testId }: { rows: EosGroupRow[]; testId: string }) {
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid={testId}>
        <TableHead columns={["End of support", "Model", "Unit", "Site", "Devices"]} />
        <tbody className="divide-y divide-slate-100">
          {rows.map((r) => (
            <tr key={`${r.endOfSupport}-${r.modelName}-${r.siteName}-${r.unitName}`}>
              <td className="px-4 py-1.5 whitespace-nowrap">{r.endOfSupport}</td>
              <td className="px-4 py-1.5">{r.modelName}</td>
              <td className="px-4 py-1.5">{r.unitName}</td>
              <td className="px-4 py-1.5">{r.siteName}</td>
              <td className="px-4 py-1.5">{formatCount(r.devices)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** ROL-12: which devices lose vendor support in the next 12 months, where they are, and which already have. */
export default async function EndOfSupportPage() {
  await requirePagePermission("compliance.read", "/compliance/end-of-support");
  const plan = await endOfSupportPlan(await requestCtx(), {});
  const upcoming = plan.upcoming.reduce((s, r) => s + r.devices, 0);
  const past = plan.past.reduce((s, r) => s + r.devices, 0);
  const busy = plan.months.filter((m) => m.devices > 0);
  return (
    <>
      <BackLink href="/compliance">Compliance</BackLink>
      <PageHeader
        title="End-of-support planning"
        description="Devices whose vendor support ends in the next 12 months, by unit and model, so replacements can be budgeted and scheduled. Support lasts through the end-of-support day."
      />
      <section className="card mb-6 p-5" aria-labelledby="eos-months">
        <h2 id="eos-months" className="text-base font-semibold">When does support end, month by month?</h2>
        {upcoming ? (
          <>
            <p className="mt-1 mb-3 text-sm text-slate-700">
              {formatCount(upcoming)} {upcoming === 1 ? "device loses" : "devices lose"} vendor support in the next 12 months.
            </p>
            <BarFigure
              data={plan.months.map((m) => ({ month: m.month, devices: m.devices }))}
              category="month"
              series={[{ key: "devices", label: "Devices", color: PALETTE.purple }]}
              summary={busy.map((m) => `${m.month}: ${m.devices} devices`).join("; ")}
            />
          </>
        ) : (
          <p className="mt-2 text-sm text-slate-600" data-testid="figure-empty">No device loses vendor support in the next 12 months.</p>
        )}
      </section>
      <section className="card mb-6 p-5" aria-labelledby="eos-upcoming">
        <h2 id="eos-upcoming" className="mb-3 text-base font-semibold">Ending within 12 months, by unit and model</h2>
        {plan.upcoming.length ? <Groups rows={plan.upcoming} testId="eos-upcoming" /> : <p className="text-sm text-slate-600">None.</p>}
      </section>
      <section className="card p-5" aria-labelledby="eos-past">
        <h2 id="eos-past" className="mb-3 text-base font-semibold">Already past end of support</h2>
        {plan.past.length ? (
          <>
            <p className="mb-3 text-sm text-slate-700">{formatCount(past)} {past === 1 ? "device runs" : "devices run"} without vendor support. Replace them or record compensating controls.</p>
            <Groups rows={plan.past} testId="eos-past" />
          </>
        ) : (
          <p className="text-sm text-slate-600">No device in service is past its end of support.</p>
        )}
      </section>
    </>
  );
}
