import { expect, expectNoViolations, loginAs, serialLinks, test } from "./fixtures";

// Issue 6: health charts render in the browser with data. The demo seed gives the first active devices
// of every model a week of hourly telemetry (db/seed/telemetry.ts).

test("device health: one chart per metric with plotted data and a legend; the model page has its band chart", async ({ page }) => {
  await loginAs(page, "biomed");
  await page.goto("/inventory?status=active");
  await serialLinks(page).first().click();
  const charts = page.getByTestId("device-health-charts");
  await expect(charts).toBeVisible();
  await expect(charts.locator("figure")).toHaveCount(6);
  await expect(charts.getByRole("figure", { name: /Alarms per hour/ })).toBeVisible();
  await expect(charts.locator(".recharts-line-curve").first()).toHaveAttribute("d", /M[\d.]+,[\d.]+(L|C)/);
  await expect(charts.locator(".recharts-legend-wrapper").first()).toContainText("Alarms per hour");
  await expectNoViolations(page);

  await page.locator("a[href^='/inventory/models/']").first().click();
  const model = page.getByTestId("model-health-charts");
  await expect(model).toBeVisible();
  await expect(model.locator(".recharts-area-area").first()).toBeVisible();
  await expect(model.locator(".recharts-line-curve").first()).toHaveAttribute("d", /M[\d.]+,[\d.]+/);
  await expectNoViolations(page);
});

test("rollout health: updated vs not-yet-updated devices, metric chosen by a select", async ({ page }) => {
  test.setTimeout(90_000);
  await loginAs(page, "biomed");
  await page.goto("/rollouts");
  const existing = page.locator("a[href^='/rollouts/']:not([href='/rollouts/new'])").first();
  if (await existing.count()) await existing.click();
  else {
    // No rollout yet in this run: create one from the approved FlowPoint 400 5.1.0 release.
    await page.goto("/releases?state=approved");
    const row = page.getByTestId("release-rows").locator("tr").filter({ hasText: "FlowPoint 400" }).filter({ hasText: "5.1.0" });
    await row.getByRole("link", { name: "5.1.0" }).click();
    await page.getByTestId("roll-out-release").click();
    await expect(page.getByTestId("preview")).toContainText("will get 5.1.0");
    await page.getByLabel("Rollout name").fill(`Telemetry e2e ${Date.now()}`);
    await page.getByTestId("create-rollout").click();
    await expect(page).toHaveURL(/\/rollouts\/\d+$/);
  }
  const section = page.getByTestId("rollout-health");
  await expect(section.getByRole("heading", { name: "Health: updated vs not yet updated" })).toBeVisible();
  const select = section.getByLabel("Metric");
  await expect(select).toHaveValue("alarm_rate");
  await expect(section.locator(".recharts-legend-wrapper")).toContainText("Not yet updated");
  await expect(section.locator(".recharts-line-curve").first()).toHaveAttribute("d", /M[\d.]+,[\d.]+/);
  await select.selectOption("power_draw");
  await expect(section.getByRole("figure", { name: /Power draw/ })).toBeVisible();
  await expectNoViolations(page);
});
