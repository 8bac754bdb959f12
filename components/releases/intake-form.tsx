"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { FormMessage, Notice } from "@/components/ui";
import { attachSbomAction, createReleaseAction } from "@/lib/actions/releases";
import { FieldError } from "./field-error";
import { chosenFile, PackageFileFields } from "./package-file-fields";
import { rejectionReason, uploadPackage } from "./package-upload";
import { EMPTY_CONTENT, ReleaseContentFields } from "./release-content-fields";
import { UploadProgress } from "./upload-progress";

type Model = { id: number; name: string; manufacturer: string };

type Phase =
  | { step: "editing"; message?: string; errors?: Record<string, string[]> }
  | { step: "creating" }
  | { step: "uploading"; id: number; percent: number }
  | { step: "sbom"; id: number }
  | { step: "failed"; id: number; title: string; message: string; quarantined: boolean }
  | { step: "done"; id: number };

/**
 * New release: the details are saved as a draft first, then the package is streamed (with progress) and
 * verified, then the SBOM attached. Once the draft exists the form is locked: anything that fails after
 * that is retried on the draft's page, so a second click never makes a second release.
 */
export function IntakeForm({ models }: { models: Model[] }) {
  const router = useRouter();
  const [phase, setPhase] = useState<Phase>({ step: "editing" });
  const busy = phase.step !== "editing";
  const errors = phase.step === "editing" ? phase.errors : undefined;
  const err = (f: string) => errors?.[f]?.[0];

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const pkg = chosenFile(form, "package");
    const signature = chosenFile(form, "signature");
    const sbom = chosenFile(form, "sbom");
    if (!pkg) return setPhase({ step: "editing", message: "Choose the firmware package file." });
    for (const f of ["package", "signature", "sbom"]) form.delete(f);

    setPhase({ step: "creating" });
    const created = await createReleaseAction({ ok: true }, form);
    if (!created.ok || !created.data) {
      return setPhase({ step: "editing", message: created.message ?? "The release could not be saved.", errors: created.fieldErrors });
    }
    const id = created.data.id;

    setPhase({ step: "uploading", id, percent: 0 });
    const upload = await uploadPackage(id, pkg, signature, (percent) => setPhase({ step: "uploading", id, percent }));
    if (!upload.ok) {
      const quarantined = upload.status === 422;
      return setPhase({
        step: "failed", id, quarantined,
        title: quarantined ? "The package was rejected and quarantined" : "The package was not uploaded",
        message: quarantined ? `Rejected and quarantined: ${rejectionReason(upload.message)}` : upload.message,
      });
    }

    if (sbom) {
      setPhase({ step: "sbom", id });
      const data = new FormData();
      data.set("releaseId", String(id));
      data.set("sbom", sbom);
      const attached = await attachSbomAction({ ok: true }, data);
      if (!attached.ok) {
        return setPhase({ step: "failed", id, quarantined: false, title: "The package is verified, but the SBOM was not attached", message: attached.message ?? "The SBOM could not be read." });
      }
    }
    setPhase({ step: "done", id });
    router.push(`/releases/${id}`);
  }

  return (
    <form onSubmit={onSubmit} className="space-y-6" aria-label="New release" data-testid="intake-form">
      <fieldset disabled={busy} className="space-y-6">
        <section className="card space-y-4 p-5" aria-labelledby="identity-heading">
          <h2 id="identity-heading" className="text-base font-semibold">1. Which firmware</h2>
          <div className="grid gap-4 md:grid-cols-2">
            <div>
              <label htmlFor="modelId" className="label">Device model</label>
              <select id="modelId" name="modelId" required className="input" defaultValue="" aria-describedby={err("modelId") ? "modelId-error" : undefined}>
                <option value="" disabled>Choose a model…</option>
                {models.map((m) => <option key={m.id} value={m.id}>{m.manufacturer} {m.name}</option>)}
              </select>
              <FieldError id="modelId" message={err("modelId")} />
            </div>
            <div>
              <label htmlFor="version" className="label">Version</label>
              <input id="version" name="version" required className="input" placeholder="e.g. 4.3.0" aria-describedby={err("version") ? "version-error" : undefined} />
              <FieldError id="version" message={err("version")} />
            </div>
          </div>
        </section>

        <section className="card space-y-4 p-5" aria-labelledby="content-heading">
          <h2 id="content-heading" className="text-base font-semibold">2. What it changes</h2>
          <ReleaseContentFields initial={EMPTY_CONTENT} errors={errors} />
        </section>

        <section className="card space-y-4 p-5" aria-labelledby="files-heading">
          <h2 id="files-heading" className="text-base font-semibold">3. Files from the vendor</h2>
          <PackageFileFields />
          <div>
            <label htmlFor="sbom" className="label">SBOM (CycloneDX JSON)</label>
            <input id="sbom" name="sbom" type="file" accept=".json,application/json" className="input" aria-describedby="sbom-help" />
            <p id="sbom-help" className="mt-1 text-xs text-slate-600">The software bill of materials. A release cannot be verified without one; you can also attach it later on the draft.</p>
          </div>
        </section>
      </fieldset>

      <Status phase={phase} />

      {phase.step === "editing" || phase.step === "creating" ? (
        <div className="flex gap-2">
          <button type="submit" className="btn-primary" disabled={busy}>{busy ? "Saving…" : "Create release and upload"}</button>
          <Link href="/releases" className="btn-secondary">Cancel</Link>
        </div>
      ) : null}
    </form>
  );
}

function Status({ phase }: { phase: Phase }) {
  switch (phase.step) {
    case "editing":
      return <FormMessage ok={false} message={phase.message} />;
    case "creating":
      return <p className="text-sm text-slate-700">Saving the draft…</p>;
    case "uploading":
      return <UploadProgress percent={phase.percent} label={phase.percent < 100 ? "Uploading the package" : "Verifying the vendor signature…"} />;
    case "sbom":
      return <p className="text-sm text-slate-700">Package verified. Attaching the SBOM…</p>;
    case "done":
      return <p className="text-sm text-emerald-800">Done. Opening the release…</p>;
    case "failed":
      return (
        <div data-testid="intake-failed">
          <Notice tone="error" title={phase.title}>
            <p>{phase.message}</p>
            <p className="mt-2">
              The draft was saved.{" "}
              <Link href={`/releases/${phase.id}`} className="link">Open the draft</Link> to {phase.quarantined ? "upload a correctly signed package" : "try again"}.
            </p>
          </Notice>
        </div>
      );
  }
}
