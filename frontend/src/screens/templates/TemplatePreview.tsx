import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, data } from "../../api/client";
import { describe } from "../../api/errors";
import { Field } from "../../components/Field";
import { useDebouncedValue } from "../../components/useDebouncedValue";
import { RenderedContent } from "./RenderedContent";
import { templateData, templateVariables } from "./variables";

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
  const empty = subject === "" && html === "" && text === "";
  const preview = useQuery({
    queryKey: ["templates", "preview", request],
    queryFn: ({ signal }) =>
      data(
        api.POST("/api/templates/preview", {
          body: JSON.parse(request) as { subject: string; html: string | null; text: string | null },
          signal,
        }),
      ),
    enabled: !empty,
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
        <p className="field-hint">Write a subject or a body to see it rendered here.</p>
      ) : (
        <>
          {preview.isError && (
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
