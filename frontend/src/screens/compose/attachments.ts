import type { Attachment } from "../../api/types";
import { formatBytes } from "../../components/bytes";
import type { PickedFile } from "./composeValues";

/**
 * The API refuses request bodies over MAX_REQUEST_BYTES (10 MiB unless the operator changed it),
 * and base64 makes files a third bigger; this leaves room for the rest of the message. A server
 * with a lower limit still answers 413, which the form shows too.
 */
export const ATTACHMENT_BUDGET_BYTES = Math.floor((10 * 1024 * 1024 - 256 * 1024) * 0.75);

export function totalSize(files: readonly { file: File }[]): number {
  return files.reduce((sum, picked) => sum + picked.file.size, 0);
}

/** A file as the API takes it: base64 content, its name and type. */
export function readAttachment(file: File): Promise<Attachment> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = typeof reader.result === "string" ? reader.result : "";
      // A data URL: "data:<type>;base64,<content>".
      resolve({
        filename: file.name,
        content_type: file.type || "application/octet-stream",
        content_base64: url.slice(url.indexOf(",") + 1),
      });
    };
    reader.onerror = () => {
      reject(reader.error ?? new Error(`Could not read ${file.name}.`));
    };
    reader.readAsDataURL(file);
  });
}

/** The form's check, before anything is read or sent. */
export function attachmentsTooLarge(files: readonly PickedFile[]): string | true {
  const total = totalSize(files);
  return (
    total <= ATTACHMENT_BUDGET_BYTES ||
    `The attachments add up to ${formatBytes(total)}; the most one email can carry is about ${formatBytes(ATTACHMENT_BUDGET_BYTES)}.`
  );
}
