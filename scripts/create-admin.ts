// Creates an administrator account on a production install, where no account exists by default (ACC-01).
//
//   DATABASE_URL=postgres://… npm run create-admin -- --username jdoe --name "Jane Doe"
//
// The password is read from the terminal (not echoed), or from CORRIDOR_ADMIN_PASSWORD for automation.
// With the embedded database, stop the server first: only one process may open it.
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { openDb } from "@/db/client";
import { env } from "@/lib/env";
import { systemActor } from "@/lib/services/actor";
import { ServiceError } from "@/lib/services/errors";
import { createUser } from "@/lib/services/users/manage-users";

async function readPassword(prompt: string): Promise<string> {
  if (process.env.CORRIDOR_ADMIN_PASSWORD) return process.env.CORRIDOR_ADMIN_PASSWORD;
  if (!process.stdin.isTTY) throw new Error("Set CORRIDOR_ADMIN_PASSWORD or run this in a terminal.");
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
  out._writeToOutput = (s: string) => out.output.write(s.startsWith(prompt) ? prompt : "");
  const answer = await new Promise<string>((resolve) => rl.question(prompt, resolve));
  rl.close();
  process.stdout.write("\n");
  return answer;
}

const { values } = parseArgs({ options: { username: { type: "string" }, name: { type: "string" }, email: { type: "string" } } });
if (!values.username || !values.name) {
  console.error('Usage: npm run create-admin -- --username <username> --name "<Full Name>" [--email <address>]');
  process.exit(2);
}
const password = await readPassword("Password (12+ characters): ");
const handle = await openDb({ url: env.DATABASE_URL, dataDir: env.pgliteDir });
try {
  const user = await createUser(
    { db: handle.db, actor: systemActor("create-admin command"), origin: { ip: "localhost", userAgent: "create-admin" } },
    { username: values.username, displayName: values.name, email: values.email ?? "", role: "admin", password },
  );
  console.log(`Administrator "${user.username}" created. Sign in at /login.`);
} catch (err) {
  console.error(err instanceof ServiceError ? `Not created: ${err.message}` : err);
  process.exitCode = 1;
} finally {
  await handle.close();
}
