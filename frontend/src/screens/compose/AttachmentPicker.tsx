import { useId, type ChangeEvent } from "react";
import { Button } from "../../components/Button";
import { formatBytes } from "../../components/bytes";
import { ATTACHMENT_BUDGET_BYTES, totalSize } from "./attachments";
import type { PickedFile } from "./composeValues";

interface AttachmentPickerProps {
  files: PickedFile[];
  onChange: (files: PickedFile[]) => void;
  error?: string | undefined;
}

export function AttachmentPicker({ files, onChange, error }: AttachmentPickerProps) {
  const id = useId();
  const total = totalSize(files);
  const describedBy = [error === undefined ? "" : `${id}-error`, `${id}-hint`].join(" ").trim();

  const pick = (event: ChangeEvent<HTMLInputElement>) => {
    const picked = Array.from(event.target.files ?? [], (file) => ({
      key: crypto.randomUUID(),
      file,
    }));
    onChange([...files, ...picked]);
    // Picking the same file again after removing it must fire a change again.
    event.target.value = "";
  };

  return (
    <div className={error === undefined ? "field attachment-picker" : "field attachment-picker field-invalid"}>
      <label htmlFor={id}>Attachments</label>
      <input
        id={id}
        type="file"
        multiple
        onChange={pick}
        aria-invalid={error !== undefined}
        aria-describedby={describedBy}
      />
      {files.length > 0 && (
        <ul className="attachment-list" aria-label="Attached files">
          {files.map(({ key, file }) => (
            <li key={key}>
              <span className="attachment-name">{file.name}</span>
              <span className="attachment-size">{formatBytes(file.size)}</span>
              <Button
                variant="ghost"
                aria-label={`Remove ${file.name}`}
                onClick={() => {
                  onChange(files.filter((candidate) => candidate.key !== key));
                }}
              >
                Remove
              </Button>
            </li>
          ))}
        </ul>
      )}
      {error !== undefined && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
      <p className="field-hint" id={`${id}-hint`}>
        {files.length === 0
          ? `Up to ${formatBytes(ATTACHMENT_BUDGET_BYTES)} in all.`
          : `${formatBytes(total)} of ${formatBytes(ATTACHMENT_BUDGET_BYTES)} used.`}
      </p>
    </div>
  );
}
