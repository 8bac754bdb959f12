import type { Metadata } from "next";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Corridor", template: "%s · Corridor" },
  description: "Safe, staged firmware updates for hospital medical devices.",
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen">{children}</body>
    </html>
  );
}
