import { asc, eq } from "drizzle-orm";
import { z } from "zod";
import { users } from "@/db/schema";
import { hashPassword } from "@/lib/auth/password";
import { CreateUserInput, UpdateUserInput } from "@/lib/validation/users";
import { revokeUserSessions } from "../auth/sessions";
import { ConflictError, NotFoundError } from "../errors";
import { command, query } from "../operation";

const publicColumns = {
  id: users.id,
  username: users.username,
  displayName: users.displayName,
  email: users.email,
  role: users.role,
  active: users.active,
  createdAt: users.createdAt,
  lastLoginAt: users.lastLoginAt,
};

export const listUsers = query({
  name: "users.list",
  permission: "users.read",
  input: z.object({}).strict(),
  run: ({ db }) => db.select(publicColumns).from(users).orderBy(asc(users.username)),
});

export const createUser = command({
  name: "users.create",
  permission: "users.manage",
  input: CreateUserInput,
  async run({ tx, input, audit }) {
    const passwordHash = await hashPassword(input.password);
    const [created] = await tx
      .insert(users)
      .values({ username: input.username, displayName: input.displayName, email: input.email ?? null, role: input.role, passwordHash })
      .onConflictDoNothing({ target: users.username })
      .returning(publicColumns);
    // Usernames are never reused, not even those of deactivated accounts (SIG-04).
    if (!created) throw new ConflictError(`The username "${input.username}" is taken (usernames are never reused).`);
    await audit({ action: "user.create", entityType: "user", entityId: created.username, after: created });
    return created;
  },
});

export const updateUser = command({
  name: "users.update",
  permission: "users.manage",
  input: UpdateUserInput,
  async run({ tx, actor, input, audit }) {
    const [before] = await tx.select(publicColumns).from(users).where(eq(users.id, input.userId)).for("update");
    if (!before) throw new NotFoundError("No such user.");
    if (actor.type === "user" && actor.userId === before.id && (input.active === false || (input.role && input.role !== before.role))) {
      throw new ConflictError("You cannot disable your own account or change your own role; ask another administrator.");
    }
    const [after] = await tx
      .update(users)
      .set({ role: input.role, active: input.active, displayName: input.displayName, updatedAt: new Date() })
      .where(eq(users.id, input.userId))
      .returning(publicColumns);
    if (!after) throw new NotFoundError("No such user.");
    // A disabled account or a changed role must not keep an old session alive (ACC-07).
    if (after.active !== before.active || after.role !== before.role) await revokeUserSessions(tx, after.id, "account changed");
    const { createdAt: _c, lastLoginAt: _l, ...b } = before;
    const { createdAt: _c2, lastLoginAt: _l2, ...a } = after;
    await audit({ action: "user.update", entityType: "user", entityId: after.username, before: b, after: a });
    return after;
  },
});
