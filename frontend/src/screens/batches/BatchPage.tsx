import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { api, data } from "../../api/client";
import type { Batch, BatchItemResult, EmailSummary } from "../../api/types";
import { DateTime } from "../../components/DateTime";
import { PageHeader } from "../../components/PageHeader";
import { StackTable } from "../../components/StackTable";
import { StatusBadge } from "../../components/StatusBadge";
import { STATUSES, statusLabel } from "../../components/status";
import { Failed, Loading } from "../../components/states";

// A batch's emails move on by themselves: the page follows them.
const REFRESH_MS = 3000;

function Result({ result, emails }: { result: BatchItemResult; emails: Map<string, EmailSummary> }) {
  if (result.email === null || result.email === undefined) {
    const fields = result.error?.fields ?? [];
    return (
      <>
        <span className="outcome recipient-refused">Refused</span>
        {/* The message sums the fields up; each on its own line reads better. */}
        {fields.length === 0 ? (
          <div className="smtp-reply">{result.error?.message}</div>
        ) : (
          <ul className="field-problems">
            {fields.map((problem, index) => (
              // By place: a field may have two problems.
              <li key={index}>
                {/* "[2].to[0]" is "to[0]" of this email, whose number is beside it already. */}
                <code>{problem.field.replace(/^\[\d+\]\.?/, "") || "the email"}</code> {problem.message}
              </li>
            ))}
          </ul>
        )}
      </>
    );
  }
  const email = emails.get(result.email.id);
  return (
    <>
      <Link to={`/emails/${result.email.id}`}>{email?.subject ?? "The email"}</Link>{" "}
      {email !== undefined && <StatusBadge status={email.status} />}
      {email !== undefined && <div className="cell-sub cell-address">{email.to.join(", ")}</div>}
    </>
  );
}

function Summary({ batch }: { batch: Batch }) {
  const count = (status: (typeof STATUSES)[number]) => batch.by_status[status] ?? 0;
  const states = STATUSES.filter((status) => count(status) > 0);
  return (
    <dl className="facts">
      <div>
        <dt>Sent</dt>
        <dd>
          <DateTime value={batch.created_at} style="full" />
        </dd>
      </div>
      <div>
        <dt>Emails</dt>
        <dd>
          {batch.size}: {batch.accepted} accepted, {batch.rejected} refused
        </dd>
      </div>
      <div>
        <dt>Now</dt>
        <dd>{states.length === 0 ? "—" : states.map((s) => `${count(s)} ${statusLabel(s).toLowerCase()}`).join(", ")}</dd>
      </div>
    </dl>
  );
}

/** One batch: what each email of it came to when it was sent, and where the accepted ones are. */
export function BatchPage() {
  const { id = "" } = useParams();
  const batch = useQuery({
    queryKey: ["batches", id],
    queryFn: ({ signal }) => data(api.GET("/api/emails/batches/{batch_id}", { params: { path: { batch_id: id } }, signal })),
    refetchInterval: REFRESH_MS,
  });
  const emails = useQuery({
    queryKey: ["emails", "batch", id],
    queryFn: ({ signal }) =>
      data(api.GET("/api/emails", { params: { query: { batch_id: id, page_size: 100 } }, signal })),
    refetchInterval: REFRESH_MS,
  });
  if (batch.isPending) return <Loading label="Loading the batch…" />;
  if (batch.isError) return <Failed error={batch.error} retry={() => void batch.refetch()} />;
  const byId = new Map((emails.data?.items ?? []).map((email) => [email.id, email]));
  return (
    <>
      <PageHeader title="Batch">
        <Link to="/emails/batches">All batches</Link>
      </PageHeader>
      <Summary batch={batch.data} />
      <section className="detail-section" aria-labelledby="batch-results">
        <h2 id="batch-results">Each email</h2>
        <StackTable columns={[{ label: "#", numeric: true }, "Result"]}>
          {batch.data.results.map((result) => (
            <tr key={result.index}>
              <td className="numeric">{result.index}</td>
              <td data-label="Result">
                <Result result={result} emails={byId} />
              </td>
            </tr>
          ))}
        </StackTable>
      </section>
    </>
  );
}
