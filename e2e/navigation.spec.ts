import { can } from "../lib/auth/permissions";
import { ROLE_LABELS } from "../lib/domain";
import { NAV } from "../lib/navigation";
import { DEMO_USERS, expect, forbiddenHeading, loginAs, test } from "./fixtures";

for (const user of DEMO_USERS) {
  test(`${user.username} (${user.role}) sees exactly the sections the role allows`, async ({ page }) => {
    const allowed = NAV.filter((item) => can(user.role, item.permission));
    const refused = NAV.filter((item) => !can(user.role, item.permission));
    expect(allowed.length, "every demo role can use at least one section").toBeGreaterThan(0);

    await loginAs(page, user.username);
    await expect(page.getByTestId("whoami")).toHaveText(user.displayName);
    await expect(page.getByTestId("role")).toHaveText(ROLE_LABELS[user.role]);
    // The start page is the first section the role may use.
    await expect(page).toHaveURL(new RegExp(`${allowed[0]!.href}$`));

    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(nav.getByRole("link")).toHaveText(allowed.map((item) => item.label));

    for (const item of allowed) {
      await nav.getByRole("link", { name: item.label, exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`${item.href}$`));
      await expect(nav.getByRole("link", { name: item.label, exact: true })).toHaveAttribute("aria-current", "page");
      await expect(page.getByRole("main").getByRole("heading", { level: 1 })).toBeVisible();
    }

    for (const item of refused) {
      await page.goto(item.href);
      await expect(forbiddenHeading(page)).toBeVisible();
    }
  });
}
