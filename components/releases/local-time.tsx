"use client";

import { useSyncExternalStore } from "react";
import { formatDateTime } from "@/components/format";

const noop = () => () => {};

/** The same moment in the reader's own time zone; rendered only in the browser (the server does not know it). */
export function LocalTime({ iso }: { iso: string }) {
  const zone = useSyncExternalStore(noop, () => Intl.DateTimeFormat().resolvedOptions().timeZone, () => null);
  if (!zone || zone === "UTC" || zone === "Etc/UTC") return null;
  return <span className="block text-xs text-slate-600">{formatDateTime(iso, zone)} local</span>;
}
