// Keyboard users: the skip link, a tab order that reaches the form, and the theme button.
import type { Locator, Page } from "@playwright/test";
import { recipientsField } from "./support/mail";
import { newPerson, signUp } from "./support/people";
import { expect, snap, test } from "./support/test";

/** Presses Tab until `target` has focus; fails if focus leaves the main content or never gets there. */
async function tabTo(page: Page, target: Locator, presses = 12): Promise<void> {
  await expect(target).toBeVisible();
  for (let i = 0; i < presses; i += 1) {
    if (await target.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press("Tab");
    const inMain = await page.evaluate(() => document.activeElement?.closest("main") !== null);
    expect(inMain, "focus stays in the main content after the skip link").toBe(true);
  }
  await expect(target).toBeFocused();
}

test("the skip link and the tab order reach the compose form", async ({ page }) => {
  await signUp(page, newPerson("keyboard"));
  await page.goto("/compose");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();

  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
  await page.keyboard.press("Enter");

  const to = recipientsField(page, "To");
  await tabTo(page, to);
  await page.keyboard.type("reader@example.com");
  await page.keyboard.press("Enter");
  await tabTo(page, page.getByLabel("Subject", { exact: true }));
  await page.keyboard.type("Typed without a mouse");
  await tabTo(page, page.getByLabel("Body", { exact: true }));
  await snap(page, "compose-keyboard");
});

test("the theme button switches between light and dark, and the choice stays", async ({ page }) => {
  await signUp(page, newPerson("themes"));
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  expect(await theme()).toBe("light");

  await page.getByRole("button", { name: "Use the dark theme" }).click();
  expect(await theme()).toBe("dark");
  await snap(page, "dashboard-dark");

  const back = page.getByRole("button", { name: "Use the light theme" });
  await back.focus();
  await page.keyboard.press("Enter");
  expect(await theme()).toBe("light");
  await expect(page.getByRole("button", { name: "Use the dark theme" })).toBeVisible();

  await page.getByRole("button", { name: "Use the dark theme" }).click();
  await page.reload();
  expect(await theme()).toBe("dark");
});
