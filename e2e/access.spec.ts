import type { Page } from "@playwright/test";
import { demoUser, expect, forbiddenHeading, loginAs, test } from "./fixtures";

const REFUSED_TO_CLINICIAN = ["/settings", "/audit", "/inventory"];

async function clinicianTriesRefusedPages(page: Page) {
  await loginAs(page, "clinician");
  for (const path of REFUSED_TO_CLINICIAN) {
    await page.goto(path);
    await expect(page).toHaveURL(/\/forbidden$/);
    await expect(forbiddenHeading(page)).toBeVisible();
    await expect(page.getByText(`You are signed in as ${demoUser("clinician").displayName}`)).toBeVisible();
  }
}

test("a clinician opening pages outside the role sees the refusal page", async ({ page }) => {
  await clinicianTriesRefusedPages(page);
});

test("an anonymous visitor is sent to the login page", async ({ page }) => {
  await page.goto("/inventory");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.locator("#username")).toBeVisible();
});

test("anonymous audit export is refused with 401 JSON", async ({ request }) => {
  const res = await request.get("/api/audit/export", { maxRedirects: 0 });
  expect(res.status()).toBe(401);
  expect(res.headers()["content-type"]).toContain("application/json");
  const body = (await res.json()) as { error?: { code?: string; message?: string } };
  expect(body.error?.code).toBe("unauthenticated");
  expect(body.error?.message).toBeTruthy();
});

test("a clinician's audit export is refused with 403", async ({ page }) => {
  await loginAs(page, "clinician");
  const res = await page.request.get("/api/audit/export", { maxRedirects: 0 });
  expect(res.status()).toBe(403);
  expect(res.headers()["content-type"]).toContain("application/json");
  const body = (await res.json()) as { error?: { code?: string } };
  expect(body.error?.code).toBe("forbidden");
});

test("an auditor downloads the audit trail as CSV", async ({ page }) => {
  await loginAs(page, "auditor");
  await page.goto("/audit");
  const link = page.getByRole("link", { name: "Export CSV" });
  await expect(link).toHaveAttribute("href", /^\/api\/audit\/export/);
  const res = await page.request.get((await link.getAttribute("href"))!);
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toMatch(/^text\/csv/);
  const text = await res.text();
  const header = text.split(/\r?\n/, 1)[0]!;
  expect(header.startsWith("seq,created_at")).toBe(true);
  expect(text.split(/\r?\n/).filter(Boolean).length).toBeGreaterThan(1);
});

for (const reader of ["admin", "auditor"]) {
  test(`${reader} sees the clinician's refused visits in the audit trail`, async ({ page, browser }) => {
    const clinician = demoUser("clinician");
    // The refusals this test looks for are made here, so the test does not depend on test order.
    const clinicianContext = await browser.newContext();
    await clinicianTriesRefusedPages(await clinicianContext.newPage());
    await clinicianContext.close();

    await loginAs(page, reader);
    await page.goto("/audit");
    await expect(page.getByTestId("chain-status")).toContainText("The audit chain is intact");

    const filters = page.getByRole("search", { name: "Filter audit events" });
    await filters.getByLabel("Action starts with").fill("authz.");
    await filters.getByRole("button", { name: "Apply filters" }).click();
    await expect(page).toHaveURL(/[?&]action=authz\./);

    const rows = page.getByTestId("audit-rows").locator("tr");
    await expect(rows.first()).toBeVisible();
    // Every row matches the filter ...
    for (const what of await rows.locator("td:nth-child(4)").allInnerTexts()) expect(what).toContain("authz.denied");
    // ... and each refused page visit by the clinician is there.
    for (const path of REFUSED_TO_CLINICIAN) {
      await expect(
        rows.filter({ hasText: clinician.displayName }).filter({ hasText: `page ${path}` }).first(),
      ).toBeVisible();
    }
  });
}
