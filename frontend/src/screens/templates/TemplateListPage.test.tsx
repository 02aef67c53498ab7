import { screen } from "@testing-library/react";
import { answer, stubApi } from "../../test/fetch";
import { renderScreen } from "../../test/render";
import { TemplateListPage } from "./TemplateListPage";

const receipt = {
  id: "t-1",
  name: "Receipt",
  subject: "Your receipt",
  html: null,
  text: "Thanks",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

describe("template list", () => {
  it("offers a first template when there are none", async () => {
    stubApi({ "GET /api/templates": () => answer(200, { items: [], total: 0, page: 1, page_size: 20 }) });
    renderScreen(<TemplateListPage />, { path: "/templates" });
    expect(await screen.findByText("No templates yet")).toBeInTheDocument();
    for (const link of screen.getAllByRole("link", { name: "New template" })) {
      expect(link).toHaveAttribute("href", "/templates/new");
    }
  });

  it("links each template to its editor by name, and searches by name", async () => {
    const api = stubApi({
      "GET /api/templates": (call) => {
        const found = call.query.get("q") === "zz" ? [] : [receipt];
        return answer(200, { items: found, total: found.length, page: 1, page_size: 20 });
      },
    });
    const { user } = renderScreen(<TemplateListPage />, { path: "/templates" });
    expect(await screen.findByRole("link", { name: "Receipt" })).toHaveAttribute("href", "/templates/t-1");
    await user.type(screen.getByRole("searchbox", { name: "Search" }), "zz");
    expect(await screen.findByText("No template names start with “zz”")).toBeInTheDocument();
    expect(api.to("GET /api/templates").at(-1)?.query.get("q")).toBe("zz");
  });
});
