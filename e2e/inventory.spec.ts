import { deviceTotal, expect, loginAs, serialLinks, statusCells, test } from "./fixtures";

test.describe("inventory as a biomedical engineer", () => {
  test.beforeEach(async ({ page }) => {
    await loginAs(page, "biomed");
    await page.goto("/inventory");
    await expect(page.getByTestId("device-total")).toBeVisible();
  });

  test("filtering by status narrows the list to that status", async ({ page }) => {
    const total = await deviceTotal(page);
    expect(total).toBeGreaterThan(0);

    const filters = page.getByRole("search", { name: "Filter devices" });
    await filters.getByLabel("Status").selectOption({ label: "Offline" });
    await filters.getByRole("button", { name: "Apply filters" }).click();
    await expect(page).toHaveURL(/[?&]status=offline/);

    const filtered = await deviceTotal(page);
    expect(filtered).toBeGreaterThan(0);
    expect(filtered).toBeLessThan(total);
    const statuses = await statusCells(page).allInnerTexts();
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.map((s) => s.trim())).toEqual(statuses.map(() => "Offline"));
    // The form shows the filter that is in force.
    await expect(filters.getByLabel("Status")).toHaveValue("offline");
  });

  test("searching a serial prefix finds the device", async ({ page }) => {
    const total = await deviceTotal(page);
    const serial = (await serialLinks(page).first().innerText()).trim();
    const prefix = serial.slice(0, Math.max(3, serial.length - 2));

    const filters = page.getByRole("search", { name: "Filter devices" });
    await filters.getByLabel("Serial or UDI").fill(prefix);
    await filters.getByRole("button", { name: "Apply filters" }).click();
    await expect(page).toHaveURL(new RegExp(`[?&]q=${encodeURIComponent(prefix)}`));

    await expect(page.getByTestId("device-rows").getByRole("link", { name: serial, exact: true })).toHaveCount(1);
    const found = await deviceTotal(page);
    expect(found).toBeGreaterThan(0);
    expect(found).toBeLessThan(total);
    for (const s of await serialLinks(page).allInnerTexts()) {
      expect(s.trim().toLowerCase().startsWith(prefix.toLowerCase()), `${s} starts with ${prefix}`).toBe(true);
    }
  });

  test("Next then Previous returns to the same first device", async ({ page }) => {
    const firstSerial = (await serialLinks(page).first().innerText()).trim();
    const pager = page.getByRole("navigation", { name: "Pages" }).first();
    await pager.getByRole("link", { name: /Next/ }).click();
    await expect(page).toHaveURL(/[?&]after=/);
    await expect(serialLinks(page).first()).not.toHaveText(firstSerial);

    await page.getByRole("navigation", { name: "Pages" }).first().getByRole("link", { name: /Previous/ }).click();
    await expect(page).toHaveURL(/[?&]before=/);
    await expect(serialLinks(page).first()).toHaveText(firstSerial);
  });

  test("sorting by last contact toggles the direction", async ({ page }) => {
    const header = page.getByRole("columnheader").getByRole("link", { name: /Last contact/ });
    await expect(header).not.toContainText(/[▲▼]/);

    await header.click();
    await expect(page).toHaveURL(/sort=lastContact&dir=asc/);
    await expect(header).toContainText("▲");
    await expect(header.getByLabel("sorted ascending")).toBeVisible();
    await expect(page.getByRole("columnheader").getByRole("link", { name: /Serial/ })).not.toContainText(/[▲▼]/);

    await header.click();
    await expect(page).toHaveURL(/sort=lastContact&dir=desc/);
    await expect(header).toContainText("▼");
    await expect(header.getByLabel("sorted descending")).toBeVisible();

    await header.click();
    await expect(page).toHaveURL(/sort=lastContact&dir=asc/);
    await expect(header).toContainText("▲");
  });

  for (const [query, explanation] of [
    ["status=broken", /status/i],
    ["unit=abc", /unit/i],
  ] as const) {
    test(`a bad filter URL (${query}) is explained`, async ({ page }) => {
      await page.goto(`/inventory?${query}`);
      const notice = page.getByTestId("notice-error");
      await expect(notice).toContainText("These filters cannot be used");
      const message = (await notice.innerText()).replace("These filters cannot be used", "").trim();
      // A sentence for a person, naming the field, not a stack trace or a raw validation dump.
      expect(message).toMatch(explanation);
      expect(message).not.toMatch(/ZodError|invalid_type|invalid_value|\{|\}|\bat \w+ \(/);
      await expect(notice.getByRole("link", { name: "Clear the filters" })).toHaveAttribute("href", "/inventory");
      await expect(page.getByTestId("device-rows")).toHaveCount(0);
    });
  }

  test("a device opened from the list can be put into maintenance, with history", async ({ page }) => {
    // Pick a device that is not in maintenance yet, from the list itself.
    await page.goto("/inventory?status=active");
    const link = serialLinks(page).first();
    const serial = (await link.innerText()).trim();
    await link.click();
    await expect(page).toHaveURL(/\/inventory\/\d+$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(serial);
    const deviceUrl = page.url();

    const form = page.getByRole("form", { name: "Change device" });
    const status = form.getByLabel("Status");
    const oldStatus = await status.inputValue();
    expect(oldStatus).not.toBe("maintenance");
    const reason = `e2e battery check ${Date.now()}`;
    await status.selectOption({ label: "In maintenance" });
    await form.getByLabel("Reason for the change").fill(reason);
    await form.getByRole("button", { name: "Save changes" }).click();

    await expect(page.getByTestId("form-message")).toContainText("Saved");
    const entry = page.getByTestId("device-history").locator("li").filter({ hasText: reason });
    await expect(entry).toHaveCount(1);
    await expect(entry).toContainText("device.update");
    await expect(entry.locator("li").filter({ hasText: /^status:/ })).toHaveText(`status: ${oldStatus} → maintenance`);

    // The new state survives a reload.
    await page.reload();
    await expect(page.getByRole("heading", { level: 1 }).locator("..")).toContainText("In maintenance");
    await expect(page.getByTestId("device-history").locator("li").filter({ hasText: reason })).toHaveCount(1);

    // An auditor may look, but not change.
    await page.context().clearCookies();
    await loginAs(page, "auditor");
    await page.goto(deviceUrl);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(serial);
    await expect(page.getByRole("form", { name: "Change device" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Save changes" })).toHaveCount(0);
    await expect(page.getByTestId("device-history").locator("li").filter({ hasText: reason })).toHaveCount(1);
  });
});
