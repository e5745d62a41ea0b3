// The demo site's login, end to end in Chromium: the welfare portal sends the browser to
// dojang's hosted login, the person fills in the form and agrees to the notice, a real
// `dojang-app listen` device answers, and the portal greets the verified person by name.
// Then the decline and expiry paths. Screenshots of every page on the way.
//
// Budgets: the normal flows run on a demo whose logins last the default five minutes, so a
// loaded machine (page loads, screenshots, the app's Argon2id unlock) cannot make them expire;
// the expiry path has a demo of its own with a short budget, and waits for the server's
// "expired" as long as the page says is left, then checks it did not come early.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDemo, enrol, listen, browser, shoot, tempDir, PHONE } from "./lib.mjs";

const person = { name: "홍길동", phone: "01012345678", birth: "19900101" };
// One person may receive 5 requests a minute: the later tests log in as two others.
const fast = { name: "김영희", phone: "01023456789", birth: "19920202" };
const nojs = { name: "이순신", phone: "01034567890", birth: "19850303" };
let demo, profile, chromium, device;
/** The expiry path's budget, seconds: more than the help's ten, with room for a slow page. */
const EXPIRY = 30;

before(async () => {
  demo = await startDemo({ name: "login" });
  profile = await enrol(demo, person, tempDir("dojang-e2e-app-"));
  for (const p of [fast, nojs]) { p.profile = await enrol(demo, p, tempDir("dojang-e2e-app-")); }
  chromium = await browser();
});

after(async () => {
  if (device) { await device.stop(); }
  if (chromium) { await chromium.close(); }
  if (demo) { await demo.stop(); }
});

/**
 * What the login hands the browser must never reach the server's log: the session cookie's
 * secret and the one-time code on the way back to the portal (added to the demo's secrets,
 * scanned when it stops).
 */
const codesSeen = [];
function keepSecrets(context, d = demo) {
  context.on("request", (r) => {
    const code = new URL(r.url()).searchParams.get("code");
    if (code) { d.secrets.add(code); codesSeen.push(code); }
  });
  context.on("response", (r) => {
    r.headersArray().then((headers) => {
      for (const h of headers.filter((x) => x.name.toLowerCase() === "set-cookie")) {
        const value = h.value.split(";")[0].split("=").slice(1).join("=");
        if (value.length >= 20) { d.secrets.add(value); }
      }
    }, () => {}); // the page may be gone already; its cookies were seen on earlier answers
  });
  return context;
}

/** From the portal to the filled-in, agreed form: choose dojang, fill in, agree. */
async function toForm(page, { screenshots = false, lang = "ko", who = person, d = demo } = {}) {
  await page.goto(d.site);
  if (screenshots) { await shoot(page, "demo-home"); }
  // The link by its place, not its words: the same in both languages.
  await page.locator("a[href='/login']").first().click();
  await page.waitForURL(/\/login\/\d{12}\?/);
  if (lang !== "ko") {
    const u = new URL(page.url());
    u.searchParams.set("lang", lang);
    await page.goto(u.toString());
  }
  assert.match(await page.locator("h1").innerText(), lang === "ko" ? /인증서를 선택하세요/ : /Choose your certificate/);
  if (screenshots) { await shoot(page, "login-choose"); }
  await page.locator("a.provider.active").click();
  await page.waitForURL(/\/form/);
  if (screenshots) { await shoot(page, "login-form"); }
  await page.locator("#name").fill(who.name);
  await page.locator("#phone").fill(who.phone);
  await page.locator("#birthday").fill(who.birth);
  await page.locator("#consent").check();
}

/** From the portal to the steps page: choose dojang, fill in, agree, send. */
async function toSteps(page, options = {}) {
  await toForm(page, options);
  await page.locator("#send").click();
  await page.waitForURL(/\/login\/s\//);
}

/**
 * A context at phone width that records what must never happen: an answer of 400 or more
 * (a missing icon, a refused page) and a Content-Security-Policy violation (a blocked form
 * redirect shows only in the console).
 */
async function watchedContext(options = {}) {
  const context = keepSecrets(await chromium.newContext({ viewport: PHONE, ...options }));
  const bad = [];
  context.on("response", (r) => { if (r.status() >= 400) { bad.push(`${r.status()} ${r.url()}`); } });
  const page = await context.newPage();
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) { bad.push(m.text()); } });
  return { context, page, bad };
}

const greeting = (who, lang = "ko") => (lang === "ko" ? `${who.name}님, 환영합니다` : `${who.name}, welcome`);

/**
 * Make every answer reach the page 1.5 s late (Chromium's own network emulation), so a
 * device that answers at once has signed before the browser asks for the steps page: the
 * form's redirect chain then runs on to the last page by itself. Returns the statuses the
 * login's session pages answered, in order, to show which way the browser went.
 */
async function slowNetwork(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false, latency: 1500, downloadThroughput: -1, uploadThroughput: -1,
  });
  const seen = [];
  page.on("response", (r) => {
    const m = new URL(r.url()).pathname.match(/^\/login\/s\/[^/]+(\/done)?$/);
    if (m) { seen.push(`${m[1] ? "done" : "steps"} ${r.status()}`); }
  });
  return seen;
}

test("a person logs in on the demo portal and is greeted by name", async () => {
  const context = keepSecrets(await chromium.newContext({ viewport: { width: 1280, height: 860 } }));
  const page = await context.newPage();

  // The form checks input and the consent before anything is sent.
  await page.goto(demo.site);
  await page.getByRole("link", { name: "간편인증으로 로그인" }).first().click();
  await page.locator("a.provider.active").click();
  await page.getByLabel("이름").fill(person.name);
  await page.getByLabel("휴대폰 번호").fill("0201");
  await page.getByLabel("생년월일").fill(person.birth);
  await page.locator("#send").click();
  await page.waitForSelector("#phone-error");
  assert.equal(await page.locator("#phone").getAttribute("aria-invalid"), "true");
  assert.ok(await page.locator("#consent-error").isVisible());
  assert.equal(await page.evaluate(() => document.activeElement.id), "phone", "focus on the first bad field");
  await shoot(page, "login-form-errors", null, ["ko"]);

  // The device answers after the page shows the steps.
  await toSteps(page, { screenshots: true });
  const code = await page.locator("#binding-code").innerText();
  assert.match(code, /^\d{2}$/);
  await shoot(page, "login-steps");
  device = await listen(demo, profile, "auto-approve");
  await page.waitForURL(demo.site + "/", { timeout: 30000 });
  assert.equal(await page.locator("#greeting").innerText(), "홍길동님, 환영합니다");
  assert.equal(await page.locator("#who-name").innerText(), "홍길동");
  const consentId = await page.locator("#who-consent").innerText();
  assert.ok(codesSeen.length > 0, "the one-time code was seen on its way back, for the log scan");
  await shoot(page, "demo-greeting");

  // The consent record the page stored.
  const consents = demo.admin("rp", "login-page", "consents", "--json").trim().split("\n").map(JSON.parse);
  const c = consents.find((x) => x.id === consentId);
  assert.ok(c, "the consent record of this login");
  assert.equal(c.clientCode, demo.party.clientCode);
  assert.equal(c.name, "홍길동");
  assert.match(c.noticeVersion, /^\d{4}-\d{2}-\d{2}$/);

  // Logging out: the portal no longer knows the person.
  await page.locator("#logout").click();
  await page.waitForSelector("#login");
  assert.equal(await page.locator("#greeting").count(), 0, "no greeting once logged out");
  // And in again in English: the choice and the form in English, the device (still listening)
  // approves, and the portal greets in English.
  await toForm(page, { lang: "en" });
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  assert.match(await page.locator("#send").innerText(), /[A-Za-z]/);
  assert.doesNotMatch(await page.locator("#send").innerText(), /[가-힣]/);
  await page.locator("#send").click();
  await page.waitForURL(demo.site + "/", { timeout: 30000 });
  assert.equal(await page.locator("#greeting").innerText(), greeting(person, "en"));
  assert.equal(await page.locator("#who-name").innerText(), "홍길동");
  assert.notEqual(await page.locator("#who-consent").innerText(), consentId, "a new consent record");
  await device.stop();
  device = undefined;
  await context.close();
});

test("a declined request ends the login with a way to try again", async () => {
  const context = keepSecrets(await chromium.newContext());
  const page = await context.newPage();
  device = await listen(demo, profile, "auto-decline");
  await toSteps(page);
  await page.waitForSelector("#status.bad", { timeout: 30000 });
  assert.match(await page.locator("#status").innerText(), /거절/);
  assert.ok(await page.locator("#retry").isVisible());
  await shoot(page, "login-declined");
  await device.stop();
  device = undefined;
  await context.close();
});

test("an unanswered request expires with the countdown and a way to try again", async () => {
  // A demo of its own whose logins last EXPIRY seconds, and a person whose app never answers.
  const short = await startDemo({ loginExpireIn: EXPIRY, name: "login-expiry" });
  let ignoring, context;
  try {
    const who = { name: "박지성", phone: "01045678901", birth: "19810225" };
    ignoring = await listen(short, await enrol(short, who, tempDir("dojang-e2e-app-")), "auto-ignore");
    context = keepSecrets(await chromium.newContext(), short);
    const page = await context.newPage();
    await toForm(page, { who, d: short });
    await page.locator("#send").click();
    await page.waitForURL(/\/login\/s\//);
    const loadedAt = Date.now();
    // What is left comes from the server's expiry time: within the budget, and the countdown
    // shows it (or a second less, if it ticked already).
    const left = Number(await page.locator("#login-steps").getAttribute("data-remaining"));
    assert.ok(left > 10 && left <= EXPIRY, `seconds left ${left} of ${EXPIRY}`);
    const shown = await page.locator("#countdown").innerText();
    const asText = (n) => `${Math.floor(n / 60)}:${String(n % 60).padStart(2, "0")}`;
    assert.ok([asText(left), asText(left - 1)].includes(shown), `${shown} for ${left} s`);
    // The help appears after ten seconds, while the request still waits.
    assert.ok(await page.locator("#help").isHidden(), "no help at first");
    await page.waitForSelector("#help:not([hidden])", { timeout: 15000 });
    assert.equal(await page.locator("#status.bad").count(), 0, "the help came before the end");
    // Expiry: waited for as long as is left (and a margin for the sweep and the stream), and
    // not before the server's time.
    await page.waitForSelector("#status.bad", { timeout: left * 1000 + 30000 });
    const after = (Date.now() - loadedAt) / 1000;
    assert.ok(after >= left - 1, `expired after ${after.toFixed(1)} s of ${left}`);
    assert.match(await page.locator("#status").innerText(), /시간이 지났습니다/);
    assert.equal(await page.locator("#countdown").innerText(), "0:00");
    assert.ok(await page.locator("#retry").isVisible());
    assert.ok(await page.locator("#help").isHidden(), "the help goes once it is over");
    await shoot(page, "login-expired");
  } finally {
    if (context) { await context.close(); }
    if (ignoring) { await ignoring.stop(); }
    await short.stop();
  }
});

test("an app that answers at once: the browser reaches the portal, at phone width, Korean and English", async () => {
  for (const lang of ["ko", "en"]) {
    const { context, page, bad } = await watchedContext();
    await toForm(page, { lang, who: fast });
    // The device listens before the form is sent, so it answers within milliseconds: before
    // the steps page has loaded.
    device = await listen(demo, fast.profile, "auto-approve");
    const seen = await slowNetwork(context, page);
    await page.locator("#send").click();
    await page.waitForURL(demo.site + "/", { timeout: 30000 });
    assert.equal(await page.locator("#greeting").innerText(), greeting(fast, lang));
    assert.match(device.out, /approved/);
    // The form POST's chain: steps (already signed) → the last page → the portal.
    assert.deepEqual(seen, ["steps 303", "done 200"]);
    assert.deepEqual(bad, [], "no failed request and no CSP violation");
    await device.stop();
    device = undefined;
    await context.close();
  }
});

test("the STEP3 button with JavaScript on reaches the portal even without live updates", async () => {
  const { context, page, bad } = await watchedContext();
  // No live state (as behind a proxy that buffers event streams): only the button moves on.
  await page.route("**/events", (route) => route.abort());
  await toSteps(page, { who: fast });
  device = await listen(demo, fast.profile, "auto-approve");
  await device.waitFor("approved");
  assert.equal(new URL(page.url()).origin, demo.dojang, "still on the steps page");
  await page.locator("#continue").click();
  await page.waitForURL(demo.site + "/", { timeout: 30000 });
  assert.equal(await page.locator("#greeting").innerText(), greeting(fast));
  assert.deepEqual(bad, [], "no failed request and no CSP violation");
  await device.stop();
  device = undefined;
  await context.close();
});

test("without JavaScript: the STEP3 button, and an app that answers at once, reach the portal", async () => {
  const { context, page, bad } = await watchedContext({ javaScriptEnabled: false });
  await toSteps(page, { who: nojs });
  assert.ok(await page.locator("noscript").count() > 0);
  device = await listen(demo, nojs.profile, "auto-approve");
  await device.waitFor("approved");
  await page.locator("#continue").click();
  await page.waitForURL(demo.site + "/", { timeout: 30000 });
  assert.equal(await page.locator("#greeting").innerText(), greeting(nojs));

  // Again, the device already listening: the form's own redirects end on the last page,
  // whose meta refresh goes on.
  await page.goto(demo.site + "/logout");
  await toForm(page, { who: nojs });
  const seen = await slowNetwork(context, page);
  await page.locator("#send").click();
  await page.waitForURL(demo.site + "/", { timeout: 30000 });
  assert.equal(await page.locator("#greeting").innerText(), greeting(nojs));
  assert.deepEqual(seen, ["steps 303", "done 200"]);
  assert.deepEqual(bad, [], "no failed request and no CSP violation");
  await device.stop();
  device = undefined;
  await context.close();
});

test("the form and steps carry seed 000's help, and the certificate help page opens", async () => {
  const { context, page, bad } = await watchedContext();
  device = await listen(demo, nojs.profile, "auto-ignore");
  await toForm(page, { who: nojs });
  assert.match(await page.locator("#push-where").innerText(), /마지막으로 로그인한 휴대폰/);
  await page.locator("#form-help summary").click();
  assert.equal(await page.locator("#form-help .reasons li").count(), 4);
  await page.locator("#send").click();
  await page.waitForURL(/\/login\/s\//);
  await page.waitForSelector("#help:not([hidden])", { timeout: 15000 });
  assert.match(await page.locator("#help").innerText(), /인증 앱을 삭제한 경우/);
  await page.locator("#help a.cert-help").click();
  await page.waitForURL(/\/help\/certificate/);
  assert.match(await page.locator("h1").innerText(), /인증서 발급·갱신·재발급 안내/);
  assert.deepEqual(bad, []);
  await device.stop();
  device = undefined;
  await context.close();
});
