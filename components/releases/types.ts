import type { releaseDetail, releaseHistory, sbomDiffForRelease } from "@/lib/services/releases/queries";

export type ReleaseDetail = Awaited<ReturnType<typeof releaseDetail>>;
export type ReleaseHistory = Awaited<ReturnType<typeof releaseHistory>>;
export type SbomDiffResult = Awaited<ReturnType<typeof sbomDiffForRelease>>;
