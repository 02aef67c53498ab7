import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, data } from "../../api/client";
import { ApiError } from "../../api/errors";
import type { InboxMessage } from "../../api/types";
import { ByteSize } from "../../components/ByteSize";
import { DateTime } from "../../components/DateTime";
import { HtmlFrame } from "../../components/HtmlFrame";
import { MessageViews, type MessageView } from "../../components/MessageViews";
import { PageHeader } from "../../components/PageHeader";
import { Empty, Failed, Loading } from "../../components/states";
import { EmbeddedOnly } from "./EmbeddedOnly";
import { RawSource } from "./RawSource";

function header(message: InboxMessage, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return message.headers.find((entry) => entry.name.toLowerCase() === wanted)?.value;
}

function Headers({ message }: { message: InboxMessage }) {
  const rows: [string, string | undefined][] = [
    ["From", header(message, "From")],
    ["Reply-To", header(message, "Reply-To")],
    ["To", header(message, "To")],
    ["Cc", header(message, "Cc")],
    // Bcc never appears in headers: the envelope says who the server delivered to.
    ["Delivered to", message.envelope.to.join(", ")],
    ["Date", header(message, "Date")],
  ];
  return (
    <dl className="facts">
      {rows
        .filter((row): row is [string, string] => row[1] !== undefined && row[1] !== "")
        .map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      <div>
        <dt>Received</dt>
        <dd>
          <DateTime value={message.received_at} style="full" /> · <ByteSize bytes={message.size} />
        </dd>
      </div>
    </dl>
  );
}

function Attachments({ message }: { message: InboxMessage }) {
  return (
    <section aria-labelledby="inbox-attachments">
      <h2 id="inbox-attachments">Attachments</h2>
      <ul className="attachments">
        {message.attachments.map((attachment) => (
          <li key={attachment.index}>
            <a
              href={`/api/dev/inbox/${encodeURIComponent(message.id)}/attachments/${String(attachment.index)}`}
              download={attachment.filename}
            >
              {attachment.filename || `Attachment ${String(attachment.index + 1)}`}
            </a>{" "}
            <span className="cell-sub">
              {attachment.content_type}, <ByteSize bytes={attachment.size} />
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Message({ message }: { message: InboxMessage }) {
  const { html, text } = message;
  const views: MessageView[] = [];
  if (html !== null) {
    views.push({
      id: "html",
      label: "HTML",
      render: () => <HtmlFrame html={html} title={`The HTML body of “${message.subject}”`} />,
    });
  }
  if (text !== null) views.push({ id: "text", label: "Text", render: () => <pre>{text}</pre> });
  views.push({ id: "raw", label: "Raw source", render: () => <RawSource id={message.id} /> });
  const [selected, setSelected] = useState(views[0]?.id ?? "raw");
  return (
    <>
      <Headers message={message} />
      <section aria-labelledby="inbox-body">
        <h2 id="inbox-body">Message</h2>
        <MessageViews label="Message" views={views} selected={selected} onSelect={setSelected} />
      </section>
      {message.attachments.length > 0 && <Attachments message={message} />}
      <details className="all-headers">
        <summary>All headers</summary>
        <dl className="facts">
          {message.headers.map((entry, index) => (
            <div key={index}>
              <dt>{entry.name}</dt>
              <dd className="mono">{entry.value}</dd>
            </div>
          ))}
        </dl>
      </details>
    </>
  );
}

function CaughtMessage({ id }: { id: string }) {
  const message = useQuery({
    queryKey: ["inbox", "message", id],
    queryFn: ({ signal }) =>
      data(api.GET("/api/dev/inbox/{message_id}", { params: { path: { message_id: id } }, signal })),
    staleTime: Infinity,
  });
  if (message.isPending) {
    return (
      <>
        <PageHeader title="Caught message" />
        <Loading label="Loading the message…" />
      </>
    );
  }
  if (message.isError) {
    const missing = message.error instanceof ApiError && message.error.status === 404;
    return (
      <>
        <PageHeader title={missing ? "Message not found" : "Caught message"} />
        {missing ? (
          <Empty title="The mail catcher has no such message">
            <p>
              It may have been deleted. <Link to="/dev/inbox">Back to the mail catcher</Link>
            </p>
          </Empty>
        ) : (
          <Failed error={message.error} retry={() => void message.refetch()} />
        )}
      </>
    );
  }
  return (
    <>
      <PageHeader title={message.data.subject || "(no subject)"}>
        <Link className="button" to="/dev/inbox">
          Back to the list
        </Link>
      </PageHeader>
      <Message key={message.data.id} message={message.data} />
    </>
  );
}

export function InboxMessagePage() {
  const { id = "" } = useParams();
  return (
    <EmbeddedOnly title="Caught message">
      <CaughtMessage id={id} />
    </EmbeddedOnly>
  );
}
