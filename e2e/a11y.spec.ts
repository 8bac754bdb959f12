import { expect, expectNoViolations, loginAs, serialLinks, test } from "./fixtures";

test("login page", async ({ page }) => {
  await page.goto("/login");
  await expect(page.locator("#username")).toBeVisible();
  await expectNoViolations(page);
});

test("login page showing an error", async ({ page }) => {
  await page.goto("/login");
  await page.locator("#username").fill("nobody-here");
  await page.locator("#password").fill("definitely-wrong-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("login-error")).toBeVisible();
  await expectNoViolations(page);
});

test.describe("console pages as admin", () => {
  test.beforeEach(async ({ page }) => {
    await loginAs(page, "admin");
  });

  test("inventory", async ({ page }) => {
    await page.goto("/inventory");
    await expect(page.getByTestId("device-total")).toBeVisible();
    await expectNoViolations(page);
  });

  test("inventory with a bad filter", async ({ page }) => {
    await page.goto("/inventory?status=broken");
    await expect(page.getByTestId("notice-error")).toBeVisible();
    await expectNoViolations(page);
  });

  test("device page", async ({ page }) => {
    await page.goto("/inventory");
    await serialLinks(page).first().click();
    await expect(page.getByRole("heading", { name: "History" })).toBeVisible();
    await expectNoViolations(page);
  });

  test("audit trail", async ({ page }) => {
    await page.goto("/audit");
    await expect(page.getByTestId("chain-status")).toBeVisible();
    await expectNoViolations(page);
  });

  test("settings", async ({ page }) => {
    await page.goto("/settings");
    await expect(page.getByRole("heading", { name: "Accounts" })).toBeVisible();
    await expectNoViolations(page);
  });

  test("releases list and the intake form", async ({ page }) => {
    await page.goto("/releases");
    await expect(page.getByTestId("release-rows")).toBeVisible();
    await expectNoViolations(page);
    await page.getByTestId("new-release").click();
    await expect(page.getByTestId("intake-form")).toBeVisible();
    await expectNoViolations(page);
  });

  test("a release awaiting approval, and its signed record", async ({ page }) => {
    await page.goto("/releases?state=in_review");
    await page.getByTestId("release-rows").getByRole("link").first().click();
    await expect(page.getByTestId("sign-form")).toBeVisible();
    await expectNoViolations(page);
    await page.goto(`${new URL(page.url()).pathname}/record`);
    await expect(page.getByTestId("signed-record")).toBeVisible();
    await expectNoViolations(page);
  });

  test("briefings with coverage", async ({ page }) => {
    await page.goto("/briefings");
    await expect(page.getByTestId("briefing").first()).toBeVisible();
    await expectNoViolations(page);
  });
});

test("refusal page", async ({ page }) => {
  await loginAs(page, "clinician");
  await page.goto("/settings");
  await expect(page.getByRole("heading", { name: "This page is not available to you" })).toBeVisible();
  await expectNoViolations(page);
});
