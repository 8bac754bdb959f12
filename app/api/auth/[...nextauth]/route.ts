// Auth.js's own endpoints (sign-in, sign-out, session, CSRF): they establish identity and need no permission.
export { GET, POST } from "@/lib/auth/handlers";
