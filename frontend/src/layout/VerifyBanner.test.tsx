import { screen } from "@testing-library/react";
import { answer, apiError, stubApi } from "../test/fetch";
import { renderScreen, testUser } from "../test/render";
import { VerifyBanner } from "./VerifyBanner";

describe("the banner of an unconfirmed address", () => {
  it("says why sending is refused and sends a new link", async () => {
    const api = stubApi({
      "GET /api/auth/me": () => answer(200, { ...testUser, email_verified: false }),
      "POST /api/auth/verify-email/resend": () =>
        answer(202, { message: "A new link is on its way to ada@example.com." }),
    });
    const { user } = renderScreen(<VerifyBanner />);

    expect(await screen.findByText("Confirm your address.")).toBeInTheDocument();
    expect(screen.getByText(/cannot send email/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Send a new link" }));
    expect(await screen.findByText("A new link is on its way to ada@example.com.")).toBeInTheDocument();
    expect(api.to("POST /api/auth/verify-email/resend")).toHaveLength(1);
  });

  it("asks to wait when too many links went out", async () => {
    stubApi({
      "GET /api/auth/me": () => answer(200, { ...testUser, email_verified: false }),
      "POST /api/auth/verify-email/resend": () =>
        apiError(429, "account_email_throttled", "Several emails were sent to this address lately."),
    });
    const { user } = renderScreen(<VerifyBanner />);
    await user.click(await screen.findByRole("button", { name: "Send a new link" }));
    expect(await screen.findByText(/wait a while before asking again/)).toBeInTheDocument();
  });

  it("is not there for a confirmed address", async () => {
    const api = stubApi({ "GET /api/auth/me": () => answer(200, testUser) });
    renderScreen(<VerifyBanner />);
    await vi.waitFor(() => {
      expect(api.to("GET /api/auth/me")).toHaveLength(1);
    });
    expect(screen.queryByText("Confirm your address.")).not.toBeInTheDocument();
  });
});
