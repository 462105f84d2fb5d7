// Issue 13: recordings as records, in a real browser. Legal hold on a
// recording (reason required, badge, On hold filter, Delete refused), on a
// whole search (count and confirm); Delete → Deleted recordings → Restore;
// Download selected as a ZIP; Company settings → Retention with its
// preview; the call detail report with Export CSV. On a phone-sized screen
// too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { useServerAndBrowser, newPage, logIn, screenshot, withPages, confirmItsYou } from "../lib.mjs";

const env = useServerAndBrowser();
const menu = (page) => page.getByRole("navigation", { name: "Main menu" });

test("legal hold, Deleted recordings and Restore", () => withPages("records-hold", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.admin");
  await page.waitForURL(/\/home$/);
  await page.getByRole("navigation", { name: "Main menu" }).getByRole("link", { name: "Recordings" }).click();
  await page.waitForURL(/\/recordings$/);
  const rows = page.getByRole("table").getByRole("row");
  const first = rows.nth(1);
  const firstTime = (await first.getByRole("cell").nth(1).innerText()).trim();
  // On hold with a reason in three clicks: the row's menu, Place on hold…,
  // and Place on hold once the reason is typed (issue 26).
  await first.getByRole("button", { name: "More actions" }).click();
  await first.getByRole("link", { name: "Place on hold…" }).click();
  const keeping = page.getByRole("region", { name: "Retention and legal hold" });
  await keeping.getByRole("button", { name: "Place on hold" }).click();
  // The reason is required: the browser keeps the form.
  assert.equal(await keeping.getByLabel("Reason").evaluate((input) => input.validity.valueMissing), true);
  await keeping.getByLabel("Reason").fill("Case 2026/114 Smith v Acme");
  await keeping.getByRole("button", { name: "Place on hold" }).click();
  await page.getByRole("status").filter({ hasText: "Legal hold placed" }).waitFor();
  await keeping.getByText("Case 2026/114 Smith v Acme").waitFor();
  await screenshot(page, "recording-on-hold");

  // The list: a badge, the On hold filter, no Delete on the held row.
  await menu(page).getByRole("link", { name: "Recordings" }).click();
  await page.getByText("More filters", { exact: true }).click();
  await page.getByRole("checkbox", { name: "On hold" }).check();
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/held=1/);
  const held = page.getByRole("table").getByRole("row");
  assert.equal(await held.count(), 2, "a header and the one held recording");
  assert.equal((await held.nth(1).getByRole("cell").nth(1).innerText()).trim(), firstTime);
  await held.nth(1).getByText("On hold").waitFor();
  await held.nth(1).getByRole("button", { name: "More actions" }).click();
  await held.nth(1).getByRole("link", { name: "Details" }).waitFor();
  assert.equal(await held.nth(1).getByRole("button", { name: "Delete" }).count(), 0);
  await screenshot(page, "recordings-on-hold");

  // Delete another one: it moves to Deleted recordings, and comes back.
  await page.getByRole("link", { name: "Clear filters" }).click();
  const second = page.getByRole("table").getByRole("row").nth(2);
  const secondTime = (await second.getByRole("cell").nth(1).innerText()).trim();
  await second.getByRole("button", { name: "More actions" }).click();
  await second.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete this recording?" });
  await dialog.getByText("moves to Deleted recordings").waitFor();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("status").filter({ hasText: "Recording moved to Deleted recordings" }).waitFor();
  await page.getByRole("link", { name: "Deleted recordings" }).click();
  const deleted = page.getByRole("table").getByRole("row");
  assert.equal(await deleted.count(), 2);
  assert.equal((await deleted.nth(1).getByRole("cell").first().innerText()).trim(), secondTime);
  await screenshot(page, "deleted-recordings");
  await deleted.nth(1).getByRole("button", { name: "Restore" }).click();
  await page.getByRole("status").filter({ hasText: "Recording restored" }).waitFor();
  await page.getByRole("heading", { name: "No deleted recordings" }).waitFor();

  // Hold everything the search matches: counted, confirmed, then released.
  await menu(page).getByRole("link", { name: "Recordings" }).click();
  const day = firstTime.slice(0, 10);
  await page.getByRole("radio", { name: "Custom" }).check();
  await page.getByLabel("Start Date/Time").fill(`${day}T00:00`);
  await page.getByLabel("End Date/Time").fill(`${day}T23:59`);
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/start=/);
  await page.getByRole("link", { name: "Place all matching on hold…" }).click();
  const hold = page.getByRole("dialog", { name: "Place on hold" });
  await hold.getByText(/\d+ recordings match this search; 1 of them are already on hold/).waitFor();
  await screenshot(page, "hold-all-matching");
  await hold.getByLabel("Reason").fill("Matter 9");
  await hold.getByRole("button", { name: "Place on hold" }).click();
  await page.getByRole("status").filter({ hasText: "Legal hold placed on every recording matching the search" }).waitFor();
  const matching = await page.getByRole("table").getByRole("row").count();
  assert.equal(await page.getByRole("table").getByText("On hold", { exact: true }).count(), matching - 1, "every row of the day is held");
  await page.getByRole("link", { name: "Release hold on all matching…" }).click();
  const release = page.getByRole("dialog", { name: "Release hold" });
  await release.getByRole("button", { name: "Release hold" }).click();
  await page.getByRole("status").filter({ hasText: "Legal hold released" }).waitFor();
  assert.equal(await page.getByRole("table").getByText("On hold", { exact: true }).count(), 0);
}));

test("download selected recordings as a ZIP with a manifest", () => withPages("records-zip", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.admin");
  await page.waitForURL(/\/home$/);
  await page.getByRole("navigation", { name: "Main menu" }).getByRole("link", { name: "Recordings" }).click();
  await page.waitForURL(/\/recordings$/);
  const rows = page.getByRole("table").getByRole("row");
  await rows.nth(1).getByRole("checkbox", { name: "Select" }).check();
  await rows.nth(3).getByRole("checkbox", { name: "Select" }).check();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download selected" }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^recordings-\d{4}-\d{2}-\d{2}_\d{4}\.zip$/);
  const zip = readFileSync(await download.path());
  assert.equal(zip.subarray(0, 4).toString("hex"), "504b0304", "a ZIP");
  const names = [...zip.toString("latin1").matchAll(/\d{4}-\d{2}-\d{2}_\d{6}_(?:inbound|outbound|internal)_[^_]+_[^_]+_[0-9a-f]{32}\.(?:wav|mp3|ogg)/g)].map((m) => m[0]);
  assert.equal(new Set(names).size, 2, `two recordings: ${[...new Set(names)]}`);
  assert.ok(zip.includes("manifest.csv") && zip.includes('"File","Date/Time","Direction"'), "with its manifest");

  // Select all on this page ticks every row.
  await page.getByRole("checkbox", { name: "Select all on this page" }).check();
  assert.equal(await page.getByRole("table").getByRole("checkbox", { checked: true }).count(), await rows.count() - 1);
  await screenshot(page, "recordings-selected");
}));

test("Company settings → Retention shows what the next run deletes", () => withPages("records-retention", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.admin");
  await menu(page).getByRole("link", { name: "Company settings" }).click();
  await page.getByLabel("Retention").selectOption({ label: "A number of days" });
  await page.getByLabel("Number of days").fill("30");
  await page.getByRole("button", { name: "Save" }).click();
  const confirm = page.getByRole("dialog", { name: /^Delete \d+ recordings\?$/ });
  await confirm.waitFor();
  await screenshot(page, "retention-confirm");
  // Escape closes it without saving; the period stays Keep forever.
  await page.keyboard.press("Escape");
  assert.equal(await confirm.isVisible(), false);
  await menu(page).getByRole("link", { name: "Company settings" }).click();
  assert.equal(await page.getByLabel("Retention").inputValue(), "forever");
  await page.getByLabel("Retention").selectOption({ label: "7 years" });
  await page.getByRole("button", { name: "Save" }).click();
  // Shorter than Keep forever: asked, "Confirm it's you", then it waits
  // out the notice period.
  await page.getByRole("dialog", { name: /^Delete \d+ recordings\?$/ }).getByRole("button", { name: "Save and delete" }).click();
  await confirmItsYou(page);
  await page.getByRole("status").filter({ hasText: "The shorter retention takes effect after the notice period." }).waitFor();
  await page.getByText(/Shorter retention takes effect on \d{4}-\d{2}-\d{2}/).waitFor();
  await page.getByRole("button", { name: "Cancel change" }).waitFor();
  await screenshot(page, "retention-waiting");
  await menu(page).getByRole("link", { name: "Recordings" }).click();
  const cells = page.getByRole("table").getByRole("row").nth(1).getByRole("cell");
  const started = (await cells.nth(1).innerText()).trim().slice(0, 10);
  const kept = (await cells.nth(8).innerText()).trim();
  // Kept through the same day seven years on (29 February: the 28th).
  const [y, m, d] = started.split("-").map(Number);
  const last = new Date(Date.UTC(y + 7, m - 1, 1));
  const day = Math.min(d, new Date(Date.UTC(y + 7, m, 0)).getUTCDate());
  last.setUTCDate(day);
  assert.equal(kept, last.toISOString().slice(0, 10), `kept for 7 years from ${started}`);
}));

test("the call detail report, on a phone too", () => withPages("records-calls", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.admin");
  await page.waitForURL(/\/home$/);
  await page.getByRole("navigation", { name: "Main menu" }).getByRole("link", { name: "Recordings" }).click();
  await page.waitForURL(/\/recordings$/);
  await page.getByRole("link", { name: "Call detail report" }).click();
  await page.getByRole("heading", { name: "Call detail report", level: 1 }).waitFor();
  await page.getByText("More filters", { exact: true }).click();
  await page.getByLabel("Direction").selectOption({ label: "Inbound" });
  await page.getByRole("button", { name: "Show report" }).click();
  await page.waitForURL(/direction=inbound/);
  const totals = page.getByRole("region", { name: "Totals" });
  const calls = Number((await totals.getByText("Calls", { exact: true }).locator("xpath=..").innerText()).replace(/\D/g, ""));
  assert.ok(calls > 0, "inbound calls counted");
  await page.getByRole("region", { name: "By day" }).getByRole("table").waitFor();
  await screenshot(page, "call-detail-report");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Export CSV" }).click(),
  ]);
  const csv = readFileSync(await download.path(), "utf8");
  const lines = csv.split("\r\n").filter(Boolean);
  // Every cell quoted, against spreadsheet formulas.
  assert.equal(lines[0], '"Date/Time","Direction","Calling Number","Called Number","User","Team","Company","Duration (s)","On hold","Recording","Tags"');
  assert.equal(lines.length - 1, calls, "one line per call");
  assert.ok(lines.slice(1).every((line) => line.split('","')[1] === "Inbound"));

  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await screenshot(page, "call-detail-report-phone");
}));
