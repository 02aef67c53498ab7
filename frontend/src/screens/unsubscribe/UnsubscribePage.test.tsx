import { screen } from "@testing-library/react";
import { answer, apiError, stubApi } from "../../test/fetch";
import { renderScreen } from "../../test/render";
import { UnsubscribePage } from "./UnsubscribePage";

const TOKEN = "Zq3x9V0c_kT2m8LrYb1WfP4s-a6HnD7e";

function showUnsubscribe(signedOut = true) {
  return renderScreen(<UnsubscribePage />, { path: "/unsubscribe/:token", at: `/unsubscribe/${TOKEN}`, signedOut });
}

describe("the unsubscribe page", () => {
  it("asks first, then unsubscribes without anyone signed in", async () => {
    const api = stubApi({
      "POST /api/unsubscribe/:token": () => answer(200, { address: "ada@example.com", sender: "Shop Tester" }),
    });
    const { user } = showUnsubscribe();
    expect(screen.getByRole("heading", { name: "Unsubscribe" })).toBeInTheDocument();
    // A link checker opening the page changes nothing: only the button does.
    expect(api.calls).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Unsubscribe" }));
    expect(await screen.findByRole("heading", { name: "You are unsubscribed" })).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("ada@example.com will get no more email from Shop Tester");
    const calls = api.to("POST /api/unsubscribe/:token");
    expect(calls.map((call) => call.path)).toEqual([`/api/unsubscribe/${TOKEN}`]);
    expect(calls[0]?.headers.get("Authorization")).toBeNull();
  });

  it("sends no token of whoever happens to be signed in", async () => {
    const api = stubApi({
      "POST /api/unsubscribe/:token": () => answer(200, { address: "ada@example.com", sender: "Shop Tester" }),
    });
    const { user } = showUnsubscribe(false);
    await user.click(screen.getByRole("button", { name: "Unsubscribe" }));
    await screen.findByRole("heading", { name: "You are unsubscribed" });
    expect(api.to("POST /api/unsubscribe/:token")[0]?.headers.get("Authorization")).toBeNull();
  });

  it("says so when the link is not known", async () => {
    stubApi({
      "POST /api/unsubscribe/:token": () => apiError(404, "unsubscribe_link_unknown", "This unsubscribe link is not known."),
    });
    const { user } = showUnsubscribe();
    await user.click(screen.getByRole("button", { name: "Unsubscribe" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This unsubscribe link is not known: open the one in the email again.");
    expect(screen.getByRole("heading", { name: "Unsubscribe" })).toBeInTheDocument();
  });
});
