import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";

// scrypt is a memory-hard KDF built into Node (ASVS 11.4.2); no native add-on to install.
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LEN = 32;

function scrypt(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  const options: ScryptOptions = { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize("NFKC"), salt, KEY_LEN, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64")}$${key.toString("base64")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, key] = stored.split("$");
  if (alg !== "scrypt" || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, "base64");
  const actual = await scrypt(password, Buffer.from(salt, "base64"), Number(n), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

// A hash of a random password, used so unknown usernames cost the same time as known ones.
let decoy: Promise<string> | undefined;
export const decoyHash = () => (decoy ??= hashPassword(randomBytes(16).toString("hex")));

// Length rules and a common-password check, no composition rules (ACC-13, ASVS 6.2.x).
const COMMON = new Set(
  [
    "password", "password1", "password123", "123456789012", "qwertyuiopas", "letmein12345", "welcome12345",
    "administrator", "changeme1234", "iloveyou1234", "passw0rd1234", "hospital1234", "corridor1234",
    "qwerty123456", "1q2w3e4r5t6y", "abc123456789", "trustno1trustno1", "monkey123456", "dragon123456",
  ].map((s) => s.toLowerCase()),
);

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

export function passwordProblem(password: string, username?: string): string | null {
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) return "This password is too common. Choose another.";
  if (username && lower.includes(username.toLowerCase())) return "The password must not contain the username.";
  if (new Set(password).size < 4) return "This password is too easy to guess. Choose another.";
  return null;
}
