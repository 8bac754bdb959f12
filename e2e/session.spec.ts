import { DEMO_PASSWORD, expect, loginAs, signOut, test } from "./fixtures";

test("a wrong password shows an error and keeps the typed username", async ({ page }) => {
  await page.goto("/login");
  await page.locator("#username").fill("biomed");
  await page.locator("#password").fill(`not-${DEMO_PASSWORD}`);
  await page.getByRole("button", { name: "Sign in" }).click();

  await expect(page.getByTestId("login-error")).toHaveText("That username and password do not match an active account.");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.locator("#username")).toHaveValue("biomed");
  await expect(page.locator("#password")).toHaveValue("");

  // The kept username lets the person simply retry with the right password.
  await page.locator("#password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("whoami")).toBeVisible();
});

test("signing out ends the session, also for a copied session cookie", async ({ page, context, browser }) => {
  await loginAs(page, "biomed");
  await page.goto("/inventory");
  await expect(page.getByTestId("device-total")).toBeVisible();
  const cookies = await context.cookies();
  expect(cookies.length).toBeGreaterThan(0);

  await signOut(page);
  await page.goto("/inventory");
  await expect(page).toHaveURL(/\/login$/);

  // Replaying the cookie from before sign-out must not bring the session back.
  const replay = await browser.newContext();
  await replay.addCookies(cookies);
  const replayPage = await replay.newPage();
  await replayPage.goto("/inventory");
  await expect(replayPage).toHaveURL(/\/login$/);
  await expect(replayPage.getByTestId("whoami")).toHaveCount(0);
  await replay.close();
});

test("disabling an account signs its user out at once (ACC-07)", async ({ page: adminPage, browser }) => {
  const username = `e2e.user${Date.now()}`;
  const password = `Corr1dor!${Date.now().toString(36)}-Qx`;

  await loginAs(adminPage, "admin");
  await adminPage.goto("/settings");
  const create = adminPage.getByRole("form", { name: "Create account" });
  await create.getByLabel("Username").fill(username);
  await create.getByLabel("Full name (printed on signatures)").fill("Eddie Tester");
  await create.getByLabel("Role").selectOption({ label: "Biomedical engineer" });
  await create.getByLabel("Initial password (12+ characters)").fill(password);
  await create.getByRole("button", { name: "Create account" }).click();
  await expect(adminPage.getByTestId("form-message")).toHaveText(`Account "${username}" created.`);

  const row = adminPage.getByTestId("user-rows").locator("tr").filter({ has: adminPage.getByText(username, { exact: true }) });
  await expect(row).toContainText("Active");

  // The new user signs in in another browser.
  const userContext = await browser.newContext();
  const userPage = await userContext.newPage();
  await loginAs(userPage, username, password);
  await expect(userPage.getByTestId("whoami")).toHaveText("Eddie Tester");
  await userPage.goto("/inventory");
  await expect(userPage.getByTestId("device-total")).toBeVisible();

  // The administrator disables the account ...
  await row.getByRole("button", { name: `Disable ${username}` }).click();
  await expect(row).toContainText("Disabled");
  await expect(row.getByRole("button", { name: `Enable ${username}` })).toBeVisible();

  // ... and the user's very next navigation lands on the login page.
  await userPage.goto("/inventory");
  await expect(userPage).toHaveURL(/\/login$/);
  // Nor can they sign in again.
  await userPage.locator("#username").fill(username);
  await userPage.locator("#password").fill(password);
  await userPage.getByRole("button", { name: "Sign in" }).click();
  await expect(userPage.getByTestId("login-error")).toBeVisible();
  await userContext.close();
});
