"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { FormMessage } from "./ui";

type Model = { id: number; name: string };

// XMLHttpRequest rather than fetch: it reports upload progress, so a large package shows a real bar.
export function ReleaseUploadForm({ models }: { models: Model[] }) {
  const router = useRouter();
  const [progress, setProgress] = useState<number | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const file = form.get("file");
    if (!(file instanceof File) || file.size === 0) return setMessage({ ok: false, text: "Choose the package file to upload." });
    const params = new URLSearchParams();
    for (const key of ["modelId", "version", "securityVersion", "hardwareRevisions", "notes"]) params.set(key, String(form.get(key) ?? ""));
    params.set("filename", file.name);
    if (!params.get("notes")) params.delete("notes");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/releases/upload?${params}`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = (e) => e.lengthComputable && setProgress(Math.round((e.loaded / e.total) * 100));
    xhr.onload = () => {
      setProgress(null);
      const body = JSON.parse(xhr.responseText || "{}");
      if (xhr.status === 201) {
        setMessage({ ok: true, text: `Version ${body.version} uploaded (sha256 ${String(body.sha256).slice(0, 12)}…).` });
        formElement.reset();
        router.refresh();
      } else setMessage({ ok: false, text: body.error?.message ?? "The upload failed. Nothing was stored as a release." });
    };
    xhr.onerror = () => {
      setProgress(null);
      setMessage({ ok: false, text: "The connection was lost during the upload. Nothing was stored as a release." });
    };
    setMessage(null);
    setProgress(0);
    xhr.send(file);
  }

  return (
    <form onSubmit={submit} className="grid gap-3 md:grid-cols-3" aria-label="Upload a firmware package">
      <FormMessage ok={message?.ok ?? true} message={message?.text} className="md:col-span-3" />
      <div>
        <label htmlFor="modelId" className="label">Device model</label>
        <select id="modelId" name="modelId" className="input">{models.map((m) => <option key={m.id} value={m.id}>{m.name}</option>)}</select>
      </div>
      <div>
        <label htmlFor="version" className="label">Version</label>
        <input id="version" name="version" className="input" placeholder="e.g. 4.3.0" required />
      </div>
      <div>
        <label htmlFor="securityVersion" className="label">Security version (anti-rollback)</label>
        <input id="securityVersion" name="securityVersion" type="number" min={0} className="input" required />
      </div>
      <div>
        <label htmlFor="hardwareRevisions" className="label">Compatible hardware revisions</label>
        <input id="hardwareRevisions" name="hardwareRevisions" className="input" placeholder="e.g. B, C" required />
      </div>
      <div className="md:col-span-2">
        <label htmlFor="file" className="label">Package (.swu)</label>
        <input id="file" name="file" type="file" accept=".swu" className="input" required />
      </div>
      <div className="md:col-span-3">
        <label htmlFor="notes" className="label">Notes (optional)</label>
        <input id="notes" name="notes" className="input" />
      </div>
      <div className="flex items-center gap-4 md:col-span-3">
        <button type="submit" className="btn-primary" disabled={progress !== null}>{progress !== null ? "Uploading…" : "Upload package"}</button>
        {progress !== null ? (
          <div className="flex-1" role="progressbar" aria-label="Upload progress" aria-valuenow={progress} aria-valuemin={0} aria-valuemax={100}>
            <div className="h-2 rounded-full bg-slate-200"><div className="h-2 rounded-full bg-brand-600 transition-all" style={{ width: `${progress}%` }} /></div>
            <p className="mt-1 text-xs text-slate-600">{progress}%</p>
          </div>
        ) : null}
      </div>
    </form>
  );
}
