// Issue 4: filter recordings by number and date, play one (the player's
// currentTime advances), download one. The row's other actions are in its
// "…" menu (issue 26).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { useServerAndBrowser, newPage, logIn, screenshot, withPages } from "../lib.mjs";

const env = useServerAndBrowser();

test("filters by number and date, plays and downloads a recording", () => withPages("recordings", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.admin");
  await page.waitForURL(/\/home$/);
  await page.getByRole("navigation", { name: "Main menu" }).getByRole("link", { name: "Recordings" }).click();
  await page.waitForURL(/\/recordings$/);
  const rows = page.getByRole("table").getByRole("row");
  assert.equal(await rows.count(), 51, "a header and 50 recordings a page");
  await screenshot(page, "recordings", { fullPage: false });
  await page.getByText("More filters", { exact: true }).click();

  // Filter by part of the first recording's calling number and its day.
  const first = rows.nth(1);
  const cells = await first.getByRole("cell").allInnerTexts();
  // The first cell holds the row's Select box.
  const [, started, , calling] = cells;
  const digits = calling.replace(/\D/g, "").slice(-6, -1);
  await page.getByLabel("Calling Number").fill(digits);
  const day = started.slice(0, 10);
  await page.getByRole("radio", { name: "Custom" }).check();
  await page.getByLabel("Start Date/Time").fill(`${day}T00:00`);
  await page.getByLabel("End Date/Time").fill(`${day}T23:59`);
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/calling_number=/);
  const filtered = page.getByRole("table").getByRole("row");
  const count = await filtered.count();
  assert.ok(count >= 2 && count < 51, `the filter narrows the list (${count - 1} rows)`);
  for (let i = 1; i < count; i += 1) {
    const [, when, , number] = await filtered.nth(i).getByRole("cell").allInnerTexts();
    assert.ok(number.replace(/\D/g, "").includes(digits), `${number} contains ${digits}`);
    assert.ok(when.startsWith(day), `${when} is on ${day}`);
  }
  await screenshot(page, "recordings-filtered");

  // Play: the page's one player, whose time advances.
  await filtered.nth(1).getByRole("button", { name: "Play" }).click();
  await page.waitForFunction(() => {
    const player = document.querySelector("audio");
    return player && player.currentTime > 0.5;
  }, null, { timeout: 15000 });
  await screenshot(page, "recordings-playing", { fullPage: false });

  // Download: the original file, with a meaningful name.
  const downloadPromise = page.waitForEvent("download");
  await filtered.nth(1).getByRole("button", { name: "More actions" }).click();
  await filtered.nth(1).getByRole("link", { name: "Download" }).click();
  const download = await downloadPromise;
  assert.match(download.suggestedFilename(), /^\d{4}-\d{2}-\d{2}_\d{6}_(inbound|outbound|internal)_.+_to_.+\.wav$/);
  const bytes = readFileSync(await download.path());
  assert.equal(bytes.subarray(0, 4).toString(), "RIFF");
  assert.equal(bytes.subarray(8, 12).toString(), "WAVE");

  // Details: the fingerprint is the SHA-256 of the bytes just downloaded.
  await filtered.nth(1).getByRole("button", { name: "More actions" }).click();
  await filtered.nth(1).getByRole("link", { name: "Details" }).click();
  await page.getByRole("heading", { name: "Recording details", level: 1 }).waitFor();
  const { createHash } = await import("node:crypto");
  const fingerprint = (await page.getByLabel("Fingerprint").innerText()).trim();
  assert.equal(fingerprint, createHash("sha256").update(bytes).digest("hex"));
  await screenshot(page, "recording-details");
}));

test("a Staff user sees only their own recordings", () => withPages("recordings-staff", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.agent");
  await page.waitForURL(/\/home$/);
  await page.getByRole("navigation", { name: "Main menu" }).getByRole("link", { name: "Recordings" }).click();
  await page.waitForURL(/\/recordings$/);
  const rows = page.getByRole("table").getByRole("row");
  const count = await rows.count();
  assert.ok(count > 1, "the agent has recordings");
  for (let i = 1; i < Math.min(count, 20); i += 1) {
    const cells = await rows.nth(i).getByRole("cell").allInnerTexts();
    assert.equal(cells[5], "acme.agent");
  }
  assert.equal(await page.getByRole("button", { name: "Delete" }).count(), 0, "no Delete without the role");
}));

test("without Access to Download Recordings the player offers no download", () => withPages("recordings-no-download", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "bob.smith");
  await page.getByRole("navigation", { name: "Main menu" }).getByRole("link", { name: "Recordings" }).click();
  await page.waitForURL(/\/recordings$/);
  const first = page.getByRole("table").getByRole("row").nth(1);
  await first.getByRole("button", { name: "More actions" }).click();
  assert.equal(await first.getByRole("link", { name: "Download" }).count(), 0, "no Download in the row's menu");
  await first.getByRole("button", { name: "Play" }).click();
  const player = page.getByRole("region", { name: "Player" });
  assert.equal(await player.getByRole("link", { name: "Download" }).count(), 0, "nor in the player");
  // The player still plays: its requests are parts, never the whole file.
  await page.waitForFunction(() => document.querySelector("audio").currentTime > 0.2, null, { timeout: 15000 });
}));

test("the audit report filters by user and exports CSV", () => withPages("audit-report", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.admin");
  await page.getByRole("navigation", { name: "Main menu" }).getByRole("link", { name: "Reports" }).click();
  await page.getByLabel("User").fill("acme.admin");
  await page.getByRole("button", { name: "Show" }).click();
  await page.waitForURL(/user=acme\.admin/);
  const rows = page.getByRole("table").getByRole("row");
  assert.ok(await rows.count() > 1, "the admin's own sign-ins at least");
  for (let i = 1; i < await rows.count(); i += 1) {
    assert.equal((await rows.nth(i).getByRole("cell").allInnerTexts())[2], "acme.admin");
  }
  await screenshot(page, "audit-report");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Export CSV" }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^audit-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = readFileSync(await download.path(), "utf8");
  // Every cell quoted, against spreadsheet formulas.
  assert.ok(csv.startsWith('"Time","Event","By","Target","Client address","Details","Entry"\r\n'), csv.slice(0, 200));
  assert.ok(csv.split("\r\n").slice(1, -1).every((line) => line.split('","')[2] === "acme.admin"), csv);
}));
