import type { Page } from "@playwright/test";
import { demoUser, expect, expectNoViolations, loginAs, test } from "./fixtures";

// The calendar evaluates every unit's rules on each render (a few seconds for all sites on a busy test
// server); waits after a navigation or an action allow for that.
const SLOW = { timeout: 20_000 };

/** Ends a freeze if one is in force, so the specs after this one run unfrozen. */
async function endAnyFreeze(page: Page) {
  await page.goto("/calendar");
  const end = page.getByTestId("freeze-banner").getByRole("button", { name: "End the freeze" });
  if (await end.count()) {
    await end.click();
    await expect(page.getByTestId("freeze-banner")).toHaveCount(0, SLOW);
  }
}

test.describe("maintenance calendar as biomed", () => {
  test.beforeEach(async ({ page }) => {
    await loginAs(page, "biomed");
  });

  test("shows every unit with its rules and the next 7 days; the site filter narrows it", async ({ page }) => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Calendar", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Maintenance calendar" })).toBeVisible(SLOW);

    const units = page.getByTestId("calendar-unit");
    await expect(units.first()).toBeVisible();
    expect(await units.count()).toBeGreaterThan(10);
    // Demo rules: clinical units at night, labs and imaging all day.
    await expect(page.getByText("Every day 01:00–05:00 (America/New_York)").first()).toBeVisible();
    await expect(page.getByText("Every day, all day (America/Phoenix)").first()).toBeVisible();
    await expect(units.first().getByRole("list", { name: /next 7 days$/ }).getByRole("listitem")).toHaveCount(7);

    await page.getByRole("navigation", { name: "Sites" }).getByRole("link", { name: "St. Brigid Medical Center" }).click();
    await expect(page).toHaveURL(/\/calendar\?site=\d+$/, SLOW);
    await expect(page.getByTestId("calendar-site")).toHaveCount(1, SLOW);
    const icu = page.getByTestId("calendar-unit").filter({ has: page.getByRole("heading", { level: 3, name: "Medical ICU", exact: true }) });
    await expect(icu).toContainText("Every day 01:00–05:00 (America/New_York)");
    // Outside 01:00–05:00 the unit says so and names its next window; inside it says it is open.
    await expect(icu.getByText(/^(Closed now|Open now, until 05:00)$/)).toBeVisible();
  });

  test("a blackout day is listed, marked on the unit's days, and can be removed", async ({ page }) => {
    await page.goto("/calendar");
    const reason = `Joint Commission survey ${Date.now()}`;
    const day = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    const form = page.getByRole("form", { name: "Add a blackout" });
    await form.getByLabel("Applies to").selectOption({ label: "Medical ICU (St. Brigid Medical Center)" });
    await form.getByLabel("From").fill(day);
    await form.getByLabel("Reason").fill(reason);
    await form.getByRole("button", { name: "Add blackout" }).click();
    await expect(form.getByTestId("form-message")).toContainText("Blackout added", SLOW);

    const row = page.getByTestId("blackout-rows").getByRole("row").filter({ hasText: reason });
    await expect(row).toContainText("Medical ICU (St. Brigid Medical Center)");
    await expect(page.getByRole("list", { name: "Windows of Medical ICU, next 7 days" }).first()).toContainText(`blackout day, nothing installs (${reason})`);

    await row.getByRole("button", { name: /^Remove blackout/ }).click();
    await expect(page.getByTestId("blackout-rows")).not.toContainText(reason, SLOW);
  });

  test("a freeze shows on every page until it is ended", async ({ page }) => {
    const reason = `E2E vendor advisory ${Date.now()}`;
    await page.goto("/calendar");
    try {
      await page.getByRole("main").getByRole("button", { name: "Freeze all updates" }).click();
      const dialog = page.getByRole("dialog", { name: "Freeze all updates?" });
      await expect(dialog).toBeVisible();
      await dialog.getByLabel(/^Reason/).fill(reason);
      await dialog.getByRole("button", { name: "Freeze all updates now" }).click();

      const banner = page.getByTestId("freeze-banner");
      await expect(banner).toContainText(reason, SLOW);
      await expect(page.getByRole("main").getByTestId("calendar-unit").first()).toContainText("Frozen");
      await expectNoViolations(page);

      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Inventory", exact: true }).click();
      await expect(page).toHaveURL(/\/inventory$/, SLOW);
      await expect(banner).toContainText(`All updates are frozen since`);
      await expect(banner).toContainText(`by ${demoUser("biomed").displayName}: ${reason}`);
      // While frozen there is nothing to start.
      await expect(page.getByRole("button", { name: "Freeze all updates" })).toHaveCount(0);

      await banner.getByRole("button", { name: "End the freeze" }).click();
      await expect(banner).toHaveCount(0, SLOW);
      await page.reload();
      await expect(page.getByTestId("freeze-banner")).toHaveCount(0);
      await expect(page.getByRole("button", { name: "Freeze all updates" })).toBeVisible();
    } finally {
      await endAnyFreeze(page);
    }
  });

  test("axe: the calendar with a window editor open", async ({ page }) => {
    await page.goto("/calendar");
    await expect(page.getByTestId("calendar-unit").first()).toBeVisible(SLOW);
    await page.getByText("Edit windows").first().click();
    await expect(page.getByRole("form", { name: /^Maintenance windows of / }).first()).toBeVisible();
    await expectNoViolations(page);
  });
});
