import { templateData, templateLooksComplete, templateVariables } from "./variables";

describe("template variables", () => {
  it("finds each top-level name once, in order, across subject and bodies", () => {
    expect(
      templateVariables("Hi {{ first_name }}", "<p>{{{signature}}} {{first_name}} {{& note}}</p>"),
    ).toEqual(["first_name", "signature", "note"]);
  });

  it("asks for a section's name but not for the names inside it", () => {
    expect(
      templateVariables("{{#items}}{{id}}{{/items}}{{^vip}}{{plain}}{{/vip}} {{! note }}{{total}}"),
    ).toEqual(["items", "vip", "total"]);
  });

  it("nests dotted names in the data", () => {
    expect(templateData(["user.name", "user.city", "code"], { "user.name": "Ada", code: "7" })).toEqual({
      user: { name: "Ada", city: "" },
      code: "7",
    });
  });
});

describe("templates ready to preview", () => {
  it("waits for half-typed tags and unended sections", () => {
    expect(templateLooksComplete("Hi {{name}}", "{{#vip}}VIP{{/vip}}", null)).toBe(true);
    expect(templateLooksComplete("Hi {{na")).toBe(false);
    expect(templateLooksComplete("Hi {{}}")).toBe(false);
    expect(templateLooksComplete("{{#vip}}VIP")).toBe(false);
    expect(templateLooksComplete("{{#a}}{{#b}}{{/a}}{{/b}}")).toBe(false);
  });
});
