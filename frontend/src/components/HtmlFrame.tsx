// Email HTML is someone else's markup: it is shown only in an iframe with every sandbox
// restriction on (no scripts, no forms, no navigation of the app, a unique origin), under the
// page's Content-Security-Policy, which the frame inherits; references to other servers are taken
// out first (see remoteContent.ts).
import { useMemo } from "react";
import { withoutRemoteContent } from "./remoteContent";

export function HtmlFrame({ html, title }: { html: string; title: string }) {
  const shown = useMemo(() => withoutRemoteContent(html), [html]);
  return (
    <>
      {shown.removed > 0 && (
        <p className="field-hint">
          Remote images and styles were not loaded, so the sender cannot tell this was opened.
        </p>
      )}
      <iframe className="html-frame" sandbox="" srcDoc={shown.html} title={title} />
    </>
  );
}
