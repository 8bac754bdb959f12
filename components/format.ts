// Times are shown with an explicit offset so nobody has to guess the zone (AUD-06).
export function formatDateTime(value: Date | string | null | undefined, timeZone = "UTC"): string {
  if (!value) return "—";
  const d = typeof value === "string" ? new Date(value) : value;
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    hourCycle: "h23", timeZoneName: "shortOffset",
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  const offset = get("timeZoneName").replace("GMT", "UTC").replace(/^UTC([+-]0)?$/, "UTC") || "UTC";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")} ${offset}`;
}

export function formatAgo(value: Date | string | null | undefined, now = Date.now()): string {
  if (!value) return "never";
  const d = typeof value === "string" ? new Date(value) : value;
  const s = Math.round((now - d.getTime()) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  const days = Math.floor(s / 86400);
  return days === 1 ? "1 day ago" : `${days} days ago`;
}

export const formatCount = (n: number) => n.toLocaleString("en-US");

/** A maintenance window in its unit's zone, e.g. "Tue 24 Nov 01:00–05:00 (UTC-5)". */
export function formatWindow(start: Date, end: Date, timeZone: string): string {
  const day = new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "short", day: "numeric", month: "short" }).format(start);
  const time = (d: Date) => new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(d);
  const offset = formatDateTime(start, timeZone).split(" ")[2];
  if (end.getTime() - start.getTime() >= 86_400_000) return `${day}, all day (${offset})`;
  return `${day} ${time(start)}–${time(end)} (${offset})`;
}
