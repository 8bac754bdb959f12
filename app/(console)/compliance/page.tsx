import type { Metadata } from "next";
import Link from "next/link";
import { BarFigure } from "@/components/compliance/bar-figure";
import { FigureCard } from "@/components/compliance/figure-card";
import { PALETTE } from "@/components/compliance/palette";
import { formatCount } from "@/components/format";
import { PageHeader } from "@/components/ui";
import { can } from "@/lib/auth/permissions";
import { requestCtx, requirePagePermission } from "@/lib/auth/session";
import type { ComplianceFigure } from "@/lib/compliance";
import { EOS_STATE_LABELS, EOS_STATES } from "@/lib/domain";
import { getComplianceFigures } from "@/lib/services/compliance/figures";
import { complianceTables, type FigureTable } from "@/lib/services/compliance/tables";

export const metadata: Metadata = { title: "Compliance" };

/** Rows a per-unit chart shows: the ones furthest behind. */
const CHART_ROWS = 10;

const plural = (n: number, one: string, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;

function TopRowsNote({ shown, total, what }: { shown: number; total: number; what: string }) {
  return total > shown ? <p className="text-slate-600">The chart shows the {shown} {what} furthest behind; all {total} are in the numbers.</p> : null;
}

export default async function CompliancePage() {
  const user = await requirePagePermission("compliance.read", "/compliance");
  const f = await getComplianceFigures(await requestCtx(), {});
  const tables = Object.fromEntries(complianceTables(f).map((t) => [t.key, t])) as Record<ComplianceFigure, FigureTable>;

  const share = (rows: typeof f.currentVersion.byUnit, what: string) => {
    const devices = rows.reduce((s, r) => s + r.devices, 0);
    const on = rows.reduce((s, r) => s + r.onCurrent, 0);
    const lowest = rows[0];
    return `${formatCount(on)} of ${plural(devices, "device")} (${devices ? Math.round((100 * on) / devices) : 0} %) run their model's current approved firmware.${lowest ? ` Furthest behind: the ${what} ${lowest.name} at ${lowest.percent} %.` : ""}`;
  };
  // A chart answers its question with the rows that matter (furthest behind first); the numbers table has all.
  const shareData = (rows: typeof f.currentVersion.byUnit, withDetail: boolean) =>
    rows.slice(0, CHART_ROWS).map((r) => ({ name: withDetail ? `${r.name} · ${r.detail}` : r.name, percent: r.percent }));
  const shareSeries = [{ key: "percent", label: "On current version", color: PALETTE.blue }];

  const reached = f.timeTo90.releases.filter((r) => r.days !== null);
  const waiting = f.timeTo90.releases.length - reached.length;
  const weeksWithUpdates = f.successByWeek.filter((w) => w.finished > 0);
  const finished = weeksWithUpdates.reduce((s, w) => s + w.finished, 0);
  const succeeded = weeksWithUpdates.reduce((s, w) => s + w.succeeded, 0);
  const eos = f.endOfSupport.counts;
  const recalledDevices = f.recalled.reduce((s, r) => s + r.devices, 0);
  const fullyAcknowledged = f.briefings.filter((b) => b.acknowledged === b.briefings).length;
  const openIncidents = f.incidents.reduce((s, r) => s + r.open, 0);

  return (
    <>
      <PageHeader
        title="Compliance"
        description="How much of the fleet runs current approved firmware, how fast releases reach devices, and where the risk is. Figures are computed now from the live data."
        actions={
          <>
            {can(user.role, "compliance.export") ? <a href="/api/compliance/export" className="btn-secondary" download data-testid="compliance-csv">Download CSV</a> : null}
            <Link href="/compliance/report" className="btn-secondary">Printable report</Link>
            <Link href="/compliance/end-of-support" className="btn-secondary">End-of-support planning</Link>
          </>
        }
      />
      <div className="grid gap-6 xl:grid-cols-2">
        <FigureCard
          table={tables.current_version_by_unit}
          summary={share(f.currentVersion.byUnit, "unit")}
          empty={f.currentVersion.byUnit.length ? null : "No device runs a model that has an approved release yet."}
          chart={<BarFigure data={shareData(f.currentVersion.byUnit, true)} category="name" series={shareSeries} horizontalBars max={100} unit=" %" summary={share(f.currentVersion.byUnit, "unit")} />}
          footer={
            <>
              <TopRowsNote shown={CHART_ROWS} total={f.currentVersion.byUnit.length} what="units" />
              {f.currentVersion.withoutApproved ? <p className="text-slate-600">{plural(f.currentVersion.withoutApproved, "device")} of models without any approved release are not counted.</p> : null}
            </>
          }
        />
        <FigureCard
          table={tables.current_version_by_model}
          summary={share(f.currentVersion.byModel, "model")}
          empty={f.currentVersion.byModel.length ? null : "No model has an approved release yet."}
          chart={<BarFigure data={shareData(f.currentVersion.byModel, false)} category="name" series={shareSeries} horizontalBars max={100} unit=" %" summary={share(f.currentVersion.byModel, "model")} />}
        />
        <FigureCard
          table={tables.time_to_90}
          summary={`${reached.length ? `Approved releases reached 90 % of their devices in ${f.timeTo90.averageDays} days on average (${plural(reached.length, "release")}).` : "No approved release has reached 90 % of its devices yet."}${waiting ? ` ${plural(waiting, "release has", "releases have")} not reached 90 % yet.` : ""}`}
          empty={f.timeTo90.releases.length ? null : "No approved release has devices to reach yet."}
          chart={
            <BarFigure
              data={f.timeTo90.releases.map((r) => ({ name: `${r.modelName} ${r.version}`, reached: r.days, waiting: r.days === null ? r.daysSinceApproval : null }))}
              category="name"
              series={[
                { key: "reached", label: "Days to 90 %", color: PALETTE.blue, stack: "d" },
                { key: "waiting", label: "Not yet at 90 %: days so far", color: PALETTE.amber, stack: "d" },
              ]}
              horizontalBars
              unit=" d"
              average={f.timeTo90.averageDays === null ? undefined : { value: f.timeTo90.averageDays, label: `average ${f.timeTo90.averageDays} d` }}
              summary={`Days from approval to 90 % deployed per release; average ${f.timeTo90.averageDays ?? "not available"}.`}
            />
          }
        />
        <FigureCard
          table={tables.update_success}
          summary={finished ? `${formatCount(succeeded)} of ${plural(finished, "finished update")} in the last 12 weeks succeeded (${Math.round((100 * succeeded) / finished)} %).` : ""}
          empty={finished ? null : "No update finished in the last 12 weeks."}
          chart={
            <BarFigure
              data={f.successByWeek.map((w) => ({ week: w.week.slice(5), succeeded: w.succeeded, failed: w.finished - w.succeeded }))}
              category="week"
              series={[
                { key: "succeeded", label: "Succeeded", color: PALETTE.green, stack: "u" },
                { key: "failed", label: "Failed or rolled back", color: PALETTE.vermillion, stack: "u" },
              ]}
              summary={`Updates finished per ISO week, succeeded and failed; ${succeeded} of ${finished} succeeded.`}
            />
          }
        />
        <FigureCard
          table={tables.end_of_support}
          summary={`${plural(eos.past_eos, "device is", "devices are")} past end of support; ${formatCount(eos.eos_within_90d)} lose it within 90 days and ${formatCount(eos.eos_within_12m)} more within 12 months.${eos.eos_unknown ? ` ${plural(eos.eos_unknown, "device has", "devices have")} no end-of-support date on record.` : ""}`}
          empty={f.endOfSupport.models.length ? null : "There are no devices in service."}
          chart={
            <BarFigure
              data={EOS_STATES.map((s) => ({ state: EOS_STATE_LABELS[s], devices: eos[s] }))}
              category="state"
              series={[{ key: "devices", label: "Devices", color: PALETTE.purple }]}
              horizontalBars
              summary={EOS_STATES.map((s) => `${EOS_STATE_LABELS[s]}: ${eos[s]}`).join("; ")}
            />
          }
          footer={<Link href="/compliance/end-of-support" className="link">Plan replacements by unit and month</Link>}
        />
        <FigureCard
          table={tables.recalled}
          summary={`${plural(recalledDevices, "device")} still run firmware that has been recalled.`}
          empty={f.recalled.length ? null : "No device runs recalled firmware."}
          chart={
            <BarFigure
              data={f.recalled.map((r) => ({ name: `${r.modelName} ${r.version}`, devices: r.devices }))}
              category="name"
              series={[{ key: "devices", label: "Devices", color: PALETTE.vermillion }]}
              horizontalBars
              summary={f.recalled.map((r) => `${r.modelName} ${r.version}: ${r.devices} devices`).join("; ")}
            />
          }
        />
        <FigureCard
          table={tables.briefings}
          summary={`${formatCount(fullyAcknowledged)} of ${plural(f.briefings.length, "unit")} acknowledged every current briefing that concerns them.${f.briefings[0] && f.briefings[0].percent < 100 ? ` Least covered: ${f.briefings[0].unitName} (${f.briefings[0].siteName}) at ${f.briefings[0].percent} %.` : ""}`}
          empty={f.briefings.length ? null : "No current release carries a briefing yet."}
          chart={
            <BarFigure
              data={f.briefings.slice(0, CHART_ROWS).map((b) => ({ name: `${b.unitName} · ${b.siteName}`, percent: b.percent }))}
              category="name"
              series={[{ key: "percent", label: "Briefings acknowledged", color: PALETTE.blue }]}
              horizontalBars
              max={100}
              unit=" %"
              summary={`Share of current briefings acknowledged per unit; ${fullyAcknowledged} of ${f.briefings.length} units fully covered.`}
            />
          }
          footer={<TopRowsNote shown={CHART_ROWS} total={f.briefings.length} what="units" />}
        />
        <FigureCard
          table={tables.incidents}
          summary={`${plural(openIncidents, "incident is", "incidents are")} open: ${f.incidents.filter((r) => r.open).map((r) => `${r.open} ${r.severity}`).join(", ")}.`}
          empty={openIncidents ? null : "No incident is open."}
          chart={
            <BarFigure
              data={f.incidents.map((r) => ({ severity: r.severity, triage: r.triage, contained: r.contained }))}
              category="severity"
              series={[
                { key: "triage", label: "In triage", color: PALETTE.vermillion, stack: "i" },
                { key: "contained", label: "Contained", color: PALETTE.amber, stack: "i" },
              ]}
              summary={f.incidents.map((r) => `${r.severity}: ${r.triage} in triage, ${r.contained} contained`).join("; ")}
            />
          }
        />
      </div>
    </>
  );
}
