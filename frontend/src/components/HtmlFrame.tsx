// Email HTML is someone else's markup: it is shown only in an iframe with every sandbox
// restriction on (no scripts, no forms, no navigation of the app, a unique origin), and the
// page's Content-Security-Policy, which the frame inherits, keeps remote images out.
export function HtmlFrame({ html, title }: { html: string; title: string }) {
  return <iframe className="html-frame" sandbox="" srcDoc={html} title={title} />;
}
