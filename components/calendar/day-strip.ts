import { localDate } from "@/lib/services/safety/install-gate";
import { wallTimeToInstant, windowSpans, type WindowRule } from "@/lib/services/safety/windows";

// The next days of one unit as local calendar days (in the unit's own zone), each with the parts of
// its windows that fall on it. A day is 23 or 25 hours long on a daylight-saving change; positions are
// fractions of the real day, so a 01:00–05:00 window stays where the clock says it is.

export type Blackout = { id: number; startsOn: string; endsOn: string; reason: string };
export type DaySegment = { from: number; to: number; label: string };
export type StripDay = { date: string; label: string; isToday: boolean; hours: number; segments: DaySegment[]; blackout: Blackout | null; nowAt: number | null };

const fmtTime = (timeZone: string) => new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

function addDays(date: string, n: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

function midnight(date: string, timeZone: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return wallTimeToInstant(Date.UTC(y, m - 1, d), timeZone);
}

export function blackoutOn(date: string, blackouts: readonly Blackout[]): Blackout | null {
  return blackouts.find((b) => b.startsOn <= date && date <= b.endsOn) ?? null;
}

/**
 * Evaluates the rules once for the whole range (RRULE evaluation is the costly part) and cuts the spans
 * into days. `open` is the span in force at `now`, if any, extended through windows that follow
 * without a gap.
 */
export function dayStrip(rules: readonly WindowRule[], timeZone: string, blackouts: readonly Blackout[], now: Date, days = 7): { days: StripDay[]; openUntil: Date | null } {
  const time = fmtTime(timeZone);
  const dayName = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric", month: "short" });
  const today = localDate(now, timeZone);
  const dates = Array.from({ length: days + 1 }, (_, i) => addDays(today, i));
  const bounds = dates.map((d) => midnight(d, timeZone));
  const all = rules
    .flatMap((r) => windowSpans(r, timeZone, new Date(bounds[0]!), new Date(bounds[days]! + 86_400_000)))
    .map((s) => ({ from: s.start.getTime(), to: s.end.getTime() }))
    .sort((a, b) => a.from - b.from);
  // Overlapping or touching windows count as one.
  const merged: { from: number; to: number }[] = [];
  for (const s of all) {
    const last = merged.at(-1);
    if (last && s.from <= last.to) last.to = Math.max(last.to, s.to);
    else merged.push({ ...s });
  }
  const open = merged.find((s) => s.from <= now.getTime() && now.getTime() < s.to);

  const strip = dates.slice(0, days).map((date, i) => {
    const start = bounds[i]!;
    const end = bounds[i + 1]!;
    const length = end - start;
    const segments = merged
      .filter((s) => s.to > start && s.from < end)
      .map((s) => ({ from: Math.max(s.from, start), to: Math.min(s.to, end) }));
    const [y, m, d] = date.split("-").map(Number) as [number, number, number];
    return {
      date,
      label: dayName.format(new Date(Date.UTC(y, m - 1, d))),
      isToday: i === 0,
      hours: Math.round(length / 3_600_000),
      segments: segments.map((s) => ({
        from: (s.from - start) / length,
        to: (s.to - start) / length,
        label: s.from === start && s.to === end ? "all day" : `${time.format(s.from)}–${s.to === end ? "24:00" : time.format(s.to)}`,
      })),
      blackout: blackoutOn(date, blackouts),
      nowAt: i === 0 ? (now.getTime() - start) / length : null,
    };
  });
  return { days: strip, openUntil: open ? new Date(open.to) : null };
}
