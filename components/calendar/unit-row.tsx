import { formatWindow } from "../format";
import { Badge } from "../ui";
import { blackoutOn, type Blackout, type StripDay } from "./day-strip";
import { describeWindow } from "./rules";

export type UnitStatus = { kind: "open"; until: Date; continuous: boolean } | { kind: "closed" } | { kind: "blackout"; reason: string } | { kind: "frozen" } | { kind: "none" };

const timeOf = (d: Date, timeZone: string) => new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(d);

export function StatusBadge({ status, timeZone }: { status: UnitStatus; timeZone: string }) {
  switch (status.kind) {
    case "open":
      return <Badge tone="green">{status.continuous ? "Open now" : `Open now, until ${timeOf(status.until, timeZone)}`}</Badge>;
    case "blackout":
      return <Badge tone="red">Blackout today</Badge>;
    case "frozen":
      return <Badge tone="red">Frozen</Badge>;
    case "none":
      return <Badge tone="amber">No window</Badge>;
    case "closed":
      return <Badge tone="slate">Closed now</Badge>;
  }
}

/** The first window that is not on a blackout day, in words. */
export function nextWindowText(next: { start: Date; end: Date }[], timeZone: string, blackouts: readonly Blackout[], localDate: (d: Date) => string, now: Date): string {
  const usable = next.find((s) => s.start > now && !blackoutOn(localDate(s.start), blackouts));
  return usable ? formatWindow(usable.start, usable.end, timeZone) : "none in the next weeks";
}

export function RuleList({ windows, timeZone }: { windows: { label: string | null; rrule: string; startsAt: string; durationMinutes: number }[]; timeZone: string }) {
  if (windows.length === 0) return <p className="text-sm text-amber-800">No maintenance window: nothing installs here.</p>;
  return (
    <ul className="space-y-0.5 text-sm text-slate-800">
      {windows.map((w, i) => (
        <li key={i}>
          {describeWindow(w, timeZone)}
          {w.label ? <span className="text-slate-600"> · {w.label}</span> : null}
        </li>
      ))}
    </ul>
  );
}

const STRIPES = "bg-[repeating-linear-gradient(135deg,#fecaca_0,#fecaca_4px,#fff1f2_4px,#fff1f2_8px)]";

/** One unit's next days: a 24-hour bar per local day with its windows; blackout days striped red. */
export function DayStrip({ days, unitName, showDates }: { days: StripDay[]; unitName: string; showDates: boolean }) {
  return (
    <ol className="grid grid-cols-7 gap-1" aria-label={`Windows of ${unitName}, next ${days.length} days`}>
      {days.map((d) => {
        const words = d.segments.length ? `window ${d.segments.map((s) => s.label).join(", ")}` : "no window";
        return (
          <li key={d.date} className="min-w-0">
            <span className="sr-only">
              {d.label}{d.isToday ? " (today)" : ""}: {words}{d.blackout ? `; blackout day, nothing installs (${d.blackout.reason})` : ""}
              {d.hours !== 24 ? `; ${d.hours}-hour day (daylight-saving change)` : ""}
            </span>
            <div aria-hidden>
              {showDates ? <p className={`mb-0.5 truncate text-[11px] ${d.isToday ? "font-semibold text-slate-900" : "text-slate-600"}`}>{d.label}</p> : null}
              <div className={`relative h-5 overflow-hidden rounded-sm border ${d.blackout ? `border-red-300 ${STRIPES}` : "border-slate-200 bg-slate-100"}`} title={`${d.label}: ${words}${d.blackout ? ` — blackout: ${d.blackout.reason}` : ""}`}>
                {d.segments.map((s, i) => (
                  <div
                    key={i}
                    className={`absolute inset-y-0 ${d.blackout ? "bg-slate-400/60" : "bg-emerald-500"}`}
                    style={{ left: `${s.from * 100}%`, width: `${Math.max(0.8, (s.to - s.from) * 100)}%` }}
                  />
                ))}
                {d.nowAt !== null ? <div className="absolute inset-y-0 w-0.5 bg-slate-900" style={{ left: `${d.nowAt * 100}%` }} /> : null}
              </div>
              <p className={`mt-0.5 truncate text-[11px] ${d.blackout ? "font-medium text-red-800" : "text-slate-600"}`}>
                {d.blackout ? "Blackout" : d.segments.length === 0 ? "—" : d.segments.length > 1 ? `${d.segments.length} windows` : d.segments[0]!.label}
                {d.hours !== 24 ? ` · ${d.hours} h` : ""}
              </p>
            </div>
          </li>
        );
      })}
    </ol>
  );
}

export function DayHeader({ days }: { days: StripDay[] }) {
  return (
    <div className="grid grid-cols-7 gap-1" aria-hidden>
      {days.map((d) => (
        <p key={d.date} className={`truncate text-xs ${d.isToday ? "font-semibold text-slate-900" : "text-slate-600"}`}>
          {d.isToday ? "Today" : d.label}
        </p>
      ))}
    </div>
  );
}
