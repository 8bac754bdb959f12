import { createHash } from "node:crypto";
import { expect, loginAs, serialLinks, test } from "./fixtures";

// Issue 3 end to end through the browser and real HTTP: issue a device token, assign an approved
// release (the demo's FlowPoint 400 5.1.0, which went through intake and two approvals), then speak DDI
// as the device — the offer appears only inside the window and after the device reports it is not in
// use — download with Range, report progress, cancel.

test("ACC-10/ROL-03: token, assign an approved release, and the device's view over DDI", async ({ page, browser, request }) => {
  test.setTimeout(90_000);
  const version = "5.1.0";
  await loginAs(page, "admin");

  // A FlowPoint 400 in a lab unit: its window is always open, so only clinical use decides.
  await page.goto("/inventory");
  await page.getByLabel("Unit").selectOption({ label: "Biomed Lab" });
  await page.getByLabel("Model").selectOption({ label: "FlowPoint 400" });
  await page.getByRole("button", { name: "Apply filters" }).click();
  const link = serialLinks(page).first();
  const serial = (await link.innerText()).trim();
  await link.click();
  await expect(page.getByRole("heading", { level: 1, name: serial })).toBeVisible();
  const devicePath = new URL(page.url()).pathname;

  // The token is shown once.
  await page.getByRole("button", { name: /Issue a device token|Rotate token/ }).click();
  const tokenBox = page.getByTestId("new-token");
  await expect(tokenBox).toBeVisible();
  const token = (await tokenBox.locator("code").nth(1).innerText()).trim();
  expect(token.length).toBeGreaterThan(30);
  await page.reload();
  await expect(page.getByTestId("new-token")).toHaveCount(0);

  // Biomed assigns it.
  const biomedContext = await browser.newContext();
  const biomed = await biomedContext.newPage();
  await loginAs(biomed, "biomed");
  await biomed.goto(devicePath);
  await biomed.getByLabel("Release").selectOption({ label: `${version} (security version 7)` });
  await biomed.getByRole("button", { name: "Assign update" }).click();
  // The page now shows the open update instead of the assign form.
  await expect(biomed.getByText(`Update to ${version}`)).toBeVisible();
  await expect(biomed.getByTestId("device-actions")).toContainText("Scheduled");

  // The device, over DDI.
  const base = `/api/ddi/DEFAULT/controller/v1/${serial}`;
  const auth = { Authorization: `TargetToken ${token}` };
  expect((await request.get(base, { headers: { Authorization: "TargetToken wrong-token-wrong-token" } })).status()).toBe(401);

  const firstPoll = await (await request.get(base, { headers: auth })).json();
  expect(firstPoll.config.polling.sleep).toMatch(/^\d\d:\d\d:\d\d$/);
  expect(firstPoll._links.configData).toBeDefined();
  // Never reported clinical use: nothing is offered.
  expect(firstPoll._links.deploymentBase).toBeUndefined();

  // Reports being in use: still nothing.
  const inUse = await request.post(`${base}/telemetry`, { headers: auth, data: { samples: [{ takenAt: new Date().toISOString(), inClinicalUse: true, batteryPct: 80 }] } });
  expect(await inUse.json()).toEqual({ accepted: 1, rejected: [] });
  expect((await (await request.get(base, { headers: auth })).json())._links.deploymentBase).toBeUndefined();

  // Free of patient use: the offer appears.
  await request.post(`${base}/telemetry`, { headers: auth, data: { samples: [{ takenAt: new Date().toISOString(), inClinicalUse: false, batteryPct: 80 }] } });
  const poll = await (await request.get(base, { headers: auth })).json();
  expect(poll._links.deploymentBase.href).toContain("/deploymentBase/");

  const deployment = await (await request.get(poll._links.deploymentBase.href, { headers: auth })).json();
  const artifact = deployment.deployment.chunks[0].artifacts[0];
  expect(deployment.deployment.update).toBe("forced");
  expect(artifact.hashes.sha1).toMatch(/^[0-9a-f]{40}$/);
  const whole = await request.get(artifact._links["download-http"].href, { headers: auth });
  const pkg = Buffer.from(await whole.body());
  expect(pkg.length).toBe(artifact.size);
  expect(createHash("sha256").update(pkg).digest("hex")).toBe(artifact.hashes.sha256);

  // Resume from the middle: 206 with exactly the remaining bytes.
  const ranged = await request.get(artifact._links["download-http"].href, { headers: { ...auth, Range: "bytes=150000-" } });
  expect(ranged.status()).toBe(206);
  expect(ranged.headers()["content-range"]).toBe(`bytes 150000-${pkg.length - 1}/${pkg.length}`);
  expect(Buffer.from(await ranged.body()).equals(pkg.subarray(150000))).toBe(true);

  // Progress feedback moves the action; the device page shows it.
  const actionId = deployment.id;
  const fb = await request.post(`${base}/deploymentBase/${actionId}/feedback`, {
    headers: auth,
    data: { id: Number(actionId), status: { execution: "proceeding", result: { finished: "none" }, details: ["Installing Update Chunk Artifacts."] } },
  });
  expect(fb.status()).toBe(200);
  await biomed.reload();
  await expect(biomed.getByTestId("device-actions")).toContainText("Downloading");

  // Cancel: the device has started, so the cancel is requested and offered to the device.
  await biomed.getByRole("button", { name: "Cancel this update" }).click();
  await expect(biomed.getByTestId("device-actions")).toContainText("Cancel requested");
  const cancelPoll = await (await request.get(base, { headers: auth })).json();
  expect(cancelPoll._links.deploymentBase).toBeUndefined();
  const cancel = await (await request.get(cancelPoll._links.cancelAction.href, { headers: auth })).json();
  expect(cancel.cancelAction.stopId).toBe(String(actionId));
  await request.post(`${cancelPoll._links.cancelAction.href}/feedback`, {
    headers: auth,
    data: { id: Number(actionId), status: { execution: "closed", result: { finished: "success" }, details: ["cancellation acknowledged."] } },
  });
  await biomed.reload();
  await expect(biomed.getByTestId("device-actions")).toContainText("Canceled");
  await biomedContext.close();
});
