// Issue 11: a user's own account. A new user's temporary password, set by an
// administrator, leads through MFA registration to the Choose a new password
// pop-up and then the Recordings page; later a forgotten password is reset
// with the link read back from the real SMTP server, and MFA is still asked.
// My account changes a password.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, newPage, logIn, screenshot, withPages, Authenticator, DEMO_PASSWORD, mailTo, saveRecoveryCodes, confirmItsYou } from "../lib.mjs";

// Mail needs the public address (links in mails): the server is on localhost.
const env = useServerAndBrowser({
  CALLREC_SMTP_URL: process.env.CALLREC_TEST_SMTP_URL,
  CALLREC_MAIL_FROM: "Call Recording <calls@callrec.test>",
}, { localhost: true });
const NINA_EMAIL = `nina.${Date.now()}@example.com`;
const menu = (page) => page.getByRole("navigation", { name: "Main menu" });

test("a new user goes from the temporary password through MFA to the Recordings page", () => withPages("temporary-password", env.browser, async () => {
  // An operator requires MFA at Globex and adds a user there.
  const operator = await newPage(env.browser);
  await logIn(operator, env.server, "operator");
  await menu(operator).getByRole("link", { name: "Company MFA" }).click();
  await operator.getByRole("link", { name: "Manage MFA of Globex Support" }).click();
  await operator.getByRole("combobox", { name: "MFA setting" }).selectOption({ label: "MFA Enabled" });
  await operator.getByRole("button", { name: "Save" }).click();
  await operator.getByRole("status").filter({ hasText: "Company MFA saved." }).waitFor();
  await menu(operator).getByRole("link", { name: "Users" }).click();
  await operator.getByRole("button", { name: "Add user" }).click();
  const add = operator.getByRole("dialog", { name: "Add user" });
  await add.getByLabel("Company").selectOption({ label: "Globex Support" });
  await add.getByLabel("Username").fill("nina.new");
  await add.getByLabel("Name", { exact: true }).fill("Nina New");
  await add.getByLabel("Email").fill(NINA_EMAIL);
  await add.getByLabel("Level").selectOption({ label: "Company" });
  await add.getByLabel("Password").fill("temporary pass phrase");
  // The Agent preset gives Access to Recordings.
  await add.getByRole("button", { name: "Save" }).click();
  await confirmItsYou(operator);
  await operator.getByRole("status").filter({ hasText: "User added." }).waitFor();

  // Nina signs in with it: MFA registration first, then her own password.
  const nina = await newPage(env.browser);
  await logIn(nina, env.server, "nina.new", "temporary pass phrase");
  const ready = nina.getByRole("dialog", { name: "Set up multi-factor authentication" });
  await ready.getByRole("button", { name: "Continue" }).click();
  const scan = nina.getByRole("dialog", { name: "Scan the QR code" });
  await scan.waitFor();
  const phone = await Authenticator.scan(nina);
  await scan.getByRole("button", { name: "Continue" }).click();
  const codeDialog = nina.getByRole("dialog", { name: "Enter the code" });
  await codeDialog.getByLabel("Code").fill(await phone.code());
  await codeDialog.getByRole("button", { name: "Continue" }).click();
  await saveRecoveryCodes(nina);

  const choose = nina.getByRole("dialog", { name: "Choose a new password" });
  await choose.waitFor();
  await nina.goto(`${env.server.url}/recordings`);
  await choose.waitFor();
  assert.equal(await menu(nina).count(), 0, "no page before the password is chosen");
  await choose.getByLabel("New password", { exact: true }).fill("nina's own pass phrase");
  await choose.getByLabel("Confirm new password").fill("nina's own pass phrasE");
  await choose.getByRole("button", { name: "Save" }).click();
  await choose.getByText("The two new passwords are not the same").waitFor();
  await screenshot(nina, "choose-password-error");
  await choose.getByLabel("New password", { exact: true }).fill("nina's own pass phrase");
  await choose.getByLabel("Confirm new password").fill("nina's own pass phrase");
  await choose.getByRole("button", { name: "Save" }).click();
  await nina.waitForURL(/\/home\?done=password-chosen$/);
  await nina.getByRole("status").filter({ hasText: "Your new password is saved." }).waitFor();
  await menu(nina).getByRole("link", { name: "Recordings" }).waitFor();

  // The temporary password no longer works; her own does (with a code).
  const again = await newPage(env.browser);
  await logIn(again, env.server, "nina.new", "temporary pass phrase");
  await again.getByRole("alert").filter({ hasText: "Invalid username or password" }).waitFor();
  await logIn(again, env.server, "nina.new", "nina's own pass phrase");
  await again.getByRole("dialog", { name: "Multi-factor authentication" }).waitFor();

  // Later she forgets it: the link comes by mail, and MFA is still asked.
  const forgot = await newPage(env.browser);
  await forgot.goto(`${env.server.url}/login`);
  await forgot.getByRole("link", { name: "Forgotten your password?" }).click();
  await forgot.getByLabel("Username or email").fill(NINA_EMAIL);
  await forgot.getByRole("button", { name: "Send link" }).click();
  await forgot.getByRole("status").filter({ hasText: "If the account exists" }).waitFor();
  await screenshot(forgot, "forgotten-password-sent");
  const reset = await mailTo(NINA_EMAIL, "Subject: Choose a new password");
  assert.ok(!reset.includes("nina's own pass phrase"), "no password in the mail");
  const link = reset.match(/http:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+/)[0];
  await forgot.goto(link);
  await forgot.getByLabel("New password", { exact: true }).fill("nina after the reset");
  await forgot.getByLabel("Confirm new password").fill("nina after the reset");
  await screenshot(forgot, "reset-password");
  await forgot.getByRole("button", { name: "Save" }).click();
  await forgot.getByRole("status").filter({ hasText: "Your new password is saved. Sign in with it." }).waitFor();
  await logIn(forgot, env.server, "nina.new", "nina after the reset");
  const verify = forgot.getByRole("dialog", { name: "Multi-factor authentication" });
  await verify.getByLabel("Code").fill(await phone.code());
  await verify.getByRole("button", { name: "Continue" }).click();
  await menu(forgot).getByRole("link", { name: "Recordings" }).waitFor();
  await forgot.goto(link);
  await forgot.getByRole("alert").filter({ hasText: "This link does not work any more" }).waitFor();
}));

test("My account changes the password from any page", () => withPages("my-account", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "carol.white");
  await page.getByRole("button", { name: "My account" }).waitFor();
  const other = await newPage(env.browser);
  await logIn(other, env.server, "carol.white");
  await other.getByRole("button", { name: "My account" }).waitFor();

  await page.getByRole("button", { name: "My account" }).click();
  let dialog = page.getByRole("dialog", { name: "My account" });
  await dialog.getByRole("heading", { name: "Change password" }).waitFor();
  await dialog.getByLabel("Current password").fill("not my password at all");
  await dialog.getByLabel("New password", { exact: true }).fill("carol's new pass phrase");
  await dialog.getByLabel("Confirm new password").fill("carol's new pass phrase");
  await dialog.getByRole("button", { name: "Save" }).click();
  // Mistakes are shown on the My account page, beside the field.
  dialog = page.getByRole("region", { name: "Change password" });
  await dialog.getByText("That is not your current password").waitFor();
  await screenshot(page, "my-account-error");
  await dialog.getByLabel("Current password").fill(DEMO_PASSWORD);
  await dialog.getByLabel("New password", { exact: true }).fill("carol's new pass phrase");
  await dialog.getByLabel("Confirm new password").fill("carol's new pass phrase");
  await dialog.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").filter({ hasText: "Password changed. Your other sessions have ended." }).waitFor();

  await other.reload();
  await other.waitForURL(/\/login$/);
  await page.getByRole("button", { name: "My account" }).click();
  await page.getByRole("dialog", { name: "My account" }).waitFor();
  await page.keyboard.press("Escape");
  await page.getByRole("dialog", { name: "My account" }).waitFor({ state: "hidden" });
  await screenshot(page, "my-account-done");
}));

test("an operator manages companies and a company's time zone", () => withPages("companies", env.browser, async () => {
  const operator = await newPage(env.browser);
  await logIn(operator, env.server, "operator");
  await menu(operator).getByRole("link", { name: "Companies" }).click();
  await operator.getByRole("button", { name: "Add company" }).click();
  const add = operator.getByRole("dialog", { name: "Add company" });
  await add.getByLabel("Company name").fill("Initech");
  await add.getByRole("button", { name: "Save" }).click();
  await operator.getByRole("status").filter({ hasText: "Company saved." }).waitFor();
  await operator.getByRole("searchbox", { name: "Search" }).fill("init");
  await operator.getByRole("button", { name: "Search", exact: true }).click();
  await operator.getByRole("button", { name: "Rename Initech" }).waitFor();
  assert.equal(await operator.getByRole("button", { name: "Rename Acme Telecom" }).count(), 0);
  await screenshot(operator, "companies");

  await menu(operator).getByRole("link", { name: "Company settings" }).click();
  await operator.getByRole("link", { name: "Settings of Acme Telecom" }).click();
  await operator.getByLabel("Time zone").selectOption("Europe/London");
  await operator.getByRole("button", { name: "Save" }).click();
  await operator.getByRole("status").filter({ hasText: "Company settings saved." }).waitFor();
  await screenshot(operator, "company-settings");

  const agent = await newPage(env.browser);
  await logIn(agent, env.server, "acme.agent");
  await agent.getByText("Times are in Europe/London.").waitFor();
}));

test("a grace period to register: a banner, then Register now", () => withPages("grace", env.browser, async () => {
  const operator = await newPage(env.browser);
  await logIn(operator, env.server, "operator");
  await menu(operator).getByRole("link", { name: "Company MFA" }).click();
  await operator.getByRole("link", { name: "Manage MFA of Acme Telecom" }).click();
  await operator.getByRole("combobox", { name: "MFA setting" }).selectOption({ label: "MFA Enabled" });
  await operator.getByLabel("Days to register").fill("7");
  await operator.getByRole("button", { name: "Save" }).click();
  await operator.getByRole("status").filter({ hasText: "Company MFA saved." }).waitFor();
  await operator.getByText("must register by").waitFor();

  const agent = await newPage(env.browser);
  await logIn(agent, env.server, "bob.smith");
  const banner = agent.getByRole("region", { name: "MFA required soon" });
  await banner.getByText("Your company requires MFA from").waitFor();
  await screenshot(agent, "grace-banner");
  await banner.getByRole("button", { name: "Register now" }).click();
  // The QR code holds a new secret: the password first.
  await confirmItsYou(agent);
  await agent.getByRole("dialog", { name: "Set up multi-factor authentication" }).waitFor();
}));
