import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { env } from "@/lib/env";
import { getDb } from "@/lib/server/runtime";
import { signInWithPassword } from "@/lib/services/auth/sessions";
import { originOf } from "./origin";

declare module "next-auth" {
  interface Session {
    sid?: string;
  }
  interface User {
    sid?: string;
  }
}

class LockedOut extends CredentialsSignin {
  code = "locked";
}

export const sessionPolicy = {
  idleMinutes: env.SESSION_IDLE_MINUTES,
  maxHours: env.SESSION_MAX_HOURS,
  maxFailures: env.LOGIN_MAX_FAILURES,
};

// The JWT carries nothing but the id of a server-side session row; who the user is and what they may
// do is read from the database on every request (see resolveSession).
export const { handlers, auth, signIn, signOut } = NextAuth({
  trustHost: true,
  secret: process.env.AUTH_SECRET,
  session: { strategy: "jwt", maxAge: env.SESSION_MAX_HOURS * 3600 },
  pages: { signIn: "/login" },
  providers: [
    Credentials({
      credentials: { username: {}, password: {} },
      async authorize(credentials, request) {
        const username = typeof credentials.username === "string" ? credentials.username : "";
        const password = typeof credentials.password === "string" ? credentials.password : "";
        if (!username || !password || username.length > 100 || password.length > 256) return null;
        const result = await signInWithPassword(await getDb(), { username, password }, originOf(request.headers), sessionPolicy);
        if (!result.ok) {
          if (result.reason === "locked") throw new LockedOut();
          return null;
        }
        return { id: String(result.userId), name: result.name, sid: result.sessionId };
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user?.sid) token.sid = user.sid;
      return token;
    },
    session({ session, token }) {
      session.sid = typeof token.sid === "string" ? token.sid : undefined;
      return session;
    },
  },
  logger: {
    // A wrong password is an expected event (and audited); do not print a stack trace for it.
    error(error) {
      if (error.name === "CredentialsSignin" || (error as { type?: string }).type === "CredentialsSignin") return;
      console.error(error);
    },
  },
});
