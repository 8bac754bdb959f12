import { randomBytes } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import { deviceCredentials, devices } from "@/db/schema";
import { DeviceRef } from "@/lib/validation/deployments";
import { hashToken } from "../ddi/device-auth";
import { NotFoundError } from "../errors";
import { command } from "../operation";

/**
 * Issues a new DDI target token for a device (or replaces its current one). The token is returned
 * exactly once; only its hash is stored (ACC-10).
 */
export const provisionDeviceToken = command({
  name: "devices.provision_token",
  permission: "devices.credentials",
  input: DeviceRef,
  async run({ tx, input, audit }) {
    const [device] = await tx.select({ id: devices.id, serial: devices.serial }).from(devices).where(eq(devices.id, input.deviceId));
    if (!device) throw new NotFoundError("This device does not exist.");
    const token = randomBytes(32).toString("base64url");
    const values = { tokenHash: hashToken(token), tokenHint: token.slice(-4), createdAt: new Date(), revokedAt: null };
    const [previous] = await tx.select({ revokedAt: deviceCredentials.revokedAt }).from(deviceCredentials).where(eq(deviceCredentials.deviceId, device.id));
    await tx.insert(deviceCredentials).values({ deviceId: device.id, ...values }).onConflictDoUpdate({ target: deviceCredentials.deviceId, set: values });
    await audit({
      action: previous ? "device.token_rotated" : "device.token_provisioned",
      entityType: "device",
      entityId: device.id,
      after: { tokenHint: values.tokenHint },
    });
    return { controllerId: device.serial, token };
  },
});

export const revokeDeviceToken = command({
  name: "devices.revoke_token",
  permission: "devices.credentials",
  input: DeviceRef,
  async run({ tx, input, audit }) {
    const [revoked] = await tx
      .update(deviceCredentials)
      .set({ revokedAt: new Date() })
      .where(and(eq(deviceCredentials.deviceId, input.deviceId), isNull(deviceCredentials.revokedAt)))
      .returning({ hint: deviceCredentials.tokenHint });
    if (!revoked) throw new NotFoundError("This device has no active token.");
    await audit({ action: "device.token_revoked", entityType: "device", entityId: input.deviceId, before: { tokenHint: revoked.hint } });
    return { revoked: true };
  },
});
