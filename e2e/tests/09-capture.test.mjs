// Issue 27: Company settings → Call capture, the SBCs allowed to send a
// company's calls to the recording server: added and removed by a
// company's administrator, each change confirmed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, newPage, logIn, screenshot, withPages } from "../lib.mjs";

const env = useServerAndBrowser();

test("Call capture: a recording source is added and removed on Company settings", () => withPages("capture-sources", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.admin");
  await page.waitForURL(/\/home$/);
  await page.getByRole("navigation", { name: "Main menu" }).getByRole("link", { name: "Company settings" }).click();
  const capture = page.getByRole("region", { name: "Call capture" });
  await capture.getByText("No recording sources yet").waitFor();
  // A range too wide is refused, saying what to give.
  await capture.getByLabel("Address or range").fill("10.0.0.0/4");
  await capture.getByRole("button", { name: "Add source" }).click();
  await page.getByRole("alert").filter({ hasText: "too wide" }).waitFor();
  await page.goto(`${env.server.url}/company-settings`);
  const form = page.getByRole("region", { name: "Call capture" });
  await form.getByLabel("Address or range").fill("192.0.2.10");
  await form.getByLabel("Source name").fill("London SBC");
  await form.getByRole("button", { name: "Add source" }).click();
  await page.getByRole("status").filter({ hasText: "Recording source added" }).waitFor();
  const table = page.getByRole("table", { name: "Recording sources" });
  const row = table.getByRole("row").filter({ hasText: "London SBC" });
  assert.match(await row.innerText(), /192\.0\.2\.10\/32/);
  await page.getByRole("heading", { name: "Call capture" }).scrollIntoViewIfNeeded();
  await screenshot(page, "capture-sources", { fullPage: false });
  await row.getByRole("button", { name: "Remove source London SBC" }).click();
  await page.getByRole("status").filter({ hasText: "Recording source removed" }).waitFor();
  assert.equal(await page.getByRole("table", { name: "Recording sources" }).count(), 0);
}));
