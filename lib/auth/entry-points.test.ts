import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PERMISSIONS } from "./permissions";

// ACC-02: server actions and route handlers are public endpoints. This inventory test fails when one
// is added that does not go through a permission-checked path.

const root = path.resolve(import.meta.dirname, "../..");

function walk(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : walk(rel);
    return /\.(ts|tsx)$/.test(e.name) ? [rel] : [];
  });
}

const sources = [...walk("app"), ...walk("lib"), ...walk("components")].map((file) => ({
  file,
  text: fs.readFileSync(path.join(root, file), "utf8"),
}));

// Establishing or ending a session is the one thing that cannot require a permission.
const SESSION_ACTIONS = new Set(["loginAction", "logoutAction"]);

/** The body of each `export async function name(...) {...}` in a file, by brace matching. */
function exportedFunctions(text: string): { name: string; body: string }[] {
  const out: { name: string; body: string }[] = [];
  const re = /export\s+async\s+function\s+(\w+)\s*\(/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    // The body opens with the first "{" that ends a line (inline type literals do not).
    let i = text.indexOf("{\n", m.index);
    const start = i;
    let depth = 0;
    for (; i < text.length; i++) {
      if (text[i] === "{") depth++;
      else if (text[i] === "}" && --depth === 0) break;
    }
    out.push({ name: m[1]!, body: text.slice(start, i + 1) });
  }
  return out;
}

describe("ACC-02: every entry point is permission-checked", () => {
  const serverFiles = sources.filter((s) => /^\s*["']use server["']/.test(s.text));

  it("server actions live only in lib/actions", () => {
    expect(serverFiles.map((s) => s.file).filter((f) => !f.startsWith("lib/actions/"))).toEqual([]);
    expect(serverFiles.length).toBeGreaterThan(0);
  });

  it("every exported server action goes through runAction (which calls a permission-checked operation)", () => {
    const unchecked: string[] = [];
    for (const s of serverFiles) {
      expect(s.text, `${s.file} must only export async functions`).not.toMatch(/export\s+(const|let|default|\{)/);
      for (const fn of exportedFunctions(s.text)) {
        if (!SESSION_ACTIONS.has(fn.name) && !fn.body.includes("runAction(")) unchecked.push(`${s.file}: ${fn.name}`);
      }
    }
    expect(unchecked).toEqual([]);
  });

  it("every console route handler is wrapped by consoleRoute, except Auth.js's own endpoints", () => {
    const AUTH_JS = "app/api/auth/[...nextauth]/route.ts"; // sign-in/out: they establish identity
    const routes = sources.filter((s) => s.file.startsWith("app/") && s.file.endsWith("route.ts"));
    expect(routes.length).toBeGreaterThan(0);
    for (const r of routes) {
      if (r.file === AUTH_JS) continue;
      const handlers = r.text.match(/export\s+const\s+(GET|POST|PUT|PATCH|DELETE|HEAD)\s*=\s*(\w+)\(/g) ?? [];
      const exported = r.text.match(/export\s+(async\s+function|const|\{)/g) ?? [];
      expect(handlers.length, `${r.file}`).toBe(exported.length);
      for (const h of handlers) expect(h, r.file).toMatch(/=\s*consoleRoute\($/);
    }
  });

  it("the device API authenticates the device before routing; only the manifest public key is open", () => {
    const ddi = sources.find((s) => s.file === "lib/api/ddi.ts")!.text;
    const body = ddi.slice(ddi.indexOf("export async function handleDdi"));
    const publicKey = body.indexOf('"manifest-key"');
    const auth = body.indexOf("authenticateDevice(");
    const routing = body.indexOf("route(req.method");
    expect(publicKey).toBeGreaterThan(-1);
    expect(auth).toBeGreaterThan(publicKey);
    expect(routing).toBeGreaterThan(auth);
    // No second, unauthenticated transport for devices inside the Next app.
    expect(sources.filter((s) => s.file.startsWith("app/api/ddi")).map((s) => s.file)).toEqual([]);
  });

  it("every console page checks its permission itself", () => {
    const pages = sources.filter((s) => s.file.startsWith("app/(console)/") && s.file.endsWith("page.tsx"));
    expect(pages.length).toBeGreaterThan(5);
    for (const p of pages) {
      const m = p.text.match(/requirePagePermission\("([\w.]+)"/);
      expect(m, `${p.file} must call requirePagePermission`).not.toBeNull();
      expect(PERMISSIONS).toContain(m![1]);
    }
  });
});
