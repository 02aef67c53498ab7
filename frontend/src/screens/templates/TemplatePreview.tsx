import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, data } from "../../api/client";
import { describe } from "../../api/errors";
import { Field } from "../../components/Field";
import { useDebouncedValue } from "../../components/useDebouncedValue";
import { RenderedContent } from "./RenderedContent";
import { templateData, templateLooksComplete, templateVariables } from "./variables";

interface TemplatePreviewProps {
  subject: string;
  html: string;
  text: string;
}

/** The unsaved template rendered by the API as it is typed, with sample values to fill it. */
export function TemplatePreview({ subject, html, text }: TemplatePreviewProps) {
  const [sample, setSample] = useState<Record<string, string>>({});
  const names = templateVariables(subject, html, text);
  const request = useDebouncedValue(
    JSON.stringify({
      subject,
      html: html === "" ? null : html,
      text: text === "" ? null : text,
      data: templateData(names, sample),
    }),
    400,
  );
  const empty = subject.trim() === "";
  const complete = templateLooksComplete(subject, html, text);
  // Judged on what is about to be sent, which lags what is typed by the debounce.
  const sent = JSON.parse(request) as { subject: string; html: string | null; text: string | null };
  // The API renders nothing without a subject.
  const sendable = sent.subject.trim() !== "" && templateLooksComplete(sent.subject, sent.html, sent.text);
  const preview = useQuery({
    queryKey: ["templates", "preview", request],
    queryFn: ({ signal }) =>
      data(
        api.POST("/api/templates/preview", {
          body: sent,
          signal,
        }),
      ),
    enabled: !empty && sendable,
    placeholderData: keepPreviousData,
    retry: false,
  });

  return (
    <section className="preview" aria-labelledby="template-preview-title">
      <h2 id="template-preview-title">Preview</h2>
      {names.length > 0 && (
        <fieldset className="fieldset">
          <legend>Preview data</legend>
          <p className="field-hint">Sample values, only for this preview.</p>
          <div className="field-row">
            {names.map((name) => (
              <Field key={name} label={name}>
                {(control) => (
                  <input
                    {...control}
                    value={sample[name] ?? ""}
                    onChange={(event) => {
                      setSample((current) => ({ ...current, [name]: event.target.value }));
                    }}
                  />
                )}
              </Field>
            ))}
          </div>
        </fieldset>
      )}
      {empty ? (
        <p className="field-hint">Write a subject to see the email rendered here.</p>
      ) : (
        <>
          {!complete && (
            <p className="field-hint" role="status">
              The preview waits until every {"{{tag}}"} and section is closed.
            </p>
          )}
          {complete && preview.isError && (
            <p className="field-error" role="status">
              Cannot render it yet: {describe(preview.error)}
            </p>
          )}
          {preview.data !== undefined && <RenderedContent preview={preview.data} />}
        </>
      )}
    </section>
  );
}
