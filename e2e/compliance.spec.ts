import fs from "node:fs";
import { expect, expectNoViolations, loginAs, test } from "./fixtures";

const QUESTIONS = [
  "Which units lag behind on current firmware?",
  "How fast do approved releases reach 90 % of devices?",
  "Are updates succeeding?",
  "Which devices lose vendor support soon?",
  "Which devices run recalled firmware?",
  "Have clinicians acknowledged the briefings?",
  "What incidents are open?",
];

test.describe("compliance for a manager (issue 6 §5, ROL-07, ROL-12)", () => {
  test.beforeEach(async ({ page }) => {
    await loginAs(page, "manager");
  });

  test("ROL-07: the dashboard answers each question with a chart drawn from the demo data", async ({ page }) => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Compliance" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Compliance" })).toBeVisible();
    for (const q of QUESTIONS) await expect(page.getByRole("heading", { level: 2, name: q })).toBeVisible();
    // The demo hospital has models past, near and far from end of support: that chart always has bars.
    const eos = page.getByTestId("figure-end_of_support");
    await expect(eos.locator(".recharts-wrapper > svg.recharts-surface")).toBeVisible();
    await expect(eos.locator(".recharts-bar-rectangle")).not.toHaveCount(0);
    // The share chart names the unit furthest behind, the first row of its numbers (a freshly seeded fleet
    // may still be at 0 %, which draws no bar), and says that it shows only the units furthest behind.
    const byUnit = page.getByTestId("figure-current_version_by_unit");
    const furthestBehind = (await byUnit.getByTestId("table-current_version_by_unit").locator("tbody tr").first().locator("td").first().textContent())!.trim();
    await expect(byUnit.locator(".recharts-wrapper > svg.recharts-surface")).toContainText(furthestBehind.split(" ")[0]!);
    await expect(byUnit).toContainText(/The chart shows the 10 units furthest behind; all \d+ are in the numbers\./);
    // Every figure shows a chart or says in words why there is none.
    const cards = await page.locator("[data-testid^='figure-']:not([data-testid='figure-empty'])").all();
    expect(cards).toHaveLength(8);
    for (const card of cards) {
      const chart = card.getByTestId("compliance-chart");
      await expect(chart.or(card.getByTestId("figure-empty"))).toBeVisible();
      if (await chart.count()) await expect(chart.locator(".recharts-wrapper > svg.recharts-surface")).toBeVisible();
    }
    // The numbers behind a chart are one click away.
    const unitCard = page.getByTestId("figure-current_version_by_unit");
    await unitCard.getByText("Show the numbers").click();
    await expect(unitCard.getByTestId("table-current_version_by_unit").locator("tbody tr").first()).toBeVisible();
    await expectNoViolations(page);
  });

  test("ROL-07: the CSV export downloads every figure, each under its question", async ({ page }) => {
    await page.goto("/compliance");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("compliance-csv").click()]);
    expect(download.suggestedFilename()).toMatch(/^corridor-compliance-.*\.csv$/);
    const csv = fs.readFileSync((await download.path())!, "utf8");
    const titles = csv.split("\r\n\r\n").map((section) => section.split("\r\n")[0]);
    for (const q of QUESTIONS) expect(titles).toContain(`"${q}"`);
    expect(csv).toContain('"Unit","Site","Devices","On current approved version","Percent"');
  });

  test("ROL-07: the printable report lists every figure with when and by whom it was generated", async ({ page }) => {
    await page.goto("/compliance");
    await page.getByRole("link", { name: "Printable report" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Corridor compliance report" })).toBeVisible();
    await expect(page.getByTestId("report-meta")).toContainText("by Hannah Becker (Manager)");
    await expect(page.getByTestId("report-meta")).toContainText(/Generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    for (const q of QUESTIONS) await expect(page.getByRole("heading", { level: 2, name: q })).toBeVisible();
    await expect(page.getByRole("button", { name: "Print" })).toBeVisible();
    // Printed, the console's navigation and the button disappear.
    await page.emulateMedia({ media: "print" });
    await expect(page.getByRole("button", { name: "Print" })).toBeHidden();
    await expect(page.getByRole("navigation", { name: "Main" })).toBeHidden();
    await page.emulateMedia({ media: "screen" });
    await expectNoViolations(page);
  });

  test("ROL-12: end-of-support planning shows the months ahead and the devices already past", async ({ page }) => {
    await page.goto("/compliance/end-of-support");
    await expect(page.getByRole("heading", { level: 1, name: "End-of-support planning" })).toBeVisible();
    // The demo's VitalView 5 ended support in 2025.
    await expect(page.getByTestId("eos-past")).toContainText("VitalView 5");
    await expectNoViolations(page);
  });

  test("issue 6 §6: the inventory sorts by risk, highest first, and the device page explains the score", async ({ page }) => {
    await page.goto("/inventory");
    await page.getByRole("link", { name: "Risk", exact: true }).click();
    await expect(page).toHaveURL(/sort=risk&dir=desc/);
    const scores = (await page.getByTestId("risk-cell").allInnerTexts()).map(Number);
    expect(scores.length).toBeGreaterThan(1);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    await page.getByTestId("device-rows").locator("tr td:nth-child(1) a").first().click();
    await expect(page.getByTestId("risk-score")).toHaveText(String(scores[0]));
    await expect(page.getByTestId("device-risk")).toContainText("Vendor support");
    await expectNoViolations(page);
  });
});
