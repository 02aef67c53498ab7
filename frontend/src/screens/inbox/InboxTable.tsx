import { Link } from "react-router";
import type { InboxItem } from "../../api/types";
import { ByteSize } from "../../components/ByteSize";
import { DateTime } from "../../components/DateTime";
import { StackTable } from "../../components/StackTable";

export function InboxTable({ messages }: { messages: InboxItem[] }) {
  return (
    <StackTable columns={["Subject", "From", "To", "Received", { label: "Size", numeric: true }]}>
      {messages.map((message) => (
        <tr key={message.id}>
          <td className="cell-main">
            <Link to={`/dev/inbox/${message.id}`}>{message.subject || "(no subject)"}</Link>
          </td>
          <td className="cell-address" data-label="From">
            {message.from}
          </td>
          <td className="cell-address" data-label="To">
            {message.to.join(", ")}
          </td>
          <td data-label="Received">
            <DateTime value={message.received_at} />
          </td>
          <td className="numeric" data-label="Size">
            <ByteSize bytes={message.size} />
          </td>
        </tr>
      ))}
    </StackTable>
  );
}
