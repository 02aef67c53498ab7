import type { UseFormSetError } from "react-hook-form";
import { ApiError, describe } from "../../api/errors";
import type { ComposeValues } from "./composeValues";

type FormField =
  | "to" | "cc" | "bcc" | "subject" | "body" | "templateId" | "sendAt" | "attachments" | "listUnsubscribe";

// The API's field names (see SendRequest), and the aliases older clients use, to the form's.
const FIELDS: Record<string, FormField> = {
  to: "to",
  cc: "cc",
  bcc: "bcc",
  subject: "subject",
  text: "body",
  html: "body",
  body: "body",
  template_id: "templateId",
  templateId: "templateId",
  scheduled_at: "sendAt",
  attachments: "attachments",
  list_unsubscribe: "listUnsubscribe",
};

const DATA_FIELD = /^(?:template_data|templateData)\.(.+)$/;

/**
 * Puts each of the API's messages next to the field it is about: `to[1]` on To (naming the
 * address), `template_data.name` on that variable's input, `attachments[0].filename` on
 * Attachments. Returns what is left to say above the form, if anything.
 */
export function placeComposeErrors(
  error: unknown,
  values: ComposeValues,
  setError: UseFormSetError<ComposeValues>,
  setVariableError: (name: string, message: string) => void,
  variables: readonly string[],
): string | null {
  if (!(error instanceof ApiError)) return describe(error);
  if (error.status === 413 && values.attachments.length > 0) {
    setError("attachments", {
      type: "server",
      message: `${error.message} Remove an attachment or send smaller files.`,
    });
    return null;
  }
  if (error.fields.length === 0) return error.message;
  let unplaced = false;
  for (const entry of error.fields) {
    const name = entry.field.replace(/^body\./, "");
    const variable = DATA_FIELD.exec(name)?.[1];
    if (variable !== undefined && variables.includes(variable)) {
      setVariableError(variable, entry.message);
      continue;
    }
    const [head = "", index] = name.split(/[[\].]/).filter(Boolean);
    const field = FIELDS[head];
    if (field === undefined) {
      unplaced = true;
      continue;
    }
    let message = entry.message;
    if (field === "to" || field === "cc" || field === "bcc") {
      const address = index === undefined ? undefined : values[field][Number(index)];
      if (address !== undefined) message = `${address}: ${message}`;
    } else if (field === "attachments" && index !== undefined) {
      const file = values.attachments[Number(index)]?.file.name;
      if (file !== undefined) message = `${file}: ${message}`;
    }
    setError(field, { type: "server", message });
  }
  return unplaced ? error.message : null;
}
