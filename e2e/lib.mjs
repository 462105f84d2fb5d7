// Shared helpers: a real callrec server on a free port with fresh demo data,
// and Debian's Chromium driven by playwright-core.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { before, after } from "node:test";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = join(here, "artifacts");
mkdirSync(ARTIFACTS, { recursive: true });

export const DEMO_PASSWORD = "Demo-Calls-2026!";
export const ADMIN = { username: "root.admin", password: "root admin pass phrase" };

/** A port nothing listens on now. */
export async function freePort() {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `callrec serve --demo`; resolves once it prints its URL. On port 0
 * unless `listen` names one.
 */
export async function startServer(extraEnv = {}, listen = "127.0.0.1:0") {
  const bin = process.env.CALLREC_BIN;
  if (!bin) throw new Error("CALLREC_BIN must point at the callrec binary (scripts/test.sh sets it)");
  const dataDir = mkdtempSync(join(tmpdir(), "callrec-e2e-"));
  const child = spawn(bin, ["serve", "--demo", "--listen", listen], {
    env: {
      ...process.env,
      CALLREC_DATA_DIR: dataDir,
      CALLREC_DATABASE_URL: "",
      CALLREC_BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
      CALLREC_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      CALLREC_LOG: "warn",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30000);
    const onData = (chunk) => {
      output += chunk;
      const match = output.match(/callrec is serving (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk) => { output += chunk; });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  return {
    url,
    dataDir,
    output: () => output,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.on("exit", resolve);
      child.kill("SIGTERM");
    }),
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/**
 * One server with fresh demo data and one browser for a test file; the
 * returned object's fields are set once `before` has run.
 */
export function useServerAndBrowser(extraEnv = {}, { localhost = false } = {}) {
  const context = { server: undefined, browser: undefined };
  before(async () => {
    if (localhost) {
      // Security keys need a domain name: the portal's public address is
      // http://localhost:<port> (a relying-party id cannot be an IP address).
      const port = await freePort();
      context.server = await startServer({ ...extraEnv, CALLREC_PUBLIC_URL: `http://localhost:${port}` }, `127.0.0.1:${port}`);
    } else {
      context.server = await startServer(extraEnv);
    }
    context.browser = await launchBrowser();
  });
  after(async () => {
    await context.browser?.close();
    await context.server?.stop();
  });
  return context;
}

/** A fresh browser context (its own cookies) and page. */
export async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  return context.newPage();
}

export async function logIn(page, server, username, password = DEMO_PASSWORD) {
  await page.goto(`${server.url}/login`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/**
 * Answers "Confirm it's you" (security review, wave 2): the current code of
 * `phone` when the pop-up asks for a code, else the demo password.
 */
export async function confirmItsYou(page, phone) {
  const dialog = page.getByRole("dialog", { name: "Confirm it's you" });
  await dialog.waitFor();
  const code = dialog.getByLabel("Code");
  if (await code.count()) {
    if (!phone) throw new Error("Confirm it's you asks for a code: pass the phone");
    await code.fill(await phone.code());
  } else {
    await dialog.getByLabel("Password").fill(DEMO_PASSWORD);
  }
  await dialog.getByRole("button", { name: "Confirm" }).click();
}

/** Saves a screenshot under e2e/artifacts (ignored by git). */
export async function screenshot(page, name, { fullPage = true } = {}) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}

/**
 * Runs a browser test body; on failure keeps a screenshot of every open page
 * so the reason can be seen, then fails.
 */
export async function withPages(name, browser, body) {
  try {
    await body();
  } catch (error) {
    for (const [i, context] of browser.contexts().entries()) {
      for (const [j, page] of context.pages().entries()) {
        await page.screenshot({ path: join(ARTIFACTS, `FAILED-${name}-${i}-${j}.png`), fullPage: true }).catch(() => {});
      }
    }
    throw error;
  } finally {
    for (const context of browser.contexts()) await context.close();
  }
}

/**
 * An authenticator app: reads the QR code from a screenshot of the page
 * (never from markup or the database) and computes codes independently,
 * never using a 30-second step twice (the portal refuses replays).
 */
export class Authenticator {
  static async scan(page) {
    const { default: jsQR } = await import("jsqr");
    const { PNG } = await import("pngjs");
    const OTPAuth = await import("otpauth");
    const image = page.getByRole("img", { name: /QR code/ });
    const box = await image.boundingBox();
    if (!box || box.width < 200 || box.height < 200) throw new Error(`QR code too small: ${JSON.stringify(box)}`);
    const png = PNG.sync.read(await page.screenshot({ clip: { x: box.x - 8, y: box.y - 8, width: box.width + 16, height: box.height + 16 } }));
    const found = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    if (!found) throw new Error("no QR code could be read from the screenshot");
    return new Authenticator(found.data, OTPAuth.URI.parse(found.data));
  }

  constructor(uri, totp) {
    this.uri = uri;
    this.totp = totp;
    this.lastStep = 0;
  }

  /** A fresh code: this step's, or the next one's, waiting if both were used. */
  async code() {
    for (;;) {
      const nowStep = Math.floor(Date.now() / 30000);
      const step = Math.max(nowStep, this.lastStep + 1);
      if (step <= nowStep + 1) {
        this.lastStep = step;
        return this.totp.generate({ timestamp: step * 30000 });
      }
      await new Promise((resolve) => setTimeout(resolve, (nowStep + 1) * 30000 - Date.now() + 50));
    }
  }
}

/** Registers through the pop-ups that follow a sign-in; returns the authenticator. */
export async function registerPhone(page, screenshotName) {
  const ready = page.getByRole("dialog", { name: "Set up multi-factor authentication" });
  await ready.getByText("Have your authenticator application ready", { exact: false }).waitFor();
  await ready.getByRole("button", { name: "Continue" }).click();
  const scan = page.getByRole("dialog", { name: "Scan the QR code" });
  await scan.waitFor();
  if (screenshotName) await screenshot(page, screenshotName);
  const authenticator = await Authenticator.scan(page);
  await scan.getByRole("button", { name: "Continue" }).click();
  const codeDialog = page.getByRole("dialog", { name: "Enter the code" });
  await codeDialog.getByLabel("Code").fill(await authenticator.code());
  await codeDialog.getByRole("button", { name: "Continue" }).click();
  authenticator.recoveryCodes = await saveRecoveryCodes(page);
  await page.getByRole("navigation", { name: "Main menu" }).waitFor();
  return authenticator;
}

/**
 * The "Save your recovery codes" pop-up: reads the ten codes, ticks
 * "I have saved these codes" (Continue waits for it) and continues.
 */
export async function saveRecoveryCodes(page, screenshotName) {
  const dialog = page.getByRole("dialog", { name: "Save your recovery codes" });
  await dialog.waitFor();
  const codes = await dialog.getByRole("list", { name: "Recovery codes" }).getByRole("listitem").allInnerTexts();
  if (screenshotName) await screenshot(page, screenshotName);
  const next = dialog.getByRole("button", { name: "Continue" });
  if (!(await next.isDisabled())) throw new Error("Continue works before the codes are saved");
  await dialog.getByRole("checkbox", { name: "I have saved these codes" }).check();
  await next.click();
  return codes.map((code) => code.trim());
}

/**
 * The first message to `to` that contains `text`, as the test SMTP server
 * (aiosmtpd, started by scripts/smtp-server.sh) delivered it, decoded enough
 * to read links; waits up to 15 s for it.
 */
export async function mailTo(to, text) {
  const { readdirSync, readFileSync } = await import("node:fs");
  const maildir = process.env.CALLREC_TEST_MAILDIR;
  if (!maildir) throw new Error("CALLREC_TEST_MAILDIR is not set (scripts/smtp-server.sh sets it)");
  for (let i = 0; i < 300; i += 1) {
    const found = [];
    for (const folder of ["new", "cur"]) {
      let names = [];
      try { names = readdirSync(join(maildir, folder)); } catch { continue; }
      for (const name of names) {
        const raw = readFileSync(join(maildir, folder, name), "utf8");
        const headers = raw.split(/\r?\n\r?\n/)[0];
        if (headers.split(/\r?\n/).some((line) => /^to:/i.test(line) && line.includes(to))) {
          found.push(raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))));
        }
      }
    }
    const match = found.find((message) => message.includes(text));
    if (match) return match;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no mail to ${to} within 15 s`);
}
