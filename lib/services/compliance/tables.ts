import { COMPLIANCE_FIGURES, FIGURE_QUESTIONS, type ComplianceFigure } from "@/lib/compliance";
import { EOS_STATE_LABELS, EOS_STATES, INCIDENT_STATUS_LABELS } from "@/lib/domain";
import type { ComplianceFigures } from "./figures";

export type Cell = string | number | null;
export type FigureTable = { key: ComplianceFigure; title: string; header: string[]; rows: Cell[][] };

const day = (d: Date) => d.toISOString().slice(0, 10);

/** The figures as plain tables: the printable report shows them, the CSV export writes them. */
export function complianceTables(f: ComplianceFigures): FigureTable[] {
  const rows: Record<ComplianceFigure, Pick<FigureTable, "header" | "rows">> = {
    current_version_by_unit: {
      header: ["Unit", "Site", "Devices", "On current approved version", "Percent"],
      rows: f.currentVersion.byUnit.map((r) => [r.name, r.detail, r.devices, r.onCurrent, r.percent]),
    },
    current_version_by_model: {
      header: ["Model", "Current approved version", "Devices", "On current approved version", "Percent"],
      rows: f.currentVersion.byModel.map((r) => [r.name, r.detail, r.devices, r.onCurrent, r.percent]),
    },
    time_to_90: {
      header: ["Model", "Version", "Approved on", "Devices", "At or beyond it", "Percent", "Days to 90 %"],
      rows: [
        ...f.timeTo90.releases.map((r): Cell[] => [r.modelName, r.version, day(r.approvedAt), r.devices, r.deployed, r.percent, r.days ?? `not yet reached (${r.daysSinceApproval} days so far)`]),
        ["Average of reached releases", null, null, null, null, null, f.timeTo90.averageDays],
      ],
    },
    update_success: {
      header: ["ISO week", "Starts on", "Succeeded", "Finished", "Percent succeeded"],
      rows: f.successByWeek.map((w) => [w.week, w.startsOn, w.succeeded, w.finished, w.percent]),
    },
    end_of_support: {
      header: ["Model", "End of support", "State", "Devices"],
      rows: f.endOfSupport.models.map((m) => [m.modelName, m.endOfSupport, EOS_STATE_LABELS[m.state], m.devices]).concat(
        EOS_STATES.map((s) => [`All models: ${EOS_STATE_LABELS[s]}`, null, s, f.endOfSupport.counts[s]]),
      ),
    },
    recalled: {
      header: ["Model", "Recalled version", "Recalled on", "Devices", "Units"],
      rows: f.recalled.map((r) => [r.modelName, r.version, day(r.recalledAt), r.devices, r.units]),
    },
    briefings: {
      header: ["Unit", "Site", "Current briefings", "Acknowledged", "Clinicians assigned", "Percent"],
      rows: f.briefings.map((r) => [r.unitName, r.siteName, r.briefings, r.acknowledged, r.clinicians, r.percent]),
    },
    incidents: {
      header: ["Severity", INCIDENT_STATUS_LABELS.triage, INCIDENT_STATUS_LABELS.contained, "Open"],
      rows: f.incidents.map((r) => [r.severity, r.triage, r.contained, r.open]),
    },
  };
  return COMPLIANCE_FIGURES.map((key) => ({ key, title: FIGURE_QUESTIONS[key], ...rows[key] }));
}
