import { useState, type ReactNode } from "react";
import { Link, useParams } from "react-router";
import { ApiError } from "../../api/errors";
import type { Email } from "../../api/types";
import { PageHeader } from "../../components/PageHeader";
import { Empty, Failed, Loading, Notice } from "../../components/states";
import { AttachmentList } from "./AttachmentList";
import { DeliveryTimeline } from "./DeliveryTimeline";
import { EmailActions, type ActionOutcome } from "./EmailActions";
import { EmailBodies } from "./EmailBodies";
import { EmailFacts } from "./EmailFacts";
import { RecipientTable } from "./RecipientTable";
import { useEmail } from "./useEmail";

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="detail-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

function EmailView({ email }: { email: Email }) {
  const [outcome, setOutcome] = useState<ActionOutcome | null>(null);
  const problem = email.status === "failed" || email.status === "retrying" ? email.last_error : null;
  return (
    <>
      <PageHeader title={email.subject || "(no subject)"}>
        <EmailActions email={email} onOutcome={setOutcome} />
      </PageHeader>
      {outcome !== null && <Notice tone={outcome.tone}>{outcome.message}</Notice>}
      <EmailFacts email={email} />
      {problem !== null && (
        <p className="last-error">
          <strong>Last error:</strong> {problem}
        </p>
      )}
      <Section id="email-recipients" title="Recipients">
        <RecipientTable recipients={email.recipients} />
      </Section>
      <Section id="email-content" title="Content">
        <EmailBodies email={email} />
      </Section>
      {email.attachments.length > 0 && (
        <Section id="email-attachments" title="Attachments">
          <AttachmentList attachments={email.attachments} />
        </Section>
      )}
      <Section id="email-timeline" title="Delivery timeline">
        <DeliveryTimeline entries={email.timeline} />
      </Section>
    </>
  );
}

export function EmailDetailPage() {
  const { id = "" } = useParams();
  const email = useEmail(id);
  if (email.isPending) {
    return (
      <>
        <PageHeader title="Email" />
        <Loading label="Loading the email…" />
      </>
    );
  }
  if (email.isError) {
    // An id that is not a UUID (422) is as missing as one that does not exist (404).
    const missing =
      email.error instanceof ApiError && (email.error.status === 404 || email.error.status === 422);
    if (missing) {
      return (
        <>
          <PageHeader title="Email not found" />
          <Empty title="There is no such email">
            <p>
              It may have been sent from another account, or the address is mistyped.{" "}
              <Link to="/emails">Back to Sent</Link>
            </p>
          </Empty>
        </>
      );
    }
    return (
      <>
        <PageHeader title="Email" />
        <Failed error={email.error} retry={() => void email.refetch()} />
      </>
    );
  }
  return <EmailView key={email.data.id} email={email.data} />;
}
