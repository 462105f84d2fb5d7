// Issue 12: MFA beyond the help pages, in a real browser. Recovery codes are
// shown once after a registration (Copy, Download, "I have saved these
// codes" before Continue) and one signs in instead of the phone. Security
// keys are added, used, refused when copied or relayed from another origin,
// and removed, with Chromium's virtual authenticator (DevTools WebAuthn
// domain). The portal's public address is http://localhost:<port>: a
// relying party needs a domain name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { useServerAndBrowser, newPage, logIn, screenshot, withPages, Authenticator, registerPhone, mailTo } from "../lib.mjs";

const env = useServerAndBrowser({
  CALLREC_SMTP_URL: process.env.CALLREC_TEST_SMTP_URL,
  CALLREC_MAIL_FROM: "Call Recording <calls@callrec.test>",
}, { localhost: true });
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

/** A virtual USB security key in `page`'s browser, answering by itself. */
async function virtualKey(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "usb", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

const logOut = (page) => page.getByRole("button", { name: "Log out" }).click();

test("security keys: add, sign in, refuse a copied key and another origin, remove", () => withPages("security-keys", env.browser, async () => {
  await requireMfa("Acme Telecom");
  const alice = await newPage(env.browser);
  const key = await virtualKey(alice);
  await logIn(alice, env.server, "alice.jones");
  const phone = await registerPhone(alice);

  // My MFA → Security keys → Add security key, named.
  await alice.getByRole("button", { name: "My MFA" }).click();
  await alice.getByRole("dialog", { name: "My MFA" }).getByRole("link", { name: "Security keys" }).click();
  await alice.getByRole("heading", { name: "Security keys", level: 1 }).waitFor();
  await alice.getByText("No security keys yet.").waitFor();
  await alice.getByRole("button", { name: "Add security key" }).click();
  await alice.getByRole("alert").filter({ hasText: "Key name is required" }).waitFor();
  await alice.getByLabel("Key name").fill("Blue YubiKey");
  await alice.getByRole("button", { name: "Add security key" }).click();
  await alice.getByRole("alert").filter({ hasText: "Enter the code from your authenticator application" }).waitFor();
  await alice.getByLabel("Code from your authenticator application").fill(await phone.code());
  await alice.getByRole("button", { name: "Add security key" }).click();
  await alice.getByRole("status").filter({ hasText: "Security key added" }).waitFor();
  const row = alice.getByRole("row").filter({ hasText: "Blue YubiKey" });
  await row.getByRole("cell", { name: "never" }).waitFor();
  await screenshot(alice, "security-keys");
  await logOut(alice);

  // Sign in with it: "Use security key" in the code pop-up.
  await logIn(alice, env.server, "alice.jones");
  const prompt = alice.getByRole("dialog", { name: "Multi-factor authentication" });
  await prompt.getByLabel("Code").waitFor();
  await screenshot(alice, "security-key-prompt");
  await prompt.getByRole("button", { name: "Use security key" }).click();
  await menu(alice).waitFor();
  await alice.goto(`${env.server.url}/my-mfa/security-keys`);
  assert.equal(await alice.getByRole("row").filter({ hasText: "Blue YubiKey" }).getByRole("cell", { name: "never" }).count(), 0, "last use recorded");
  await logOut(alice);

  // A phishing proxy relays the key's answer made for another origin: the
  // page's own request is rewritten before it leaves (deterministic, where
  // network interception let one CI run through unmodified).
  await logIn(alice, env.server, "alice.jones");
  await alice.getByRole("dialog", { name: "Multi-factor authentication" }).waitFor();
  await alice.evaluate(() => {
    const send = window.fetch;
    window.fetch = (url, init) => {
      if (url === "/mfa/security-key" && init && init.body) {
        const body = JSON.parse(init.body);
        const text = atob(body.response.clientDataJSON.replace(/-/g, "+").replace(/_/g, "/"));
        const client = JSON.parse(text);
        client.origin = "https://calls.example-phish.com";
        body.response.clientDataJSON = btoa(JSON.stringify(client)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
        return send(url, { ...init, body: JSON.stringify(body) });
      }
      return send(url, init);
    };
  });
  await alice.getByRole("button", { name: "Use security key" }).click();
  await alice.getByRole("alert").filter({ hasText: "answered for another address" }).waitFor();
  assert.equal(await menu(alice).count(), 0, "not signed in");
  await alice.getByRole("button", { name: "Cancel" }).click();

  // The portal reached at another address: the browser itself refuses.
  const other = env.server.url.replace("localhost", "127.0.0.1");
  await alice.goto(`${other}/login`);
  await alice.getByLabel("Username").fill("alice.jones");
  await alice.getByLabel("Password").fill("Demo-Calls-2026!");
  await alice.getByRole("button", { name: "Log in" }).click();
  await alice.getByRole("button", { name: "Use security key" }).click();
  await alice.getByRole("alert").filter({ hasText: "cannot be used at this address" }).waitFor();
  await alice.getByRole("button", { name: "Cancel" }).click();

  // A copy of the key (its counter behind the original's) is refused.
  const { credentials } = await key.cdp.send("WebAuthn.getCredentials", { authenticatorId: key.authenticatorId });
  assert.equal(credentials.length, 1);
  await key.cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId: key.authenticatorId });
  const copy = await key.cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "usb", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  await key.cdp.send("WebAuthn.addCredential", { authenticatorId: copy.authenticatorId, credential: { ...credentials[0], signCount: 0 } });
  await logIn(alice, env.server, "alice.jones");
  await alice.getByRole("button", { name: "Use security key" }).click();
  await alice.getByRole("alert").filter({ hasText: "its use count went backwards" }).waitFor();
  await screenshot(alice, "security-key-copied");
  assert.equal(await menu(alice).count(), 0, "not signed in");
  // Not only on the screen: alice is told by mail, and the audit log has it.
  const notice = await mailTo("alice.jones@example.com", "A security key of yours may have been copied");
  assert.ok(notice.includes("use count that went backwards"), notice);
  const operator = await newPage(env.browser);
  await logIn(operator, env.server, "operator");
  await menu(operator).getByRole("link", { name: "Reports" }).click();
  await operator.getByLabel("User").fill("alice.jones");
  await operator.getByRole("button", { name: "Show" }).click();
  await operator.getByRole("cell", { name: "Security key refused" }).first().waitFor();

  // The phone still works; then the key is removed after "Confirm it's you".
  await alice.getByLabel("Code").fill(await phone.code());
  await alice.getByRole("button", { name: "Continue" }).click();
  await menu(alice).waitFor();
  await alice.goto(`${env.server.url}/my-mfa/security-keys`);
  await alice.getByRole("button", { name: "Remove" }).click();
  const confirm = alice.getByRole("dialog", { name: "Confirm it's you" });
  await confirm.getByLabel("Code").fill(await phone.code());
  await confirm.getByRole("button", { name: "Confirm" }).click();
  await alice.getByRole("status").filter({ hasText: "Security key removed." }).waitFor();
  await alice.getByText("No security keys yet.").waitFor();
  await logOut(alice);

  // Without a key, sign-in falls back to the authenticator's code.
  await logIn(alice, env.server, "alice.jones");
  await alice.getByLabel("Code").waitFor();
  assert.equal(await alice.getByRole("button", { name: "Use security key" }).count(), 0);
  await alice.getByLabel("Code").fill(await phone.code());
  await alice.getByRole("button", { name: "Continue" }).click();
  await menu(alice).waitFor();
}));

test("a key as the only factor: 'Confirm it's you' asks for the key", () => withPages("key-only", env.browser, async () => {
  // Under MFA Available a user who has not turned MFA on signs in with the
  // password; they may still add a key (their password confirms it).
  const operator = await newPage(env.browser);
  await logIn(operator, env.server, "operator");
  await menu(operator).getByRole("link", { name: "Company MFA" }).click();
  await operator.getByRole("link", { name: "Manage MFA of Globex Support" }).click();
  await operator.getByRole("combobox", { name: "MFA setting" }).selectOption({ label: "MFA Available" });
  await operator.getByRole("button", { name: "Save" }).click();
  await operator.getByRole("status").filter({ hasText: "Company MFA saved." }).waitFor();

  const gus = await newPage(env.browser);
  await virtualKey(gus);
  await logIn(gus, env.server, "globex.agent");
  await menu(gus).waitFor();
  await gus.goto(`${env.server.url}/my-mfa/security-keys`);
  await gus.getByLabel("Key name").fill("Laptop passkey");
  await gus.getByLabel("Your password").fill("Demo-Calls-2026!");
  await gus.getByRole("button", { name: "Add security key" }).click();
  await gus.getByRole("status").filter({ hasText: "Security key added" }).waitFor();

  // The first key turned MFA on for gus (a key never asked for protects
  // nothing), and the key, not the password, now confirms changes.
  await gus.getByRole("button", { name: "My MFA" }).click();
  assert.equal(await gus.getByRole("dialog", { name: "My MFA" }).getByRole("checkbox", { name: "Enable MFA" }).isChecked(), true, "MFA on with the first key");
  await gus.getByRole("dialog", { name: "My MFA" }).getByRole("button", { name: "New recovery codes" }).click();
  const confirm = gus.getByRole("dialog", { name: "Confirm it's you" });
  assert.equal(await confirm.getByLabel("Password").count(), 0, "no password field");
  await screenshot(gus, "confirm-with-key");
  await confirm.getByRole("button", { name: "Use security key" }).click();
  const saveDialog = gus.getByRole("dialog", { name: "Save your recovery codes" });
  await saveDialog.waitFor();
  const codes = await saveDialog.getByRole("list", { name: "Recovery codes" }).getByRole("listitem").count();
  assert.equal(codes, 10);
  await gus.getByRole("checkbox", { name: "I have saved these codes" }).check();
  await gus.getByRole("button", { name: "Continue" }).click();
  await menu(gus).waitFor();

  // And Remove, the same way.
  await gus.goto(`${env.server.url}/my-mfa/security-keys`);
  await gus.getByRole("button", { name: "Remove" }).click();
  await gus.getByRole("dialog", { name: "Confirm it's you" }).getByRole("button", { name: "Use security key" }).click();
  await gus.getByRole("status").filter({ hasText: "Security key removed." }).waitFor();
  await gus.getByText("No security keys yet.").waitFor();
}));
