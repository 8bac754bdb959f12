/** The package and its optional detached signature; shared by the intake form and the draft's uploader. */
export function PackageFileFields({ required = true }: { required?: boolean }) {
  return (
    <>
      <div>
        <label htmlFor="package" className="label">Firmware package</label>
        <input id="package" name="package" type="file" required={required} className="input" aria-describedby="package-help" />
        <p id="package-help" className="mt-1 text-xs text-slate-600">
          The file exactly as the vendor delivered it. A <span className="font-mono">.swu</span> package carries its own signature. Corridor checks the signature against the manufacturer’s pinned key before keeping the file; a file that fails is quarantined.
        </p>
      </div>
      <div>
        <label htmlFor="signature" className="label">Detached signature (if the package is not .swu)</label>
        <input id="signature" name="signature" type="file" accept=".p7s,.sig,.pem" className="input" aria-describedby="signature-help" />
        <p id="signature-help" className="mt-1 text-xs text-slate-600">A CMS signature (.p7s, .sig or .pem) or a raw Ed25519 signature (.sig, 64 bytes).</p>
      </div>
    </>
  );
}

/** A chosen file from a form, or null when the input is empty. */
export function chosenFile(form: FormData, name: string): File | null {
  const f = form.get(name);
  return f instanceof File && f.size > 0 ? f : null;
}
