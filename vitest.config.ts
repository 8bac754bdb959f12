import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = {
  "@": import.meta.dirname,
  // `server-only` throws outside the react-server condition; tests run services directly.
  "server-only": path.join(import.meta.dirname, "test/empty-module.ts"),
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: "unit", include: ["{lib,db,components,app}/**/*.test.{ts,tsx}"], environment: "node" },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/global-setup.ts"],
          // One database server, shared: files run one after another.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve: { alias },
        test: {
          // The unmodified Debian swupdate daemon against the production server (scripts/server.ts +
          // the `next build` output) on a PostgreSQL database of its own; see test/interop/README.md.
          name: "interop",
          include: ["test/interop/**/*.test.ts"],
          environment: "node",
          // Real processes on fixed ports: one file at a time, tests in order.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve: { alias },
        test: {
          // The rollout simulation: a simulated fleet of HTTP devices against the production server on a
          // PostgreSQL database of its own; see test/simulation/README.md.
          name: "simulation",
          include: ["test/simulation/**/*.test.ts"],
          environment: "node",
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
