import { useEffect, useState } from "react";
import { Controller, useForm, useWatch } from "react-hook-form";
import { api, data } from "../../api/client";
import type { Accepted, Template } from "../../api/types";
import { Button } from "../../components/Button";
import { Field } from "../../components/Field";
import { Notice } from "../../components/states";
import { templateData } from "../templates/variables";
import { looksLikeAddress } from "./addresses";
import { AttachmentPicker } from "./AttachmentPicker";
import { attachmentsTooLarge, readAttachment } from "./attachments";
import { placeComposeErrors } from "./composeErrors";
import { ComposePreview } from "./ComposePreview";
import {
  buildSendRequest,
  composeVariables,
  emptyCompose,
  type ComposeValues,
} from "./composeValues";
import { RecipientInput } from "./RecipientInput";
import { TemplateChooser } from "./TemplateChooser";
import { TemplateVariables } from "./TemplateVariables";
import { UnsubscribeOption } from "./UnsubscribeOption";

function notAddresses(addresses: readonly string[]): string | true {
  const bad = addresses.filter((address) => !looksLikeAddress(address));
  if (bad.length === 0) return true;
  return bad.length === 1
    ? `${bad[0] ?? ""} is not an email address.`
    : `${bad.join(", ")} are not email addresses.`;
}

/** The value of a datetime-local input for a moment, in the user's time zone. */
function localValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function ComposeForm({ onAccepted }: { onAccepted: (accepted: Accepted) => void }) {
  const form = useForm<ComposeValues>({ defaultValues: emptyCompose });
  const { errors, isSubmitting } = form.formState;
  const values = useWatch({ control: form.control }) as ComposeValues;
  const [template, setTemplate] = useState<Template | undefined>(undefined);
  const [variables, setVariables] = useState<Record<string, string>>({});
  const [variableErrors, setVariableErrors] = useState<Record<string, string>>({});
  const [showCopies, setShowCopies] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  // One key for everything sent from this form: a second click, or sending again after the
  // connection dropped, replays the first answer instead of sending the email twice. (The API
  // keeps a key only for an email it accepted, so fixing a refused one and sending again works.)
  const [idempotencyKey] = useState(() => crypto.randomUUID());

  const variableNames = composeVariables(values, template);
  const showsPreview = values.format === "html" || template !== undefined;
  const copiesShown = showCopies || values.cc.length > 0 || values.bcc.length > 0 ||
    errors.cc !== undefined || errors.bcc !== undefined;

  // Revealing Cc and Bcc takes the user there, instead of leaving focus on a vanished button.
  useEffect(() => {
    if (showCopies) form.setFocus("cc");
  }, [showCopies, form]);

  const choose = (chosen: Template | undefined) => {
    setTemplate(chosen);
    form.setValue("templateId", chosen?.id ?? "");
    form.clearErrors(["templateId", "subject", "body"]);
    setVariableErrors({});
    if (chosen === undefined) return;
    const format = chosen.html !== null ? "html" : "text";
    form.setValue("subject", chosen.subject);
    form.setValue("format", format);
    form.setValue("body", (format === "html" ? chosen.html : chosen.text) ?? "");
  };

  const submit = form.handleSubmit(async (valid) => {
    setProblem(null);
    setVariableErrors({});
    try {
      const attachments = await Promise.all(valid.attachments.map(({ file }) => readAttachment(file)));
      const body = buildSendRequest(valid, template, variables, attachments);
      const accepted = await data(
        api.POST("/api/emails/send", {
          body,
          params: { header: { "Idempotency-Key": idempotencyKey } },
        }),
      );
      onAccepted(accepted);
    } catch (error) {
      setProblem(
        placeComposeErrors(
          error,
          valid,
          form.setError,
          (name, message) => {
            setVariableErrors((current) => ({ ...current, [name]: message }));
          },
          variableNames,
        ),
      );
    }
  });

  const hasTemplate = () => form.getValues("templateId") !== "";

  return (
    <form className="compose" onSubmit={(event) => void submit(event)} noValidate>
      <Controller
        control={form.control}
        name="to"
        rules={{
          validate: (to) => (to.length === 0 ? "Add at least one recipient." : notAddresses(to)),
        }}
        render={({ field }) => (
          <RecipientInput
            label="To"
            addresses={field.value}
            onChange={field.onChange}
            error={errors.to?.message}
            inputRef={field.ref}
          />
        )}
      />
      {copiesShown ? (
        <div className="field-row">
          <Controller
            control={form.control}
            name="cc"
            rules={{ validate: notAddresses }}
            render={({ field }) => (
              <RecipientInput
            label="Cc"
            addresses={field.value}
            onChange={field.onChange}
            error={errors.cc?.message}
            inputRef={field.ref}
          />
            )}
          />
          <Controller
            control={form.control}
            name="bcc"
            rules={{ validate: notAddresses }}
            render={({ field }) => (
              <RecipientInput
            label="Bcc"
            addresses={field.value}
            onChange={field.onChange}
            error={errors.bcc?.message}
            inputRef={field.ref}
          />
            )}
          />
        </div>
      ) : (
        <p className="compose-copies">
          <Button
            variant="ghost"
            className="link-button"
            onClick={() => {
              setShowCopies(true);
            }}
          >
            Cc and Bcc
          </Button>
        </p>
      )}

      <TemplateChooser
        value={values.templateId}
        onChoose={choose}
        error={errors.templateId?.message}
      />

      <Field
        label="Subject"
        error={errors.subject?.message}
        hint={template === undefined ? undefined : "Variables such as {{name}} are filled in."}
      >
        {(control) => (
          <input
            {...control}
            {...form.register("subject", {
              validate: (subject) => hasTemplate() || subject.trim() !== "" || "Enter a subject.",
            })}
          />
        )}
      </Field>

      <TemplateVariables
        names={variableNames}
        values={variables}
        errors={variableErrors}
        onChange={(name, value) => {
          setVariables((current) => ({ ...current, [name]: value }));
        }}
      />

      <fieldset className="fieldset format">
        <legend>Format</legend>
        <label className="radio">
          <input type="radio" value="text" {...form.register("format")} /> Text
        </label>
        <label className="radio">
          <input type="radio" value="html" {...form.register("format")} /> HTML
        </label>
      </fieldset>

      <div className={showsPreview ? "split compose-body" : "compose-body"}>
        <Field
          label="Body"
          error={errors.body?.message}
          hint={
            template === undefined
              ? undefined
              : "Leave it as the template has it, or change it for this email."
          }
        >
          {(control) => (
            <textarea
              {...control}
              className={values.format === "html" ? "mono" : undefined}
              rows={14}
              {...form.register("body", {
                validate: (body) =>
                  hasTemplate() || body.trim() !== "" || "Write a message, or choose a template.",
              })}
            />
          )}
        </Field>
        <ComposePreview
          subject={values.subject}
          format={values.format}
          body={values.body}
          template={template}
          data={templateData(variableNames, variables)}
        />
      </div>

      <Controller
        control={form.control}
        name="attachments"
        rules={{ validate: attachmentsTooLarge }}
        render={({ field }) => (
          <AttachmentPicker
            files={field.value}
            onChange={(files) => {
              field.onChange(files);
              // Tell the user about the size now, not only when they press Send.
              void form.trigger("attachments");
            }}
            error={errors.attachments?.message}
          />
        )}
      />

      <UnsubscribeOption
        error={errors.listUnsubscribe?.message}
        registration={form.register("listUnsubscribe", {
          validate: (on, all) =>
            !on || all.to.length + all.cc.length + all.bcc.length === 1 ||
            "An unsubscribe link is for an email to one recipient: the one it unsubscribes.",
        })}
      />

      <label className="checkbox">
        <input type="checkbox" {...form.register("sendLater")} /> Send later
      </label>
      {values.sendLater && (
        <Field
          label="Send at"
          error={errors.sendAt?.message}
          hint={`Your time zone: ${Intl.DateTimeFormat().resolvedOptions().timeZone}.`}
        >
          {(control) => (
            <input
              {...control}
              type="datetime-local"
              min={localValue(new Date())}
              {...form.register("sendAt", {
                validate: (sendAt, all) => {
                  if (!all.sendLater) return true;
                  if (sendAt === "") return "Choose when to send it.";
                  const when = new Date(sendAt);
                  if (Number.isNaN(when.getTime())) return "Enter a date and time.";
                  return when.getTime() > Date.now() || "Choose a time in the future.";
                },
              })}
            />
          )}
        </Field>
      )}

      {problem !== null && <Notice tone="error">{problem}</Notice>}
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={isSubmitting}>
          {values.sendLater ? "Schedule" : "Send"}
        </Button>
      </div>
    </form>
  );
}
