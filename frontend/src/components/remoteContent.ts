// Email HTML may point at images, fonts and stylesheets on other servers. Mail clients do not fetch
// them unasked: a remote image is how senders learn that, when and where an email was opened. The
// page's CSP would block them anyway, but every blocked load is a console error, so they are taken
// out before the HTML reaches the frame, and the frame says so.

const REMOTE = /^\s*(https?:)?\/\//i;
const CSS_REMOTE_URL = /url\(\s*(['"]?)\s*(https?:)?\/\/[^)]*\)/gi;
const CSS_IMPORT = /@import[^;]*;/gi;

export interface Stripped {
  html: string;
  /** How many references to other servers were removed. */
  removed: number;
}

export function withoutRemoteContent(html: string): Stripped {
  // A parsed document is inert: nothing in it loads or runs.
  const document = new DOMParser().parseFromString(html, "text/html");
  let removed = 0;
  const drop = (element: Element, attribute: string) => {
    element.removeAttribute(attribute);
    removed += 1;
  };
  for (const element of document.querySelectorAll("[src], [background], [poster], [srcset]")) {
    for (const attribute of ["src", "background", "poster"]) {
      if (REMOTE.test(element.getAttribute(attribute) ?? "")) drop(element, attribute);
    }
    if (/(https?:)?\/\//i.test(element.getAttribute("srcset") ?? "")) drop(element, "srcset");
  }
  for (const link of document.querySelectorAll("link[href]")) {
    link.remove();
    removed += 1;
  }
  const counted = (replacement: string) => () => {
    removed += 1;
    return replacement;
  };
  const css = (text: string) =>
    text.replace(CSS_IMPORT, counted("")).replace(CSS_REMOTE_URL, counted("none"));
  for (const element of document.querySelectorAll("[style]")) {
    element.setAttribute("style", css(element.getAttribute("style") ?? ""));
  }
  for (const style of document.querySelectorAll("style")) {
    style.textContent = css(style.textContent);
  }
  return { html: removed === 0 ? html : document.documentElement.outerHTML, removed };
}
