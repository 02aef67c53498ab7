import { Link } from "react-router";
import type { Email } from "../../api/types";
import { useSession } from "../../auth/useSession";
import { DateTime } from "../../components/DateTime";
import { StatusBadge } from "../../components/StatusBadge";

function addresses(email: Email, kind: "to" | "cc" | "bcc"): string {
  return email.recipients
    .filter((recipient) => recipient.kind === kind)
    .map((recipient) => recipient.address)
    .join(", ");
}

/** Who it is from and to, and when it was written, is due and went. */
export function EmailFacts({ email }: { email: Email }) {
  const user = useSession()?.user;
  const cc = addresses(email, "cc");
  const bcc = addresses(email, "bcc");
  return (
    <div className="email-facts">
      <p className="email-status">
        <StatusBadge status={email.status} />
        <span className="cell-sub">
          {email.attempts === 1 ? "1 attempt" : `${email.attempts} attempts`}
        </span>
      </p>
      <dl className="facts">
        {user !== undefined && (
          <div>
            <dt>From</dt>
            <dd>
              {user.name} <span className="cell-sub">(replies to {email.reply_to ?? user.email})</span>
            </dd>
          </div>
        )}
        <div>
          <dt>To</dt>
          <dd>{addresses(email, "to")}</dd>
        </div>
        {cc !== "" && (
          <div>
            <dt>Cc</dt>
            <dd>{cc}</dd>
          </div>
        )}
        {bcc !== "" && (
          <div>
            <dt>Bcc</dt>
            <dd>{bcc}</dd>
          </div>
        )}
        {email.batch_id !== null && (
          <div>
            <dt>Batch</dt>
            <dd>
              <Link to={`/emails/batches/${email.batch_id}`}>sent in a batch</Link>
            </dd>
          </div>
        )}
        {Object.entries(email.headers).map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd className="cell-address">{value}</dd>
          </div>
        ))}
        {email.api_key !== null && (
          <div>
            <dt>Sent with</dt>
            <dd>the API key “{email.api_key.name}”</dd>
          </div>
        )}
        <div>
          <dt>Created</dt>
          <dd>
            <DateTime value={email.created_at} style="full" />
          </dd>
        </div>
        {email.scheduled_at !== null && (
          <div>
            <dt>Scheduled for</dt>
            <dd>
              <DateTime value={email.scheduled_at} style="full" />
            </dd>
          </div>
        )}
        {email.sent_at !== null && (
          <div>
            <dt>Sent at</dt>
            <dd>
              <DateTime value={email.sent_at} style="full" />
            </dd>
          </div>
        )}
        {email.expires_at !== null && (
          <div>
            <dt>Gives up at</dt>
            <dd>
              <DateTime value={email.expires_at} style="full" />
            </dd>
          </div>
        )}
      </dl>
    </div>
  );
}
