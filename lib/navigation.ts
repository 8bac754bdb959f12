import type { Permission } from "@/lib/auth/permissions";

// The console's sections. A role sees a section only when it holds the section's permission.
export const NAV: readonly { href: string; label: string; permission: Permission }[] = [
  { href: "/inventory", label: "Inventory", permission: "devices.read" },
  { href: "/releases", label: "Releases", permission: "releases.read" },
  { href: "/rollouts", label: "Rollouts", permission: "rollouts.read" },
  { href: "/calendar", label: "Calendar", permission: "rollouts.read" },
  { href: "/briefings", label: "Briefings", permission: "briefings.read" },
  { href: "/incidents", label: "Incidents", permission: "incidents.read" },
  { href: "/compliance", label: "Compliance", permission: "compliance.read" },
  { href: "/audit", label: "Audit", permission: "audit.read" },
  { href: "/settings", label: "Settings", permission: "settings.read" },
];
