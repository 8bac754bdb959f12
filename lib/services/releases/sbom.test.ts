import { describe, expect, it } from "vitest";
import { DEMO_SBOM_COMPONENTS, buildCycloneDx, type CycloneDxOptions } from "@/db/seed/cyclonedx";
import { MAX_SBOM_BYTES, SbomError, analyzeSbom, diffSbom, sbomBlockers, type NtiaElement } from "./sbom";

const ARTIFACT_SHA = "3f4a9c2be1d07785a1c9e0f3b2d4c6a8e0f1a2b3c4d5e6f708192a3b4c5d6e7f";
const OTHER_SHA = "cd34e1d07785a1c9e0f3b2d4c6a8e0f1a2b3c4d5e6f708192a3b4c5d6e7f3f4a";

const base: CycloneDxOptions = {
  name: "volumetric-pump-fw",
  version: "5.1.0",
  supplier: "Medivance Infusion Systems",
  artifactSha256: ARTIFACT_SHA,
  components: [...DEMO_SBOM_COMPONENTS],
};

type Bom = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- fixtures are edited freely

const fixture = (over: Partial<CycloneDxOptions> = {}): Bom => buildCycloneDx({ ...base, ...over }) as Bom;
const bytes = (bom: Bom) => Buffer.from(JSON.stringify(bom));
const analyze = (bom: Bom) => analyzeSbom(bytes(bom));
const componentNamed = (bom: Bom, name: string): Bom => bom.components.find((c: Bom) => c.name === name);

describe("analyzeSbom", () => {
  it("SBM-02: a complete CycloneDX 1.6 SBOM is schema-valid, NTIA-complete and has no blockers", async () => {
    const report = await analyze(fixture());
    expect(report.format).toBe("CycloneDX");
    expect(report.specVersion).toBe("1.6");
    expect(report.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(report.schemaErrors).toEqual([]);
    expect(report.schemaValid).toBe(true);
    expect(report.ntiaMissing).toEqual([]);
    expect(report.topComponent).toEqual({ name: "volumetric-pump-fw", version: "5.1.0", sha256: ARTIFACT_SHA, weakHashesOnly: false });
    expect(report.components.map((c) => c.name)).toEqual([
      "busybox", "chrony", "dropbear", "e2fsprogs", "glibc", "json-c", "libarchive", "libconfig",
      "libcurl", "linux", "openssl", "sqlite", "swupdate", "u-boot", "zlib", "zstd",
    ]);
    expect(report.components.find((c) => c.name === "openssl")).toEqual({
      ref: "pkg:github/openssl/openssl@3.0.13",
      name: "openssl",
      version: "3.0.13",
      type: "library",
      supplier: "OpenSSL Software Foundation",
      purl: "pkg:github/openssl/openssl@3.0.13",
      cpe: null,
    });
    expect(sbomBlockers(report, ARTIFACT_SHA)).toEqual([]);
    // The artifact hash may arrive upper-case from another tool.
    expect(sbomBlockers(report, ARTIFACT_SHA.toUpperCase())).toEqual([]);
  });

  it("SBM-02: the builder is deterministic, serial number included", () => {
    expect(JSON.stringify(fixture())).toBe(JSON.stringify(fixture()));
    expect(fixture().serialNumber).not.toBe(fixture({ version: "5.1.1" }).serialNumber);
  });

  it("SBM-02: the same document declared as CycloneDX 1.5 validates against the 1.5 schema", async () => {
    const report = await analyze({ ...fixture(), specVersion: "1.5" });
    expect(report.specVersion).toBe("1.5");
    expect(report.schemaErrors).toEqual([]);
  });

  it("SBM-02: a bad serialNumber fails the official schema", async () => {
    const report = await analyze({ ...fixture(), serialNumber: "pump-sbom-42" });
    expect(report.schemaValid).toBe(false);
    expect(report.schemaErrors[0]).toMatch(/^\/serialNumber must match pattern "\^urn:uuid:/);
    expect(report.ntiaMissing).toEqual([]);
    const blockers = sbomBlockers(report, ARTIFACT_SHA);
    expect(blockers.map((b) => b.code)).toEqual(["sbom_schema_invalid"]);
    expect(blockers[0]!.message).toContain("CycloneDX 1.6 schema: /serialNumber must match pattern");
  });

  it("SBM-02: an unsupported specVersion is reported as a schema problem", async () => {
    const report = await analyze({ ...fixture(), specVersion: "1.1" });
    expect(report.schemaValid).toBe(false);
    expect(report.schemaErrors).toEqual(["The SBOM states CycloneDX 1.1; Corridor validates CycloneDX 1.4, 1.5, 1.6."]);
  });

  const ntiaCases: { element: NtiaElement; where: string; remove: (bom: Bom) => void; message: string }[] = [
    {
      element: "supplier name",
      where: "openssl@3.0.13",
      remove: (bom) => delete componentNamed(bom, "openssl").supplier,
      message: "The SBOM does not name the supplier of component openssl@3.0.13.",
    },
    {
      element: "component name",
      where: "pkg:github/madler/zlib@1.3.1",
      remove: (bom) => delete componentNamed(bom, "zlib").name,
      message: "The SBOM lists a component without a name (pkg:github/madler/zlib@1.3.1).",
    },
    {
      element: "version",
      where: "pkg:github/madler/zlib@1.3.1",
      remove: (bom) => delete componentNamed(bom, "zlib").version,
      message: "The SBOM does not give the version of component pkg:github/madler/zlib@1.3.1.",
    },
    {
      element: "unique identifier",
      where: "sqlite@3.45.1",
      remove: (bom) => delete componentNamed(bom, "sqlite").purl,
      message: "The SBOM gives no unique identifier (package URL, CPE or SWID tag) for component sqlite@3.45.1.",
    },
    {
      element: "dependency relationships",
      where: "metadata",
      remove: (bom) => delete bom.dependencies,
      message: "The SBOM does not describe the dependencies of its top component.",
    },
    {
      element: "author of SBOM data",
      where: "metadata",
      remove: (bom) => {
        delete bom.metadata.authors;
        delete bom.metadata.tools;
      },
      message: "The SBOM does not say who created it (no authors or tools in its metadata).",
    },
    {
      element: "timestamp",
      where: "metadata",
      remove: (bom) => delete bom.metadata.timestamp,
      message: "The SBOM does not say when it was created (no timestamp in its metadata).",
    },
  ];

  it.each(ntiaCases)("SBM-02: an SBOM without $element reports exactly that NTIA element", async ({ element, where, remove, message }) => {
    const bom = fixture();
    remove(bom);
    const report = await analyze(bom);
    expect(report.ntiaMissing).toEqual([{ element, where }]);
    expect(sbomBlockers(report, ARTIFACT_SHA).filter((b) => b.code === "sbom_ntia_incomplete")).toEqual([{ code: "sbom_ntia_incomplete", message }]);
  });

  it("SBM-02: a nested component is checked too, and each gap is reported once per place", async () => {
    const bom = fixture();
    componentNamed(bom, "swupdate").components = [
      { type: "library", name: "lua", version: "5.4.6" },
      { type: "library", name: "lua", version: "5.4.6" },
    ];
    const report = await analyze(bom);
    expect(report.components.filter((c) => c.name === "lua")).toHaveLength(2);
    expect(report.ntiaMissing).toEqual([
      { element: "supplier name", where: "lua@5.4.6" },
      { element: "unique identifier", where: "lua@5.4.6" },
    ]);
  });

  it("SBM-02: a supplier may be given as the 1.6 manufacturer or the component's authors", async () => {
    const bom = fixture();
    const openssl = componentNamed(bom, "openssl");
    delete openssl.supplier;
    openssl.manufacturer = { name: "OpenSSL Corporation" };
    const zlib = componentNamed(bom, "zlib");
    delete zlib.supplier;
    zlib.authors = [{ name: "Mark Adler" }];
    const report = await analyze(bom);
    expect(report.schemaErrors).toEqual([]);
    expect(report.ntiaMissing).toEqual([]);
    expect(report.components.find((c) => c.name === "openssl")?.supplier).toBe("OpenSSL Corporation");
    expect(report.components.find((c) => c.name === "zlib")?.supplier).toBe("Mark Adler");
  });

  it("SBM-02: vulnerabilities are read with their worst severity and affected refs", async () => {
    const bom = fixture({ vulnerabilities: [{ id: "CVE-2024-0727", severity: "medium", affects: ["openssl"] }] });
    bom.vulnerabilities[0].ratings.push({ severity: "high" }, { severity: "low" });
    const report = await analyze(bom);
    expect(report.schemaErrors).toEqual([]);
    expect(report.vulnerabilities).toEqual([{ id: "CVE-2024-0727", severity: "high", affects: ["pkg:github/openssl/openssl@3.0.13"] }]);
  });
});

describe("sbomBlockers: binding to the artifact", () => {
  it("SBM-09: a top component hash that differs from the package gives exactly sbom_artifact_mismatch", async () => {
    const report = await analyze(fixture());
    expect(sbomBlockers(report, OTHER_SHA)).toEqual([
      {
        code: "sbom_artifact_mismatch",
        message: "The SBOM describes a different file: its top component hash is 3f4a9c2be1d0…, the uploaded package is cd34e1d07785….",
      },
    ]);
  });

  it.each([
    { alg: "MD5", content: "9e107d9d372bb6826bd81d3542a419d6" },
    { alg: "SHA-1", content: "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12" },
  ])("UPD-02, SBM-09: a top component with only $alg gives sbom_no_strong_hash", async (hash) => {
    const bom = fixture();
    bom.metadata.component.hashes = [hash];
    const report = await analyze(bom);
    expect(report.schemaErrors).toEqual([]);
    expect(report.topComponent).toEqual({ name: "volumetric-pump-fw", version: "5.1.0", sha256: null, weakHashesOnly: true });
    expect(sbomBlockers(report, ARTIFACT_SHA)).toEqual([
      {
        code: "sbom_no_strong_hash",
        message: "The SBOM's top component carries only weak hashes (such as MD5 or SHA-1), so it cannot be tied to the uploaded package.",
      },
    ]);
  });

  it("SBM-09: a SHA-512 alone is strong but still no SHA-256 to compare with the package", async () => {
    const bom = fixture();
    bom.metadata.component.hashes = [{ alg: "SHA-512", content: "a".repeat(128) }];
    const report = await analyze(bom);
    expect(report.topComponent?.weakHashesOnly).toBe(false);
    expect(sbomBlockers(report, ARTIFACT_SHA).map((b) => b.code)).toEqual(["sbom_no_strong_hash"]);
  });

  it("SBM-09: an SBOM without a top component cannot be bound", async () => {
    const bom = fixture();
    delete bom.metadata.component;
    const report = await analyze(bom);
    expect(report.topComponent).toBeNull();
    expect(sbomBlockers(report, ARTIFACT_SHA).map((b) => b.code)).toEqual(["sbom_ntia_incomplete", "sbom_no_top_component"]);
  });
});

describe("analyzeSbom: unreadable input", () => {
  it.each([
    { what: "not JSON", input: Buffer.from("{ this is not json"), message: /not readable JSON/ },
    { what: "XML", input: Buffer.from('<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6"/>'), message: /XML file/ },
    { what: "SPDX", input: Buffer.from('{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT"}'), message: /SPDX SBOM/ },
    { what: "other JSON", input: Buffer.from('{"bomFormat":"SomethingElse"}'), message: /not a CycloneDX SBOM/ },
    { what: "a JSON array", input: Buffer.from("[]"), message: /not a CycloneDX SBOM/ },
    { what: "too large", input: Buffer.alloc(MAX_SBOM_BYTES + 1, 0x20), message: /20\.0 MiB; the largest accepted is 20 MiB/ },
  ])("SBM-02: $what is an SbomError", async ({ input, message }) => {
    const attempt = analyzeSbom(input);
    await expect(attempt).rejects.toBeInstanceOf(SbomError);
    await expect(attempt).rejects.toThrow(message);
  });
});

describe("diffSbom", () => {
  const device = { name: "pump-app", version: "5.0.0", supplier: "Medivance Infusion Systems", purl: null };
  const pick = (...names: string[]) => DEMO_SBOM_COMPONENTS.filter((c) => names.includes(c.name));

  it("SBM-10: the diff between two releases' SBOMs is exactly the expected JSON", async () => {
    const from = await analyze(
      fixture({
        version: "5.0.0",
        components: [...pick("openssl", "zlib", "sqlite"), device],
        vulnerabilities: [
          { id: "CVE-2024-0727", severity: "medium", affects: ["openssl"] },
          { id: "CVE-2023-45853", severity: "critical", affects: ["zlib"] },
        ],
      }),
    );
    const to = await analyze(
      fixture({
        version: "5.1.0",
        components: [
          { name: "openssl", version: "3.0.14", supplier: "OpenSSL Software Foundation", purl: "pkg:github/openssl/openssl@3.0.14?download_url=https://www.openssl.org/source/openssl-3.0.14.tar.gz" },
          ...pick("sqlite"),
          { ...device, version: "5.1.0" },
          { name: "libxml2", version: "2.12.6", supplier: "GNOME Project", purl: "pkg:generic/gnome.org/libxml2@2.12.6" },
        ],
        vulnerabilities: [{ id: "CVE-2024-5535", severity: "low", affects: ["openssl"] }],
      }),
    );
    expect(diffSbom(from, to)).toEqual({
      added: [
        {
          ref: "pkg:generic/gnome.org/libxml2@2.12.6",
          name: "libxml2",
          version: "2.12.6",
          type: "library",
          supplier: "GNOME Project",
          purl: "pkg:generic/gnome.org/libxml2@2.12.6",
          cpe: null,
        },
      ],
      removed: [
        {
          ref: "pkg:github/madler/zlib@1.3.1",
          name: "zlib",
          version: "1.3.1",
          type: "library",
          supplier: "Jean-loup Gailly and Mark Adler",
          purl: "pkg:github/madler/zlib@1.3.1",
          cpe: null,
        },
      ],
      changed: [
        { name: "openssl", purlWithoutVersion: "pkg:github/openssl/openssl", from: "3.0.13", to: "3.0.14" },
        { name: "pump-app", purlWithoutVersion: null, from: "5.0.0", to: "5.1.0" },
      ],
      vulnerabilitiesIntroduced: [
        { id: "CVE-2024-5535", severity: "low", affects: ["pkg:github/openssl/openssl@3.0.14?download_url=https://www.openssl.org/source/openssl-3.0.14.tar.gz"] },
      ],
      vulnerabilitiesFixed: [
        { id: "CVE-2023-45853", severity: "critical", affects: ["pkg:github/madler/zlib@1.3.1"] },
        { id: "CVE-2024-0727", severity: "medium", affects: ["pkg:github/openssl/openssl@3.0.13"] },
      ],
    });
  });

  it("SBM-10: identical SBOMs have an empty diff", async () => {
    const report = await analyze(fixture({ vulnerabilities: [{ id: "CVE-2024-0727", severity: "medium", affects: ["openssl"] }] }));
    expect(diffSbom(report, report)).toEqual({ added: [], removed: [], changed: [], vulnerabilitiesIntroduced: [], vulnerabilitiesFixed: [] });
  });
});
