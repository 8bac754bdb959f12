"use client";

/** Prints the page (print styles hide the navigation and this button). */
export function PrintButton({ primary = false }: { primary?: boolean }) {
  return (
    <button type="button" className={`${primary ? "btn-primary" : "btn-secondary"} print:hidden`} onClick={() => window.print()}>
      Print
    </button>
  );
}
