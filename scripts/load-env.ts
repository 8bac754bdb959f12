// Loads .env files (.env.local etc.) the way Next does, before any module reads the configuration.
// scripts/server.ts imports this first: lib/env reads process.env once, at import.
import nextEnv from "@next/env";

nextEnv.loadEnvConfig(process.cwd(), process.argv.includes("--dev"));
