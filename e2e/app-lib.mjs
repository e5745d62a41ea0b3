// Helpers of the phone-app tests written after app.test.mjs (app-guest.test.mjs,
// app-walks.test.mjs): the same steps app.test.mjs takes, shared here instead of copied into
// each file. Each takes the running demo (lib.mjs startDemo) and Chromium.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { PHONE } from "./lib.mjs";

/** The 6-digit codes sent to a phone (the demo's SMS outbox), each returned once. */
export function smsCodes(demo) {
  const seen = new Map();
  return async function smsCode(phone) {
    if (!seen.has(phone)) { seen.set(phone, new Set()); }
    const s = seen.get(phone);
    for (let i = 0; i < 50; i++) {
      const outbox = JSON.parse(demo.admin("outbox", "--phone", phone, "--json"));
      const codes = outbox.map((m) => m.text.match(/\d{6}/)?.[0]).filter(Boolean);
      const fresh = codes.find((c) => !s.has(c));
      if (fresh) { s.add(fresh); return fresh; }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no new code for ${phone}`);
  };
}

/** The 1-won deposit's memo word sent to `phone` (the demo's outbox stands in for the bank). */
export async function depositWord(demo, phone) {
  for (let i = 0; i < 50; i++) {
    const outbox = JSON.parse(demo.admin("outbox", "--phone", phone, "--json"));
    const word = outbox.map((m) => m.text.match(/memo (\S+)$/)?.[1]).filter(Boolean).pop();
    if (word) { return word; }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no deposit word for ${phone}`);
}

/**
 * A phone: a context at phone size on /app that records what must not happen — an answer of
 * 400 or more other than those in `allow` (the Web Push key's 404 is always allowed), a CSP
 * violation, a page error.
 */
export async function phone(chromium, demo, { allow = [], lang, context: opts = {} } = {}) {
  const context = await chromium.newContext({ viewport: PHONE, locale: "ko-KR", ...opts });
  const bad = [];
  const allowed = [/\/device\/v1\/push\/vapid$/, ...allow];
  context.on("response", (r) => {
    if (r.status() >= 400 && !allowed.some((re) => re.test(r.url()))) { bad.push(`${r.status()} ${r.url()}`); }
  });
  const page = await context.newPage();
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) { bad.push(m.text()); } });
  page.on("pageerror", (e) => bad.push(`page error: ${e.message}`));
  await page.goto(`${demo.dojang}/app${lang ? `?lang=${lang}` : ""}`);
  return { context, page, bad };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
/** axe-core's WCAG 2.1 A/AA rules on what `page` shows now; violations pushed to `found`. */
export async function axe(page, label, found) {
  await page.evaluate(axeSource);
  const v = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return r.violations.map((x) => `${x.id}: ${x.help} — ${x.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  if (v.length) { found.push(`${label}:\n  ${v.join("\n  ")}`); }
}

export const visible = (page, id, ms = 30000) => page.locator(`#${id}:not([hidden])`).waitFor({ timeout: ms });

/** The portal's hosted login for `who`, up to the steps page; the number it shows. */
export async function portalLogin(chromium, demo, who) {
  const context = await chromium.newContext({ viewport: PHONE });
  const page = await context.newPage();
  await page.goto(demo.site);
  await page.locator("a[href='/login']").first().click();
  await page.waitForURL(/\/login\/\d{12}\?/);
  await page.locator("a.provider.active").click();
  await page.waitForURL(/\/form/);
  // The help points to the app.
  assert.equal(await page.locator("a.app-link").first().getAttribute("href"), "/app");
  await page.locator("#name").fill(who.name);
  await page.locator("#phone").fill(who.phone);
  await page.locator("#birthday").fill(who.birth);
  await page.locator("#consent").check();
  await page.locator("#send").click();
  await page.waitForURL(/\/login\/s\//);
  const code = (await page.locator("#binding-code").innerText()).trim();
  assert.match(code, /^\d{2}$/);
  return { context, page, code };
}

/** Pick `number` on the open card and type `pin`; press approve. */
export async function approve(page, number, pin) {
  await visible(page, "scr-card");
  await page.locator("#c-choices label.number", { hasText: new RegExp(`^${number}$`) }).click();
  await page.locator("#sign-pin").fill(pin);
  await page.locator("#approve").click();
}

/** One value of the app's IndexedDB ("device", "guest", "lang"). */
export function stored(page, key) {
  return page.evaluate((k) => new Promise((resolve, reject) => {
    const open = indexedDB.open("dojang-app", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("state");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const get = open.result.transaction("state").objectStore("state").get(k);
      get.onsuccess = () => { open.result.close(); resolve(get.result ?? null); };
      get.onerror = () => reject(get.error);
    };
  }), key);
}

/** The app's service worker in `context` (Playwright's handle on its global scope). */
export async function appWorker(context) {
  for (let i = 0; i < 100; i++) {
    const sw = context.serviceWorkers().find((w) => w.url().endsWith("/app/sw.js"));
    if (sw) { return sw; }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the app's service worker did not start");
}
