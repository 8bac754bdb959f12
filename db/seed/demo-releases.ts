import fs from "node:fs";
import path from "node:path";
import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import type { Db } from "../client";
import { deviceCredentials, deviceModels, devices, manufacturers, users, type Release } from "../schema";
import type { RiskClass } from "@/lib/domain";
import type { Ctx } from "@/lib/services/actor";
import { recordAudit } from "@/lib/services/audit/record";
import { systemActor } from "@/lib/services/actor";
import { recallRelease } from "@/lib/services/releases/signatures";
import { createRollout } from "@/lib/services/rollouts/create";
import type { WaveInput } from "@/lib/validation/rollouts";
import { createRng } from "@/lib/random";
import { buildCycloneDx, DEMO_SBOM_COMPONENTS, type CycloneDxComponentInput } from "./cyclonedx";
import { governedRelease, publicKeyPem, signDetached, type GovernedReleaseSpec } from "./governed-release";
import { MODELS } from "./demo";
import { seedDemoTelemetry } from "./telemetry";

// Demo only: releases taken through the real governed path (vendor-signed package, SBOM, evidence, two
// electronic approvals), so every page has something true to show. Newer releases are assigned to the
// simulated fleet: lab and imaging devices install at once (their windows are always open); ward and ICU
// devices wait for their night window and for a moment free of patients. A vendor kit (the demo
// manufacturer's signing key and a ready-to-submit package) is written for trying intake by hand.

type WaveSpec = z.input<typeof WaveInput>;

type DemoRelease = {
  model: string;
  version: string;
  riskClass?: RiskClass;
  stage?: "in_review" | "approved";
  /** Older component versions, for a baseline SBOM that the newer release can be compared with. */
  baseline?: boolean;
  recall?: string;
  assign?: boolean;
  changeLog: string;
  briefing?: GovernedReleaseSpec["briefing"];
};

const DEMO_RELEASES: DemoRelease[] = [
  { model: "MFP4", version: "4.1.2", baseline: true, recall: "Field reports: the occlusion alarm can sound up to 40 seconds late at low flow rates.", changeLog: "Dose-error reduction library 2024-Q2." },
  { model: "MFP4", version: "4.2.3", baseline: true, changeLog: "Battery gauge calibration; Wi-Fi roaming fixes." },
  {
    model: "MFP4", version: "5.1.0", assign: true,
    changeLog: "Fixes CVE-2024-5535 in OpenSSL. Faster drug-library sync. New occlusion alarm tone (louder, two-tone).",
    briefing: {
      bedsideChanges: "The pump works the same way. The drug library now updates in about a minute instead of ten.",
      alarmsAndScreens: "The occlusion alarm has a new sound: louder, with two tones. It means the same thing as before: the line is blocked.",
      staffActions: "Listen to the new alarm once: press Test Alarm in the Settings menu. The pump restarts by itself during the night window.",
      howToReport: "Use Report a problem on the Briefings page, or call clinical engineering on extension 4400.",
      patientGuidance: "Tell patients and families the pump may sound different. If it alarms, call the nurse as before.",
    },
  },
  { model: "HVV7", version: "7.6.0", riskClass: "security", assign: true, changeLog: "Security release: patches the network stack and disables the legacy telnet service." },
  { model: "ATT4", version: "4.6.0", assign: true, changeLog: "Improves battery life by 15%; fixes lead-off detection delay." },
  { model: "HVV5", version: "5.9.1", stage: "in_review", changeLog: "Final maintenance release before end of support: time-zone database and certificate updates." },
];

/** Two distinct approvers who did not submit (one for a release left awaiting approval); IT security signs security releases. */
function approversFor(spec: DemoRelease, pair: [Ctx, Ctx], security: Ctx): Ctx[] {
  if (spec.stage === "in_review") return [pair[1]];
  return spec.riskClass === "security" ? [pair[1], security] : pair;
}

/** The same components a version or two older, with one library the newer release drops. */
function olderComponents(): CycloneDxComponentInput[] {
  const older: Record<string, string> = { openssl: "3.0.11", libcurl: "8.4.0", linux: "6.1.55", sqlite: "3.43.2" };
  const list = DEMO_SBOM_COMPONENTS.map((c) => (older[c.name] ? { ...c, version: older[c.name]!, purl: c.purl?.replace(`@${c.version}`, `@${older[c.name]}`) } : { ...c }));
  return [...list, { name: "libxml2", version: "2.11.5", supplier: "GNOME Project", purl: "pkg:github/gnome/libxml2@2.11.5", license: "MIT" }];
}

async function demoCtx(db: Db, username: string): Promise<Ctx> {
  const [u] = await db.select().from(users).where(eq(users.username, username));
  if (!u) throw new Error(`demo user ${username} missing`);
  return { db, actor: { type: "user", userId: u.id, username: u.username, name: u.displayName, role: u.role }, origin: { ip: "127.0.0.1", userAgent: "demo-seed" } };
}

export async function seedDemoReleases(db: Db, opts: { artifactDir: string; password: string; assignFleet: boolean }) {
  const random = createRng(7);
  const admin = await demoCtx(db, "admin");
  const vendor = await demoCtx(db, "vendor");
  const biomed = await demoCtx(db, "biomed");
  const biomed2 = await demoCtx(db, "biomed2");
  const security = await demoCtx(db, "security");
  const keys = new Map<number, KeyObject>();
  const released: Release[] = [];
  let assigned = 0;
  const [vendorUser] = await db.select({ manufacturerId: users.manufacturerId }).from(users).where(eq(users.username, "vendor"));
  const vendorMakerId = vendorUser?.manufacturerId ?? null;

  for (const spec of DEMO_RELEASES) {
    const modelSpec = MODELS.find((m) => m.key === spec.model)!;
    const [model] = await db.select({ id: deviceModels.id, manufacturerId: deviceModels.manufacturerId, maker: manufacturers.name }).from(deviceModels).innerJoin(manufacturers, eq(manufacturers.id, deviceModels.manufacturerId)).where(eq(deviceModels.name, modelSpec.name));
    if (!model) continue;
    if (!keys.has(model.manufacturerId)) keys.set(model.manufacturerId, generateKeyPairSync("ed25519").privateKey);
    const key = keys.get(model.manufacturerId)!;
    const bytes = Buffer.from(Array.from({ length: 256 * 1024 }, () => Math.floor(random.next() * 256)));
    const installed = modelSpec.firmware.find((f) => f[0] === spec.version);
    const securityVersion = installed ? installed[1] : Math.max(...modelSpec.firmware.map((f) => f[1])) + 1;
    const isVendorModel = model.manufacturerId === vendorMakerId;
    const release = await governedRelease({
      admin,
      submitter: isVendorModel ? vendor : biomed,
      reviewer: isVendorModel ? biomed : biomed2,
      approvers: approversFor(spec, isVendorModel ? [biomed, biomed2] : [admin, biomed2], security).map((ctx) => ({ ctx, password: opts.password })),
      modelId: model.id,
      version: spec.version,
      securityVersion,
      hardwareRevisions: modelSpec.hardware.map(([h]) => h),
      bytes,
      signature: signDetached(bytes, key),
      filename: `${spec.model.toLowerCase()}-${spec.version}.bin`,
      vendorKeyPem: publicKeyPem(key),
      riskClass: spec.riskClass,
      changeLog: spec.changeLog,
      components: spec.baseline ? olderComponents() : undefined,
      artifactDir: opts.artifactDir,
      stage: spec.stage,
      briefing: spec.briefing,
    });
    if (spec.recall) await recallRelease(biomed2, { releaseId: release.id, password: opts.password, reason: spec.recall });
    if (spec.assign && opts.assignFleet) assigned += await rollOutToFleet(db, biomed, release, modelSpec.name);
    released.push(release);
  }

  await seedDemoTelemetry(db);
  const vendorKey = [...keys.entries()].find(([id]) => id === vendorMakerId)?.[1];
  if (vendorKey) writeVendorKit(path.join(opts.artifactDir, "..", "demo-vendor"), vendorKey);
  await recordAudit(db, systemActor("demo-seed"), undefined, { action: "demo.seed_releases", entityType: "system", after: { releases: released.length, assigned } });
  return { releases: released.length, assigned };
}

/**
 * A staged rollout of the release to the simulated fleet's devices of its model: lab devices first, then
 * a pilot sample of every unit once clinicians acknowledged the briefing, then the rest.
 */
async function rollOutToFleet(db: Db, biomed: Ctx, release: Release, modelName: string): Promise<number> {
  const fleet = await db
    .select({ id: devices.id, sandbox: devices.sandbox })
    .from(devices)
    .innerJoin(deviceCredentials, eq(deviceCredentials.deviceId, devices.id))
    .where(and(eq(devices.modelId, release.modelId), eq(devices.status, "active")));
  const lab = fleet.filter((d) => d.sandbox).length;
  const wards = fleet.length - lab;
  const waves: WaveSpec[] = [
    ...(lab ? [{ kind: "lab" as const, name: "Biomed labs", minSuccessPct: 90, maxFailurePct: 20, minSample: 3, soakMinutes: 5, requireAcknowledgement: false, requireGoAhead: false }] : []),
    ...(wards >= 8 ? [{ kind: "pilot" as const, name: "Pilot: a quarter of each unit", percent: 25, minSuccessPct: 90, maxFailurePct: 10, minSample: 5, soakMinutes: 30, requireAcknowledgement: true, requireGoAhead: false }] : []),
    ...(wards ? [{ kind: "general" as const, name: "Everyone else", minSuccessPct: 90, maxFailurePct: 10, minSample: 10, soakMinutes: 0, requireAcknowledgement: false, requireGoAhead: false }] : []),
  ];
  if (!waves.length) return 0;
  await createRollout(biomed, { name: `${modelName} ${release.version} to the simulated fleet`, filter: { releaseId: release.id, deviceIds: fleet.map((d) => d.id) }, waves, maxConcurrent: 50 });
  return fleet.length;
}

/**
 * The demo vendor's kit: its signing key and a package ready for intake (FlowPoint S2 Syringe 2.10.0,
 * with its detached Ed25519 signature and SBOM), so a person can walk the intake form by hand.
 */
function writeVendorKit(dir: string, key: KeyObject) {
  fs.mkdirSync(dir, { recursive: true });
  const bytes = Buffer.from(`FlowPoint S2 Syringe firmware 2.10.0 (demo image)\n${"\u0000".repeat(4096)}`);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  fs.writeFileSync(path.join(dir, "mss2-2.10.0.bin"), bytes);
  fs.writeFileSync(path.join(dir, "mss2-2.10.0.bin.sig"), signDetached(bytes, key));
  fs.writeFileSync(path.join(dir, "mss2-2.10.0.cdx.json"), JSON.stringify(buildCycloneDx({ name: "FlowPoint S2 Syringe", version: "2.10.0", supplier: "Meridian Infusion Systems", artifactSha256: sha256, components: [...DEMO_SBOM_COMPONENTS] }), null, 2));
  fs.writeFileSync(path.join(dir, "meridian-signing-key.pem"), key.export({ type: "pkcs8", format: "pem" }));
  fs.writeFileSync(path.join(dir, "README.txt"), "Demo vendor kit for Meridian Infusion Systems (its public key is already pinned in Settings).\nNew release: model FlowPoint S2 Syringe, version 2.10.0, security version 9, hardware 1.0, 1.1;\npackage mss2-2.10.0.bin, signature mss2-2.10.0.bin.sig, SBOM mss2-2.10.0.cdx.json.\n");
}
