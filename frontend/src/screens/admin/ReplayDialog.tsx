import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { api, data } from "../../api/client";
import type { ReplayResult } from "../../api/types";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { formatDateTime } from "../../components/dates";
import { Field } from "../../components/Field";
import { Notice } from "../../components/states";
import { showApiErrors } from "../../forms/apiErrors";
import { reasonLabel } from "./reasons";
import { apiFilters, toInstant, type DeadLetterFilters } from "./useDeadLetterParams";

// The API's bounds (ReplayRequest in the OpenAPI schema).
export const MAX_LIMIT = 1000;
const MAX_RATE = 10_000;

interface ReplayValues {
  limit: string;
  rate: string;
}

interface ReplayDialogProps {
  open: boolean;
  filters: DeadLetterFilters;
  /** How many dead letters match the filters now. */
  matching: number;
  onDone: (result: ReplayResult) => void;
  onClose: () => void;
}

function describeFilters({ reason, since, until }: DeadLetterFilters): string {
  const parts = [];
  const from = toInstant(since);
  const to = toInstant(until);
  if (reason !== undefined) parts.push(`with reason “${reasonLabel(reason)}”`);
  if (from !== undefined) parts.push(`failed since ${formatDateTime(from)}`);
  if (to !== undefined) parts.push(`failed before ${formatDateTime(to)}`);
  return parts.length === 0 ? "" : ` ${parts.join(", ")}`;
}

/** Asks how many of the matching dead letters to queue again, and how fast. */
export function ReplayDialog({ open, filters, matching, onDone, onClose }: ReplayDialogProps) {
  const [problem, setProblem] = useState<string | null>(null);
  const form = useForm<ReplayValues>({ values: { limit: String(Math.min(matching, 100)), rate: "" } });
  const { errors } = form.formState;

  const replay = useMutation({
    mutationFn: (values: ReplayValues) =>
      data(
        api.POST("/api/admin/dlq/replay", {
          body: {
            ...apiFilters(filters),
            limit: Number(values.limit),
            ...(values.rate.trim() !== "" && { rate_per_second: Number(values.rate) }),
          },
        }),
      ),
    onSuccess: (result) => {
      form.reset();
      onDone(result);
    },
    onError: (error) => {
      setProblem(
        showApiErrors(error, form.setError, ["limit", "rate"], { rate_per_second: "rate" }),
      );
    },
  });

  const submit = form.handleSubmit((values) => {
    setProblem(null);
    replay.mutate(values);
  });

  return (
    <ConfirmDialog
      open={open}
      title="Replay dead letters"
      confirmLabel="Replay"
      busy={replay.isPending}
      onConfirm={() => void submit()}
      onCancel={() => {
        setProblem(null);
        form.clearErrors();
        onClose();
      }}
    >
      <p>
        {matching === 1 ? "1 dead letter matches" : `${matching.toLocaleString()} dead letters match`}
        {describeFilters(filters)}. They are queued again the oldest failure first, each with a
        fresh attempt budget.
      </p>
      {problem !== null && <Notice tone="error">{problem}</Notice>}
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <Field
          label="How many"
          error={errors.limit?.message}
          hint={`At most ${MAX_LIMIT.toLocaleString()} at a time.`}
        >
          {(control) => (
            <input
              {...control}
              type="number"
              inputMode="numeric"
              min={1}
              max={MAX_LIMIT}
              step={1}
              {...form.register("limit", {
                validate: (value) => {
                  const number = Number(value);
                  if (value.trim() === "") return "Say how many to replay.";
                  if (!Number.isInteger(number) || number < 1 || number > MAX_LIMIT) {
                    return `Enter a whole number from 1 to ${MAX_LIMIT.toLocaleString()}.`;
                  }
                  return true;
                },
              })}
            />
          )}
        </Field>
        <Field
          label="Per second"
          error={errors.rate?.message}
          hint="Optional: spread the deliveries out at this rate instead of sending all at once."
        >
          {(control) => (
            <input
              {...control}
              type="number"
              inputMode="decimal"
              min={0.001}
              max={MAX_RATE}
              step="any"
              {...form.register("rate", {
                validate: (value) => {
                  if (value.trim() === "") return true;
                  const number = Number(value);
                  return (
                    (Number.isFinite(number) && number >= 0.001 && number <= MAX_RATE) ||
                    `Enter a rate from 0.001 to ${MAX_RATE.toLocaleString()}, or leave it empty.`
                  );
                },
              })}
            />
          )}
        </Field>
        {/* Lets Enter in either field replay, as in any form. */}
        <button type="submit" hidden tabIndex={-1} />
      </form>
    </ConfirmDialog>
  );
}
