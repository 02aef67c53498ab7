import { screen, waitFor } from "@testing-library/react";
import { answer, apiError, stubApi } from "../../test/fetch";
import { messageFor } from "../../test/messages";
import { renderScreen } from "../../test/render";
import { TemplateEditPage } from "./TemplateEditPage";

const stored = {
  id: "t-1",
  name: "Receipt",
  subject: "Your receipt {{number}}",
  html: null,
  text: "Thanks, {{name}}",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

function previewEcho() {
  return {
    "POST /api/templates/preview": () => answer(200, { subject: "rendered", html: null, text: "rendered" }),
  };
}

describe("template editor", () => {
  it("asks for a name, a subject and a body before saving", async () => {
    const api = stubApi(previewEcho());
    const { user } = renderScreen(<TemplateEditPage />, { path: "/templates/new" });
    expect(screen.getByRole("heading", { level: 1, name: "New template" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(messageFor(screen.getByLabelText("Name"))).toContain("Give the template a name.");
    expect(messageFor(screen.getByLabelText("Subject"))).toContain("Enter a subject.");
    expect(messageFor(screen.getByLabelText("HTML"))).toContain("Write an HTML or a text body");
    expect(api.to("POST /api/templates")).toHaveLength(0);
  });

  it("shows a duplicate name on the Name field", async () => {
    const api = stubApi({
      ...previewEcho(),
      "POST /api/templates": () =>
        apiError(409, "template_name_taken", "You already have a template with this name.", [
          { field: "name", message: "is already used by another template" },
        ]),
    });
    const { user, router } = renderScreen(<TemplateEditPage />, { path: "/templates/new" });
    await user.type(screen.getByLabelText("Name"), "Receipt");
    await user.type(screen.getByLabelText("Subject"), "Hi");
    await user.type(screen.getByLabelText("Text"), "Hello");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => {
      expect(messageFor(screen.getByLabelText("Name"))).toContain("is already used by another template");
    });
    expect(screen.getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(api.to("POST /api/templates")[0]?.body).toEqual({
      name: "Receipt",
      subject: "Hi",
      html: null,
      text: "Hello",
    });
    expect(router.state.location.pathname).toBe("/templates/new");
  });

  it("previews the unsaved content with sample values for its variables", async () => {
    const api = stubApi({
      "GET /api/templates/:id": () => answer(200, stored),
      "POST /api/templates/preview": (call) => {
        const { data } = call.body as { data: Record<string, string> };
        return answer(200, { subject: `Your receipt ${data.number ?? ""}`, html: null, text: "ok" });
      },
    });
    const { user } = renderScreen(<TemplateEditPage />, { path: "/templates/:id", at: "/templates/t-1" });
    expect(await screen.findByRole("heading", { level: 1, name: "Edit template" })).toBeInTheDocument();
    expect(await screen.findByLabelText("Name")).toHaveValue("Receipt");
    const number = screen.getByRole("textbox", { name: "number" });
    expect(screen.getByRole("textbox", { name: "name" })).toBeInTheDocument();
    await user.type(number, "42");
    expect(await screen.findByText("Your receipt 42")).toBeInTheDocument();
    expect(api.to("POST /api/templates/preview").at(-1)?.body).toMatchObject({
      subject: "Your receipt {{number}}",
      text: "Thanks, {{name}}",
      data: { number: "42", name: "" },
    });
  });

  it("saves changes and says so", async () => {
    const api = stubApi({
      ...previewEcho(),
      "GET /api/templates/:id": () => answer(200, stored),
      "PUT /api/templates/:id": (call) => answer(200, { ...stored, ...(call.body as object) }),
    });
    const { user } = renderScreen(<TemplateEditPage />, { path: "/templates/:id", at: "/templates/t-1" });
    const subject = await screen.findByLabelText("Subject");
    await user.clear(subject);
    await user.type(subject, "New subject");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Template saved.")).toBeInTheDocument();
    expect(api.to("PUT /api/templates/:id")[0]?.body).toMatchObject({ subject: "New subject" });
  });
});
