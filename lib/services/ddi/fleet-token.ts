import { createHmac } from "node:crypto";

/**
 * Demo mode only: the simulated fleet's tokens are derived from a per-install secret (never shipped,
 * never stored), so the fleet process can know them while the server keeps only their hashes.
 * Real devices get random tokens from provisionDeviceToken.
 */
export function fleetToken(secret: string, controllerId: string): string {
  return createHmac("sha256", secret).update(`corridor-fleet:${controllerId}`).digest("base64url");
}
