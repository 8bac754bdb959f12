import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite ships wasm + data files that must be loaded from node_modules at run time, not bundled.
  // The CycloneDX library finds its official JSON schemas through __dirname and loads optional parsers.
  serverExternalPackages: ["@electric-sql/pglite", "@cyclonedx/cyclonedx-library"],
  // SBOMs and evidence attachments arrive through server actions (packages have their own streamed route).
  experimental: { serverActions: { bodySizeLimit: "21mb" } },
  poweredByHeader: false,
  // `npm test` type-checks the whole project (app, tests, scripts) as its own step before building.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Referrer-Policy", value: "same-origin" },
        ],
      },
    ];
  },
};

export default nextConfig;
