// Issue 13 item 8: every page is served with a Content-Security-Policy
// without 'unsafe-inline', and satisfies it: no violation is reported while
// it loads and renders (the logged-in views are covered by
// pages.e2e.test.mjs, whose error lists include CSP violations).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, BASE, watchCsp } from "./browser.mjs";

let browser;
before(async () => { browser = await launch(); });
after(() => browser?.close());

const PAGES = ["/", "/chrono/", "/fab/", "/admin/", "/qr/?p=col-izoard"];

async function open(path) {
  const context = await browser.newContext({ permissions: [] });
  const page = await context.newPage();
  const violations = watchCsp(page);
  const response = await page.goto(`${BASE}${path}`, { waitUntil: "networkidle" });
  return { context, page, violations, response };
}

for (const path of PAGES) {
  test(`${path}: strict CSP, no violation`, async () => {
    const { context, violations, response } = await open(path);
    const csp = response.headers()["content-security-policy"] || "";
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /style-src 'self'/);
    assert.doesNotMatch(csp, /unsafe/);
    assert.deepEqual(violations, []);
    await context.close();
  });
}

test("the check sees a violation when there is one", async () => {
  const { context, page, violations } = await open("/");
  await page.evaluate(() => {
    const d = document.createElement("div");
    d.setAttribute("style", "color: red");
    document.body.append(d);
  });
  await page.waitForTimeout(200);
  assert.equal(violations.length, 1, violations.join("\n"));
  await context.close();
});
