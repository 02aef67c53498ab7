// The app's main navigation. Screens have links of the same names (an empty list's "Compose"),
// so the nav's own are looked up inside it.
import type { Locator, Page } from "@playwright/test";

export function navLink(page: Page, name: string): Locator {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
}
