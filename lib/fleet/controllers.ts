import { fleetToken } from "@/lib/services/ddi/fleet-token";
import { modelKeyOf } from "./profiles";

// Which devices the fleet plays, and their credentials. The server keeps only token hashes and hands
// out no device list to unauthenticated callers, so the list comes from a file:
//   - the demo seed writes the fleet's controller ids (no tokens) to $CORRIDOR_DATA_DIR/fleet-controllers.txt,
//     and the tokens are derived from CORRIDOR_FLEET_SECRET exactly as the seed derived them;
//   - for real tokens (e.g. from an admin's bulk provisioning), put them in the second column.
// Format: "#" comments; either "controllerId[,token]" lines, or a CSV whose first line is a header
// naming the columns (controllerId required; token, model, firmwareVersion, securityVersion,
// hardwareRevision optional).

export type ControllerEntry = {
  controllerId: string;
  token: string | null;
  model: string;
  firmwareVersion: string | null;
  securityVersion: number | null;
  hardwareRevision: string | null;
};

const COLUMNS = ["controllerId", "token", "model", "firmwareVersion", "securityVersion", "hardwareRevision"] as const;
type Column = (typeof COLUMNS)[number];

export class ControllersFileError extends Error {}

export function parseControllers(text: string): ControllerEntry[] {
  const lines = text.split(/\r?\n/).map((l, i) => ({ n: i + 1, text: l.trim() })).filter((l) => l.text && !l.text.startsWith("#"));
  let columns: Column[] = ["controllerId", "token"];
  if (lines[0]?.text.split(",").some((c) => c.trim().toLowerCase() === "controllerid")) {
    const header = lines.shift()!;
    columns = header.text.split(",").map((c) => {
      const name = COLUMNS.find((k) => k.toLowerCase() === c.trim().toLowerCase());
      if (!name) throw new ControllersFileError(`line ${header.n}: unknown column "${c.trim()}" (known: ${COLUMNS.join(", ")})`);
      return name;
    });
  }
  const seen = new Set<string>();
  return lines.map(({ n, text: line }) => {
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length > columns.length) throw new ControllersFileError(`line ${n}: ${cells.length} fields, expected at most ${columns.length}`);
    const get = (c: Column) => {
      const i = columns.indexOf(c);
      return i >= 0 && cells[i] ? cells[i]! : null;
    };
    const controllerId = get("controllerId");
    if (!controllerId || !/^[A-Za-z0-9._:-]{1,128}$/.test(controllerId)) throw new ControllersFileError(`line ${n}: "${cells[0] ?? ""}" is not a controller id`);
    if (seen.has(controllerId)) throw new ControllersFileError(`line ${n}: ${controllerId} appears twice`);
    seen.add(controllerId);
    const token = get("token");
    if (token !== null && !/^\S{16,200}$/.test(token)) throw new ControllersFileError(`line ${n}: the token of ${controllerId} is not a valid target token`);
    const sv = get("securityVersion");
    if (sv !== null && !/^\d{1,9}$/.test(sv)) throw new ControllersFileError(`line ${n}: securityVersion "${sv}" is not a whole number`);
    return {
      controllerId,
      token,
      model: modelKeyOf(controllerId, get("model") ?? undefined),
      firmwareVersion: get("firmwareVersion"),
      securityVersion: sv === null ? null : Number(sv),
      hardwareRevision: get("hardwareRevision"),
    };
  });
}

/** Every entry with its token: the file's, else derived from the demo fleet secret. */
export function withTokens(entries: ControllerEntry[], secret: string | null): (ControllerEntry & { token: string })[] {
  const missing = entries.find((e) => !e.token);
  if (missing && !secret) {
    throw new ControllersFileError(`${missing.controllerId} has no token and no fleet secret is set (CORRIDOR_FLEET_SECRET or --secret)`);
  }
  return entries.map((e) => ({ ...e, token: e.token ?? fleetToken(secret!, e.controllerId) }));
}

/**
 * The controllers file as the demo seed writes it: ids and versions, never tokens (those are derived
 * from CORRIDOR_FLEET_SECRET). The inverse of parseControllers.
 */
export function formatControllers(rows: readonly { serial: string; firmwareVersion: string; securityVersion: number; hardwareRevision: string }[]): string {
  const clean = (v: string) => v.replace(/[,\r\n]/g, " ").trim();
  return [
    "# Simulated-fleet devices of the demo seed (npm run fleet). Tokens: HMAC of CORRIDOR_FLEET_SECRET.",
    "controllerId,firmwareVersion,securityVersion,hardwareRevision",
    ...rows.map((r) => [r.serial, clean(r.firmwareVersion), r.securityVersion, clean(r.hardwareRevision)].join(",")),
    "",
  ].join("\n");
}
