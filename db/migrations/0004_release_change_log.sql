UPDATE "releases" SET "change_log" = coalesce("notes", '') WHERE "change_log" = '';--> statement-breakpoint
ALTER TABLE "releases" DROP COLUMN "notes";
