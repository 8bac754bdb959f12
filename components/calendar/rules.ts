// Maintenance-window rules in words, and the simple presets the editor builds RRULEs from.
// No imports: the editor (client) and the calendar page (server) share this file.

export const WEEKDAYS = [
  ["MO", "Mon"], ["TU", "Tue"], ["WE", "Wed"], ["TH", "Thu"], ["FR", "Fri"], ["SA", "Sat"], ["SU", "Sun"],
] as const;
export type DayCode = (typeof WEEKDAYS)[number][0];

export type Preset = "daily" | "weekdays" | "weekends" | "days" | "custom";
export type EditableWindow = { preset: Preset; days: DayCode[]; custom: string; startsAt: string; durationMinutes: number; label: string };

const ALL: DayCode[] = WEEKDAYS.map(([c]) => c);
const WORKDAYS: DayCode[] = ["MO", "TU", "WE", "TH", "FR"];
const WEEKEND: DayCode[] = ["SA", "SU"];
const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** Reads an RRULE into one of the presets; anything richer stays "custom". */
export function parsePreset(rrule: string): { preset: Preset; days: DayCode[] } {
  const parts = new Map(
    rrule
      .replace(/^RRULE:/i, "")
      .split(";")
      .filter(Boolean)
      .map((p) => p.split("=") as [string, string | undefined])
      .map(([k, v]) => [k.trim().toUpperCase(), (v ?? "").trim().toUpperCase()]),
  );
  const freq = parts.get("FREQ");
  const extra = [...parts.keys()].filter((k) => !["FREQ", "BYDAY", "INTERVAL", "WKST"].includes(k));
  if (extra.length || (parts.has("INTERVAL") && parts.get("INTERVAL") !== "1")) return { preset: "custom", days: [] };
  const byday = parts.get("BYDAY");
  if (freq === "DAILY" && !byday) return { preset: "daily", days: ALL };
  if ((freq === "WEEKLY" || freq === "DAILY") && byday) {
    const days = byday.split(",");
    if (!days.every((d): d is DayCode => (ALL as string[]).includes(d))) return { preset: "custom", days: [] };
    const ordered = ALL.filter((d) => days.includes(d));
    if (sameSet(ordered, ALL)) return { preset: "daily", days: ALL };
    if (sameSet(ordered, WORKDAYS)) return { preset: "weekdays", days: ordered };
    if (sameSet(ordered, WEEKEND)) return { preset: "weekends", days: ordered };
    return { preset: "days", days: ordered };
  }
  return { preset: "custom", days: [] };
}

/** The RRULE a preset stands for. */
export function buildRrule(w: Pick<EditableWindow, "preset" | "days" | "custom">): string {
  switch (w.preset) {
    case "daily":
      return "FREQ=DAILY";
    case "weekdays":
      return `FREQ=WEEKLY;BYDAY=${WORKDAYS.join(",")}`;
    case "weekends":
      return `FREQ=WEEKLY;BYDAY=${WEEKEND.join(",")}`;
    case "days":
      return `FREQ=WEEKLY;BYDAY=${ALL.filter((d) => w.days.includes(d)).join(",")}`;
    case "custom":
      return w.custom.trim().replace(/^RRULE:/i, "");
  }
}

function minutesOf(hhmm: string): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60) % 24).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

/** "01:00–05:00", "22:00–02:00 next day", "all day". */
export function describeTimes(startsAt: string, durationMinutes: number): string {
  if (durationMinutes >= 1440) return startsAt === "00:00" ? "all day" : `from ${startsAt} for 24 h`;
  const start = minutesOf(startsAt);
  if (start === null) return `${startsAt} for ${durationMinutes} min`;
  const end = start + durationMinutes;
  return `${startsAt}–${hhmm(end)}${end > 1440 ? " next day" : ""}`;
}

/** The days part of a rule in words: "Every day", "Weekdays (Mon–Fri)", "Every Mon, Wed", or the raw rule. */
export function describeDays(rrule: string): string {
  const { preset, days } = parsePreset(rrule);
  switch (preset) {
    case "daily":
      return "Every day";
    case "weekdays":
      return "Weekdays (Mon–Fri)";
    case "weekends":
      return "Weekends (Sat, Sun)";
    case "days":
      return `Every ${WEEKDAYS.filter(([c]) => days.includes(c)).map(([, n]) => n).join(", ")}`;
    case "custom":
      return `Custom rule ${rrule.replace(/^RRULE:/i, "")},`;
  }
}

/** A window rule in words, e.g. "Every day 01:00–05:00 (America/New_York)". */
export function describeWindow(w: { rrule: string; startsAt: string; durationMinutes: number }, timeZone: string): string {
  const times = describeTimes(w.startsAt, w.durationMinutes);
  return `${describeDays(w.rrule)}${times === "all day" ? ", " : " "}${times} (${timeZone})`;
}

export function toEditable(w: { rrule: string; startsAt: string; durationMinutes: number; label: string | null }): EditableWindow {
  const { preset, days } = parsePreset(w.rrule);
  return { preset, days, custom: preset === "custom" ? w.rrule : "", startsAt: w.startsAt, durationMinutes: w.durationMinutes, label: w.label ?? "" };
}
