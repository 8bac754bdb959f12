// Applies the committed migrations to DATABASE_URL (or the embedded database) and exits.
// The server also migrates at start-up; this is for deploy pipelines that migrate as a separate step.
import { openDb } from "@/db/client";
import { env } from "@/lib/env";

const handle = await openDb({ url: env.DATABASE_URL, dataDir: env.pgliteDir });
console.log(`Migrations applied (${handle.kind}).`);
await handle.close();
