import { redirect } from "next/navigation";
import { can } from "@/lib/auth/permissions";
import { currentUser } from "@/lib/auth/session";
import { NAV } from "@/lib/navigation";

// Sends each person to the first section their role can use.
export default async function Home() {
  const user = await currentUser();
  if (!user) redirect("/login");
  const first = NAV.find((item) => can(user.role, item.permission));
  redirect(first?.href ?? "/forbidden");
}
