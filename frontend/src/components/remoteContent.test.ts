import { withoutRemoteContent } from "./remoteContent";

describe("remote content in email HTML", () => {
  it("leaves HTML without remote references exactly as it was", () => {
    const html = '<p style="color: red">Hi <img src="data:image/png;base64,AAAA" alt="dot"></p>';
    expect(withoutRemoteContent(html)).toEqual({ html, removed: 0 });
  });

  it("takes out remote images, backgrounds, stylesheets and CSS urls, keeping the rest", () => {
    const { html, removed } = withoutRemoteContent(
      `<html><head><link rel="stylesheet" href="https://cdn.example/x.css">
       <style>@import url("https://fonts.example/f.css"); .hero { background: url(//t.example/b.png) }</style></head>
       <body background="http://t.example/bg.gif">
       <img src="https://t.example/pixel.gif?u=1" alt="tracker">
       <img srcset="https://t.example/a.png 2x" alt="retina">
       <div style="background-image: url('https://t.example/c.png'); color: blue">cell</div>
       <img src="cid:logo" alt="inline logo"></body></html>`,
    );
    expect(removed).toBe(7);
    expect(html).not.toMatch(/t\.example|cdn\.example|fonts\.example/);
    expect(html).toContain('alt="tracker"');
    expect(html).toContain("color: blue");
    expect(html).toContain('src="cid:logo"');
  });
});
