/** A moment as UTC ISO 8601 to the second, e.g. 2026-11-23T10:15:00Z (how signatures are recorded). */
export function isoUtc(value: Date | string | null | undefined): string {
  if (!value) return "—";
  const d = typeof value === "string" ? new Date(value) : value;
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
