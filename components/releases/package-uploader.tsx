"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { FormMessage, Notice } from "@/components/ui";
import { chosenFile, PackageFileFields } from "./package-file-fields";
import { rejectionReason, uploadPackage } from "./package-upload";
import { UploadProgress } from "./upload-progress";

/** Uploads (or retries) the vendor package of a draft, with progress; the page reloads when it is kept. */
export function PackageUploader({ releaseId }: { releaseId: number }) {
  const router = useRouter();
  const [percent, setPercent] = useState<number | null>(null);
  const [failure, setFailure] = useState<{ quarantined: boolean; message: string } | null>(null);
  const [done, setDone] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const pkg = chosenFile(form, "package");
    if (!pkg) return setFailure({ quarantined: false, message: "Choose the firmware package file." });
    setFailure(null);
    setPercent(0);
    const result = await uploadPackage(releaseId, pkg, chosenFile(form, "signature"), setPercent);
    setPercent(null);
    if (!result.ok) return setFailure({ quarantined: result.status === 422, message: result.message });
    setDone(true);
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" aria-label="Upload the vendor package" data-testid="package-uploader">
      <fieldset disabled={percent !== null} className="space-y-4">
        <PackageFileFields />
      </fieldset>
      {percent !== null ? <UploadProgress percent={percent} label={percent < 100 ? "Uploading the package" : "Verifying the vendor signature…"} /> : null}
      {failure?.quarantined ? (
        <Notice tone="error" title="The package was rejected and quarantined">
          Rejected and quarantined: {rejectionReason(failure.message)} Nothing from this file will reach a device. Ask the vendor for a correctly signed package, then upload it here.
        </Notice>
      ) : failure ? (
        <FormMessage ok={false} message={failure.message} />
      ) : null}
      {done ? <FormMessage ok message="Package verified and kept." /> : null}
      <button type="submit" className="btn-primary" disabled={percent !== null}>{percent !== null ? "Uploading…" : "Upload and verify package"}</button>
    </form>
  );
}
