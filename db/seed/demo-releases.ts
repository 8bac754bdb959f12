import { Readable } from "node:stream";
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../client";
import { artifacts, deploymentActions, deviceCredentials, deviceModels, devices, releases } from "../schema";
import { recordAudit } from "@/lib/services/audit/record";
import { systemActor } from "@/lib/services/actor";
import { storeStream } from "@/lib/services/artifacts/store";
import { createRng } from "@/lib/random";
import { MODELS } from "./demo";

// Demo only: a newer release for a few models, assigned to the simulated fleet's devices of those
// models, so the demo shows updates moving. Devices in labs and imaging install at once (their windows
// are always open); ward and ICU devices wait for their night window and for a moment free of patients.
const NEXT: Record<string, { version: string; bump: number }> = {
  MFP4: { version: "5.1.0", bump: 1 },
  HVV7: { version: "7.6.0", bump: 1 },
  ATT4: { version: "4.6.0", bump: 1 },
};

export async function seedDemoReleases(db: Db, artifactDir: string) {
  const random = createRng(7);
  let assigned = 0;
  for (const spec of MODELS.filter((m) => NEXT[m.key])) {
    const next = NEXT[spec.key]!;
    const [model] = await db.select({ id: deviceModels.id }).from(deviceModels).where(eq(deviceModels.name, spec.name));
    if (!model) continue;
    const bytes = Buffer.from(Array.from({ length: 256 * 1024 }, () => Math.floor(random.next() * 256)));
    const file = await storeStream(artifactDir, Readable.from([bytes]), bytes.length);
    const [artifact] = await db.insert(artifacts).values(file).onConflictDoUpdate({ target: artifacts.sha256, set: { size: file.size } }).returning();
    const securityVersion = Math.max(...spec.firmware.map((f) => f[1])) + next.bump;
    const [release] = await db
      .insert(releases)
      .values({
        modelId: model.id,
        version: next.version,
        securityVersion,
        hardwareRevisions: spec.hardware.map(([h]) => h),
        artifactId: artifact!.id,
        filename: `${spec.key.toLowerCase()}-${next.version}.swu`,
        state: "approved",
        notes: "Demo release",
      })
      .returning();
    const targets = await db
      .select({ id: devices.id, firmwareVersion: devices.firmwareVersion })
      .from(devices)
      .innerJoin(deviceCredentials, eq(deviceCredentials.deviceId, devices.id))
      .where(and(eq(devices.modelId, model.id), eq(devices.status, "active"), sql`${devices.securityVersion} <= ${securityVersion}`));
    if (targets.length) {
      await db.insert(deploymentActions).values(targets.map((t) => ({ deviceId: t.id, releaseId: release!.id, previousVersion: t.firmwareVersion })));
      assigned += targets.length;
    }
  }
  await recordAudit(db, systemActor("demo-seed"), undefined, { action: "demo.seed_releases", entityType: "system", after: { releases: Object.keys(NEXT).length, assigned } });
  return { assigned };
}

