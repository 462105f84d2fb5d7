// Issue 2: sign-in, wrong password, log out, Users search, role assignment
// through the two listboxes, and a Staff user kept out of admin pages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, newPage, logIn, screenshot, withPages, confirmItsYou } from "../lib.mjs";

const env = useServerAndBrowser();


test("signs in, shows name and company, and logs out", () => withPages("sign-in", env.browser, async () => {
  const page = await newPage(env.browser);
  await page.goto(env.server.url);
  await screenshot(page, "login");
  await logIn(page, env.server, "acme.admin");
  await page.waitForURL(/\/home$/);
  const banner = page.locator("header");
  assert.match(await banner.innerText(), /Alex Admin/);
  assert.match(await banner.innerText(), /Acme Telecom/);
  const nav = page.getByRole("navigation", { name: "Main menu" });
  for (const item of ["Recordings", "Users", "Teams", "Company MFA", "Reports"]) {
    assert.equal(await nav.getByRole("link", { name: item }).count(), 1, item);
  }
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL(/\/login$/);
  await page.goto(`${env.server.url}/users`);
  await page.waitForURL(/\/login$/);
}));

test("a wrong password is refused with one message", () => withPages("wrong-password", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.admin", "not the password at all");
  const alert = page.getByRole("alert");
  assert.equal(await alert.innerText(), "Invalid username or password");
  assert.equal(await page.getByLabel("Username").inputValue(), "acme.admin");
  await screenshot(page, "login-error");
}));

test("searches users and assigns a role through the Roles tab", () => withPages("assign-role", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.admin");
  await page.getByRole("navigation", { name: "Main menu" }).getByRole("link", { name: "Users" }).click();
  await page.getByRole("searchbox", { name: "Search" }).fill("alice");
  await page.getByRole("searchbox", { name: "Search" }).press("Enter");
  await page.waitForURL(/q=alice/);
  const rows = page.getByRole("row");
  assert.equal(await rows.count(), 2, "header and one match");
  assert.equal(await page.getByRole("button", { name: "Modify bob.smith" }).count(), 0);
  await screenshot(page, "users-search");

  await page.getByRole("button", { name: "Modify alice.jones" }).click();
  const dialog = page.getByRole("dialog", { name: "Modify alice.jones" });
  await dialog.waitFor();
  await dialog.getByRole("tab", { name: "Roles" }).click();
  const available = dialog.getByRole("listbox", { name: "Available" });
  const assigned = dialog.getByRole("listbox", { name: "Assigned" });
  await available.selectOption({ label: "Access to Audit Log" });
  await dialog.getByRole("button", { name: "Assign", exact: true }).click();
  assert.equal(await assigned.getByRole("option", { name: "Access to Audit Log" }).count(), 1);
  assert.equal(await available.getByRole("option", { name: "Access to Audit Log" }).count(), 0);
  // And one taken away again with the left arrow.
  await assigned.selectOption({ label: "Access to Download Recordings" });
  await dialog.getByRole("button", { name: "Unassign", exact: true }).click();
  assert.equal(await available.getByRole("option", { name: "Access to Download Recordings" }).count(), 1);
  await screenshot(page, "users-roles-tab");
  await dialog.getByRole("button", { name: "Save" }).click();
  // Giving a role asks "Confirm it's you" first.
  await confirmItsYou(page);
  await page.getByRole("status").filter({ hasText: "Changes saved." }).waitFor();

  await page.getByRole("button", { name: "Modify alice.jones" }).click();
  const again = page.getByRole("dialog", { name: "Modify alice.jones" });
  await again.getByRole("tab", { name: "Roles" }).click();
  const names = await again.getByRole("listbox", { name: "Assigned" }).getByRole("option").allInnerTexts();
  assert.deepEqual(names, ["Access to Manage Own MFA", "Access to Recordings", "Access to Audit Log"]);
}));

test("pop-ups trap focus and close with Escape", () => withPages("dialogs", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.admin");
  await page.goto(`${env.server.url}/users`);
  await page.getByRole("button", { name: "Add user" }).click();
  const dialog = page.getByRole("dialog", { name: "Add user" });
  await dialog.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), "add-username");
  for (let i = 0; i < 25; i += 1) {
    await page.keyboard.press("Tab");
    const inside = await page.evaluate(() => !!document.activeElement?.closest("dialog[open]") || document.activeElement === document.body);
    assert.ok(inside, `focus left the pop-up after ${i + 1} tabs`);
  }
  await screenshot(page, "users-add-dialog");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
}));

test("adds a user through the Add user pop-up, with errors shown in place", () => withPages("add-user", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.admin");
  await page.goto(`${env.server.url}/users`);
  await page.getByRole("button", { name: "Add user" }).click();
  let dialog = page.getByRole("dialog", { name: "Add user" });
  await dialog.getByLabel("Username").fill("dana.new");
  await dialog.getByLabel("Name", { exact: true }).fill("Dana New");
  await dialog.getByLabel("Level").selectOption({ label: "Staff" });
  await dialog.getByLabel("Password").fill("short");
  await dialog.getByRole("button", { name: "Save" }).click();
  dialog = page.getByRole("dialog", { name: "Add user" });
  await dialog.getByText("Password must be at least 12 characters").waitFor();
  await dialog.getByText("Team and Staff users must belong to a team").waitFor();
  await screenshot(page, "users-add-errors");
  await dialog.getByLabel("Team").selectOption({ label: "Support" });
  await dialog.getByLabel("Password").fill("a long enough phrase");
  // New users are Agents: the preset fills the Roles tab (issue 26).
  assert.equal(await dialog.getByLabel("Role preset").inputValue(), "agent");
  const assigned = dialog.getByRole("listbox", { name: "Assigned" });
  await dialog.getByRole("tab", { name: "Roles" }).click();
  assert.deepEqual(await assigned.getByRole("option").allInnerTexts(), ["Access to Recordings"]);
  await dialog.getByRole("tab", { name: "Details" }).click();
  await dialog.getByLabel("Role preset").selectOption({ label: "Supervisor" });
  await dialog.getByRole("tab", { name: "Roles" }).click();
  assert.deepEqual(await assigned.getByRole("option").allInnerTexts(), ["Access to Manage Own MFA", "Access to Recordings", "Access to Download Recordings", "Access to Legal Hold"]);
  // A role moved by hand makes it Custom, and Save keeps what the tab shows.
  await assigned.selectOption({ label: "Access to Legal Hold" });
  await dialog.getByRole("button", { name: "Unassign", exact: true }).click();
  await dialog.getByRole("tab", { name: "Details" }).click();
  assert.equal(await dialog.getByLabel("Role preset").inputValue(), "custom");
  await dialog.getByRole("button", { name: "Save" }).click();
  // A new account asks "Confirm it's you" first.
  await screenshot(page, "users-add-confirm");
  await confirmItsYou(page);
  await page.getByRole("status").filter({ hasText: "User added." }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Modify dana.new" }).count(), 1);
  await page.getByRole("button", { name: "Modify dana.new" }).click();
  const saved = page.getByRole("dialog", { name: "Modify dana.new" });
  await saved.getByRole("tab", { name: "Roles" }).click();
  assert.deepEqual(await saved.getByRole("listbox", { name: "Assigned" }).getByRole("option").allInnerTexts(), ["Access to Manage Own MFA", "Access to Recordings", "Access to Download Recordings"]);
}));

test("a Staff user sees neither Users nor Company MFA, and gets 404 by URL", () => withPages("staff-scope", env.browser, async () => {
  const page = await newPage(env.browser);
  await logIn(page, env.server, "acme.agent");
  await page.waitForURL(/\/home$/);
  const nav = page.getByRole("navigation", { name: "Main menu" });
  assert.equal(await nav.getByRole("link", { name: "Users" }).count(), 0);
  assert.equal(await nav.getByRole("link", { name: "Company MFA" }).count(), 0);
  assert.equal(await nav.getByRole("link", { name: "Recordings" }).count(), 1);
  for (const path of ["/users", "/company-mfa", "/teams", "/reports"]) {
    const response = await page.goto(`${env.server.url}${path}`);
    assert.equal(response.status(), 404, path);
    assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Page not found");
  }
  await screenshot(page, "staff-404");
}));
