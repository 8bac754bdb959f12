import type { Page } from "@playwright/test";
import { expect, expectNoViolations, loginAs, test } from "./fixtures";

// Issue 5 through the browser: from an approved release, the wizard's live count and compatibility
// report, a lab → pilot → general rollout, its page (waves, gates), pause with a reason and resume.

const count = async (page: Page) => Number((await page.getByTestId("target-count").innerText()).replace(/[^\d]/g, ""));

/** Waits until the debounced count has answered for the current choices. */
async function settled(page: Page) {
  await expect(page.getByTestId("preview")).not.toContainText("updating…");
}

async function openApprovedRelease(page: Page) {
  await page.goto("/releases?state=approved");
  const row = page.getByTestId("release-rows").locator("tr").filter({ hasText: "FlowPoint 400" }).filter({ hasText: "5.1.0" });
  await row.getByRole("link", { name: "5.1.0" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("FlowPoint 400");
}

test.describe.configure({ mode: "serial" });

test("ROL: a staged rollout from an approved release, with live count, gates, pause and resume", async ({ page }) => {
  test.setTimeout(90_000);
  await loginAs(page, "biomed");
  await page.goto("/rollouts");
  await expect(page.getByRole("heading", { level: 1, name: "Rollouts" })).toBeVisible();

  await openApprovedRelease(page);
  await page.getByTestId("roll-out-release").click();
  await expect(page).toHaveURL(/\/rollouts\/new\?releaseId=\d+$/);

  // The count and the report are there before anything is created.
  const preview = page.getByTestId("preview");
  await expect(preview).toContainText("will get 5.1.0");
  await expect(preview).toContainText("Compatibility report");
  const all = await count(page);
  expect(all).toBeGreaterThan(0);

  // Narrowing to one unit changes the live count; clearing it restores it.
  const lab = page.getByRole("group", { name: "Units" }).getByLabel("Biomed Lab").first();
  await lab.check();
  await settled(page);
  await expect.poll(() => count(page)).toBeLessThan(all);
  await lab.uncheck();
  await settled(page);
  await expect.poll(() => count(page)).toBe(all);

  // The default plan: lab → pilot 10% → general (the rest).
  await expect(page.getByTestId("plan-lab")).toBeVisible();
  await expect(page.getByTestId("plan-pilot")).toBeVisible();
  await expect(page.getByTestId("plan-general")).toContainText("Takes every target not in an earlier wave");
  const name = `FlowPoint 5.1.0 e2e ${Date.now()}`;
  await page.getByLabel("Rollout name").fill(name);
  await page.getByTestId("create-rollout").click();

  await expect(page).toHaveURL(/\/rollouts\/\d+$/);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page.getByTestId("rollout-state")).toHaveText("Running");
  const waves = page.getByTestId("waves");
  await expect(waves.getByTestId("wave-1")).toContainText("Lab");
  await expect(waves.getByTestId("wave-1")).toContainText("Updating");
  await expect(waves.getByTestId("wave-2")).toContainText("Pilot");
  // The pilot waits, among other things, for the units' clinicians to acknowledge the briefing.
  await expect(waves.getByTestId("wave-2")).toContainText(/briefing acknowledged/i);
  await expect(waves.getByTestId("wave-3")).toContainText("General");
  await expect(page.getByTestId("rollout-events")).toContainText("Rollout created");
  await expect(page.getByTestId("rollout-events")).toContainText("Wave started");

  // Pause with a reason, then resume.
  await page.getByTestId("pause-form").getByLabel("Reason").fill("Vendor asked us to wait for a field report");
  await page.getByRole("button", { name: "Pause rollout" }).click();
  await expect(page.getByTestId("rollout-state")).toHaveText("Paused");
  await expect(page.getByTestId("rollout-reason")).toContainText("Vendor asked us to wait for a field report");
  await page.getByRole("button", { name: "Resume rollout" }).click();
  await expect(page.getByTestId("rollout-state")).toHaveText("Running");
  await expect(page.getByTestId("rollout-events")).toContainText("Paused");
  await expect(page.getByTestId("rollout-events")).toContainText("Resumed");

  // The list shows it with its progress.
  await page.goto("/rollouts");
  await expect(page.getByTestId("rollout-rows")).toContainText(name);
});

test.describe("rollout pages as admin (axe)", () => {
  test.beforeEach(async ({ page }) => {
    await loginAs(page, "admin");
  });

  test("new rollout wizard", async ({ page }) => {
    await openApprovedRelease(page);
    await page.getByTestId("roll-out-release").click();
    await expect(page.getByTestId("target-count")).toBeVisible();
    await expectNoViolations(page);
  });

  test("rollout page", async ({ page }) => {
    await page.goto("/rollouts");
    await page.getByTestId("rollout-rows").getByRole("link").first().click();
    await expect(page.getByTestId("waves")).toBeVisible();
    await expectNoViolations(page);
  });
});
