import pg from "pg";

/**
 * With TEST_DATABASE_URL set, the integration suite runs on that PostgreSQL database, which is wiped
 * first (schema public and the drizzle migration journal) so the committed migrations apply from zero.
 * Without it, every test file gets its own in-memory PGlite database.
 */
export default async function setup() {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("DROP SCHEMA IF EXISTS public CASCADE; DROP SCHEMA IF EXISTS drizzle CASCADE; CREATE SCHEMA public;");
  await client.end();
}
