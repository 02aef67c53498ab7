import type { Preview } from "../../api/types";
import { HtmlFrame } from "../../components/HtmlFrame";

/** A rendered template: its subject, and its HTML in the sandboxed frame or its text. */
export function RenderedContent({ preview }: { preview: Preview }) {
  return (
    <div className="rendered">
      <p className="rendered-subject">
        <span className="cell-sub">Subject: </span>
        {preview.subject}
      </p>
      {preview.html !== null ? (
        <HtmlFrame html={preview.html} title="Preview of the rendered email" />
      ) : (
        <pre className="rendered-text">{preview.text ?? ""}</pre>
      )}
    </div>
  );
}
