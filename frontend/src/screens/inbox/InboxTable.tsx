import { Link } from "react-router";
import type { InboxItem } from "../../api/types";
import { ByteSize } from "../../components/ByteSize";
import { DateTime } from "../../components/DateTime";

export function InboxTable({ messages }: { messages: InboxItem[] }) {
  return (
    <div className="table-wrap">
      <table className="stack-table">
        <thead>
          <tr>
            <th scope="col">Subject</th>
            <th scope="col">From</th>
            <th scope="col">To</th>
            <th scope="col">Received</th>
            <th scope="col" className="numeric">
              Size
            </th>
          </tr>
        </thead>
        <tbody>
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
        </tbody>
      </table>
    </div>
  );
}
