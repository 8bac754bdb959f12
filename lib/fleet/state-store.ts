import fs from "node:fs";
import path from "node:path";

// A device's persistent memory across fleet runs (what a real device keeps in flash): the firmware it
// runs, its anti-rollback floor, and an install that waits for its post-reboot confirmation. Tied to
// one controllers file (size + modification time), so a re-seeded demo does not inherit old state.

export type DeviceMemory = {
  firmwareVersion: string | null;
  securityVersion: number;
  /** Installed and rebooted into, not yet confirmed to the server. */
  pending: { actionId: number; version: string; securityVersion: number } | null;
  /** Updated by the fleet at least once (regressions apply only then). */
  updated: boolean;
};

type StateFile = { v: 1; fingerprint: string; savedAt: string; devices: Record<string, DeviceMemory> };

export function fingerprintOf(controllersFile: string): string {
  const st = fs.statSync(controllersFile);
  return `${st.size}:${Math.round(st.mtimeMs)}`;
}

export function loadState(file: string, fingerprint: string): { devices: Map<string, DeviceMemory>; note: string | null } {
  if (!fs.existsSync(file)) return { devices: new Map(), note: null };
  try {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as StateFile;
    if (parsed.v !== 1 || typeof parsed.devices !== "object") return { devices: new Map(), note: `${file} has an unknown format; starting fresh` };
    if (parsed.fingerprint !== fingerprint) return { devices: new Map(), note: `${file} belongs to an older controllers file; starting fresh` };
    return { devices: new Map(Object.entries(parsed.devices)), note: null };
  } catch (err) {
    return { devices: new Map(), note: `${file} is unreadable (${(err as Error).message}); starting fresh` };
  }
}

export function saveState(file: string, fingerprint: string, devices: Iterable<[string, DeviceMemory]>) {
  const body: StateFile = { v: 1, fingerprint, savedAt: new Date().toISOString(), devices: Object.fromEntries(devices) };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(body));
  fs.renameSync(tmp, file);
}
