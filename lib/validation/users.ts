import { z } from "zod";
import { passwordProblem } from "@/lib/auth/password";
import { ROLES } from "@/lib/domain";
import { RowId } from "@/lib/validation/ids";

export const Username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z0-9._-]{2,39}$/, "Use 3–40 lower-case letters, digits, dots, dashes or underscores, starting with a letter.");

export const DisplayName = z.string().trim().min(2, "Enter the person's full name.").max(120);

const RoleField = z.enum(ROLES, { error: `Choose one of: ${ROLES.join(", ")}.` });

export const CreateUserInput = z
  .object({
    username: Username,
    displayName: DisplayName,
    email: z.email("Enter a valid e-mail address.").optional().or(z.literal("").transform(() => undefined)),
    role: RoleField,
    password: z.string(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const problem = passwordProblem(v.password, v.username);
    if (problem) ctx.addIssue({ code: "custom", path: ["password"], message: problem });
  });

export const UpdateUserInput = z
  .object({
    userId: RowId("Unknown user."),
    role: RoleField.optional(),
    active: z.boolean().optional(),
    displayName: DisplayName.optional(),
  })
  .strict()
  .refine((v) => v.role !== undefined || v.active !== undefined || v.displayName !== undefined, "Nothing to change.");
