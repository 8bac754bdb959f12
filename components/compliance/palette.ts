// Okabe–Ito based, darkened where needed so every colour has at least 3:1 contrast against white.
export const PALETTE = {
  blue: "#0072B2",
  vermillion: "#C94F00",
  green: "#007A5A",
  amber: "#9A6700",
  purple: "#8E4A7C",
  slate: "#64748B",
} as const;
