import { describe, expect, it } from "vitest";
import { installBlockers, type GateFacts } from "./install-gate";
import { isWindowOpen, upcomingWindows, wallTimeToInstant, windowRuleProblem, windowSpans } from "./windows";

const nightly = { rrule: "FREQ=DAILY", startsAt: "02:00", durationMinutes: 120 };

describe("maintenance windows in the unit's time zone (ROL-03)", () => {
  it("opens at local 02:00 in New York in winter (UTC-5) and summer (UTC-4)", () => {
    expect(isWindowOpen([nightly], "America/New_York", new Date("2026-01-15T07:30:00Z"))).toBe(true);
    expect(isWindowOpen([nightly], "America/New_York", new Date("2026-01-15T06:59:00Z"))).toBe(false);
    expect(isWindowOpen([nightly], "America/New_York", new Date("2026-07-15T06:30:00Z"))).toBe(true);
    expect(isWindowOpen([nightly], "America/New_York", new Date("2026-07-15T08:00:00Z"))).toBe(false);
  });

  it("keeps the window's real length on the spring-forward night (02:00 does not exist; it starts at 03:00 EDT)", () => {
    // 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT (07:00Z).
    const [span] = upcomingWindows([nightly], "America/New_York", new Date("2026-03-08T05:00:00Z"), 1);
    expect(span!.start.toISOString()).toBe("2026-03-08T07:00:00.000Z");
    expect(span!.end.getTime() - span!.start.getTime()).toBe(120 * 60_000);
  });

  it("places a window on the fall-back night at the first 01:30", () => {
    const rule = { rrule: "FREQ=DAILY", startsAt: "01:30", durationMinutes: 60 };
    const [span] = upcomingWindows([rule], "America/New_York", new Date("2026-11-01T04:00:00Z"), 1);
    expect(span!.start.toISOString()).toBe("2026-11-01T05:30:00.000Z");
  });

  it("honours weekday rules and zones without DST", () => {
    const weekly = { rrule: "FREQ=WEEKLY;BYDAY=TU,TH", startsAt: "23:00", durationMinutes: 180 };
    // Phoenix is UTC-7 all year. Tuesday 2026-11-24 23:00 MST = Wednesday 06:00Z; open until 09:00Z.
    expect(isWindowOpen([weekly], "America/Phoenix", new Date("2026-11-25T08:59:00Z"))).toBe(true);
    expect(isWindowOpen([weekly], "America/Phoenix", new Date("2026-11-26T08:00:00Z"))).toBe(false);
    const next = upcomingWindows([weekly], "America/Phoenix", new Date("2026-11-23T12:00:00Z"), 2);
    expect(next.map((s) => s.start.toISOString())).toEqual(["2026-11-25T06:00:00.000Z", "2026-11-27T06:00:00.000Z"]);
  });

  it("converts wall time to instants with the zone's offset", () => {
    expect(new Date(wallTimeToInstant(Date.UTC(2026, 6, 1, 12), "Europe/Berlin")).toISOString()).toBe("2026-07-01T10:00:00.000Z");
  });

  it("rejects unusable rules with a readable reason", () => {
    expect(windowRuleProblem(nightly)).toBeNull();
    expect(windowRuleProblem({ ...nightly, rrule: "FREQ=SOMETIMES" })).toMatch(/not a valid window/);
    expect(windowRuleProblem({ ...nightly, startsAt: "25:99" })).toMatch(/not a valid/);
    expect(windowRuleProblem({ ...nightly, durationMinutes: 2 })).toMatch(/between 5 minutes/);
  });
});

describe("install gate: nothing installs outside a window or on a device in use", () => {
  const open: GateFacts = {
    now: new Date("2026-01-15T07:30:00Z"),
    deviceStatus: "active",
    inClinicalUse: false,
    clinicalUseAt: new Date("2026-01-15T07:29:00Z"),
    unitTimeZone: "America/New_York",
    windows: [nightly],
    clinicalUseMaxAgeMs: 30 * 60_000,
    freezeActive: false,
    blackouts: [],
    rollout: { running: true, waveActive: true },
    rateLimited: false,
  };

  it("allows an idle, active device inside its window", () => {
    expect(installBlockers(open)).toEqual([]);
  });

  it("blocks for every unsafe fact, and says which", () => {
    expect(installBlockers({ ...open, inClinicalUse: true })).toEqual(["in_clinical_use"]);
    expect(installBlockers({ ...open, inClinicalUse: null, clinicalUseAt: null })).toEqual(["clinical_use_unknown"]);
    expect(installBlockers({ ...open, clinicalUseAt: new Date("2026-01-15T06:00:00Z") })).toEqual(["clinical_use_unknown"]);
    expect(installBlockers({ ...open, now: new Date("2026-01-15T12:00:00Z"), clinicalUseAt: new Date("2026-01-15T11:59:00Z") })).toEqual(["outside_window"]);
    expect(installBlockers({ ...open, windows: [] })).toEqual(["no_window_defined"]);
    expect(installBlockers({ ...open, deviceStatus: "quarantined" })).toEqual(["device_not_active"]);
    expect(installBlockers({ ...open, freezeActive: true })).toEqual(["freeze_active"]);
    expect(installBlockers({ ...open, rollout: { running: false, waveActive: true } })).toEqual(["rollout_not_running"]);
    expect(installBlockers({ ...open, rollout: { running: true, waveActive: false } })).toEqual(["wave_not_active"]);
    expect(installBlockers({ ...open, rateLimited: true })).toEqual(["rate_limited"]);
  });

  it("a manual assignment (no rollout) is judged on the device, its unit and the freeze alone", () => {
    expect(installBlockers({ ...open, rollout: null })).toEqual([]);
  });

  it("blackout days count in the unit's own calendar: 07:30 UTC on 15 January is still the 15th in New York", () => {
    expect(installBlockers({ ...open, blackouts: [{ startsOn: "2026-01-15", endsOn: "2026-01-15" }] })).toEqual(["blackout_day"]);
    expect(installBlockers({ ...open, blackouts: [{ startsOn: "2026-01-16", endsOn: "2026-01-20" }] })).toEqual([]);
    // 03:30 UTC on the 16th is 22:30 on the 15th in New York.
    const lateEvening = { ...open, now: new Date("2026-01-16T03:30:00Z"), clinicalUseAt: new Date("2026-01-16T03:29:00Z"), windows: [{ rrule: "FREQ=DAILY", startsAt: "22:00", durationMinutes: 60 }] };
    expect(installBlockers({ ...lateEvening, blackouts: [{ startsOn: "2026-01-16", endsOn: "2026-01-16" }] })).toEqual([]);
    expect(installBlockers({ ...lateEvening, blackouts: [{ startsOn: "2026-01-15", endsOn: "2026-01-15" }] })).toEqual(["blackout_day"]);
  });
});

describe("evaluation starts near the asked time, with the same occurrences", () => {
  it("a fortnightly rule keeps its phase from the anchor Monday (6 Jan 2020) years later", () => {
    const rule = { rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", startsAt: "02:00", durationMinutes: 60 };
    const spans = windowSpans(rule, "UTC", new Date("2026-11-01T00:00:00Z"), new Date("2026-12-31T00:00:00Z"));
    expect(spans.length).toBe(5);
    // The first occurrence is Tuesday 7 Jan 2020; every later one is a whole number of fortnights on.
    const first = Date.UTC(2020, 0, 7, 2);
    for (const s of spans) expect((s.start.getTime() - first) % (14 * 86_400_000)).toBe(0);
  });

  it("a rule with COUNT is still counted from its first occurrence", () => {
    const rule = { rrule: "FREQ=DAILY;COUNT=3", startsAt: "02:00", durationMinutes: 60 };
    expect(windowSpans(rule, "UTC", new Date("2026-01-01T00:00:00Z"), new Date("2026-02-01T00:00:00Z"))).toEqual([]);
  });
});
