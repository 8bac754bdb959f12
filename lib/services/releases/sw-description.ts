// A tolerant parser for the libconfig subset SWUpdate's sw-description uses, and the extraction of what
// intake needs from it: version, hardware-compatibility and every archive entry the package would install.
//
// libconfig: `name = value;` or `name : value;` (terminator `;` or `,`, optional before `}`), groups `{ … }`,
// arrays `[ scalar, … ]`, lists `( value, … )`, strings with escapes and adjacent-literal concatenation,
// decimal/hex integers (optional L/LL suffix), floats, booleans, and `#`, `//`, `/* */` comments.
// Not supported (rejected): `@include`. Duplicate names in one group are rejected, as libconfig does — two
// parsers must never disagree about which `sha256` counts. A JSON sw-description (CONFIG_JSON builds) is read
// with JSON.parse.

export type LcValue = string | number | boolean | LcGroup | LcValue[];
export type LcGroup = { [name: string]: LcValue };

export class SwDescriptionError extends Error {}

type Tok = { t: "name" | "string" | "number" | "punct"; v: string; line: number };

const MAX_DEPTH = 64;

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  const fail = (msg: string): never => {
    throw new SwDescriptionError(`line ${line}: ${msg}`);
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === "\n") {
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v" || c === "\uFEFF") i++;
    else if (c === "#" || (c === "/" && src[i + 1] === "/")) {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      if (end < 0) fail("unterminated comment");
      for (let k = i; k < end; k++) if (src[k] === "\n") line++;
      i = end + 2;
    } else if (c === "@") fail("directives such as @include are not supported");
    else if ("=:;,{}[]()".includes(c)) {
      toks.push({ t: "punct", v: c, line });
      i++;
    } else if (c === '"') {
      let out = "";
      i++;
      for (;;) {
        if (i >= src.length) fail("unterminated string");
        const d = src[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === "\n") line++;
        if (d === "\\") {
          const e = src[i + 1];
          const map: Record<string, string> = { n: "\n", r: "\r", t: "\t", f: "\f", "\\": "\\", '"': '"' };
          if (e !== undefined && map[e] !== undefined) {
            out += map[e];
            i += 2;
          } else if (e === "x" && /^[0-9A-Fa-f]{2}$/.test(src.slice(i + 2, i + 4))) {
            out += String.fromCharCode(parseInt(src.slice(i + 2, i + 4), 16));
            i += 4;
          } else fail("unknown escape in string");
        } else {
          out += d;
          i++;
        }
      }
      toks.push({ t: "string", v: out, line });
    } else {
      const m = /^(?:[-+]?0[xX][0-9A-Fa-f]+L{0,2}|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?L{0,2}|[A-Za-z*][-A-Za-z0-9_*]*)/.exec(src.slice(i, i + 512));
      if (!m) fail(`unexpected character ${JSON.stringify(c)}`);
      const v = m![0];
      toks.push({ t: /^[A-Za-z*]/.test(v) ? "name" : "number", v, line });
      i += v.length;
    }
  }
  return toks;
}

/** Parses libconfig text into plain objects (groups) and arrays (arrays and lists). */
export function parseLibconfig(src: string): LcGroup {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const fail = (msg: string): never => {
    throw new SwDescriptionError(`line ${peek()?.line ?? toks[toks.length - 1]?.line ?? 1}: ${msg}`);
  };
  const isPunct = (v: string) => peek()?.t === "punct" && peek()!.v === v;
  const take = (v: string) => {
    if (!isPunct(v)) fail(`expected "${v}"`);
    p++;
  };

  function settings(end: string | null, depth: number): LcGroup {
    const group: LcGroup = Object.create(null) as LcGroup;
    while (end === null ? p < toks.length : !isPunct(end)) {
      const name = peek();
      if (!name) return fail(`expected "${end}"`);
      if (name.t !== "name") fail("expected a setting name");
      p++;
      if (isPunct("=") || isPunct(":")) p++;
      else fail(`expected "=" or ":" after ${name.v}`);
      if (Object.prototype.hasOwnProperty.call(group, name.v)) fail(`duplicate setting "${name.v}"`);
      group[name.v] = value(depth + 1);
      if (isPunct(";") || isPunct(",")) p++;
    }
    return group;
  }

  function value(depth: number): LcValue {
    if (depth > MAX_DEPTH) fail("nesting too deep");
    const tok = peek();
    if (!tok) return fail("expected a value");
    if (tok.t === "string") {
      let s = "";
      while (peek()?.t === "string") s += toks[p++]!.v;
      return s;
    }
    if (tok.t === "number") {
      p++;
      const v = tok.v.replace(/L+$/, "");
      const n = /^[-+]?0[xX]/.test(v) ? (v.startsWith("-") ? -1 : 1) * parseInt(v.replace(/^[-+]/, ""), 16) : Number(v);
      if (!Number.isFinite(n)) fail(`bad number ${tok.v}`);
      return n;
    }
    if (tok.t === "name") {
      const lower = tok.v.toLowerCase();
      if (lower === "true" || lower === "false") {
        p++;
        return lower === "true";
      }
      return fail(`unexpected name ${tok.v} where a value was expected`);
    }
    if (tok.v === "{") {
      p++;
      const g = settings("}", depth);
      take("}");
      return g;
    }
    if (tok.v === "[" || tok.v === "(") {
      const close = tok.v === "[" ? "]" : ")";
      p++;
      const items: LcValue[] = [];
      while (!isPunct(close)) {
        const item = value(depth + 1);
        if (close === "]" && typeof item === "object") fail("arrays may hold only scalar values");
        items.push(item);
        if (isPunct(",")) p++;
        else if (!isPunct(close)) fail(`expected "," or "${close}"`);
      }
      p++;
      return items;
    }
    return fail(`unexpected "${tok.v}"`);
  }

  return settings(null, 0);
}

// ---------------------------------------------------------------------------------------------------------

export type SwPayload = {
  /** The list the entry sits in: "images", "files", "scripts", … */
  kind: string;
  filename: string;
  /** Lower-case hex, or undefined when absent. */
  sha256?: string;
  /** Other digests the entry lists (md5, sha1, crc…); never accepted as proof (UPD-02). */
  otherHashes: string[];
};

export type SwDescription = { version?: string; description?: string; hardwareCompatibility: string[]; payloads: SwPayload[] };

const WEAK_HASH_KEYS = ["md5", "sha1", "crc", "crc32", "checksum"];

function isGroup(v: LcValue | undefined): v is LcGroup {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fromJson(v: unknown): LcValue {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.map(fromJson);
  if (v && typeof v === "object") {
    const g: LcGroup = Object.create(null) as LcGroup;
    for (const [k, val] of Object.entries(v)) g[k] = fromJson(val);
    return g;
  }
  throw new SwDescriptionError("null values are not allowed");
}

/**
 * Parses sw-description bytes. Every group under `software` (including board/selection sub-groups and
 * `ref`-linked collections, which are all plain groups here) is searched, so every entry that any selection
 * could install is returned: intake checks them all.
 */
export function parseSwDescription(bytes: Buffer): SwDescription {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new SwDescriptionError("it is not UTF-8 text");
  }
  let root: LcGroup;
  if (text.trimStart().startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new SwDescriptionError(`invalid JSON (${e instanceof Error ? e.message : "unreadable"})`);
    }
    const g = fromJson(parsed);
    if (!isGroup(g)) throw new SwDescriptionError("the top level is not an object");
    root = g;
  } else root = parseLibconfig(text);

  const software = root.software;
  if (!isGroup(software)) throw new SwDescriptionError('there is no "software" group');
  const result: SwDescription = { hardwareCompatibility: [], payloads: [] };
  if (typeof software.version === "string") result.version = software.version;
  if (typeof software.description === "string") result.description = software.description;

  const walk = (g: LcGroup, depth: number) => {
    if (depth > MAX_DEPTH) throw new SwDescriptionError("nesting too deep");
    for (const [key, v] of Object.entries(g)) {
      if (key === "hardware-compatibility") {
        if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new SwDescriptionError("hardware-compatibility must be an array of strings");
        for (const x of v as string[]) if (!result.hardwareCompatibility.includes(x)) result.hardwareCompatibility.push(x);
      } else if (Array.isArray(v)) {
        for (const item of v) {
          if (!isGroup(item)) continue;
          if (item.filename !== undefined) {
            if (typeof item.filename !== "string" || item.filename === "") throw new SwDescriptionError(`an entry in ${key} has an invalid filename`);
            const sha = item.sha256;
            if (sha !== undefined && typeof sha !== "string") throw new SwDescriptionError(`the sha256 of ${item.filename} is not a string`);
            result.payloads.push({
              kind: key,
              filename: item.filename,
              sha256: typeof sha === "string" ? sha.toLowerCase() : undefined,
              otherHashes: WEAK_HASH_KEYS.filter((k) => item[k] !== undefined),
            });
          }
          walk(item, depth + 1);
        }
      } else if (isGroup(v)) walk(v, depth + 1);
    }
  };
  walk(software, 0);
  return result;
}
