import type { FieldValues, Path, UseFormSetError } from "react-hook-form";
import { ApiError, describe } from "../api/errors";

/**
 * Puts the API's per-field messages next to the form's fields (`to[1]` goes to `to`, `body`
 * fields map through `aliases`), and returns what is left to say above the form, if anything.
 */
export function showApiErrors<T extends FieldValues>(
  error: unknown,
  setError: UseFormSetError<T>,
  fields: readonly Path<T>[],
  aliases: Partial<Record<string, Path<T>>> = {},
): string | null {
  if (!(error instanceof ApiError) || error.fields.length === 0) return describe(error);
  let unplaced = false;
  for (const entry of error.fields) {
    const name = entry.field.replace(/^body\./, "").split(/[.[]/)[0] ?? "";
    const field = aliases[name] ?? fields.find((candidate) => candidate === name);
    if (field === undefined) unplaced = true;
    else setError(field, { type: "server", message: entry.message });
  }
  return unplaced ? error.message : null;
}
