import { screen, waitFor, within } from "@testing-library/react";
import type { InboxItem } from "../../api/types";
import { answer, stubApi } from "../../test/fetch";
import { renderScreen } from "../../test/render";
import { InboxPage } from "./InboxPage";

const caught: InboxItem = {
  id: "e659cd2400af423cbf89553ba049c573",
  from: "no-reply@localhost",
  to: ["grace@example.com"],
  subject: "Quarterly figures",
  message_id: "<abc@localhost>",
  received_at: "2026-11-27T02:43:14Z",
  size: 1059,
};

describe("the mail catcher", () => {
  it("lists caught mail with links, searches it, and deletes it all after asking", async () => {
    let deleted = false;
    const api = stubApi({
      "GET /health": () => answer(200, { status: "ready", mode: "embedded" }),
      "GET /api/dev/inbox": () =>
        answer(200, { items: deleted ? [] : [caught], total: deleted ? 0 : 1, page: 1, page_size: 20 }),
      "DELETE /api/dev/inbox": () => {
        deleted = true;
        return answer(204);
      },
    });
    const { user, router } = renderScreen(<InboxPage />, { path: "/dev/inbox" });

    expect(await screen.findByRole("link", { name: "Quarterly figures" })).toHaveAttribute(
      "href",
      `/dev/inbox/${caught.id}`,
    );
    await user.type(screen.getByLabelText("Search"), "grace");
    await waitFor(() => {
      expect(api.to("GET /api/dev/inbox").at(-1)?.query.get("q")).toBe("grace");
    });
    expect(router.state.location.search).toBe("?q=grace");

    await user.click(screen.getByRole("button", { name: "Delete all" }));
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Delete all" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Every caught message was deleted.");
    expect(api.to("DELETE /api/dev/inbox")).toHaveLength(1);
    expect(await screen.findByText("No caught mail matches")).toBeInTheDocument();
  });
});
