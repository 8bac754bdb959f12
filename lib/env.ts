import { z } from "zod";

// Configuration is read once here; everything else receives values from this module.
const flag = z
  .enum(["1", "0", "true", "false", "yes", "no"])
  .transform((v) => v === "1" || v === "true" || v === "yes");

const EnvSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  CORRIDOR_DATA_DIR: z.string().default(".data"),
  /** Demo mode seeds a hospital and one login per role. Default: on for embedded PGlite, off for PostgreSQL. */
  CORRIDOR_DEMO: flag.optional(),
  CORRIDOR_DEMO_PASSWORD: z.string().min(12).optional(),
  CORRIDOR_SEED_DEVICES: z.coerce.number().int().min(0).max(1_000_000).default(5000),
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(72).default(12),
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(3).max(100).default(10),
  CORRIDOR_ARTIFACT_DIR: z.string().optional(),
  ARTIFACT_MAX_MB: z.coerce.number().int().min(1).max(16_384).default(1024),
  DDI_TENANT: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default("DEFAULT"),
  /** Base DDI polling interval; each device gets up to ±10 % jitter. */
  DDI_POLL_SECONDS: z.coerce.number().int().min(1).max(86_399).default(300),
  CLINICAL_USE_MAX_AGE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(30),
  /** How often the rollout engine looks at running rollouts (soak, gates, auto-halt, timeouts); 0 = never (tests drive it). */
  ROLLOUT_TICK_SECONDS: z.coerce.number().int().min(0).max(3600).default(10),
  MANIFEST_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(24),
  /** PEM (PKCS#8) Ed25519 private key for deployment manifests; generated and kept in the database when absent. */
  CORRIDOR_MANIFEST_KEY: z.string().optional(),
  /** Demo only: secret from which the simulated fleet's device tokens are derived. */
  CORRIDOR_FLEET_SECRET: z.string().min(16).optional(),
  CORRIDOR_FLEET_DEVICES: z.coerce.number().int().min(0).max(100_000).default(300),
  /** The address devices use, for links in DDI answers (default: the Host header of each request). */
  CORRIDOR_PUBLIC_URL: z.string().url().optional(),
  /** Behind a reverse proxy: take the client address and scheme from X-Forwarded-* headers. */
  CORRIDOR_TRUST_PROXY: flag.default(false),
});

export type Env = z.infer<typeof EnvSchema> & { demo: boolean; pgliteDir: string; artifactDir: string };

function load(): Env {
  const parsed = EnvSchema.safeParse(
    Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== "")),
  );
  if (!parsed.success) {
    throw new Error(`Invalid configuration: ${z.prettifyError(parsed.error)}`);
  }
  const e = parsed.data;
  return {
    ...e,
    demo: e.CORRIDOR_DEMO ?? !e.DATABASE_URL,
    pgliteDir: `${e.CORRIDOR_DATA_DIR}/pglite`,
    artifactDir: e.CORRIDOR_ARTIFACT_DIR ?? `${e.CORRIDOR_DATA_DIR}/artifacts`,
  };
}

export const env: Env = load();
