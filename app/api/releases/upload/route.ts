import { Readable } from "node:stream";
import { consoleRoute } from "@/lib/api/route";
import { env } from "@/lib/env";
import { storeStream } from "@/lib/services/artifacts/store";
import { registerUploadedRelease } from "@/lib/services/deployments/releases";
import { ValidationError } from "@/lib/services/errors";
import { authorize, parseInput } from "@/lib/services/operation";
import { UploadReleaseInput } from "@/lib/validation/deployments";

// Package upload: the raw file is the request body (streamed to disk and hashed on the way in),
// the release's details are query parameters. Permission and details are checked before any byte is stored.
export const POST = consoleRoute(async (ctx, request) => {
  await authorize(ctx, "releases.upload", "releases.register_upload");
  const details = Object.fromEntries(new URL(request.url).searchParams);
  parseInput(UploadReleaseInput, details);
  if (!request.body) throw new ValidationError("No file was sent.");
  const file = await storeStream(env.artifactDir, Readable.fromWeb(request.body as import("node:stream/web").ReadableStream), env.ARTIFACT_MAX_MB * 1024 * 1024);
  const release = await registerUploadedRelease(ctx, { ...details, file } as Parameters<typeof registerUploadedRelease>[1]);
  return Response.json({ id: release.id, version: release.version, sha256: file.sha256, size: file.size }, { status: 201 });
});
