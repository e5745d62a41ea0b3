// Shared helpers of the browser tests: the built binaries run as real processes on 127.0.0.1
// (a `dojang demo` instance on a temporary data directory, `dojang-app` devices), Debian's
// Chromium driven by playwright-core, and screenshots.
//
// Environment: DOJANG_BIN_DIR (default target/debug), CHROMIUM (default /usr/bin/chromium),
// DOJANG_SCREENSHOTS=1 writes screenshots into docs/screenshots/ (otherwise into
// target/e2e-screenshots/, so a test run never dirties the tree).

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { spawn, execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, "..");
const binDir = process.env.DOJANG_BIN_DIR || path.join(root, "target", "debug");
export const bin = (name) => path.join(binDir, name);
export const PIN = "246810";

/** A running process whose output is kept, with a way to wait for a line. */
export class Proc {
  constructor(program, args, env = {}) {
    this.out = "";
    // stderr alone: a server's log (its `say` lines go to stdout).
    this.err = "";
    this.waiters = [];
    this.child = spawn(program, args, {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const take = (chunk) => {
      this.out += chunk.toString();
      this.waiters = this.waiters.filter((w) => !w());
    };
    this.child.stdout.on("data", take);
    this.child.stderr.on("data", (chunk) => { this.err += chunk.toString(); take(chunk); });
    this.exited = new Promise((resolve) => this.child.on("exit", resolve));
  }

  /** Resolve with the output once it contains `needle` (a string or RegExp). */
  waitFor(needle, ms = 30000) {
    return new Promise((resolve, reject) => {
      const has = () => (typeof needle === "string" ? this.out.includes(needle) : needle.test(this.out));
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${needle}; output:\n${this.out}`)), ms);
      const check = () => {
        if (has()) { clearTimeout(timer); resolve(this.out); return true; }
        return false;
      };
      if (!check()) { this.waiters.push(check); }
    });
  }

  write(line) { this.child.stdin.write(line + "\n"); }

  async stop() {
    if (this.child.exitCode === null) { this.child.kill("SIGTERM"); }
    await this.exited;
  }
}

/** Run a command to completion; its stdout. */
export function run(program, args, env = {}) {
  return execFileSync(program, args, { env: { ...process.env, ...env }, encoding: "utf8" });
}

const scanner = path.join(root, ".ci", "scan-log.sh");
const logDir = path.join(root, "target", "e2e-logs");
mkdirSync(logDir, { recursive: true });

/**
 * Scan a server's log with the scanner compat/with-server.sh uses (.ci/scan-log.sh): no panic,
 * no internal error, none of `secrets`. Throws with the scanner's words. The scanner is first
 * shown to catch a planted value, so a scanner that passes everything cannot pass a run.
 */
export function scanLog(logFile, secrets) {
  const planted = path.join(logDir, "scanner-selftest.log");
  writeFileSync(planted, "INFO a line with planted-e2e-value in it\n");
  const self = spawnSync(scanner, [planted, "planted-e2e-value"], { encoding: "utf8" });
  assert.equal(self.status, 1, `the scanner must catch a planted value: ${self.stderr}`);
  const r = spawnSync(scanner, [logFile, "-"], { input: [...secrets].join("\n") + "\n", encoding: "utf8" });
  assert.equal(r.status, 0, `the server's log (${logFile}) failed the scan:\n${r.stderr}`);
}

/**
 * `dojang demo` on a temporary data directory and free ports, logging at debug. Returns the
 * site and dojang URLs, the relying party's credentials and the data directory,
 * `admin(...args)` that runs `dojang admin` against the same instance, and `secrets`: what
 * must never appear in the server's log (the SecretKey; `enrol` adds each person's name, number
 * and birth date; tests add the tokens and passwords they see). `stop()` writes the log to
 * target/e2e-logs/<name>.log and scans it (docs/security.md: at any level).
 */
export async function startDemo({ loginExpireIn = 300, name = "demo", certificateDays } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "dojang-e2e-"));
  const proc = new Proc(bin("dojang"), [
    "demo", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--site-listen", "127.0.0.1:0",
    "--login-expire-in", String(loginExpireIn), "--log", "debug",
    ...(certificateDays ? ["--certificate-validity-days", String(certificateDays)] : []),
  ]);
  const out = await proc.waitFor("dojang listening on ");
  const site = out.match(/demo site:\s+(http:\/\/\S+)/)[1];
  const dojang = out.match(/dojang:\s+(http:\/\/\S+)/)[1];
  const m = out.match(/client code (\d{12}), LinkID (\S+), SecretKey (\S+)\)/);
  const demo = {
    proc, site, dojang, dataDir,
    party: { clientCode: m[1], linkId: m[2], secret: m[3] },
    secrets: new Set([m[3]]),
    admin: (...args) => run(bin("dojang"), ["admin", "--data-dir", dataDir, ...args]),
    async stop() {
      await proc.stop();
      rmSync(dataDir, { recursive: true, force: true });
      const logFile = path.join(logDir, `${name}.log`);
      writeFileSync(logFile, proc.err);
      scanLog(logFile, demo.secrets);
    },
  };
  return demo;
}

/** Enrol a `dojang-app` profile for a person by SMS, reading the code from the outbox. */
export async function enrol(demo, person, profile) {
  for (const v of [person.name, person.phone, person.birth]) { demo.secrets.add(v); }
  const p = new Proc(bin("dojang-app"), [
    "--profile", profile, "enroll", "--server", demo.dojang,
    "--name", person.name, "--phone", person.phone, "--birth", person.birth,
  ], { DOJANG_PIN: PIN });
  await p.waitFor("one-time code was sent");
  // The outbox has been seen empty just after the app said the code was sent on a busy machine
  // (compat/with-server.sh learned the same): ask again for up to five seconds.
  let code;
  for (let i = 0; i < 50 && !code; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    const outbox = JSON.parse(demo.admin("outbox", "--phone", person.phone, "--json"));
    code = outbox.map((m) => m.text.match(/\d{6}/)).find(Boolean)?.[0];
  }
  assert.ok(code, `no one-time code for ${person.phone} in the SMS outbox`);
  p.write(code);
  await p.waitFor("enrolled: certificate", 60000);
  await p.exited;
  return profile;
}

/** `dojang-app listen` answering every request as `mode` says (auto-approve, auto-decline, …). */
export async function listen(demo, profile, mode) {
  const p = new Proc(bin("dojang-app"), ["--profile", profile, "listen", `--${mode}`], { DOJANG_PIN: PIN });
  await p.waitFor("waiting for requests");
  return p;
}

export function tempDir(prefix) {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export async function browser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

const shotDir = process.env.DOJANG_SCREENSHOTS === "1"
  ? path.join(root, "docs", "screenshots")
  : path.join(root, "target", "e2e-screenshots");
mkdirSync(shotDir, { recursive: true });

/**
 * Screenshots of what `page` shows, Korean and English, desktop and phone width:
 * `<name>-<ko|en>-<desktop|phone>.png`. `reload(lang)` brings the page back in a language
 * (default: reload with ?lang=); the page is left in Korean at desktop width. With one
 * language in `langs` the page is shot as it is, without reloading.
 */
export async function shoot(page, name, reload, langs = ["ko", "en"]) {
  const again = reload || (async (lang) => {
    const u = new URL(page.url());
    u.searchParams.set("lang", lang);
    await page.goto(u.toString());
  });
  for (const lang of langs) {
    if (langs.length > 1) { await again(lang); }
    for (const [label, size] of [["desktop", DESKTOP], ["phone", PHONE]]) {
      await page.setViewportSize(size);
      await page.screenshot({ path: path.join(shotDir, `${name}-${lang}-${label}.png`), fullPage: true });
    }
  }
  await page.setViewportSize(DESKTOP);
  if (langs.length > 1) { await again("ko"); }
}

/** RFC 4648 base32 → bytes. */
export function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits) of a base32 secret at `step`. */
export function totp(secret, step = Math.floor(Date.now() / 30000)) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const at = mac[19] & 15;
  const n = (mac.readUInt32BE(at) & 0x7fffffff) % 1000000;
  return String(n).padStart(6, "0");
}

/** On the enrolment page: read the secret, type the current code; the console opens. */
export async function enrolTotp(p, base) {
  await p.waitForURL(/\/admin\/totp/);
  assert.match(await p.locator("#totp-uri").innerText(), /^otpauth:\/\/totp\/dojang:/);
  assert.equal(await p.locator(".qr svg").count(), 1, "the QR code");
  const secret = (await p.locator("#totp-secret").innerText()).trim();
  await p.locator("#totp-code").fill("000000");
  await p.locator("#totp-submit").click();
  await p.waitForSelector("#totp-error");
  await p.locator("#totp-code").fill(totp(secret));
  await p.locator("#totp-submit").click();
  await p.waitForURL(`${base}/admin`);
  return secret;
}
