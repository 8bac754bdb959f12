import AxeBuilder from "@axe-core/playwright";
import { expect, type Locator, type Page } from "@playwright/test";
import { DEMO_USERS } from "../db/seed/demo";

export { expect, test } from "@playwright/test";
export { DEMO_USERS };

/** The demo password the test server is started with (see e2e/serve.mjs). */
export const DEMO_PASSWORD = "e2e-demo-password-2026";

export type DemoUser = (typeof DEMO_USERS)[number];

export function demoUser(username: string): DemoUser {
  const user = DEMO_USERS.find((u) => u.username === username);
  if (!user) throw new Error(`No demo user "${username}"`);
  return user;
}

/** Signs in through the login form and waits for the console to show who is signed in. */
export async function loginAs(page: Page, username: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto("/login");
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("whoami")).toBeVisible();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
}

/** The "refused" page a role sees when it lacks a page permission. */
export function forbiddenHeading(page: Page): Locator {
  return page.getByRole("heading", { level: 1, name: "This page is not available to you" });
}

/** The number shown in data-testid="device-total" ("1,234 devices match"). */
export async function deviceTotal(page: Page): Promise<number> {
  const text = await page.getByTestId("device-total").innerText();
  const match = /^([\d,.\s\u202f\u00a0]+)/.exec(text.trim());
  if (!match) throw new Error(`Cannot read the device total from "${text}"`);
  return Number(match[1]!.replace(/[^\d]/g, ""));
}

export const deviceRows = (page: Page): Locator => page.getByTestId("device-rows").locator("tr");

/** The serial link in each inventory row (first column). */
export const serialLinks = (page: Page): Locator => page.getByTestId("device-rows").locator("tr td:nth-child(1) a");

/** The status badge cell of each inventory row. */
export const statusCells = (page: Page): Locator => page.getByTestId("device-rows").locator("tr td:nth-child(5)");

/** Fails with a readable list when axe finds WCAG 2 A/AA violations on the page as it is now. */
export async function expectNoViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  const summary = results.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), html: n.html.slice(0, 200), why: n.failureSummary })),
  }));
  expect(summary, `axe violations on ${new URL(page.url()).pathname}`).toEqual([]);
}
