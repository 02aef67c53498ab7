import type { Attachment, SendRequest, Template } from "../../api/types";
import { templateData, templateVariables } from "../templates/variables";

export type BodyFormat = "text" | "html";

/** A picked file, with a key that stays the same while the list changes around it. */
export interface PickedFile {
  key: string;
  file: File;
}

export interface ComposeValues {
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  format: BodyFormat;
  body: string;
  templateId: string;
  sendLater: boolean;
  /** The datetime-local value: the user's wall-clock time, without a zone. */
  sendAt: string;
  attachments: PickedFile[];
  /** A one-click unsubscribe link (List-Unsubscribe): for one recipient only. */
  listUnsubscribe: boolean;
}

export const emptyCompose: ComposeValues = {
  to: [],
  cc: [],
  bcc: [],
  subject: "",
  format: "text",
  body: "",
  templateId: "",
  sendLater: false,
  sendAt: "",
  attachments: [],
  listUnsubscribe: false,
};

/**
 * The names the API will ask values for: the subject and body as typed are rendered as
 * templates, and the template's other body (text when writing HTML, and the reverse) is too.
 */
export function composeVariables(values: ComposeValues, template: Template | undefined): string[] {
  if (template === undefined) return [];
  const other = values.format === "html" ? template.text : template.html;
  return templateVariables(values.subject || template.subject, values.body, other);
}

/** A datetime-local value read in the user's own time zone, as an instant. */
export function localToInstant(local: string): string {
  return new Date(local).toISOString();
}

export function buildSendRequest(
  values: ComposeValues,
  template: Template | undefined,
  variables: Readonly<Record<string, string>>,
  attachments: Attachment[],
): SendRequest {
  const request: SendRequest = {
    to: values.to,
    cc: values.cc,
    bcc: values.bcc,
    attachments,
    list_unsubscribe: values.listUnsubscribe,
  };
  if (values.subject.trim() !== "") request.subject = values.subject;
  // With a template an empty body means "the template's"; without one it was refused already.
  if (values.body.trim() !== "") request[values.format] = values.body;
  if (template !== undefined) {
    request.template_id = template.id;
    request.template_data = templateData(composeVariables(values, template), variables);
  }
  if (values.sendLater && values.sendAt !== "") request.scheduled_at = localToInstant(values.sendAt);
  return request;
}
