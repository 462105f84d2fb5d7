// Issue 12: MFA beyond the help pages, in a real browser. Recovery codes are
// shown once after a registration (Copy, Download, "I have saved these
// codes" before Continue) and one signs in instead of the phone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { useServerAndBrowser, newPage, logIn, screenshot, withPages, Authenticator } from "../lib.mjs";

const env = useServerAndBrowser();
const menu = (page) => page.getByRole("navigation", { name: "Main menu" });

/** The operator turns MFA Enabled on for `company`. */
async function requireMfa(company) {
  const operator = await newPage(env.browser);
  await logIn(operator, env.server, "operator");
  await menu(operator).getByRole("link", { name: "Company MFA" }).click();
  await operator.getByRole("link", { name: `Manage MFA of ${company}` }).click();
  await operator.getByRole("combobox", { name: "MFA setting" }).selectOption({ label: "MFA Enabled" });
  await operator.getByRole("button", { name: "Save" }).click();
  await operator.getByRole("status").filter({ hasText: "Company MFA saved." }).waitFor();
  await operator.context().close();
}

test("recovery codes: saved at registration, then one signs in without the phone", () => withPages("recovery-codes", env.browser, async () => {
  await requireMfa("Acme Telecom");
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: env.server.url });
  const bob = await context.newPage();
  await logIn(bob, env.server, "bob.smith");
  await bob.getByRole("dialog", { name: "Set up multi-factor authentication" }).getByRole("button", { name: "Continue" }).click();
  const scan = bob.getByRole("dialog", { name: "Scan the QR code" });
  await scan.waitFor();
  const phone = await Authenticator.scan(bob);
  await scan.getByRole("button", { name: "Continue" }).click();
  const codeDialog = bob.getByRole("dialog", { name: "Enter the code" });
  await codeDialog.getByLabel("Code").fill(await phone.code());
  await codeDialog.getByRole("button", { name: "Continue" }).click();

  const saveDialog = bob.getByRole("dialog", { name: "Save your recovery codes" });
  await saveDialog.waitFor();
  const codes = (await saveDialog.getByRole("list", { name: "Recovery codes" }).getByRole("listitem").allInnerTexts()).map((c) => c.trim());
  assert.equal(codes.length, 10);
  for (const code of codes) assert.match(code, /^[0-9a-z]{4}-[0-9a-z]{4}$/);
  await screenshot(bob, "recovery-codes-saved");
  // Escape does not skip it, and Continue waits for the box.
  await bob.keyboard.press("Escape");
  await saveDialog.waitFor();
  assert.equal(await saveDialog.getByRole("button", { name: "Continue" }).isDisabled(), true);

  await saveDialog.getByRole("button", { name: "Copy" }).click();
  await saveDialog.getByRole("status").filter({ hasText: "Copied" }).waitFor();
  const copied = await bob.evaluate(() => navigator.clipboard.readText());
  for (const code of codes) assert.ok(copied.includes(code), `${code} copied`);

  const [download] = await Promise.all([
    bob.waitForEvent("download"),
    saveDialog.getByRole("button", { name: "Download" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "recovery-codes.txt");
  const text = readFileSync(await download.path(), "utf8");
  for (const code of codes) assert.ok(text.includes(`\n${code}\n`), `${code} in the file`);

  await saveDialog.getByRole("checkbox", { name: "I have saved these codes" }).check();
  await saveDialog.getByRole("button", { name: "Continue" }).click();
  await menu(bob).waitFor();
  await bob.getByRole("button", { name: "Log out" }).click();

  // The phone is lost: a recovery code instead.
  await logIn(bob, env.server, "bob.smith");
  const prompt = bob.getByRole("dialog", { name: "Multi-factor authentication" });
  await prompt.getByRole("button", { name: "Use a recovery code" }).click();
  const recovery = bob.getByRole("dialog", { name: "Multi-factor authentication" });
  await recovery.getByLabel("Recovery code").fill(codes[0].toUpperCase());
  await screenshot(bob, "recovery-code-sign-in");
  await recovery.getByRole("button", { name: "Continue" }).click();
  await bob.getByRole("status").filter({ hasText: "You have 9 recovery codes left." }).waitFor();
  await menu(bob).waitFor();
  await screenshot(bob, "recovery-code-used");
  await bob.getByRole("button", { name: "Log out" }).click();

  // Each code works once.
  await logIn(bob, env.server, "bob.smith");
  await bob.getByRole("button", { name: "Use a recovery code" }).click();
  await bob.getByLabel("Recovery code").fill(codes[0]);
  await bob.getByRole("button", { name: "Continue" }).click();
  await bob.getByRole("alert").filter({ hasText: "Invalid code" }).waitFor();
  // And the authenticator still works from the same pop-up.
  await bob.getByRole("link", { name: "Use your authenticator application" }).click();
  await bob.getByLabel("Code").fill(await phone.code());
  await bob.getByRole("button", { name: "Continue" }).click();
  await menu(bob).waitFor();
}));
