// Browser side of POST /api/releases/package: the detached signature (if any) followed by the package in
// one body, sent with XMLHttpRequest because fetch() cannot report upload progress.

export type UploadOutcome = { ok: true } | { ok: false; status: number; message: string };

export function uploadPackage(releaseId: number, pkg: File, signature: File | null, onProgress: (percent: number) => void): Promise<UploadOutcome> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    const query = new URLSearchParams({ releaseId: String(releaseId), filename: pkg.name });
    xhr.open("POST", `/api/releases/package?${query}`);
    xhr.setRequestHeader("x-signature-length", String(signature?.size ?? 0));
    xhr.setRequestHeader("content-type", "application/octet-stream");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(Math.min(100, Math.round((e.loaded / e.total) * 100)));
    };
    xhr.onload = () => {
      if (xhr.status === 201) return resolve({ ok: true });
      let message = `The upload failed (HTTP ${xhr.status}).`;
      try {
        const body = JSON.parse(xhr.responseText) as { error?: { message?: string } };
        if (body.error?.message) message = body.error.message;
      } catch {
        // not JSON: keep the generic message
      }
      resolve({ ok: false, status: xhr.status, message });
    };
    xhr.onerror = () => resolve({ ok: false, status: 0, message: "The connection was lost during the upload. Check the network and try again." });
    xhr.send(signature ? new Blob([signature, pkg]) : pkg);
  });
}

/** The reason after "Package rejected and quarantined: ", for a sentence of our own. */
export function rejectionReason(message: string): string {
  return message.replace(/^package rejected and quarantined:\s*/i, "");
}
