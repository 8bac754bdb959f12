// Runs once when the server starts: open, migrate and seed the database before the first request.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { getDbHandle } = await import("@/lib/server/runtime");
  await getDbHandle();
}
