"use client";

import { QueryClient, QueryClientProvider, useQuery } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";

// Pieces shared by the health charts: a query client, the polling hook and the axis formatting.

/** A query client for the charts on a page (the console has no app-wide one). */
export function TelemetryQueryProvider({ children }: { children: ReactNode }) {
  const [client] = useState(() => new QueryClient({ defaultOptions: { queries: { staleTime: 10_000, retry: 1 } } }));
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}

/** Chart data from a console route, refreshed every 15 s while the page is visible (TanStack pauses when hidden). */
export function useChartData<T>(url: string) {
  return useQuery<T>({
    queryKey: ["telemetry", url],
    queryFn: async () => {
      const res = await fetch(url, { cache: "no-store" });
      const body = await res.json().catch(() => null);
      if (!res.ok) throw new Error(body?.error?.message ?? "The chart data could not be loaded.");
      return body as T;
    },
    refetchInterval: 15_000,
  });
}

const tickFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
export const formatTick = (t: number) => tickFormat.format(new Date(t));
export const formatTime = (t: unknown) => fullFormat.format(new Date(Number(t)));
export const formatValue = (v: unknown): string => (typeof v === "number" ? (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString()) : Array.isArray(v) ? v.map(formatValue).join("–") : String(v ?? "—"));

/** Colours with at least 4.5:1 contrast on white, told apart by dash pattern too. */
export const COLORS = { line: "#0f766e", updated: "#b91c1c", control: "#1d4ed8", marker: "#6d28d9", grid: "#e2e8f0", axis: "#475569" };

export function ChartStatus({ loading, error, empty, emptyText }: { loading: boolean; error: Error | null; empty: boolean; emptyText: string }) {
  if (loading) return <p className="text-sm text-slate-600">Loading health data…</p>;
  if (error) return <p className="text-sm text-red-700">{error.message}</p>;
  if (empty) return <p className="text-sm text-slate-600" data-testid="health-empty">{emptyText}</p>;
  return null;
}
