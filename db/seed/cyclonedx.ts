import { createHash } from "node:crypto";

// A deterministic CycloneDX 1.6 JSON builder for the demo seed and for tests. Its output passes the official
// schema and every NTIA minimum element (SBM-02), and binds the SBOM to the firmware file through the
// top component's SHA-256 (SBM-09). The same inputs always give the same document, serial number included.

export type CycloneDxComponentInput = {
  name: string;
  version: string;
  /** Defaults to the device vendor (`opts.supplier`) so the result always names a supplier. */
  supplier?: string;
  /** Defaults to pkg:generic/<name>@<version>; `null` leaves the component without a purl. */
  purl?: string | null;
  /** An SPDX license expression, e.g. "GPL-2.0-only WITH Linux-syscall-note". */
  license?: string;
};

export type CycloneDxVulnerabilityInput = {
  id: string;
  severity: string;
  /** Component names or bom-refs. */
  affects: string[];
};

export type CycloneDxOptions = {
  name: string;
  version: string;
  supplier: string;
  artifactSha256: string;
  components: CycloneDxComponentInput[];
  vulnerabilities?: CycloneDxVulnerabilityInput[];
  timestamp?: string;
  serial?: string;
};

// Fixed, so that seeding twice gives byte-identical SBOMs.
const DEFAULT_TIMESTAMP = "2026-01-15T09:00:00Z";

export function buildCycloneDx(opts: CycloneDxOptions): Record<string, unknown> {
  const topRef = `firmware:${opts.name}@${opts.version}`;
  const components = opts.components.map((c) => componentJson(c, opts.supplier));
  const refs = components.map((c) => c["bom-ref"] as string);
  const bom: Record<string, unknown> = {
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    serialNumber: opts.serial ?? deterministicSerial(opts),
    version: 1,
    metadata: {
      timestamp: opts.timestamp ?? DEFAULT_TIMESTAMP,
      authors: [{ name: opts.supplier }],
      tools: { components: [{ type: "application", name: "corridor-seed", version: "1" }] },
      supplier: { name: opts.supplier },
      component: {
        type: "firmware",
        "bom-ref": topRef,
        supplier: { name: opts.supplier },
        name: opts.name,
        version: opts.version,
        purl: `pkg:generic/${encodeURIComponent(opts.name)}@${encodeURIComponent(opts.version)}`,
        hashes: [{ alg: "SHA-256", content: opts.artifactSha256.toLowerCase() }],
      },
    },
    components,
    // The firmware contains every component; components list no dependencies of their own.
    dependencies: [{ ref: topRef, dependsOn: refs }, ...refs.map((ref) => ({ ref, dependsOn: [] }))],
  };
  if (opts.vulnerabilities?.length) bom.vulnerabilities = opts.vulnerabilities.map((v) => vulnerabilityJson(v, opts.components, refs));
  return bom;
}

function componentJson(c: CycloneDxComponentInput, defaultSupplier: string): Record<string, unknown> {
  const purl = c.purl === undefined ? `pkg:generic/${encodeURIComponent(c.name)}@${encodeURIComponent(c.version)}` : c.purl;
  const json: Record<string, unknown> = {
    type: "library",
    "bom-ref": purl ?? `${c.name}@${c.version}`,
    supplier: { name: c.supplier ?? defaultSupplier },
    name: c.name,
    version: c.version,
  };
  if (purl) json.purl = purl;
  // An expression is not checked against the SPDX id list, so any valid expression is accepted.
  if (c.license) json.licenses = [{ expression: c.license }];
  return json;
}

function vulnerabilityJson(v: CycloneDxVulnerabilityInput, components: CycloneDxComponentInput[], refs: string[]) {
  const refFor = (nameOrRef: string) => {
    const i = components.findIndex((c) => c.name === nameOrRef);
    return i >= 0 ? refs[i]! : nameOrRef;
  };
  return {
    "bom-ref": `vuln:${v.id}`,
    id: v.id,
    ratings: [{ severity: v.severity }],
    affects: v.affects.map((a) => ({ ref: refFor(a) })),
  };
}

// A name-based UUID (RFC 9562 version 8) from a SHA-256 of the inputs.
function deterministicSerial(opts: CycloneDxOptions): string {
  const hex = createHash("sha256").update(JSON.stringify({ ...opts, serial: undefined })).digest("hex");
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** What a typical embedded-Linux infusion pump or monitor image contains. */
export const DEMO_SBOM_COMPONENTS: readonly CycloneDxComponentInput[] = [
  { name: "linux", version: "6.1.90", supplier: "The Linux Kernel Organization", purl: "pkg:generic/kernel.org/linux@6.1.90", license: "GPL-2.0-only WITH Linux-syscall-note" },
  { name: "u-boot", version: "2024.01", supplier: "DENX Software Engineering", purl: "pkg:generic/denx.de/u-boot@2024.01", license: "GPL-2.0-or-later" },
  { name: "busybox", version: "1.36.1", supplier: "BusyBox project", purl: "pkg:generic/busybox.net/busybox@1.36.1", license: "GPL-2.0-only" },
  { name: "glibc", version: "2.37", supplier: "GNU Project", purl: "pkg:generic/gnu.org/glibc@2.37", license: "LGPL-2.1-or-later" },
  { name: "openssl", version: "3.0.13", supplier: "OpenSSL Software Foundation", purl: "pkg:github/openssl/openssl@3.0.13", license: "Apache-2.0" },
  { name: "zlib", version: "1.3.1", supplier: "Jean-loup Gailly and Mark Adler", purl: "pkg:github/madler/zlib@1.3.1", license: "Zlib" },
  { name: "libcurl", version: "8.6.0", supplier: "curl project", purl: "pkg:github/curl/curl@8.6.0", license: "curl" },
  { name: "sqlite", version: "3.45.1", supplier: "SQLite Consortium", purl: "pkg:generic/sqlite.org/sqlite@3.45.1", license: "blessing" },
  { name: "swupdate", version: "2023.12", supplier: "Stefano Babic", purl: "pkg:github/sbabic/swupdate@2023.12", license: "GPL-2.0-only" },
  { name: "libconfig", version: "1.7.3", supplier: "Hyperrealm", purl: "pkg:github/hyperrealm/libconfig@1.7.3", license: "LGPL-2.1-or-later" },
  { name: "json-c", version: "0.17", supplier: "json-c project", purl: "pkg:github/json-c/json-c@0.17", license: "MIT" },
  { name: "libarchive", version: "3.7.2", supplier: "libarchive project", purl: "pkg:github/libarchive/libarchive@3.7.2", license: "BSD-2-Clause" },
  { name: "zstd", version: "1.5.5", supplier: "Meta Platforms", purl: "pkg:github/facebook/zstd@1.5.5", license: "BSD-3-Clause" },
  { name: "dropbear", version: "2022.83", supplier: "Matt Johnston", purl: "pkg:github/mkj/dropbear@2022.83", license: "MIT" },
  { name: "e2fsprogs", version: "1.47.0", supplier: "Theodore Ts'o", purl: "pkg:generic/kernel.org/e2fsprogs@1.47.0", license: "GPL-2.0-only" },
  { name: "chrony", version: "4.5", supplier: "chrony project", purl: "pkg:generic/chrony-project.org/chrony@4.5", license: "GPL-2.0-only" },
];
