import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { Template } from "../../api/types";
import { answer, apiError, stubApi, type Call } from "../../test/fetch";
import { messageFor } from "../../test/messages";
import { renderScreen } from "../../test/render";
import { ComposePage } from "./ComposePage";

const welcome: Template = {
  id: "7d1b3a52-0000-4000-8000-000000000001",
  name: "Welcome",
  subject: "Welcome, {{first_name}}!",
  html: "<p>Your code is {{code}}</p>",
  text: null,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

const accepted = (status: string) => ({
  id: "e-1",
  status,
  created_at: "2026-01-01T00:00:00Z",
  scheduled_at: null,
  expires_at: null,
  recipients: 1,
});

function stubMail(send: (call: Call) => Response = () => answer(202, accepted("queued"))) {
  return stubApi({
    "GET /api/templates": () => answer(200, { items: [welcome], total: 1, page: 1, page_size: 100 }),
    "GET /api/contacts": (call) =>
      answer(200, {
        items: (call.query.get("q") ?? "").startsWith("gr")
          ? [{ id: "c1", email: "grace@example.com", name: "Grace Hopper", created_at: "", updated_at: "" }]
          : [],
        total: 1,
        page: 1,
        page_size: 8,
      }),
    "POST /api/templates/:id/preview": (call) => {
      const { data } = call.body as { data: Record<string, string> };
      return answer(200, {
        subject: `Welcome, ${data.first_name ?? ""}!`,
        html: `<p>Your code is ${data.code ?? ""}</p>`,
        text: null,
      });
    },
    "POST /api/emails/send": send,
    "GET /api/emails/:id": () => answer(200, { ...accepted("sent"), last_error: null }),
  });
}

function showCompose() {
  return renderScreen(<ComposePage />, { path: "/compose" });
}

describe("compose", () => {
  it("shows what is missing next to each field and sends nothing", async () => {
    const api = stubMail();
    const { user } = showCompose();
    await user.click(screen.getByRole("button", { name: "Send" }));
    const to = screen.getByRole("combobox", { name: "To" });
    expect(to).toHaveAttribute("aria-invalid", "true");
    expect(to).toHaveFocus();
    expect(messageFor(to)).toContain("Add at least one recipient.");
    expect(messageFor(screen.getByLabelText("Subject"))).toContain("Enter a subject.");
    expect(messageFor(screen.getByLabelText("Body"))).toContain("Write a message, or choose a template.");
    expect(api.to("POST /api/emails/send")).toHaveLength(0);
  });

  it("refuses something that is not an address, naming it", async () => {
    const api = stubMail();
    const { user } = showCompose();
    const to = screen.getByRole("combobox", { name: "To" });
    await user.type(to, "ada@example.com, nobody{Enter}");
    await user.type(screen.getByLabelText("Subject"), "Hello");
    await user.type(screen.getByLabelText("Body"), "Hi there");
    await user.click(screen.getByRole("button", { name: "Send" }));
    expect(messageFor(to)).toContain("nobody is not an email address.");
    expect(api.to("POST /api/emails/send")).toHaveLength(0);
  });

  it("turns typed addresses into chips with Enter and commas, and removes them by keyboard", async () => {
    stubMail();
    const { user } = showCompose();
    const to = screen.getByRole("combobox", { name: "To" });
    await user.type(to, "ada@example.com{Enter}bob@example.com,carol@example.com");
    await user.tab(); // leaving the field keeps what was typed
    const chips = screen.getByRole("list", { name: "To recipients" });
    expect(within(chips).getAllByRole("listitem").map((chip) => chip.textContent)).toEqual([
      "ada@example.com×",
      "bob@example.com×",
      "carol@example.com×",
    ]);
    // The remove button is a real button, reachable and pressable from the keyboard.
    screen.getByRole("button", { name: "Remove bob@example.com" }).focus();
    await user.keyboard("{Enter}");
    expect(screen.queryByRole("button", { name: "Remove bob@example.com" })).not.toBeInTheDocument();
    // Backspace in the empty field takes the last address back.
    await user.click(to);
    await user.keyboard("{Backspace}");
    expect(screen.queryByRole("button", { name: "Remove carol@example.com" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Remove ada@example.com" })).toBeInTheDocument();
  });

  it("reveals Cc and Bcc on request and sends them", async () => {
    const api = stubMail();
    const { user } = showCompose();
    expect(screen.queryByRole("combobox", { name: "Cc" })).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Cc and Bcc" }));
    const cc = screen.getByRole("combobox", { name: "Cc" });
    expect(cc).toHaveFocus();
    await user.type(cc, "carol@example.com{Enter}");
    await user.type(screen.getByRole("combobox", { name: "Bcc" }), "dan@example.com{Enter}");
    await user.type(screen.getByRole("combobox", { name: "To" }), "ada@example.com{Enter}");
    await user.type(screen.getByLabelText("Subject"), "Hello");
    await user.type(screen.getByLabelText("Body"), "Hi");
    await user.click(screen.getByRole("button", { name: "Send" }));
    await screen.findByText("Email accepted");
    expect(api.to("POST /api/emails/send")[0]?.body).toEqual({
      to: ["ada@example.com"],
      cc: ["carol@example.com"],
      bcc: ["dan@example.com"],
      subject: "Hello",
      text: "Hi",
      attachments: [],
      list_unsubscribe: false,
    });
  });

  it("adds a one-click unsubscribe link to an email for one recipient only", async () => {
    const api = stubMail();
    const { user } = showCompose();
    await user.type(screen.getByRole("combobox", { name: "To" }), "ada@example.com,bob@example.com{Enter}");
    await user.type(screen.getByLabelText("Subject"), "News");
    await user.type(screen.getByLabelText("Body"), "Hi");
    const option = screen.getByRole("checkbox", { name: "Add a one-click unsubscribe link" });
    await user.click(option);
    await user.click(screen.getByRole("button", { name: "Send" }));
    expect(messageFor(option)).toContain("An unsubscribe link is for an email to one recipient");
    expect(api.to("POST /api/emails/send")).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Remove bob@example.com" }));
    await user.click(screen.getByRole("button", { name: "Send" }));
    await screen.findByText("Email accepted");
    expect(api.to("POST /api/emails/send")[0]?.body).toMatchObject({ to: ["ada@example.com"], list_unsubscribe: true });
  });

  it("suggests contacts as you type and takes one with the arrow keys and Enter", async () => {
    const api = stubMail();
    const { user } = showCompose();
    const to = screen.getByRole("combobox", { name: "To" });
    await user.type(to, "gr");
    const option = await screen.findByRole("option", { name: /Grace Hopper/ });
    expect(option).toBeInTheDocument();
    expect(api.to("GET /api/contacts").at(-1)?.query.get("q")).toBe("gr");
    await user.keyboard("{ArrowDown}{Enter}");
    expect(screen.getByRole("button", { name: "Remove grace@example.com" })).toBeInTheDocument();
    expect(to).toHaveValue("");
  });

  it("puts the API's field errors next to the fields they are about", async () => {
    stubMail(() =>
      apiError(422, "invalid_input", "Check the highlighted fields.", [
        { field: "to[1]", message: "is not a valid address" },
        { field: "subject", message: "must not contain a line break" },
        { field: "text", message: "is too long" },
        { field: "scheduled_at", message: "must be in the future" },
      ]),
    );
    const { user } = showCompose();
    await user.type(screen.getByRole("combobox", { name: "To" }), "ada@example.com,bob@example.org{Enter}");
    await user.type(screen.getByLabelText("Subject"), "Hello");
    await user.type(screen.getByLabelText("Body"), "Hi");
    await user.click(screen.getByLabelText("Send later"));
    fireEvent.change(screen.getByLabelText("Send at"), { target: { value: "2031-05-06T07:08" } });
    await user.click(screen.getByRole("button", { name: "Schedule" }));
    await waitFor(() => {
      expect(messageFor(screen.getByRole("combobox", { name: "To" }))).toContain(
        "bob@example.org: is not a valid address",
      );
    });
    expect(messageFor(screen.getByLabelText("Subject"))).toContain("must not contain a line break");
    expect(messageFor(screen.getByLabelText("Body"))).toContain("is too long");
    expect(messageFor(screen.getByLabelText("Send at"))).toContain("must be in the future");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("fills in a template, asks for its variables and sends them as template_data", async () => {
    const api = stubMail();
    const { user } = showCompose();
    await user.type(screen.getByRole("combobox", { name: "To" }), "ada@example.com{Enter}");
    await user.selectOptions(await screen.findByLabelText("Template"), "Welcome");
    expect(screen.getByLabelText("Subject")).toHaveValue("Welcome, {{first_name}}!");
    expect(screen.getByRole("radio", { name: "HTML" })).toBeChecked();
    await user.type(screen.getByRole("textbox", { name: "first_name" }), "Grace");
    await user.type(screen.getByRole("textbox", { name: "code" }), "7");
    expect(await screen.findByText("Welcome, Grace!")).toBeInTheDocument();
    await waitFor(() => {
      expect(api.to("POST /api/templates/:id/preview").at(-1)?.body).toEqual({
        data: { first_name: "Grace", code: "7" },
      });
    });
    await user.click(screen.getByRole("button", { name: "Send" }));
    await screen.findByText("Email accepted");
    const sent = api.to("POST /api/emails/send")[0]?.body as Record<string, unknown>;
    expect(sent).toMatchObject({
      to: ["ada@example.com"],
      template_id: welcome.id,
      template_data: { first_name: "Grace", code: "7" },
    });
  });

  it("puts a missing template variable on its input", async () => {
    stubMail(() =>
      apiError(422, "invalid_input", "Template variables are missing: code", [
        { field: "template_data.code", message: "is required by the template" },
      ]),
    );
    const { user } = showCompose();
    await user.type(screen.getByRole("combobox", { name: "To" }), "ada@example.com{Enter}");
    await user.selectOptions(await screen.findByLabelText("Template"), "Welcome");
    await user.click(screen.getByRole("button", { name: "Send" }));
    await waitFor(() => {
      expect(messageFor(screen.getByRole("textbox", { name: "code" }))).toContain(
        "is required by the template",
      );
    });
  });

  it("schedules with the chosen local time as an instant", async () => {
    const api = stubMail(() => answer(202, { ...accepted("scheduled"), scheduled_at: "2031-05-06T07:08:00Z" }));
    const { user } = showCompose();
    await user.type(screen.getByRole("combobox", { name: "To" }), "ada@example.com{Enter}");
    await user.type(screen.getByLabelText("Subject"), "Later");
    await user.type(screen.getByLabelText("Body"), "See you");
    await user.click(screen.getByLabelText("Send later"));
    await user.click(screen.getByRole("button", { name: "Schedule" }));
    expect(messageFor(screen.getByLabelText("Send at"))).toContain("Choose when to send it.");
    fireEvent.change(screen.getByLabelText("Send at"), { target: { value: "2031-05-06T07:08" } });
    await user.click(screen.getByRole("button", { name: "Schedule" }));
    await screen.findByText("Email scheduled");
    const sent = api.to("POST /api/emails/send")[0]?.body as Record<string, unknown>;
    expect(sent.scheduled_at).toBe(new Date(2031, 4, 6, 7, 8).toISOString());
  });

  it("confirms with the live status, sends once per compose, and starts afresh", async () => {
    const api = stubMail();
    const { user } = showCompose();
    await user.type(screen.getByRole("combobox", { name: "To" }), "ada@example.com{Enter}");
    await user.type(screen.getByLabelText("Subject"), "Hello");
    await user.type(screen.getByLabelText("Body"), "Hi");
    await user.click(screen.getByRole("button", { name: "Send" }));
    const status = await screen.findByRole("status");
    await waitFor(() => {
      expect(within(status).getByText("Sent")).toBeInTheDocument();
    });
    const key = api.to("POST /api/emails/send")[0]?.headers.get("Idempotency-Key");
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(screen.getByRole("link", { name: "Open the email" })).toHaveAttribute("href", "/emails/e-1");
    await user.click(screen.getByRole("button", { name: "Write another" }));
    expect(screen.getByLabelText("Subject")).toHaveValue("");
    await user.type(screen.getByRole("combobox", { name: "To" }), "bob@example.com{Enter}");
    await user.type(screen.getByLabelText("Subject"), "Again");
    await user.type(screen.getByLabelText("Body"), "Hi");
    await user.click(screen.getByRole("button", { name: "Send" }));
    await screen.findByText("Email accepted");
    expect(api.to("POST /api/emails/send")[1]?.headers.get("Idempotency-Key")).not.toBe(key);
  });

  it("warns before sending attachments that are too large", async () => {
    const api = stubMail();
    const { user } = showCompose();
    const big = new File(["x"], "huge.bin", { type: "application/octet-stream" });
    Object.defineProperty(big, "size", { value: 9 * 1024 * 1024 });
    await user.upload(screen.getByLabelText("Attachments"), big);
    expect(screen.getByText("huge.bin")).toBeInTheDocument();
    expect(messageFor(screen.getByLabelText("Attachments"))).toMatch(/add up to 9\.0 MB/);
    await user.click(screen.getByRole("button", { name: "Remove huge.bin" }));
    expect(screen.queryByText("huge.bin")).not.toBeInTheDocument();
    expect(api.to("POST /api/emails/send")).toHaveLength(0);
  });

  it("shows the API's 413 on Attachments", async () => {
    stubMail(() => apiError(413, "payload_too_large", "The request body is too large."));
    const { user } = showCompose();
    await user.type(screen.getByRole("combobox", { name: "To" }), "ada@example.com{Enter}");
    await user.type(screen.getByLabelText("Subject"), "Files");
    await user.type(screen.getByLabelText("Body"), "Attached");
    await user.upload(screen.getByLabelText("Attachments"), new File(["%PDF"], "report.pdf", { type: "application/pdf" }));
    await user.click(screen.getByRole("button", { name: "Send" }));
    await waitFor(() => {
      expect(messageFor(screen.getByLabelText("Attachments"))).toContain("The request body is too large.");
    });
  });
});
