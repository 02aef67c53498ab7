import { ByteSize } from "../../components/ByteSize";

interface AttachmentInfo {
  filename: string;
  content_type: string;
  size: number;
}

export function AttachmentList({ attachments }: { attachments: AttachmentInfo[] }) {
  return (
    <ul className="attachments">
      {attachments.map((attachment, index) => (
        <li key={index}>
          <span className="cell-main">{attachment.filename}</span>{" "}
          <span className="cell-sub">
            {attachment.content_type}, <ByteSize bytes={attachment.size} />
          </span>
        </li>
      ))}
    </ul>
  );
}
