import * as rrule from "rrule";

// rrule ships CommonJS for Node and ESM for bundlers; take RRule from whichever shape loaded.
const RRule: typeof rrule.RRule = rrule.RRule ?? (rrule as unknown as { default: typeof rrule }).default.RRule;
type RRule = InstanceType<typeof RRule>;

// Maintenance windows are recurring rules in the unit's own time zone. RRULE is evaluated on "floating"
// wall-clock times (UTC fields standing for local fields); each occurrence is then placed on the real
// timeline with the zone's offset at that moment, which keeps windows right across DST changes.

export type WindowRule = { rrule: string; startsAt: string; durationMinutes: number };
export type WindowSpan = { start: Date; end: Date };

const ANCHOR = Date.UTC(2020, 0, 6); // a Monday, before any window we evaluate

// Building a DateTimeFormat costs far more than using one, and the install gate asks on every poll.
const formats = new Map<string, Intl.DateTimeFormat>();
function zoneFormat(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    formats.set(timeZone, f);
  }
  return f;
}

/** Zone offset in ms at an instant: local wall time minus UTC. */
export function zoneOffsetMs(timeZone: string, at: number): number {
  const parts = zoneFormat(timeZone).formatToParts(at);
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second")) - (at - (at % 1000));
}

/**
 * The instant at which a local wall-clock time occurs. A time that happens twice (autumn) takes the
 * first; a time skipped by the spring jump moves forward by the gap, as clocks do.
 */
export function wallTimeToInstant(floatingMs: number, timeZone: string): number {
  const candidates = [-86_400_000, 86_400_000].map((d) => floatingMs - zoneOffsetMs(timeZone, floatingMs + d));
  const valid = candidates.filter((c) => c + zoneOffsetMs(timeZone, c) === floatingMs);
  return valid.length ? Math.min(...valid) : Math.max(...candidates);
}

const DAY_MS = 86_400_000;

/**
 * The rule with its start at `startsAt` on the anchor Monday, or — for daily and weekly rules without a
 * COUNT — on a later Monday a whole number of its periods on, just before `near`: the same occurrences,
 * without replaying every one since 2020 on each evaluation.
 */
function parseRule(rule: WindowRule, near?: number): RRule {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(rule.startsAt);
  if (!match) throw new Error(`the start "${rule.startsAt}" is not a time of day (use HH:MM).`);
  const options = RRule.parseString(rule.rrule.replace(/^RRULE:/i, ""));
  if (options.freq === undefined) throw new Error("FREQ is missing or unknown.");
  let anchor = ANCHOR;
  if (near !== undefined && options.count == null && (options.freq === RRule.DAILY || options.freq === RRule.WEEKLY)) {
    const period = 7 * (options.interval ?? 1) * DAY_MS;
    anchor += Math.max(0, Math.floor((near - 2 * DAY_MS - ANCHOR) / period)) * period;
  }
  return new RRule({ ...options, dtstart: new Date(anchor + (Number(match[1]) * 60 + Number(match[2])) * 60_000) });
}

/** Validation for forms: null when the rule is usable, else a readable problem. */
export function windowRuleProblem(rule: WindowRule): string | null {
  try {
    const r = parseRule(rule);
    if (!r.after(new Date(ANCHOR), true)) return "This rule never occurs.";
    if (rule.durationMinutes < 5 || rule.durationMinutes > 24 * 60) return "A window lasts between 5 minutes and 24 hours.";
    return null;
  } catch (err) {
    return `This is not a valid window: ${(err as Error).message}`;
  }
}

/** Windows of one rule that overlap [from, to), on the real timeline. */
export function windowSpans(rule: WindowRule, timeZone: string, from: Date, to: Date): WindowSpan[] {
  const durationMs = rule.durationMinutes * 60_000;
  // Search in floating time with a day of slack on both sides for zone offsets.
  const lo = new Date(from.getTime() + zoneOffsetMs(timeZone, from.getTime()) - durationMs - DAY_MS);
  const hi = new Date(to.getTime() + zoneOffsetMs(timeZone, to.getTime()) + DAY_MS);
  const r = parseRule(rule, lo.getTime());
  return r
    .between(lo, hi, true)
    .map((occ) => {
      const start = wallTimeToInstant(occ.getTime(), timeZone);
      return { start: new Date(start), end: new Date(start + durationMs) };
    })
    .filter((s) => s.end > from && s.start < to);
}

export function isWindowOpen(rules: readonly WindowRule[], timeZone: string, at: Date): boolean {
  return rules.some((rule) => windowSpans(rule, timeZone, at, new Date(at.getTime() + 1)).length > 0);
}

/** The next `count` windows from `from` (an open window counts), merged across rules. */
export function upcomingWindows(rules: readonly WindowRule[], timeZone: string, from: Date, count: number): WindowSpan[] {
  const to = new Date(from.getTime() + 35 * 86_400_000);
  return rules
    .flatMap((rule) => windowSpans(rule, timeZone, from, to))
    .sort((a, b) => a.start.getTime() - b.start.getTime())
    .slice(0, count);
}
