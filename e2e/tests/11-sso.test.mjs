// Issue 29: a company signs in through its identity provider. Its
// administrator sets Company settings → Single sign-on (after "Confirm
// it's you") with a client registered at a real OpenID provider (npm's
// oidc-provider, scripts/oidc-provider.sh); an agent then uses Sign in
// with single sign-on with their work email, signs in on the provider's
// form and lands in the portal; with single sign-on required, their
// password is refused and the page says where to go.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { freePort, startServer, launchBrowser, newPage, logIn, confirmItsYou, screenshot, withPages, DEMO_PASSWORD } from "../lib.mjs";

const issuer = process.env.CALLREC_TEST_OIDC_ISSUER;
if (!issuer && process.env.CI) throw new Error("CALLREC_TEST_OIDC_ISSUER is not set (scripts/oidc-provider.sh sets it)");

const env = {};
before(async () => {
  if (!issuer) return;
  // The provider sends the browser back to the portal's public address.
  const port = await freePort();
  env.server = await startServer({ CALLREC_PUBLIC_URL: `http://127.0.0.1:${port}` }, `127.0.0.1:${port}`);
  env.browser = await launchBrowser();
  const registered = await fetch(`${issuer}/reg`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ redirect_uris: [`${env.server.url}/sso/callback`], token_endpoint_auth_method: "client_secret_basic" }),
  });
  assert.equal(registered.status, 201, await registered.clone().text());
  env.client = await registered.json();
});
after(async () => {
  await env.browser?.close();
  await env.server?.stop();
});

/** At the provider's sign-in form: any password; a second factor or not. */
async function atProvider(page, { mfa = false } = {}) {
  await page.getByRole("heading", { name: "Test identity provider" }).waitFor();
  await page.getByLabel("Password").fill("anything");
  if (mfa) await page.getByLabel("I used a second factor").check();
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("Single sign-on: set on Company settings, used from the sign-in page, then required", { skip: !issuer && "no identity provider (CALLREC_TEST_OIDC_ISSUER)" }, () => withPages("sso", env.browser, async () => {
  const admin = await newPage(env.browser);
  await logIn(admin, env.server, "acme.admin");
  await admin.waitForURL(/\/home$/);
  await admin.getByRole("navigation", { name: "Main menu" }).getByRole("link", { name: "Company settings" }).click();
  let section = admin.getByRole("region", { name: "Single sign-on" });
  await section.getByText("Single sign-on is off").waitFor();
  assert.equal(await section.locator("#sso-redirect").innerText(), `${env.server.url}/sso/callback`);
  await section.getByLabel("Issuer URL").fill(issuer);
  await section.getByLabel("Client ID").fill(env.client.client_id);
  await section.getByLabel("Client secret").fill(env.client.client_secret);
  await section.getByLabel("Email domains").fill("example.com");
  await section.getByRole("combobox", { name: "MFA with single sign-on" }).selectOption({ label: "Ask our MFA after the identity provider" });
  await section.getByRole("button", { name: "Apply single sign-on" }).click();
  await confirmItsYou(admin);
  await admin.getByRole("status").filter({ hasText: "Single sign-on saved" }).waitFor();
  section = admin.getByRole("region", { name: "Single sign-on" });
  await section.getByText("Single sign-on is on for example.com").waitFor();
  assert.equal(await section.getByLabel("Client secret").inputValue(), "", "the secret is never shown back");
  await section.scrollIntoViewIfNeeded();
  await screenshot(admin, "sso-settings", { fullPage: false });

  // An agent signs in through the provider with their work email.
  const agent = await newPage(env.browser);
  await agent.goto(`${env.server.url}/login`);
  await agent.getByLabel("Work email").fill("acme.agent@example.com");
  await screenshot(agent, "sso-login");
  let callback;
  agent.on("request", (request) => { if (request.url().includes("/sso/callback")) callback = request.url(); });
  await agent.getByRole("button", { name: "Sign in with single sign-on" }).click();
  await atProvider(agent);
  await agent.waitForURL(/\/home$/);
  await agent.getByRole("navigation", { name: "Main menu" }).waitFor();
  await agent.getByRole("button", { name: "Log out" }).click();
  await agent.waitForURL(/\/login$/);

  // The provider's answer brought back again (a replayed code), and a
  // state the portal never gave: refused, saying what to do.
  assert.ok(callback, "the provider sent the browser back");
  await agent.goto(callback);
  await agent.getByRole("alert").filter({ hasText: "expired or was already used" }).waitFor();
  await agent.goto(`${env.server.url}/sso/callback?code=stolen&state=forged`);
  await agent.getByRole("alert").filter({ hasText: "expired or was already used" }).waitFor();
  assert.equal(await agent.getByRole("navigation", { name: "Main menu" }).count(), 0, "not signed in");

  // Someone of another company's domain, at Acme's provider (a browser
  // of their own: the provider remembers who signed in there).
  const eve = await newPage(env.browser);
  await eve.goto(`${env.server.url}/login`);
  await eve.getByLabel("Work email").fill("acme.agent@example.com");
  await eve.getByRole("button", { name: "Sign in with single sign-on" }).click();
  await eve.getByRole("heading", { name: "Test identity provider" }).waitFor();
  await eve.getByLabel("Email").fill("eve@globex.test");
  await atProvider(eve);
  await eve.getByRole("alert").filter({ hasText: "no account for you here" }).waitFor();

  // A domain nobody signs in with: said beside the single sign-on form.
  await agent.getByLabel("Work email").fill("ann@nowhere.test");
  await agent.getByRole("button", { name: "Sign in with single sign-on" }).click();
  await agent.getByRole("alert").filter({ hasText: "Single sign-on is not set up for nowhere.test" }).waitFor();
  assert.equal(await agent.getByLabel("Work email").inputValue(), "ann@nowhere.test");

  // Required, with the administrator kept as a local administrator.
  await admin.reload();
  section = admin.getByRole("region", { name: "Single sign-on" });
  await section.getByRole("checkbox", { name: /Require single sign-on/ }).check();
  await section.getByRole("group", { name: "Local administrators" }).getByRole("checkbox", { name: /acme\.admin/ }).check();
  await section.getByRole("button", { name: "Apply single sign-on" }).click();
  await admin.getByRole("status").filter({ hasText: "Single sign-on saved" }).waitFor();

  await agent.getByLabel("Username").fill("acme.agent");
  await agent.getByLabel("Password").fill(DEMO_PASSWORD);
  await agent.getByRole("button", { name: "Log in" }).click();
  await agent.getByRole("alert").filter({ hasText: "Use Sign in with single sign-on below" }).waitFor();
  await screenshot(agent, "sso-required");
  // On a phone the two forms stack and stay readable.
  await agent.setViewportSize({ width: 390, height: 844 });
  await screenshot(agent, "sso-login-phone");
  // The local administrator keeps the password.
  const again = await newPage(env.browser);
  await logIn(again, env.server, "acme.admin");
  await again.waitForURL(/\/home$/);
}));
