// Issue 28: a company turns transcription on; a call sent through the API
// is heard by the real speech engine (scripts/asr-server.sh); its page
// shows the transcript beside the player, a click on a word plays from
// it, Search the transcript finds a word, and Words said on Recordings
// finds the call and opens it where the word was said.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useServerAndBrowser, newPage, logIn, screenshot, withPages } from "../lib.mjs";

const engine = process.env.CALLREC_TEST_TRANSCRIBE_URL;
if (!engine && process.env.CI) throw new Error("CALLREC_TEST_TRANSCRIBE_URL is not set (scripts/asr-server.sh sets it)");
const env = useServerAndBrowser(engine ? { CALLREC_TRANSCRIBE_URL: engine } : {});

/** Two parties said by espeak-ng, one a channel, as an 8 kHz WAV. */
function twoParties(caller, agent) {
  const dir = mkdtempSync(join(tmpdir(), "callrec-speech-"));
  const said = (text, name) => {
    execFileSync("espeak-ng", ["-w", join(dir, `${name}.raw.wav`), text]);
    execFileSync("sox", [join(dir, `${name}.raw.wav`), "-r", "8000", "-c", "1", "-b", "16", join(dir, `${name}.wav`), "pad", "0", "1"]);
    return join(dir, `${name}.wav`);
  };
  const [left, right] = [said(caller, "caller"), said(agent, "agent")];
  // The agent answers once the caller has spoken.
  const turn = execFileSync("soxi", ["-D", left]).toString().trim();
  execFileSync("sox", [right, join(dir, "answer.wav"), "pad", turn, "0"]);
  execFileSync("sox", ["-M", left, join(dir, "answer.wav"), join(dir, "call.wav")]);
  return readFileSync(join(dir, "call.wav"));
}

test("a call's transcript: beside the player, a word plays from where it was said, found by Words said", { skip: !engine && "no speech engine (CALLREC_TEST_TRANSCRIBE_URL)" }, () => withPages("transcripts", env.browser, async () => {
  const cli = (...args) => execFileSync(process.env.CALLREC_BIN, args, { env: { ...process.env, CALLREC_DATA_DIR: env.server.dataDir, CALLREC_DATABASE_URL: "", CALLREC_LOG: "warn" } }).toString();
  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.admin");
  await page.waitForURL(/\/home$/);

  // Company settings → Transcription: On.
  await page.goto(`${env.server.url}/company-settings`);
  const section = page.getByRole("region", { name: "Transcription" });
  await section.getByRole("combobox", { name: "Transcription" }).selectOption({ label: "On" });
  await section.getByRole("button", { name: "Apply transcription" }).click();
  await page.getByRole("status").filter({ hasText: "Transcription saved." }).waitFor();
  // Company settings' own Save stays the only button of that name.
  assert.equal(await page.getByRole("button", { name: "Save" }).count(), 1);
  assert.match(await page.getByRole("region", { name: "Redaction" }).getByRole("combobox", { name: "Redaction" }).inputValue(), /^transcript$/);
  await screenshot(page, "transcription-settings", { fullPage: false });

  // A call arrives through the API.
  const token = cli("token", "create", "--company", "Acme Telecom", "--name", "e2e-pbx", "--scope", "ingest").split("\n").find((line) => line.startsWith("crt_"));
  const form = new FormData();
  form.append("metadata", new Blob([JSON.stringify({ started_at: new Date(Date.now() - 60_000).toISOString(), direction: "inbound", from: "+447700900555", to: "2001" })], { type: "application/json" }));
  form.append("audio", new Blob([twoParties("Hello. I would like a refund for my broken kettle, please.", "Thank you for calling the returns department.")], { type: "audio/wav" }), "call.wav");
  const sent = await fetch(`${env.server.url}/api/v1/recordings`, { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: form });
  assert.equal(sent.status, 201, await sent.clone().text());
  const { id } = await sent.json();

  // The node's worker hears it; the page shows it beside the player.
  await page.goto(`${env.server.url}/recordings/${id}`);
  const transcript = page.getByRole("region", { name: "Transcript" });
  for (let i = 0; i < 60 && !(await transcript.getByRole("list", { name: "Transcript" }).count()); i += 1) {
    await page.waitForTimeout(500);
    await page.reload();
  }
  const lines = transcript.getByRole("list", { name: "Transcript" }).getByRole("listitem");
  assert.ok(await lines.count() >= 2, "a line per party");
  assert.match(await transcript.getByRole("list", { name: "Transcript" }).innerText(), /kettle[\s\S]*department/i, "the caller, then the agent");
  const kettle = transcript.locator(".word", { hasText: /kettle/i }).first();
  const at = Number(await kettle.getAttribute("data-seek"));
  assert.ok(at > 1, `kettle is said after the start (${at})`);
  await kettle.click();
  await page.waitForFunction((t) => Math.abs(document.querySelector("audio").currentTime - t) < 0.6, at, { timeout: 15000 });

  // Search the transcript: marked and counted; Enter plays from it.
  await transcript.getByRole("searchbox", { name: "Search the transcript" }).fill("refund");
  await transcript.getByText("1 word found").waitFor();
  assert.equal(await transcript.locator(".word.match").count(), 1);
  await transcript.getByRole("searchbox", { name: "Search the transcript" }).press("Enter");
  assert.equal(await transcript.getByRole("link", { name: "Download transcript" }).getAttribute("href"), `/recordings/${id}/transcript?format=text`);
  await screenshot(page, "transcript-on-the-recording-page");

  // Words said on Recordings: the call, opened where the word was said.
  await page.goto(`${env.server.url}/recordings`);
  await page.getByRole("searchbox", { name: "Words said" }).fill("kettle refunds");
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/said=kettle/);
  const rows = page.getByRole("table").getByRole("row");
  assert.equal(await rows.count(), 2, "the one call that said both");
  const link = await rows.nth(1).getByRole("link").first().getAttribute("href");
  assert.match(link, new RegExp(`^/recordings/${id}\\?back=said%3Dkettle%2Brefunds&t=\\d+$`));
  await screenshot(page, "words-said-search", { fullPage: false });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${env.server.url}${link}`);
  await transcript.getByRole("list", { name: "Transcript" }).waitFor();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), "no sideways scrolling at 390 px");
  await screenshot(page, "transcript-on-a-phone");
}));
