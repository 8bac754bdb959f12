import { z } from "zod";
import { COMPLIANCE_FIGURES } from "@/lib/compliance";
import { csvCell } from "../audit/audit-trail";
import { command } from "../operation";
import { complianceFigures } from "./figures";
import { complianceTables, type FigureTable } from "./tables";

const csvLine = (cells: readonly unknown[]) => cells.map(csvCell).join(",") + "\r\n";

/**
 * CSV of the compliance figures (issue 6 §5). With `figure`, one plain table (header and rows) that a
 * spreadsheet opens directly; without it, every figure as a section: its question, its header, its
 * rows and an empty line. Cells are quoted and formula-like text is neutralised (csvCell). The export
 * is recorded in the audit trail before anything is returned.
 */
export const exportCompliance = command({
  name: "compliance.export",
  permission: "compliance.export",
  input: z
    .object({
      figure: z.enum(COMPLIANCE_FIGURES, { error: `Figure must be one of: ${COMPLIANCE_FIGURES.join(", ")}.` }).optional(),
      now: z.date().optional(),
    })
    .strict(),
  async run({ tx, input, audit }) {
    const now = input.now ?? new Date();
    const tables = complianceTables(await complianceFigures(tx, now));
    const section = (t: FigureTable) => csvLine(t.header) + t.rows.map(csvLine).join("");
    const csv = input.figure
      ? section(tables.find((t) => t.key === input.figure)!)
      : tables.map((t) => csvLine([t.title]) + section(t)).join("\r\n");
    await audit({ action: "compliance.export", entityType: "compliance", after: { figure: input.figure ?? "all", format: "csv", at: now.toISOString() } });
    return { csv, now };
  },
});
