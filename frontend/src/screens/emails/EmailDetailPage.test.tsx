import { screen, waitFor, within } from "@testing-library/react";
import type { Email } from "../../api/types";
import { answer, apiError, stubApi } from "../../test/fetch";
import { renderScreen } from "../../test/render";
import { EmailDetailPage } from "./EmailDetailPage";

const ID = "8322f906-607b-4b3e-aef9-d66e5fb8160b";

function email(overrides: Partial<Email> = {}): Email {
  return {
    id: ID,
    subject: "Server down",
    status: "sent",
    text: "Will this ever arrive?",
    html: null,
    template_id: null,
    attempts: 1,
    last_error: null,
    created_at: "2026-11-27T02:43:28Z",
    updated_at: "2026-11-27T02:43:29Z",
    scheduled_at: null,
    expires_at: null,
    sent_at: "2026-11-27T02:43:29Z",
    api_key: null,
    reply_to: null,
    headers: {},
    batch_id: null,
    recipients: [
      {
        address: "someone@example.com",
        kind: "to",
        status: "accepted",
        attempts: 1,
        smtp_code: 250,
        smtp_reply: "2.0.0 OK: queued as 12345",
        updated_at: "2026-11-27T02:43:29Z",
      },
    ],
    attachments: [],
    timeline: [],
    ...overrides,
  };
}

const failed = () =>
  email({
    status: "failed",
    sent_at: null,
    last_error: "550 5.1.1 no such user",
    recipients: [
      {
        address: "nobody@fail.test",
        kind: "to",
        status: "refused",
        attempts: 1,
        smtp_code: 550,
        smtp_reply: "5.1.1 no such user",
        updated_at: "2026-11-27T02:43:29Z",
      },
    ],
  });

const showEmail = (id = ID) =>
  renderScreen(<EmailDetailPage />, { path: "/emails/:id", at: `/emails/${id}` });

describe("an email's page", () => {
  it("shows the subject, status, recipients and every SMTP reply of the timeline", async () => {
    stubApi({
      "GET /api/emails/:id": () =>
        answer(
          200,
          email({
            attempts: 2,
            timeline: [
              { attempt: 1, outcome: "started", at: "2026-11-27T02:43:28Z" },
              {
                attempt: 1,
                outcome: "deferred",
                recipient: "someone@example.com",
                at: "2026-11-27T02:43:28Z",
                smtp_code: 451,
                smtp_reply: "4.3.0 mailbox temporarily unavailable, try again in a while",
              },
              {
                attempt: 2,
                outcome: "accepted",
                recipient: "someone@example.com",
                at: "2026-11-27T02:43:29Z",
                smtp_code: 250,
                smtp_reply: "2.0.0 OK: queued as 12345",
              },
            ],
          }),
        ),
    });
    showEmail();
    expect(await screen.findByRole("heading", { level: 1, name: "Server down" })).toBeInTheDocument();
    expect(screen.getByText("Sent", { selector: ".badge" })).toBeInTheDocument();

    const recipients = screen.getByRole("region", { name: "Recipients" });
    expect(within(recipients).getByText("someone@example.com")).toBeInTheDocument();
    expect(within(recipients).getByText("Accepted")).toBeInTheDocument();

    const timeline = screen.getByRole("region", { name: "Delivery timeline" });
    const steps = within(timeline).getAllByRole("listitem");
    expect(steps).toHaveLength(3);
    expect(steps[1]).toHaveTextContent("451 4.3.0 mailbox temporarily unavailable, try again in a while");
    expect(steps[1]).toHaveTextContent("Attempt 1");
    expect(steps[2]).toHaveTextContent("250 2.0.0 OK: queued as 12345");
    expect(steps[2]).toHaveTextContent("Attempt 2");
  });

  it("names the API key it was sent with, in the facts and as its first step", async () => {
    stubApi({
      "GET /api/emails/:id": () =>
        answer(
          200,
          email({
            api_key: { id: "k1", name: "billing service" },
            timeline: [
              {
                attempt: 0,
                outcome: "submitted",
                at: "2026-11-27T02:43:28Z",
                detail: 'with the API key "billing service"',
              },
              { attempt: 1, outcome: "started", at: "2026-11-27T02:43:28Z" },
            ],
          }),
        ),
    });
    showEmail();
    expect(await screen.findByText("the API key “billing service”")).toBeInTheDocument();
    const steps = within(screen.getByRole("region", { name: "Delivery timeline" })).getAllByRole("listitem");
    expect(steps[0]).toHaveTextContent('Submitted');
    expect(steps[0]).toHaveTextContent('with the API key "billing service"');
    expect(steps[0]).not.toHaveTextContent("Attempt 0");
    expect(steps[1]).toHaveTextContent("Attempt 1");
  });

  it("says which recipient was not sent to for being suppressed, and shows the batch and added headers", async () => {
    stubApi({
      "GET /api/emails/:id": () =>
        answer(
          200,
          email({
            batch_id: "b-1",
            reply_to: "support@example.com",
            headers: { "X-Campaign": "november" },
            recipients: [
              {
                address: "gone@example.com",
                kind: "to",
                status: "suppressed",
                attempts: 0,
                smtp_code: null,
                smtp_reply: null,
                updated_at: "2026-11-27T02:43:28Z",
              },
            ],
            timeline: [
              {
                attempt: 1,
                outcome: "suppressed",
                recipient: "gone@example.com",
                at: "2026-11-27T02:43:28Z",
                detail: "on the suppression list (refused): not sent",
              },
              { attempt: 1, outcome: "dead_lettered", at: "2026-11-27T02:43:28Z", detail: "suppressed" },
            ],
          }),
        ),
    });
    showEmail();
    const recipients = await screen.findByRole("region", { name: "Recipients" });
    const row = within(recipients).getByText("gone@example.com").closest("tr") as HTMLElement;
    expect(within(row).getByText("Suppressed")).toBeInTheDocument();
    expect(within(row).getByRole("link", { name: "suppression list" })).toHaveAttribute("href", "/suppressions");

    const steps = within(screen.getByRole("region", { name: "Delivery timeline" })).getAllByRole("listitem");
    expect(steps[0]).toHaveTextContent("Suppressed");
    expect(steps[0]).toHaveTextContent("on the suppression list (refused): not sent");
    expect(steps[1]).toHaveTextContent("Every recipient left is on your suppression list.");

    expect(screen.getByRole("link", { name: "sent in a batch" })).toHaveAttribute("href", "/emails/batches/b-1");
    expect(screen.getByText("(replies to support@example.com)")).toBeInTheDocument();
    expect(screen.getByText("X-Campaign").nextElementSibling).toHaveTextContent("november");
  });

  it("shows HTML only inside a sandboxed frame, never in the page", async () => {
    stubApi({
      "GET /api/emails/:id": () =>
        answer(200, email({ html: '<p id="from-the-email">Hello</p><script>alert(1)</script>' })),
    });
    const { user } = showEmail();
    const frame = await screen.findByTitle(/HTML body/);
    expect(frame.tagName).toBe("IFRAME");
    expect(frame).toHaveAttribute("sandbox", "");
    expect(frame.getAttribute("srcdoc")).toContain('id="from-the-email"');
    expect(document.getElementById("from-the-email")).toBeNull();

    await user.click(screen.getByRole("tab", { name: "Text" }));
    expect(screen.getByText("Will this ever arrive?").tagName).toBe("PRE");
  });

  it("offers to cancel only while it can be cancelled", async () => {
    stubApi({ "GET /api/emails/:id": () => answer(200, email({ status: "queued", sent_at: null })) });
    showEmail();
    await screen.findByRole("heading", { level: 1, name: "Server down" });
    expect(screen.queryByRole("button", { name: "Cancel sending" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Retry" })).not.toBeInTheDocument();
  });

  it("cancels a scheduled email after asking", async () => {
    const scheduled = email({ status: "scheduled", sent_at: null, scheduled_at: "2027-01-01T10:00:00Z" });
    const api = stubApi({
      "GET /api/emails/:id": () => answer(200, scheduled),
      "POST /api/emails/:id/cancel": () => answer(200, { ...scheduled, status: "cancelled" }),
    });
    const { user } = showEmail();
    await user.click(await screen.findByRole("button", { name: "Cancel sending" }));

    const dialog = screen.getByRole("dialog", { name: "Cancel sending this email?" });
    expect(api.to("POST /api/emails/:id/cancel")).toHaveLength(0);
    await user.click(within(dialog).getByRole("button", { name: "Cancel sending" }));

    expect(await screen.findByRole("status")).toHaveTextContent("Cancelled");
    expect(api.to("POST /api/emails/:id/cancel")).toHaveLength(1);
    expect(screen.getByText("Cancelled", { selector: ".badge" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel sending" })).not.toBeInTheDocument();
  });

  it("keeps the email when the question is dismissed", async () => {
    const api = stubApi({
      "GET /api/emails/:id": () => answer(200, email({ status: "retrying", sent_at: null })),
    });
    const { user } = showEmail();
    await user.click(await screen.findByRole("button", { name: "Cancel sending" }));
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Keep it" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(api.to("POST /api/emails/:id/cancel")).toHaveLength(0);
  });

  it("retries a failed email with an idempotency key", async () => {
    const exhausted = failed();
    exhausted.recipients = exhausted.recipients.map((recipient) => ({
      ...recipient,
      status: "abandoned",
      smtp_code: 451,
    }));
    const api = stubApi({
      "GET /api/emails/:id": () => answer(200, exhausted),
      "POST /api/emails/:id/retry": () => answer(202, { ...exhausted, status: "queued" }),
    });
    const { user } = showEmail();
    await user.click(await screen.findByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Queued again");
    const [call] = api.to("POST /api/emails/:id/retry");
    expect(call?.headers.get("Idempotency-Key")).toBeTruthy();
  });

  it("explains why retrying an email every recipient refused would not help, without asking", async () => {
    const api = stubApi({ "GET /api/emails/:id": () => answer(200, failed()) });
    const { user } = showEmail();
    await user.click(await screen.findByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "every recipient refused this email permanently",
    );
    // The API's answer is known (409 nothing_to_retry): no request, so no failed one either.
    expect(api.to("POST /api/emails/:id/retry")).toHaveLength(0);
  });

  it("explains the API's nothing_to_retry when it answers so", async () => {
    const given = failed();
    const mixed = {
      ...given,
      recipients: [...given.recipients, { ...given.recipients[0], address: "later@down.test", status: "abandoned" }],
    } as Email;
    stubApi({
      "GET /api/emails/:id": () => answer(200, mixed),
      "POST /api/emails/:id/retry": () =>
        apiError(409, "nothing_to_retry", "Every recipient refused this email permanently."),
    });
    const { user } = showEmail();
    await user.click(await screen.findByRole("button", { name: "Retry" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("every recipient refused this email permanently");
    expect(alert).toHaveTextContent("send a new email");
  });

  it("says so when there is no such email, with the way back", async () => {
    stubApi({ "GET /api/emails/:id": () => apiError(404, "not_found", "No such email.") });
    showEmail();
    expect(await screen.findByRole("heading", { level: 1, name: "Email not found" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Back to Sent" })).toHaveAttribute("href", "/emails");
  });

  it("asks again while the email is on its way, and stops once it is final", async () => {
    let answers = 0;
    const api = stubApi({
      "GET /api/emails/:id": () => {
        answers += 1;
        return answer(200, answers === 1 ? email({ status: "sending", sent_at: null }) : email());
      },
    });
    showEmail();
    await waitFor(() => { expect(screen.getByText("Sent", { selector: ".badge" })).toBeInTheDocument(); }, {
      timeout: 4000,
    });
    const asked = api.to("GET /api/emails/:id").length;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(api.to("GET /api/emails/:id")).toHaveLength(asked);
  });
});
