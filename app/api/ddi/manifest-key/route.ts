import { publicRoute } from "@/lib/api/public";
import { manifestPublicKey } from "@/lib/api/ddi";

// The Ed25519 public key that verifies deployment manifests. Public by design: devices and
// auditors need it, and it grants nothing.
export const GET = publicRoute(manifestPublicKey);
