import { JsonStrictValidator } from "@cyclonedx/cyclonedx-library/Validation";
import type { Version } from "@cyclonedx/cyclonedx-library/Spec";

// Pure analysis of a vendor's CycloneDX JSON SBOM (SBM-02, SBM-09, SBM-10): validation against the official
// CycloneDX schema bundled with @cyclonedx/cyclonedx-library, the NTIA minimum elements, the binding of the
// SBOM to the firmware file, and the diff between two releases' SBOMs. Bytes in, a report out; no I/O here
// apart from the library reading its schema files once.

export const NTIA_ELEMENTS = [
  "supplier name",
  "component name",
  "version",
  "unique identifier",
  "dependency relationships",
  "author of SBOM data",
  "timestamp",
] as const;
export type NtiaElement = (typeof NTIA_ELEMENTS)[number];

export type SbomComponent = { ref: string; name: string; version: string; type: string; supplier: string | null; purl: string | null; cpe: string | null };
export type SbomVulnerability = { id: string; severity: string | null; affects: string[] };

export type SbomReport = {
  format: "CycloneDX";
  /** "" when the document does not state a readable version. */
  specVersion: string;
  serialNumber: string | null;
  schemaValid: boolean;
  /** Human-readable, at most MAX_SCHEMA_ERRORS: "/serialNumber must match pattern …". */
  schemaErrors: string[];
  /** `where` is "metadata" or the component's name@version (its bom-ref when name or version is missing). */
  ntiaMissing: { element: NtiaElement; where: string }[];
  topComponent: { name: string; version: string; sha256: string | null; weakHashesOnly: boolean } | null;
  /** Flattened (nested components included), sorted by name then version. */
  components: SbomComponent[];
  vulnerabilities: SbomVulnerability[];
};

export type SbomBlockerCode = "sbom_schema_invalid" | "sbom_ntia_incomplete" | "sbom_no_top_component" | "sbom_no_strong_hash" | "sbom_artifact_mismatch";
export const SBOM_ARTIFACT_MISMATCH = "sbom_artifact_mismatch" satisfies SbomBlockerCode;

export const MAX_SBOM_BYTES = 20 * 1024 * 1024;
const MAX_SCHEMA_ERRORS = 20;
const SUPPORTED_VERSIONS = ["1.4", "1.5", "1.6"];
// UPD-02: only collision-resistant hashes of at least 256 bits count; MD5, SHA-1 (and BLAKE*) do not.
const STRONG_HASHES = new Set(["SHA-256", "SHA-384", "SHA-512", "SHA3-256", "SHA3-384", "SHA3-512"]);

export class SbomError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SbomError";
  }
}

type Json = Record<string, unknown>;

export async function analyzeSbom(bytes: Buffer): Promise<SbomReport> {
  const { text, doc } = parseCycloneDx(bytes);
  const specVersion = typeof doc.specVersion === "string" ? doc.specVersion : "";
  const schemaErrors = await validateSchema(specVersion, text);
  const metadata = asObject(doc.metadata);
  const top = asObject(metadata?.component);
  const components = flattenRaw(doc.components).map(componentOf).sort(byNameThenVersion);
  return {
    format: "CycloneDX",
    specVersion,
    serialNumber: typeof doc.serialNumber === "string" ? doc.serialNumber : null,
    schemaValid: schemaErrors.length === 0,
    schemaErrors,
    ntiaMissing: ntiaGaps(doc, top),
    topComponent: top ? topComponentOf(top) : null,
    components,
    vulnerabilities: vulnerabilitiesOf(doc.vulnerabilities),
  };
}

function parseCycloneDx(bytes: Buffer): { text: string; doc: Json } {
  if (bytes.length > MAX_SBOM_BYTES) {
    throw new SbomError(`The SBOM file is ${(bytes.length / 1024 / 1024).toFixed(1)} MiB; the largest accepted is ${MAX_SBOM_BYTES / 1024 / 1024} MiB.`);
  }
  const text = bytes.toString("utf8").replace(/^\uFEFF/, "");
  if (text.trimStart().startsWith("<")) {
    throw new SbomError("This SBOM is an XML file. Corridor reads CycloneDX SBOMs in JSON format: ask the vendor for the JSON version.");
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new SbomError("The SBOM file is not readable JSON. Corridor reads CycloneDX SBOMs in JSON format: ask the vendor for the .cdx.json file.");
  }
  const obj = asObject(doc);
  if (obj && typeof obj.spdxVersion === "string") {
    throw new SbomError("This is an SPDX SBOM. Corridor currently reads CycloneDX JSON SBOMs only: ask the vendor for a CycloneDX version.");
  }
  if (obj?.bomFormat !== "CycloneDX") {
    throw new SbomError('The file is JSON but not a CycloneDX SBOM: it does not say "bomFormat": "CycloneDX".');
  }
  return { text, doc: obj };
}

// One validator per version: each compiles its schema once, on first use.
const validators = new Map<string, JsonStrictValidator>();

async function validateSchema(specVersion: string, text: string): Promise<string[]> {
  if (!SUPPORTED_VERSIONS.includes(specVersion)) {
    const stated = specVersion ? `CycloneDX ${specVersion}` : "no CycloneDX version (specVersion)";
    return [`The SBOM states ${stated}; Corridor validates CycloneDX ${SUPPORTED_VERSIONS.join(", ")}.`];
  }
  let validator = validators.get(specVersion);
  if (!validator) {
    validator = new JsonStrictValidator(specVersion as Version);
    validators.set(specVersion, validator);
  }
  const errors: unknown = await validator.validate(text);
  return Array.isArray(errors) ? formatSchemaErrors(errors) : [];
}

type AjvError = { instancePath?: string; message?: string; params?: Record<string, unknown> };

function formatSchemaErrors(errors: AjvError[]): string[] {
  const lines = errors.map((e) => {
    const extra = typeof e.params?.additionalProperty === "string" ? `: "${e.params.additionalProperty}"` : "";
    return `${e.instancePath || "/"} ${e.message ?? "is invalid"}${extra}`;
  });
  return [...new Set(lines)].slice(0, MAX_SCHEMA_ERRORS);
}

function componentOf(c: Json): SbomComponent {
  const name = str(c.name) ?? "";
  const version = str(c.version) ?? "";
  const purl = str(c.purl);
  return {
    ref: str(c["bom-ref"]) ?? purl ?? `${name}@${version}`,
    name,
    version,
    type: str(c.type) ?? "",
    supplier: supplierOf(c),
    purl,
    cpe: str(c.cpe),
  };
}

// NTIA: the supplier is "the originator or manufacturer of the software component". CycloneDX's `supplier`
// is the natural field; failing it we accept the 1.6 `manufacturer`, then the component's `authors`/`author`
// (the originator) and `publisher` — our reading of that definition. A bare `group` is not a supplier.
function supplierOf(c: Json): string | null {
  const firstAuthor = Array.isArray(c.authors) ? asObject(c.authors[0]) : null;
  return str(asObject(c.supplier)?.name) ?? str(asObject(c.manufacturer)?.name) ?? str(firstAuthor?.name) ?? str(c.author) ?? str(c.publisher);
}

function hasUniqueIdentifier(c: Json): boolean {
  return Boolean(str(c.purl) ?? str(c.cpe) ?? str(asObject(c.swid)?.tagId));
}

// The top component first (the reader cares about it most), then the others by place, then the document.
function ntiaGaps(doc: Json, top: Json | null): SbomReport["ntiaMissing"] {
  const others = flattenRaw(doc.components)
    .flatMap(componentGaps)
    .sort((a, b) => compare(a.where, b.where));
  return dedupe([...(top ? componentGaps(top) : []), ...others, ...documentGaps(doc, top)]);
}

function flattenRaw(list: unknown): Json[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item) => {
    const c = asObject(item);
    return c ? [c, ...flattenRaw(c.components)] : [];
  });
}

function componentGaps(c: Json): { element: NtiaElement; where: string }[] {
  const where = placeOf(c);
  const missing: NtiaElement[] = [];
  if (!supplierOf(c)) missing.push("supplier name");
  if (!str(c.name)) missing.push("component name");
  if (!str(c.version)) missing.push("version");
  if (!hasUniqueIdentifier(c)) missing.push("unique identifier");
  return missing.map((element) => ({ element, where }));
}

function documentGaps(doc: Json, top: Json | null): { element: NtiaElement; where: string }[] {
  const metadata = asObject(doc.metadata);
  const missing: NtiaElement[] = [];
  if (!describesTopDependencies(doc, top)) missing.push("dependency relationships");
  // NTIA: the author of the SBOM data is the entity that created the SBOM — a person or the tool that made it.
  if (!nonEmpty(metadata?.authors) && !hasTools(metadata?.tools)) missing.push("author of SBOM data");
  if (!str(metadata?.timestamp)) missing.push("timestamp");
  return missing.map((element) => ({ element, where: "metadata" }));
}

function describesTopDependencies(doc: Json, top: Json | null): boolean {
  const topRef = str(top?.["bom-ref"]);
  if (!topRef || !Array.isArray(doc.dependencies)) return false;
  return doc.dependencies.some((d) => asObject(d)?.ref === topRef);
}

// `metadata.tools` is an array before 1.5 and { components, services } since.
function hasTools(tools: unknown): boolean {
  if (Array.isArray(tools)) return tools.length > 0;
  const t = asObject(tools);
  return Boolean(t && (nonEmpty(t.components) || nonEmpty(t.services)));
}

function placeOf(c: Json): string {
  const name = str(c.name);
  const version = str(c.version);
  if (name && version) return `${name}@${version}`;
  return str(c["bom-ref"]) ?? name ?? "a component without name or bom-ref";
}

function dedupe<T extends { element: string; where: string }>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const key = `${i.element}\u0000${i.where}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function topComponentOf(top: Json): NonNullable<SbomReport["topComponent"]> {
  const hashes = (Array.isArray(top.hashes) ? top.hashes : []).map(asObject).filter((h): h is Json => h !== null);
  const algs = hashes.map((h) => (str(h.alg) ?? "").toUpperCase());
  const sha256 = str(hashes.find((h) => str(h.alg)?.toUpperCase() === "SHA-256")?.content);
  return {
    name: str(top.name) ?? "",
    version: str(top.version) ?? "",
    sha256: sha256 ? sha256.toLowerCase() : null,
    weakHashesOnly: algs.length > 0 && !algs.some((a) => STRONG_HASHES.has(a)),
  };
}

const SEVERITY_ORDER = ["critical", "high", "medium", "low", "info", "none", "unknown"];

function vulnerabilitiesOf(list: unknown): SbomVulnerability[] {
  if (!Array.isArray(list)) return [];
  return list
    .map(asObject)
    .filter((v): v is Json => v !== null && Boolean(str(v.id)))
    .map((v) => ({ id: str(v.id)!, severity: worstSeverity(v.ratings), affects: affectedRefs(v.affects) }))
    .sort((a, b) => compare(a.id, b.id));
}

// A vulnerability may carry ratings from several sources; show the most severe.
function worstSeverity(ratings: unknown): string | null {
  if (!Array.isArray(ratings)) return null;
  const severities = ratings.map((r) => str(asObject(r)?.severity)).filter((s): s is string => s !== null);
  const rank = (s: string) => (SEVERITY_ORDER.includes(s) ? SEVERITY_ORDER.indexOf(s) : SEVERITY_ORDER.length);
  return severities.sort((a, b) => rank(a) - rank(b))[0] ?? null;
}

function affectedRefs(affects: unknown): string[] {
  if (!Array.isArray(affects)) return [];
  const refs = affects.map((a) => str(asObject(a)?.ref)).filter((r): r is string => r !== null);
  return [...new Set(refs)].sort(compare);
}

type Blocker = { code: SbomBlockerCode; message: string };

export function sbomBlockers(report: SbomReport, artifactSha256: string): Blocker[] {
  const blockers: Blocker[] = [];
  if (!report.schemaValid) blockers.push({ code: "sbom_schema_invalid", message: schemaMessage(report) });
  for (const gap of report.ntiaMissing) blockers.push({ code: "sbom_ntia_incomplete", message: ntiaMessage(gap.element, gap.where) });
  blockers.push(...bindingBlockers(report.topComponent, artifactSha256.toLowerCase()));
  return blockers;
}

function schemaMessage(report: SbomReport): string {
  const version = report.specVersion ? `CycloneDX ${report.specVersion} ` : "CycloneDX ";
  return `The SBOM does not follow the official ${version}schema: ${report.schemaErrors.slice(0, 3).join("; ")}.`;
}

function ntiaMessage(element: NtiaElement, where: string): string {
  switch (element) {
    case "supplier name":
      return `The SBOM does not name the supplier of component ${where}.`;
    case "component name":
      return `The SBOM lists a component without a name (${where}).`;
    case "version":
      return `The SBOM does not give the version of component ${where}.`;
    case "unique identifier":
      return `The SBOM gives no unique identifier (package URL, CPE or SWID tag) for component ${where}.`;
    case "dependency relationships":
      return "The SBOM does not describe the dependencies of its top component.";
    case "author of SBOM data":
      return "The SBOM does not say who created it (no authors or tools in its metadata).";
    case "timestamp":
      return "The SBOM does not say when it was created (no timestamp in its metadata).";
  }
}

function bindingBlockers(top: SbomReport["topComponent"], artifactSha256: string): Blocker[] {
  if (!top) {
    return [{ code: "sbom_no_top_component", message: "The SBOM does not describe a top component, so it cannot be tied to the uploaded package." }];
  }
  if (!top.sha256) {
    const why = top.weakHashesOnly ? "carries only weak hashes (such as MD5 or SHA-1)" : "has no SHA-256 hash";
    return [{ code: "sbom_no_strong_hash", message: `The SBOM's top component ${why}, so it cannot be tied to the uploaded package.` }];
  }
  if (top.sha256 !== artifactSha256) {
    const message = `The SBOM describes a different file: its top component hash is ${short(top.sha256)}, the uploaded package is ${short(artifactSha256)}.`;
    return [{ code: SBOM_ARTIFACT_MISMATCH, message }];
  }
  return [];
}

const short = (hex: string) => `${hex.slice(0, 12)}…`;

export type SbomDiff = {
  added: SbomComponent[];
  removed: SbomComponent[];
  changed: { name: string; purlWithoutVersion: string | null; from: string; to: string }[];
  vulnerabilitiesIntroduced: SbomVulnerability[];
  vulnerabilitiesFixed: SbomVulnerability[];
};

type DiffSide = Pick<SbomReport, "components" | "vulnerabilities">;

export function diffSbom(from: DiffSide, to: DiffSide): SbomDiff {
  const before = groupByIdentity(from.components);
  const after = groupByIdentity(to.components);
  const diff: SbomDiff = { added: [], removed: [], changed: [], vulnerabilitiesIntroduced: [], vulnerabilitiesFixed: [] };
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    pairVersions(before.get(key) ?? [], after.get(key) ?? [], diff);
  }
  diff.added.sort(byNameThenVersion);
  diff.removed.sort(byNameThenVersion);
  diff.changed.sort((a, b) => compare(a.name, b.name) || compare(a.purlWithoutVersion ?? "", b.purlWithoutVersion ?? "") || compare(a.from, b.from));
  const idsBefore = new Set(from.vulnerabilities.map((v) => v.id));
  const idsAfter = new Set(to.vulnerabilities.map((v) => v.id));
  diff.vulnerabilitiesIntroduced = to.vulnerabilities.filter((v) => !idsBefore.has(v.id)).sort((a, b) => compare(a.id, b.id));
  diff.vulnerabilitiesFixed = from.vulnerabilities.filter((v) => !idsAfter.has(v.id)).sort((a, b) => compare(a.id, b.id));
  return diff;
}

// Same identity, different versions: versions on both sides are unchanged; the rest pair up in version
// order as upgrades, and whatever is left over was added or removed.
function pairVersions(before: SbomComponent[], after: SbomComponent[], diff: SbomDiff) {
  const versionsBefore = new Set(before.map((c) => c.version));
  const versionsAfter = new Set(after.map((c) => c.version));
  const gone = uniqueByVersion(before.filter((c) => !versionsAfter.has(c.version)));
  const come = uniqueByVersion(after.filter((c) => !versionsBefore.has(c.version)));
  const pairs = Math.min(gone.length, come.length);
  for (let i = 0; i < pairs; i++) {
    diff.changed.push({ name: come[i]!.name, purlWithoutVersion: purlWithoutVersion(come[i]!.purl), from: gone[i]!.version, to: come[i]!.version });
  }
  diff.removed.push(...gone.slice(pairs));
  diff.added.push(...come.slice(pairs));
}

function uniqueByVersion(components: SbomComponent[]): SbomComponent[] {
  const byVersion = new Map(components.map((c) => [c.version, c]));
  return [...byVersion.values()].sort(byNameThenVersion);
}

function groupByIdentity(components: SbomComponent[]): Map<string, SbomComponent[]> {
  const groups = new Map<string, SbomComponent[]>();
  for (const c of components) {
    const base = purlWithoutVersion(c.purl);
    const key = base ? `purl:${base}` : `name:${c.type}:${c.name.toLowerCase()}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return groups;
}

// Qualifiers (?download_url=…, ?arch=…) and subpaths often change with the version, so they go too.
function purlWithoutVersion(purl: string | null): string | null {
  if (!purl) return null;
  const bare = purl.split("#")[0]!.split("?")[0]!;
  const at = bare.lastIndexOf("@");
  return at > bare.lastIndexOf("/") ? bare.slice(0, at) : bare;
}

function byNameThenVersion(a: SbomComponent, b: SbomComponent): number {
  return compare(a.name, b.name) || compare(a.version, b.version) || compare(a.ref, b.ref);
}

// Code-unit order, the same on every machine and locale.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function asObject(value: unknown): Json | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : null;
}

function str(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

function nonEmpty(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}
