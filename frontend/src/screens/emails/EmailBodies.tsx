import { useState } from "react";
import type { Email } from "../../api/types";
import { HtmlFrame } from "../../components/HtmlFrame";
import { MessageViews, type MessageView } from "../../components/MessageViews";

export function EmailBodies({ email }: { email: Email }) {
  const views: MessageView[] = [];
  const { html, text } = email;
  if (html !== null && html !== "") {
    views.push({
      id: "html",
      label: "HTML",
      render: () => <HtmlFrame html={html} title={`The HTML body of “${email.subject}”`} />,
    });
  }
  if (text !== null && text !== "") {
    views.push({ id: "text", label: "Text", render: () => <pre>{text}</pre> });
  }
  const [selected, setSelected] = useState(views[0]?.id ?? "html");
  if (views.length === 0) return <p className="cell-sub">This email has no body.</p>;
  return <MessageViews label="Body" views={views} selected={selected} onSelect={setSelected} />;
}
