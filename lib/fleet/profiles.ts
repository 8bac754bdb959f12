// What each simulated device model is like: how long its update takes, how it reboots, and what its
// health telemetry plausibly looks like. Keyed by the model key, which is the demo serial's prefix
// ("MFP4-100001" → "MFP4"). The install times match the demo seed's `updateMinutes` (a unit test checks).

export type Range = readonly [min: number, max: number];

export type BatteryModel =
  /** Runs on its battery; charges when idle and docked, or gets a fresh battery when low (swap). */
  | { kind: "portable"; drainPerHourInUse: number; drainPerHourIdle: number; chargePerHourIdle: number; swapBelow?: number }
  /** Mains-powered with a backup battery that stays nearly full. */
  | { kind: "backup" }
  /** No battery: batteryPct is not reported. */
  | { kind: "none" };

export type ModelProfile = {
  key: string;
  deviceType: string;
  /** Typical install time; each install varies around it (±20 %), scaled by --time-scale. */
  installMinutes: number;
  /** Typical restart after an install, scaled by --time-scale. */
  rebootSeconds: number;
  battery: BatteryModel;
  powerW: { idle: Range; inUse: Range };
  /** Sensor drift (% of full scale): random-walk step per hour, and the calibration limit it stays inside. */
  drift: { stepPerHour: number; limit: number };
  alarmsPerHour: { idle: number; inUse: number };
  /** Spontaneous restarts (watchdog, power loss), per day. */
  rebootsPerDay: number;
  errorCodes: readonly string[];
  errorCodesPerHour: number;
  /** Log lines a failed install of this model ends with (the "why" of a failure). */
  failureLines: readonly string[];
};

const GENERIC_FAILURES = [
  "ERROR : Flash write failed on partition rootfs-b (I/O error)",
  "ERROR : Post-install verification failed: image hash differs after write",
  "ERROR : Installer timed out waiting for the bootloader environment",
];

export const PROFILES: Readonly<Record<string, ModelProfile>> = {
  MFP4: {
    key: "MFP4", deviceType: "Infusion pump", installMinutes: 12, rebootSeconds: 45,
    battery: { kind: "portable", drainPerHourInUse: 8, drainPerHourIdle: 1, chargePerHourIdle: 25 },
    powerW: { idle: [2, 4], inUse: [5, 9] }, drift: { stepPerHour: 0.05, limit: 1.5 },
    alarmsPerHour: { idle: 0.02, inUse: 0.6 }, rebootsPerDay: 0.01,
    errorCodes: ["E-OCC-12", "E-AIL-03", "W-BAT-LOW", "W-DOOR-OPEN"], errorCodesPerHour: 0.05,
    failureLines: [...GENERIC_FAILURES, "ERROR : Post-install self-test failed: pump motor controller did not respond"],
  },
  MSS2: {
    key: "MSS2", deviceType: "Syringe pump", installMinutes: 10, rebootSeconds: 40,
    battery: { kind: "portable", drainPerHourInUse: 6, drainPerHourIdle: 0.8, chargePerHourIdle: 30 },
    powerW: { idle: [1.5, 3], inUse: [3, 6] }, drift: { stepPerHour: 0.04, limit: 1.2 },
    alarmsPerHour: { idle: 0.02, inUse: 0.4 }, rebootsPerDay: 0.01,
    errorCodes: ["E-PLG-07", "E-SYR-02", "W-NEAR-EMPTY"], errorCodesPerHour: 0.04,
    failureLines: [...GENERIC_FAILURES, "ERROR : Post-install self-test failed: plunger position sensor out of range"],
  },
  HVV7: {
    key: "HVV7", deviceType: "Patient monitor", installMinutes: 20, rebootSeconds: 90,
    battery: { kind: "backup" },
    powerW: { idle: [12, 20], inUse: [25, 45] }, drift: { stepPerHour: 0.02, limit: 0.8 },
    alarmsPerHour: { idle: 0, inUse: 6 }, rebootsPerDay: 0.02,
    errorCodes: ["E-NIBP-21", "W-SPO2-PROBE", "W-ECG-LEADS-OFF"], errorCodesPerHour: 0.1,
    failureLines: [...GENERIC_FAILURES, "ERROR : Parameter module firmware handshake failed (NIBP board)"],
  },
  HVV5: {
    key: "HVV5", deviceType: "Patient monitor", installMinutes: 20, rebootSeconds: 120,
    battery: { kind: "backup" },
    powerW: { idle: [15, 24], inUse: [30, 50] }, drift: { stepPerHour: 0.03, limit: 1 },
    alarmsPerHour: { idle: 0, inUse: 7 }, rebootsPerDay: 0.03,
    errorCodes: ["E-NIBP-21", "W-SPO2-PROBE", "E-FAN-02"], errorCodesPerHour: 0.12,
    failureLines: [...GENERIC_FAILURES, "ERROR : Not enough free space on /data for the update"],
  },
  NVX3: {
    key: "NVX3", deviceType: "Ventilator", installMinutes: 35, rebootSeconds: 120,
    battery: { kind: "backup" },
    powerW: { idle: [15, 25], inUse: [60, 110] }, drift: { stepPerHour: 0.04, limit: 1.2 },
    alarmsPerHour: { idle: 0, inUse: 2 }, rebootsPerDay: 0.005,
    errorCodes: ["E-FLOW-11", "W-O2-CELL", "W-FILTER"], errorCodesPerHour: 0.05,
    failureLines: [...GENERIC_FAILURES, "ERROR : Post-install self-test failed: flow sensor calibration out of tolerance"],
  },
  NNB2: {
    key: "NNB2", deviceType: "Neonatal ventilator", installMinutes: 35, rebootSeconds: 120,
    battery: { kind: "backup" },
    powerW: { idle: [12, 20], inUse: [40, 80] }, drift: { stepPerHour: 0.04, limit: 1 },
    alarmsPerHour: { idle: 0, inUse: 3 }, rebootsPerDay: 0.005,
    errorCodes: ["E-FLOW-11", "W-HUMID-TEMP"], errorCodesPerHour: 0.05,
    failureLines: [...GENERIC_FAILURES, "ERROR : Post-install self-test failed: proximal flow sensor not detected"],
  },
  VGT3: {
    key: "VGT3", deviceType: "Blood glucose meter", installMinutes: 5, rebootSeconds: 20,
    battery: { kind: "portable", drainPerHourInUse: 3, drainPerHourIdle: 0.3, chargePerHourIdle: 20 },
    powerW: { idle: [1, 2], inUse: [0.3, 0.6] }, drift: { stepPerHour: 0.08, limit: 2 },
    alarmsPerHour: { idle: 0, inUse: 0.05 }, rebootsPerDay: 0.02,
    errorCodes: ["E-STRIP-04", "W-QC-DUE"], errorCodesPerHour: 0.08,
    failureLines: [...GENERIC_FAILURES, "ERROR : Strip-reader calibration table rejected by the new firmware"],
  },
  ARD9: {
    key: "ARD9", deviceType: "Defibrillator", installMinutes: 15, rebootSeconds: 60,
    battery: { kind: "portable", drainPerHourInUse: 15, drainPerHourIdle: 0.1, chargePerHourIdle: 20 },
    powerW: { idle: [1, 2], inUse: [4, 12] }, drift: { stepPerHour: 0.01, limit: 0.5 },
    alarmsPerHour: { idle: 0, inUse: 0.5 }, rebootsPerDay: 0.002,
    errorCodes: ["W-SELFTEST-DUE", "E-PADS-EXPIRED"], errorCodesPerHour: 0.01,
    failureLines: [...GENERIC_FAILURES, "ERROR : Post-install self-test failed: charge circuit did not reach test energy"],
  },
  ATT4: {
    key: "ATT4", deviceType: "Telemetry transmitter", installMinutes: 8, rebootSeconds: 30,
    battery: { kind: "portable", drainPerHourInUse: 1.2, drainPerHourIdle: 0.2, chargePerHourIdle: 0, swapBelow: 10 },
    powerW: { idle: [0.05, 0.1], inUse: [0.15, 0.3] }, drift: { stepPerHour: 0.02, limit: 0.6 },
    alarmsPerHour: { idle: 0, inUse: 0.2 }, rebootsPerDay: 0.01,
    errorCodes: ["W-LEADS-OFF", "W-WEAK-SIGNAL"], errorCodesPerHour: 0.1,
    failureLines: [...GENERIC_FAILURES, "ERROR : Radio firmware update rejected: wrong band plan"],
  },
  BLCT: {
    key: "BLCT", deviceType: "Imaging workstation", installMinutes: 45, rebootSeconds: 180,
    battery: { kind: "none" },
    powerW: { idle: [250, 400], inUse: [400, 650] }, drift: { stepPerHour: 0, limit: 0 },
    alarmsPerHour: { idle: 0, inUse: 0.02 }, rebootsPerDay: 0.05,
    errorCodes: ["E-DISK-SMART", "W-GPU-TEMP"], errorCodesPerHour: 0.02,
    failureLines: [...GENERIC_FAILURES, "ERROR : Package dependency check failed: reconstruction library too old"],
  },
};

/** For devices of a model the fleet does not know. */
export const GENERIC_PROFILE: ModelProfile = {
  key: "*", deviceType: "Medical device", installMinutes: 10, rebootSeconds: 60,
  battery: { kind: "backup" },
  powerW: { idle: [2, 5], inUse: [5, 15] }, drift: { stepPerHour: 0.03, limit: 1 },
  alarmsPerHour: { idle: 0, inUse: 0.5 }, rebootsPerDay: 0.01,
  errorCodes: ["E-GENERIC"], errorCodesPerHour: 0.02,
  failureLines: GENERIC_FAILURES,
};

/** The model key of a controller id: an explicit one, else the serial's prefix before the first "-". */
export function modelKeyOf(controllerId: string, explicit?: string): string {
  if (explicit) return explicit;
  const dash = controllerId.indexOf("-");
  return dash > 0 ? controllerId.slice(0, dash) : controllerId;
}

export const profileFor = (modelKey: string): ModelProfile => PROFILES[modelKey] ?? GENERIC_PROFILE;
