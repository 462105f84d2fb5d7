// Issue 16 in a real browser: the home dashboard (charts present, a bar
// opens the matching search) and the API tokens page (create, copy, use,
// revoke), with the API reference page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { useServerAndBrowser, newPage, logIn, screenshot, withPages, ARTIFACTS, confirmItsYou } from "../lib.mjs";

const env = useServerAndBrowser();
const menu = (page) => page.getByRole("navigation", { name: "Main menu" });

test("the dashboard is the first page and its bars open the search", () => withPages("dashboard", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.admin");
  await page.waitForURL(/\/home$/);
  await page.getByRole("heading", { name: "Home", level: 1 }).waitFor();
  for (const name of ["Calls per day", "Busiest hours", "Busiest teams", "MFA adoption"]) {
    await page.getByRole("heading", { name, level: 2 }).waitFor();
  }
  const calls = Number(await page.locator(".stat-value").first().innerText());
  assert.ok(calls > 0, `the demo's calls are counted: ${calls}`);
  // Each chart has a title and a table for screen readers.
  assert.equal(await page.locator("svg.bars title").first().count(), 1);
  assert.equal(await page.getByRole("table", { name: "Calls per day" }).count(), 1);
  assert.equal(await page.getByRole("table", { name: "Calls by weekday and hour" }).count(), 1);
  await screenshot(page, "dashboard", { fullPage: true });
  // The README's picture of it, renewed only when asked
  // (CALLREC_UPDATE_SCREENSHOTS=1): a test run leaves tracked files alone.
  if (process.env.CALLREC_UPDATE_SCREENSHOTS === "1") {
    mkdirSync(join(ARTIFACTS, "..", "..", "docs", "screenshots"), { recursive: true });
    copyFileSync(join(ARTIFACTS, "dashboard.png"), join(ARTIFACTS, "..", "..", "docs", "screenshots", "dashboard.png"));
  }

  const bar = page.getByRole("link", { name: /: \d+ inbound calls$/ }).last();
  const label = await bar.evaluate((a) => a.querySelector("title").textContent);
  const [day, count] = [label.slice(0, 10), Number(label.match(/: (\d+) inbound/)[1])];
  await bar.click();
  await page.waitForURL(/\/recordings\?start=.*direction=inbound/);
  assert.equal(await page.getByLabel("Start Date/Time").inputValue(), `${day}T00:00`);
  assert.equal(await page.getByLabel("End Date/Time").inputValue(), `${day}T23:59`);
  assert.equal(await page.getByLabel("Direction").inputValue(), "inbound");
  const rows = await page.getByRole("table").getByRole("row").count();
  assert.equal(rows - 1, Math.min(count, 50), "the bar's calls are the search's rows");

  // On a phone the charts fit the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${env.server.url}/home`);
  await screenshot(page, "dashboard-phone", { fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling: ${overflow}px`);
}));

test("API tokens: create, copy once, use, revoke", () => withPages("api-tokens", env.browser, async () => {
  const page = await newPage(env.browser);
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await logIn(page, env.server, "acme.admin");
  await page.waitForURL(/\/home$/);
  await menu(page).getByRole("link", { name: "API tokens" }).click();
  await page.getByRole("heading", { name: "API tokens", level: 1 }).waitFor();
  await page.getByRole("button", { name: "Create token" }).click();
  const create = page.getByRole("dialog", { name: "Create token" });
  await create.getByRole("button", { name: "Create" }).click();
  const again = page.getByRole("dialog", { name: "Create token" });
  await again.getByText("Token name is required").waitFor();
  await again.getByText("Choose at least one scope").waitFor();
  await again.getByLabel("Token name").fill("CRM sync");
  await again.getByRole("checkbox", { name: /Read the audit log/ }).check();
  await again.getByRole("checkbox", { name: /Search recordings/ }).check();
  await again.getByLabel("Expires in (days)").fill("30");
  await again.getByRole("button", { name: "Create" }).click();
  // A token outlives the session: "Confirm it's you" first.
  await screenshot(page, "api-token-confirm");
  await confirmItsYou(page);
  const created = page.getByRole("dialog", { name: "Token created" });
  const token = (await created.getByLabel("New API token").innerText()).trim();
  assert.match(token, /^crt_[A-Za-z0-9_-]{43}$/);
  await created.getByRole("button", { name: "Copy" }).click();
  await created.getByRole("status").filter({ hasText: "Copied" }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
  await screenshot(page, "api-token-created");
  await created.getByRole("button", { name: "Done" }).click();

  const audit = await fetch(`${env.server.url}/api/v1/audit`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(audit.status, 200);
  const entries = (await audit.json()).items;
  assert.ok(entries.some((e) => e.action === "token.created" && e.target === "CRM sync"), "its creation is audited");
  const audio = await fetch(`${env.server.url}/api/v1/recordings/${"0".repeat(32)}/audio`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(audio.status, 404, "no recordings:download scope");

  await page.goto(`${env.server.url}/api-tokens`);
  const row = page.getByRole("row", { name: /CRM sync/ });
  assert.match(await row.innerText(), /audit:read/);
  assert.match(await row.innerText(), /from 127\.0\.0\.1/);
  await screenshot(page, "api-tokens");
  await row.getByRole("button", { name: "Revoke CRM sync" }).click();
  const confirm = page.getByRole("dialog", { name: "Revoke CRM sync?" });
  await confirm.getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("status").filter({ hasText: "API token revoked" }).waitFor();
  assert.match(await page.getByRole("row", { name: /CRM sync/ }).innerText(), /Revoked/);
  const refused = await fetch(`${env.server.url}/api/v1/audit`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(refused.status, 401);

  await page.goto(`${env.server.url}/api/docs`);
  await page.getByRole("heading", { name: "callrec API reference", level: 1 }).waitFor();
  await page.getByRole("heading", { name: "GET /api/v1/recordings/{id}/audio" }).waitFor();
  await screenshot(page, "api-docs");
}));
