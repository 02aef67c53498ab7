import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm, useWatch } from "react-hook-form";
import { useNavigate } from "react-router";
import { api, data } from "../../api/client";
import { ApiError } from "../../api/errors";
import type { Template, TemplateInput } from "../../api/types";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { Field } from "../../components/Field";
import { Notice } from "../../components/states";
import { showApiErrors } from "../../forms/apiErrors";
import type { ListNotice } from "./TemplateListPage";
import { TemplatePreview } from "./TemplatePreview";

interface TemplateValues {
  name: string;
  subject: string;
  html: string;
  text: string;
}

const FIELDS = ["name", "subject", "html", "text"] as const;

function toInput(values: TemplateValues): TemplateInput {
  // An empty body is "none": the API makes the text part from the HTML when text is missing.
  return {
    name: values.name.trim(),
    subject: values.subject,
    html: values.html.trim() === "" ? null : values.html,
    text: values.text.trim() === "" ? null : values.text,
  };
}

interface TemplateFormProps {
  template?: Template;
  justCreated?: boolean;
}

export function TemplateForm({ template, justCreated = false }: TemplateFormProps) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const form = useForm<TemplateValues>({
    defaultValues: {
      name: template?.name ?? "",
      subject: template?.subject ?? "",
      html: template?.html ?? "",
      text: template?.text ?? "",
    },
  });
  const { errors } = form.formState;
  const [subject, html, text] = useWatch({ control: form.control, name: ["subject", "html", "text"] });
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState(justCreated);
  const [confirmDelete, setConfirmDelete] = useState(false);

  const save = useMutation({
    mutationFn: (values: TemplateValues) =>
      template === undefined
        ? data(api.POST("/api/templates", { body: toInput(values) }))
        : data(
            api.PUT("/api/templates/{template_id}", {
              params: { path: { template_id: template.id } },
              body: toInput(values),
            }),
          ),
    onSuccess: async (stored) => {
      await queryClient.invalidateQueries({ queryKey: ["templates"] });
      if (template === undefined) {
        void navigate(`/templates/${stored.id}`, { replace: true, state: { saved: true } });
      } else {
        form.reset({
          name: stored.name,
          subject: stored.subject,
          html: stored.html ?? "",
          text: stored.text ?? "",
        });
        setSaved(true);
      }
    },
    onError: (error) => {
      // A duplicate name names its field; should it ever come without one, it still belongs there.
      if (error instanceof ApiError && error.status === 409 && error.fields.length === 0) {
        form.setError("name", { type: "server", message: error.message });
        setProblem(null);
        return;
      }
      setProblem(showApiErrors(error, form.setError, FIELDS));
    },
  });

  const remove = useMutation({
    mutationFn: (existing: Template) =>
      data(api.DELETE("/api/templates/{template_id}", { params: { path: { template_id: existing.id } } })),
    onSuccess: async (_, existing) => {
      setConfirmDelete(false);
      queryClient.removeQueries({ queryKey: ["templates", "one", existing.id] });
      await queryClient.invalidateQueries({ queryKey: ["templates"] });
      const state: ListNotice = { notice: `Deleted the template “${existing.name}”.` };
      void navigate("/templates", { state });
    },
    onError: (error) => {
      setConfirmDelete(false);
      setProblem(showApiErrors(error, form.setError, FIELDS));
    },
  });

  const submit = form.handleSubmit((values) => {
    setProblem(null);
    setSaved(false);
    save.mutate(values);
  });

  const bodyRequired = {
    validate: (_: string, all: TemplateValues) =>
      all.html.trim() !== "" || all.text.trim() !== "" || "Write an HTML or a text body (or both).",
  };

  return (
    <div className="split template-editor">
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Field label="Name" error={errors.name?.message} hint="Yours only; each name once.">
          {(control) => (
            <input
              {...control}
              autoComplete="off"
              {...form.register("name", {
                validate: (name) => name.trim() !== "" || "Give the template a name.",
              })}
            />
          )}
        </Field>
        <Field label="Subject" error={errors.subject?.message} hint="Use {{name}} where a value goes.">
          {(control) => (
            <input
              {...control}
              {...form.register("subject", {
                validate: (value) => value.trim() !== "" || "Enter a subject.",
              })}
            />
          )}
        </Field>
        <Field label="HTML" error={errors.html?.message} hint="Values are escaped in HTML.">
          {(control) => (
            <textarea
              {...control}
              className="mono"
              rows={12}
              {...form.register("html", {
                ...bodyRequired,
                onChange: () => void (form.formState.isSubmitted && form.trigger(["html", "text"])),
              })}
            />
          )}
        </Field>
        <Field
          label="Text"
          error={errors.text?.message}
          hint="For mail apps that do not show HTML; made from the HTML when left empty."
        >
          {(control) => (
            <textarea
              {...control}
              rows={8}
              {...form.register("text", {
                onChange: () => void (form.formState.isSubmitted && form.trigger(["html", "text"])),
              })}
            />
          )}
        </Field>
        {problem !== null && <Notice tone="error">{problem}</Notice>}
        {saved && <Notice tone="success">Template saved.</Notice>}
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save
          </Button>
          {template !== undefined && (
            <Button
              variant="danger"
              onClick={() => {
                setConfirmDelete(true);
              }}
            >
              Delete
            </Button>
          )}
        </div>
      </form>
      <TemplatePreview subject={subject} html={html} text={text} />
      {template !== undefined && (
        <ConfirmDialog
          open={confirmDelete}
          title="Delete this template?"
          confirmLabel="Delete"
          danger
          busy={remove.isPending}
          onConfirm={() => {
            remove.mutate(template);
          }}
          onCancel={() => {
            setConfirmDelete(false);
          }}
        >
          <p>
            “{template.name}” will be gone for good. Emails already sent with it are kept.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
