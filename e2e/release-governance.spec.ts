import path from "node:path";
import type { Browser, Page } from "@playwright/test";
import { DEMO_PASSWORD, expect, loginAs, test } from "./fixtures";

// Issue 4 end to end in the browser: the vendor takes in a release with its signed package and SBOM
// (the demo vendor kit, signed with the key the demo pinned), biomed verifies it, starts the review and
// records evidence, two engineers approve it with their passwords, and a clinician acknowledges the
// briefing for their unit.

const kit = path.resolve(import.meta.dirname, "..", ".data", "e2e", "demo-vendor");

async function as(browser: Browser, username: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await loginAs(page, username);
  return page;
}

async function sign(page: Page, meaning: "approved") {
  const form = page.getByTestId("sign-form");
  await form.getByLabel("Meaning of your signature").selectOption(meaning);
  await form.getByLabel("Your password").fill(DEMO_PASSWORD);
  await form.getByRole("button", { name: /^Sign/ }).click();
}

test("UPD-01, SIG-01/03/07/09, ROL-11: intake → verification → evidence → two approvals → briefing acknowledged", async ({ browser }) => {
  test.setTimeout(120_000);
  const version = `2.10.${Date.now() % 100000}`;

  // The vendor submits a release of its own model.
  const vendor = await as(browser, "vendor");
  await vendor.goto("/releases");
  await vendor.getByTestId("new-release").click();
  const intake = vendor.getByTestId("intake-form");
  await intake.getByLabel("Device model").selectOption({ label: "Meridian Infusion Systems FlowPoint S2 Syringe" });
  await intake.getByLabel("Version", { exact: true }).fill(version);
  await intake.getByLabel("Security version").fill("9");
  await intake.getByLabel("Hardware revisions").fill("1.0, 1.1");
  await intake.getByRole("radio", { name: "Routine" }).check();
  await intake.getByLabel("Change log").fill("Syringe-size detection fix; drug library 2026-Q4.");
  await intake.getByLabel("Firmware package").setInputFiles(path.join(kit, "mss2-2.10.0.bin"));
  await intake.getByLabel("Detached signature (if the package is not .swu)").setInputFiles(path.join(kit, "mss2-2.10.0.bin.sig"));
  await intake.getByLabel("SBOM (CycloneDX JSON)").setInputFiles(path.join(kit, "mss2-2.10.0.cdx.json"));
  await intake.getByRole("button", { name: "Create release and upload" }).click();
  await expect(vendor).toHaveURL(/\/releases\/\d+$/, { timeout: 30_000 });
  const releasePath = new URL(vendor.url()).pathname;

  // The vendor writes the clinician briefing with the release, then submits it.
  const editor = vendor.getByTestId("briefing-editor");
  await editor.getByLabel("What changes at the bedside").fill("The pump now checks the syringe size by itself. You no longer pick it from a list.");
  await editor.getByLabel("Alarms and screens that differ").fill("A new screen asks you to confirm the syringe size once.");
  await editor.getByLabel("What staff must do").fill("Confirm the syringe size when the pump asks. Nothing else changes.");
  await editor.getByLabel("How to report a problem").fill("Use Report a problem on the Briefings page, or call clinical engineering.");
  await editor.getByLabel("Guidance for patients and caregivers").fill("Patients and families do not need to do anything.");
  await expect(editor.getByTestId("reading-level")).toContainText(/grade/i);
  await editor.getByRole("button", { name: "Save briefing" }).click();
  // Saved: the briefing shows with its reading level (the editor folds away once a briefing exists).
  await expect(vendor.getByTestId("briefing")).toContainText(/Reading level: grade \d+/);
  await vendor.getByTestId("step-submit").click();
  await expect(vendor.getByTestId("next-step")).toContainText(/submitted|verification/i);

  // Biomed verifies (vendor signature, hashes, SBOM), starts the review and records evidence.
  const biomed = await as(browser, "biomed");
  await biomed.goto(releasePath);
  await biomed.getByTestId("step-verify").click();
  await expect(biomed.getByTestId("step-review")).toBeVisible();
  await biomed.getByTestId("step-review").click();
  const evidence = biomed.getByTestId("evidence-form");
  await expect(evidence).toBeVisible();
  await evidence.getByLabel("Kind of evidence").selectOption("functional");
  await evidence.getByRole("radio", { name: "Passed" }).check();
  await evidence.getByLabel("Acceptance criteria").fill("Infuses 5 ml/h ± 2% on two bench pumps for 4 hours; all alarms sound.");
  await evidence.getByLabel("Result summary").fill("Both pumps within 1.1%; every alarm tested.");
  await evidence.getByRole("button", { name: "Add evidence" }).click();
  await expect(biomed.getByTestId("evidence-list")).toContainText("Both pumps within 1.1%");

  // A wrong password does not sign.
  const form = biomed.getByTestId("sign-form");
  await form.getByLabel("Meaning of your signature").selectOption("approved");
  await form.getByLabel("Your password").fill("not-my-password");
  await form.getByRole("button", { name: /^Sign/ }).click();
  await expect(form.getByTestId("form-message")).toContainText("Wrong password");

  // Two distinct engineers approve; the second signature completes the policy.
  await sign(biomed, "approved");
  await expect(biomed.getByTestId("signatures")).toContainText("Priya Natarajan");
  const biomed2 = await as(browser, "biomed2");
  await biomed2.goto(releasePath);
  await sign(biomed2, "approved");
  await expect(biomed2.getByTestId("form-message")).toContainText("approved");
  await biomed2.reload();
  const signatures = biomed2.getByTestId("signatures");
  await expect(signatures).toContainText("Tomás Alvarez");
  await expect(signatures).toContainText("Approved for release");
  await expect(signatures).toContainText(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);

  // The signed record shows every manifestation too.
  await biomed2.goto(`${releasePath}/record`);
  const record = biomed2.getByTestId("signed-record");
  await expect(record).toContainText("Priya Natarajan");
  await expect(record).toContainText("Tomás Alvarez");

  // The clinician reads the briefing and acknowledges it for a unit.
  const clinician = await as(browser, "clinician");
  await clinician.goto("/briefings");
  const briefing = clinician.getByTestId("briefing").filter({ hasText: `FlowPoint S2 Syringe, version ${version}` });
  await expect(briefing).toContainText("checks the syringe size by itself");
  const acknowledge = briefing.getByRole("button", { name: /^I have read this — acknowledge for / }).first();
  const unitTestId = (await acknowledge.getAttribute("data-testid"))!.replace("acknowledge-", "acknowledged-");
  await acknowledge.click();
  await expect(briefing.getByTestId(unitTestId)).toContainText("Acknowledged");

  // Biomed sees the acknowledgement in the unit's coverage.
  await biomed.goto(releasePath);
  await expect(biomed.getByTestId("briefing-coverage")).toContainText(/1\s*(of|\/)\s*1/);
});
