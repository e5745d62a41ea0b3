// Accessibility: every page a person or an integrator sees, checked by axe-core (WCAG 2.1 A and
// AA rules) in Korean and English, at desktop and phone width; and the hosted login done from
// start to finish with the keyboard alone, as someone who cannot use a mouse does it.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { startDemo, enrol, listen, browser, tempDir, enrolTotp, DESKTOP, PHONE } from "./lib.mjs";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const person = { name: "홍길동", phone: "01012345678", birth: "19900101" };
// Enrolled, but no app is listening for them: their login waits on the steps page.
const waiting = { name: "김영희", phone: "01023456789", birth: "19920202" };
let demo, chromium, device;

before(async () => {
  demo = await startDemo();
  const profile = await enrol(demo, person, tempDir("dojang-e2e-a11y-"));
  await enrol(demo, waiting, tempDir("dojang-e2e-a11y-"));
  device = await listen(demo, profile, "auto-approve");
  chromium = await browser();
});

after(async () => {
  if (device) { await device.stop(); }
  if (chromium) { await chromium.close(); }
  if (demo) { await demo.stop(); }
});

/**
 * axe-core's WCAG 2.1 A/AA rules on what `page` shows now. The script is evaluated over the
 * DevTools protocol, so the pages' Content-Security-Policy stays as it is. Returns the
 * violations as readable lines (rule, impact, the elements).
 */
async function axe(page) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary.replace(/\s+/g, " ")}`),
    }));
  });
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.join("\n    ")}`);
}

/** Check the page in both languages and both widths; `url(lang)` gives its address. */
async function checkEverywhere(page, name, url) {
  const found = [];
  for (const lang of ["ko", "en"]) {
    await page.goto(url(lang));
    for (const [label, size] of [["desktop", DESKTOP], ["phone", PHONE]]) {
      await page.setViewportSize(size);
      const v = await axe(page);
      if (v.length) { found.push(`${name} (${lang}, ${label}):\n  ${v.join("\n  ")}`); }
    }
  }
  return found;
}

const withLang = (base, lang) => {
  const u = new URL(base);
  u.searchParams.set("lang", lang);
  return u.toString();
};

test("every page passes axe-core's WCAG 2.1 AA rules in both languages and widths", async () => {
  const context = await chromium.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const found = [];

  // The hosted login: choose, the form (empty and with its errors shown), the steps page.
  await page.goto(demo.site);
  await page.locator("a[href='/login']").first().click();
  await page.waitForURL(/\/login\/\d{12}\?/);
  const choose = page.url();
  found.push(...await checkEverywhere(page, "login: choose a certificate", (l) => withLang(choose, l)));
  await page.goto(choose);
  await page.locator("a.provider.active").click();
  await page.waitForURL(/\/form/);
  const form = page.url();
  found.push(...await checkEverywhere(page, "login: the form", (l) => withLang(form, l)));
  for (const lang of ["ko", "en"]) {
    await page.goto(withLang(form, lang));
    await page.locator("#phone").fill("0201");
    await page.locator("#send").click();
    await page.waitForSelector("#phone-error");
    const v = await axe(page);
    if (v.length) { found.push(`login: the form with errors (${lang}):\n  ${v.join("\n  ")}`); }
  }

  // The steps page, with the code to match, while the person's phone has not answered.
  await page.goto(form);
  await page.locator("#name").fill(waiting.name);
  await page.locator("#phone").fill(waiting.phone);
  await page.locator("#birthday").fill(waiting.birth);
  await page.locator("#consent").check();
  await page.locator("#send").click();
  await page.waitForURL(/\/login\/s\//);
  await page.waitForSelector("#binding-code");
  const steps = page.url();
  found.push(...await checkEverywhere(page, "login: the steps page", (l) => withLang(steps, l)));

  // dojang's own pages and the demo portal.
  found.push(...await checkEverywhere(page, "dojang home", (l) => withLang(`${demo.dojang}/`, l)));
  found.push(...await checkEverywhere(page, "certificate help", (l) => withLang(`${demo.dojang}/help/certificate`, l)));
  found.push(...await checkEverywhere(page, "demo portal", (l) => withLang(demo.site, l)));
  // The consoles' front doors.
  found.push(...await checkEverywhere(page, "test console", (l) => withLang(`${demo.dojang}/console`, l)));
  found.push(...await checkEverywhere(page, "test console: an identity call", (l) => withLang(`${demo.dojang}/console/identity/create`, l)));
  found.push(...await checkEverywhere(page, "admin sign-in", (l) => withLang(`${demo.dojang}/admin/login`, l)));
  // The cloud certificate: the integrator test page (its parameter check answered), the
  // person's own page (its start, and the person form), dojang's frame opened by itself.
  // (The frame's other screens are checked inside a relying party's page by cloud.test.mjs.)
  found.push(...await checkEverywhere(page, "cloud test page", (l) => withLang(`${demo.dojang}/console/cloud`, l)));
  for (const lang of ["ko", "en"]) {
    await page.goto(withLang(`${demo.dojang}/console/cloud`, lang));
    await page.locator("#cc-run-check").click();
    await page.waitForFunction(() => document.getElementById("cc-result").textContent.includes("-10600050"));
    const v = await axe(page);
    if (v.length) { found.push(`cloud test page, parameter check (${lang}):\n  ${v.join("\n  ")}`); }
  }
  found.push(...await checkEverywhere(page, "cloud: own page", (l) => withLang(`${demo.dojang}/cloud`, l)));
  for (const lang of ["ko", "en"]) {
    for (const [label, size] of [["desktop", DESKTOP], ["phone", PHONE]]) {
      await page.setViewportSize(size);
      await page.goto(withLang(`${demo.dojang}/cloud`, lang));
      await page.locator("#go-register").click();
      await page.locator("#person-submit").click();
      await page.waitForSelector("#person-error:not([hidden])");
      const v = await axe(page);
      if (v.length) { found.push(`cloud: register form with an error (${lang}, ${label}):\n  ${v.join("\n  ")}`); }
    }
  }
  // The phone app: its start, and the enrolment form with an error (the home, the card and
  // the certificate screens are checked by app.test.mjs once a certificate is there).
  found.push(...await checkEverywhere(page, "phone app: start", (l) => withLang(`${demo.dojang}/app`, l)));
  for (const lang of ["ko", "en"]) {
    for (const [label, size] of [["desktop", DESKTOP], ["phone", PHONE]]) {
      await page.setViewportSize(size);
      await page.goto(withLang(`${demo.dojang}/app`, lang));
      await page.locator("#go-bank").click();
      await page.locator("#person-submit").click();
      await page.waitForSelector("#person-error:not([hidden])");
      const v = await axe(page);
      if (v.length) { found.push(`phone app: enrolment form with an error (${lang}, ${label}):\n  ${v.join("\n  ")}`); }
    }
  }
  await page.setViewportSize(DESKTOP);
  found.push(...await checkEverywhere(page, "cloud: frame opened alone", (l) => withLang(`${demo.dojang}/cloud/frame`, l)));

  await context.close();
  assert.deepEqual(found, [], `accessibility violations:\n${found.join("\n")}`);
});

test("every admin console page passes the same rules, signed in as the administrator", async () => {
  const context = await chromium.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const found = [];
  const password = readFileSync(path.join(demo.dataDir, "admin-initial-password"), "utf8").trim();
  demo.secrets.add(password);
  await page.goto(`${demo.dojang}/admin/login`);
  await page.locator("#login").fill("admin");
  await page.locator("#password").fill(password);
  await page.locator("#login-submit").click();
  await page.waitForURL(/\/admin\/totp/);
  const v = await axe(page);
  if (v.length) { found.push(`admin: TOTP enrolment:\n  ${v.join("\n  ")}`); }
  await enrolTotp(page, demo.dojang);
  // Every page the navigation leads to, and one relying party's page.
  const pages = await page.locator("nav a[href^='/admin']").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  pages.push(`/admin/parties/${demo.party.clientCode}`);
  assert.ok(pages.length >= 6, `the navigation was read: ${pages}`);
  for (const href of [...new Set(pages)]) {
    found.push(...await checkEverywhere(page, `admin ${href}`, (l) => withLang(`${demo.dojang}${href}`, l)));
    assert.ok(new URL(page.url()).pathname.startsWith("/admin") && !page.url().includes("/admin/login"), `still signed in at ${href}`);
  }
  await context.close();
  assert.deepEqual(found, [], `accessibility violations:\n${found.join("\n")}`);
});

test("the hosted login can be done with the keyboard alone", async () => {
  const context = await chromium.newContext({ viewport: PHONE });
  const page = await context.newPage();
  const found = [];
  await page.goto(demo.site);

  /** Press Tab until the focused element matches `selector` (at most 40 times). */
  async function tabTo(selector) {
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press("Tab");
      if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) {
        // What has the focus must show it: an outline or a box shadow that is not "none".
        const visible = await page.evaluate(() => {
          const st = getComputedStyle(document.activeElement);
          return (st.outlineStyle !== "none" && parseFloat(st.outlineWidth) > 0) || st.boxShadow !== "none";
        });
        if (!visible) { found.push(`no visible focus on ${selector} at ${page.url()}`); }
        return;
      }
    }
    assert.fail(`Tab never reached ${selector} on ${page.url()}`);
  }

  await tabTo("a[href='/login']");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/login\/\d{12}\?/);
  await tabTo("a.provider.active");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/form/);

  // The fields in the order they are read, typed, the consent ticked with Space, sent with Enter.
  await tabTo("#name");
  await page.keyboard.type(person.name);
  await tabTo("#phone");
  await page.keyboard.type(person.phone);
  await tabTo("#birthday");
  await page.keyboard.type(person.birth);
  await tabTo("#consent");
  await page.keyboard.press("Space");
  assert.equal(await page.locator("#consent").isChecked(), true);
  await tabTo("#send");
  await page.keyboard.press("Enter");

  // The device approves by itself; the portal greets the person.
  await page.waitForURL(demo.site + "/", { timeout: 60000 });
  assert.equal(await page.locator("#greeting").innerText(), `${person.name}님, 환영합니다`);
  await context.close();
  assert.deepEqual(found, [], found.join("\n"));
});
