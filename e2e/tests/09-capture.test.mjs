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
  // Digest credentials: a short password is refused, the username kept.
  await form.getByLabel("SIP username").fill("london-sbc");
  await form.getByLabel("SIP password").fill("short");
  await form.getByRole("button", { name: "Add source" }).click();
  await page.getByRole("alert").filter({ hasText: "16 to 128 characters" }).waitFor();
  assert.equal(await page.getByLabel("SIP username").inputValue(), "london-sbc");
  assert.equal(await page.getByLabel("SIP password").inputValue(), "", "never sent back");
  await page.getByLabel("SIP password").fill("a long random secret for the SBC");
  await page.getByRole("button", { name: "Add source" }).click();
  await page.getByRole("status").filter({ hasText: "Recording source added" }).waitFor();
  const table = page.getByRole("table", { name: "Recording sources" });
  const row = table.getByRole("row").filter({ hasText: "London SBC" });
  assert.match(await row.innerText(), /192\.0\.2\.10\/32/);
  assert.match(await row.innerText(), /Digest as london-sbc/);
  await page.getByRole("heading", { name: "Call capture" }).scrollIntoViewIfNeeded();
  await screenshot(page, "capture-sources", { fullPage: false });
  await row.getByRole("button", { name: "Remove source London SBC" }).click();
  await page.getByRole("status").filter({ hasText: "Recording source removed" }).waitFor();
  assert.equal(await page.getByRole("table", { name: "Recording sources" }).count(), 0);
}));

test("Numbers: the operator gives phone numbers, a company's administrator keeps its extensions", () => withPages("company-numbers", env.browser, async () => {
  const root = await newPage(env.browser);
  await logIn(root, env.server, "operator");
  await root.waitForURL(/\/home$/);
  await root.goto(`${env.server.url}/company-settings`);
  await root.getByRole("link", { name: "Settings of Acme Telecom" }).click();
  const given = root.getByRole("region", { name: "Numbers" });
  await given.getByLabel("First number").fill("+44 20 7946 0000");
  await given.getByLabel("Last number").fill("020 7946 0999");
  await given.getByRole("button", { name: "Add numbers" }).click();
  await root.getByRole("status").filter({ hasText: "Numbers added" }).waitFor();

  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.admin");
  await page.waitForURL(/\/home$/);
  await page.goto(`${env.server.url}/company-settings`);
  const numbers = page.getByRole("region", { name: "Numbers" });
  // A phone number is the operator's to give: refused, saying so.
  await numbers.getByLabel("First number").fill("+44 20 7946 5000");
  await numbers.getByRole("button", { name: "Add numbers" }).click();
  await page.getByRole("alert").filter({ hasText: "given to a company by the portal's operator" }).waitFor();
  const region = page.getByRole("region", { name: "Numbers" });
  await region.getByLabel("First number").fill("200");
  await region.getByLabel("Last number").fill("299");
  await region.getByRole("button", { name: "Add numbers" }).click();
  await page.getByRole("status").filter({ hasText: "Numbers added" }).waitFor();
  // Overlapping its own: refused beside the form, what was typed kept.
  await page.getByRole("region", { name: "Numbers" }).getByLabel("First number").fill("250");
  await page.getByRole("region", { name: "Numbers" }).getByRole("button", { name: "Add numbers" }).click();
  await page.getByRole("alert").filter({ hasText: "overlaps 200 to 299" }).waitFor();
  assert.equal(await page.getByLabel("First number").inputValue(), "250");
  const table = page.getByRole("table", { name: "Company numbers" });
  assert.match(await table.innerText(), /\+442079460000 to \+442079460999\s+1000 numbers/);
  assert.match(await table.innerText(), /200 to 299\s+100 extensions/);
  assert.equal(await table.getByRole("button", { name: /Remove numbers \+44/ }).count(), 0, "the operator's numbers stay");
  await page.getByRole("heading", { name: "Numbers" }).scrollIntoViewIfNeeded();
  await screenshot(page, "company-numbers", { fullPage: false });
  await table.getByRole("button", { name: "Remove numbers 200 to 299" }).click();
  await page.getByRole("status").filter({ hasText: "Numbers removed" }).waitFor();
  assert.doesNotMatch(await page.getByRole("table", { name: "Company numbers" }).innerText(), /200 to 299/);
}));
