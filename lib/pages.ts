import "server-only";
import { notFound } from "next/navigation";
import { NotFoundError, ValidationError } from "@/lib/services/errors";

/** The record a page is about: a missing one, or a malformed id in the address, is the 404 page. */
export async function orNotFound<T>(load: Promise<T>): Promise<T> {
  try {
    return await load;
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof ValidationError) notFound();
    throw err;
  }
}
