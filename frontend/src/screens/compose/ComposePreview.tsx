import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useDeferredValue } from "react";
import { api, data } from "../../api/client";
import { describe } from "../../api/errors";
import type { Template } from "../../api/types";
import { HtmlFrame } from "../../components/HtmlFrame";
import { useDebouncedValue } from "../../components/useDebouncedValue";
import { RenderedContent } from "../templates/RenderedContent";
import { templateLooksComplete } from "../templates/variables";
import type { BodyFormat } from "./composeValues";

interface PreviewProps {
  subject: string;
  format: BodyFormat;
  body: string;
  template: Template | undefined;
  data: Record<string, unknown>;
}

/** HTML as typed, or the template rendered with the variables by the API. */
export function ComposePreview(props: PreviewProps) {
  if (props.template !== undefined) return <RenderedPreview {...props} template={props.template} />;
  if (props.format !== "html") return null;
  return <TypedPreview html={props.body} />;
}

function TypedPreview({ html }: { html: string }) {
  // Typing stays responsive: the frame catches up when React has time.
  const shown = useDeferredValue(html);
  return (
    <section className="preview" aria-label="Preview">
      <h2 className="preview-title">Preview</h2>
      <HtmlFrame html={shown} title="Preview of the HTML body" />
    </section>
  );
}

function RenderedPreview({ subject, format, body, template, data: values }: PreviewProps & { template: Template }) {
  const templateBody = format === "html" ? template.html : template.text;
  // Unchanged content renders the saved template; edited content is rendered as it stands.
  const edited =
    (subject !== "" && subject !== template.subject) || (body !== "" && body !== (templateBody ?? ""));
  const request = useDebouncedValue(
    JSON.stringify({ id: template.id, edited, subject, format, body, values }),
    400,
  );
  const preview = useQuery({
    queryKey: ["templates", "compose-preview", request],
    queryFn: ({ signal }) => renderPreview(JSON.parse(request) as PreviewRequest, template, signal),
    // Judged on what is about to be sent, which lags what is typed by the debounce.
    enabled: templateLooksComplete(...sentContent(request)),
    placeholderData: keepPreviousData,
    retry: false,
  });

  return (
    <section className="preview" aria-label="Preview">
      <h2 className="preview-title">Preview</h2>
      {preview.isError && (
        <p className="field-error" role="status">
          The preview cannot be shown yet: {describe(preview.error)}
        </p>
      )}
      {preview.data !== undefined && <RenderedContent preview={preview.data} />}
    </section>
  );
}

function sentContent(request: string): [string, string] {
  const { subject, body } = JSON.parse(request) as PreviewRequest;
  return [subject, body];
}

interface PreviewRequest {
  id: string;
  edited: boolean;
  subject: string;
  format: BodyFormat;
  body: string;
  values: Record<string, unknown>;
}

function renderPreview(request: PreviewRequest, template: Template, signal: AbortSignal) {
  if (!request.edited) {
    return data(
      api.POST("/api/templates/{template_id}/preview", {
        params: { path: { template_id: request.id } },
        body: { data: request.values },
        signal,
      }),
    );
  }
  const typed = request.body === "" ? undefined : request.body;
  return data(
    api.POST("/api/templates/preview", {
      body: {
        subject: request.subject || template.subject,
        html: request.format === "html" ? (typed ?? template.html) : template.html,
        text: request.format === "text" ? (typed ?? template.text) : template.text,
        data: request.values,
      },
      signal,
    }),
  );
}
