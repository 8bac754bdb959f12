/** The message under one field, tied to it with aria-describedby={`${id}-error`}. */
export function FieldError({ id, message }: { id: string; message?: string }) {
  if (!message) return null;
  return <p id={`${id}-error`} className="mt-1 text-xs text-red-700">{message}</p>;
}
