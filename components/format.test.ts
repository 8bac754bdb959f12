import { describe, expect, it } from "vitest";
import { formatAgo, formatDateTime, formatWindow } from "./format";

describe("time formatting (AUD-06: explicit offsets)", () => {
  it("shows UTC with an explicit zone", () => {
    expect(formatDateTime("2026-11-23T21:05:09.123Z")).toBe("2026-11-23 21:05:09 UTC");
  });
  it("shows a unit's local time with its offset, across daylight-saving time", () => {
    expect(formatDateTime("2026-07-01T12:00:00Z", "America/New_York")).toBe("2026-07-01 08:00:00 UTC-4");
    expect(formatDateTime("2026-12-01T12:00:00Z", "America/New_York")).toBe("2026-12-01 07:00:00 UTC-5");
  });
  it("says never for a missing time and counts back in words", () => {
    const now = Date.parse("2026-11-23T12:00:00Z");
    expect(formatDateTime(null)).toBe("—");
    expect(formatAgo(null, now)).toBe("never");
    expect(formatAgo(new Date(now - 30_000), now)).toBe("just now");
    expect(formatAgo(new Date(now - 5 * 60_000), now)).toBe("5 min ago");
    expect(formatAgo(new Date(now - 86_400_000), now)).toBe("1 day ago");
    expect(formatAgo(new Date(now - 3 * 86_400_000), now)).toBe("3 days ago");
  });
});

describe("maintenance window labels", () => {
  it("shows the window in the unit's zone with its offset", () => {
    expect(formatWindow(new Date("2026-11-24T06:00:00Z"), new Date("2026-11-24T10:00:00Z"), "America/New_York")).toBe("Tue 24 Nov 01:00–05:00 (UTC-5)");
    expect(formatWindow(new Date("2026-11-24T08:00:00Z"), new Date("2026-11-25T08:00:00Z"), "America/Los_Angeles")).toBe("Tue 24 Nov, all day (UTC-8)");
  });
});
