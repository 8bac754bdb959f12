// Names and questions of the compliance figures, shared by the charts (client), the printable report
// and the CSV export. Free of database imports so client components can use it.

export const COMPLIANCE_FIGURES = [
  "current_version_by_unit", "current_version_by_model", "time_to_90", "update_success", "end_of_support", "recalled", "briefings", "incidents",
] as const;
export type ComplianceFigure = (typeof COMPLIANCE_FIGURES)[number];

/** Each chart's title is the question it answers. */
export const FIGURE_QUESTIONS: Record<ComplianceFigure, string> = {
  current_version_by_unit: "Which units lag behind on current firmware?",
  current_version_by_model: "Which models lag behind on current firmware?",
  time_to_90: "How fast do approved releases reach 90 % of devices?",
  update_success: "Are updates succeeding?",
  end_of_support: "Which devices lose vendor support soon?",
  recalled: "Which devices run recalled firmware?",
  briefings: "Have clinicians acknowledged the briefings?",
  incidents: "What incidents are open?",
};
