// The phone app (/app) walked as the quality bar asks, in Chromium at phone size:
// in English (enrolment, the card, a wrong number, a decline, an approval, the certificate
// screen), with axe-core on every screen and English screenshots (app-en-*); by keyboard alone
// (Tab, Enter and Space; inside the radio group of numbers the arrow keys, which is how a
// radio group is used), checking that focus moves to each screen's heading and that errors are
// tied to their fields and announced; and with JavaScript off, where the page must explain
// itself in Korean and English and present nothing that cannot work.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDemo, browser, shoot, PHONE } from "./lib.mjs";
import { native } from "./rp.mjs";
import { smsCodes, phone, axe, visible, approve } from "./app-lib.mjs";

const PIN = "246813";
const english = { name: "Kim Mina", phone: "01088801234", birth: "19920202" };
const keys = { name: "장하늘", phone: "01088805678", birth: "19900909" };
let demo, chromium, smsCode;

before(async () => {
  demo = await startDemo({ name: "app-walks" });
  for (const p of [english, keys]) { for (const v of Object.values(p)) { demo.secrets.add(v); } }
  chromium = await browser();
  smsCode = smsCodes(demo);
});

after(async () => {
  if (chromium) { await chromium.close(); }
  if (demo) { await demo.stop(); }
});

async function request(who, title) {
  const r = await native(demo.dojang, demo.party, "POST", "/v1/identity", {
    receiverName: who.name, receiverHP: who.phone, receiverBirthday: who.birth,
    reqTitle: title, token: title, expireIn: 300, callCenterNum: "1600-0000",
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

const focused = (page) => page.evaluate(() => document.activeElement && document.activeElement.id);

test("in English: enrol, the card, a wrong number, a decline, an approval, the certificate; axe on each", async () => {
  const found = [];
  const en = await phone(chromium, demo, { allow: [/\/device\/v1\/requests\/\d+\/approve$/] });
  const { page } = en;
  const shot = (name) => shoot(page, `app-en-${name}`, null, ["en"]);
  try {
    await visible(page, "scr-start");
    // The switch in the header; the choice is remembered.
    await page.locator("a.lang").click();
    await page.waitForURL(/lang=en/);
    await visible(page, "scr-start");
    assert.equal(await page.locator("html").getAttribute("lang"), "en");
    await page.goto(`${demo.dojang}/app`);
    await visible(page, "scr-start");
    assert.equal(await page.locator("html").getAttribute("lang"), "en", "remembered");
    assert.equal(await page.locator("#start-h").innerText(), "Get your certificate");
    await axe(page, "start", found);
    await shot("start");

    await page.locator("#go-sms").click();
    await visible(page, "scr-person");
    await page.locator("#person-submit").click();
    await visible(page, "person-error");
    assert.equal(await page.locator("#person-error").innerText(), "Enter your name.");
    await axe(page, "person with an error", found);
    await shot("person-error");
    await page.locator("#p-name").fill(english.name);
    await page.locator("#p-phone").fill(english.phone);
    await page.locator("#p-birth").fill(english.birth);
    await page.locator("#person-submit").click();
    await visible(page, "scr-code");
    assert.match(await page.locator("#code-lead").innerText(), /6-digit code/);
    await axe(page, "code", found);
    await shot("code");
    await page.locator("#sms-code").fill(await smsCode(english.phone));
    await page.locator("#code-submit").click();
    await visible(page, "scr-newpin");
    await page.locator("#new-pin").fill(PIN);
    await page.locator("#new-pin2").fill("135790");
    await page.locator("#newpin-submit").click();
    await visible(page, "newpin-error");
    assert.equal(await page.locator("#newpin-error").innerText(), "The two PINs differ.");
    await axe(page, "new PIN with an error", found);
    await shot("newpin-error");
    await page.locator("#new-pin2").fill(PIN);
    await page.locator("#newpin-submit").click();
    await visible(page, "scr-done", 60000);
    assert.match(await page.locator("#done-text").innerText(), /certificate is issued/);
    await axe(page, "enrolled", found);
    await shot("enrolled");
    await page.locator("#done-ok").click();
    await visible(page, "scr-home");
    await page.locator("#app[data-live=on]").waitFor({ timeout: 15000 });
    await page.locator("#app[data-push]").waitFor({ timeout: 15000 }).catch(() => {});
    await axe(page, "home", found);
    await shot("home");

    // A wrong number: the request is declined, the card says why.
    const wrong = await request(english, "Wrong number test");
    await visible(page, "scr-card", 20000);
    assert.equal(await page.locator("#card-h").innerText(), "A request for you");
    await axe(page, "card", found);
    await shot("card");
    const other = (await page.locator("#c-choices label.number").allInnerTexts()).find((c) => c !== wrong.bindingCode);
    await approve(page, other, PIN);
    await page.locator("#sign-error:not([hidden])").waitFor({ timeout: 30000 });
    assert.match(await page.locator("#sign-error").innerText(), /-10400033/);
    await axe(page, "card with the wrong number", found);
    await shot("wrong-number");
    await page.locator("#card-back").click();
    await visible(page, "scr-home");

    const no = await request(english, "Decline test");
    await visible(page, "scr-card", 20000);
    assert.equal(no.receiptID.length > 0, true);
    await page.locator("#decline").click();
    await visible(page, "scr-done", 30000);
    assert.equal(await page.locator("#done-text").innerText(), "Declined.");
    await axe(page, "declined", found);
    await shot("declined");
    await page.locator("#done-ok").click();
    await visible(page, "scr-home");

    const yes = await request(english, "Approval test");
    await visible(page, "scr-card", 20000);
    await approve(page, yes.bindingCode, PIN);
    await visible(page, "scr-done", 30000);
    assert.match(await page.locator("#done-text").innerText(), /^Approved\./);
    await axe(page, "approved", found);
    await shot("approved");
    await page.locator("#done-ok").click();
    await visible(page, "scr-home");

    await page.locator("#go-manage").click();
    await visible(page, "scr-manage");
    assert.equal(await page.locator("#m-state").innerText(), "Valid");
    await axe(page, "my certificate", found);
    await shot("manage");
    assert.deepEqual(found, [], `accessibility violations:\n${found.join("\n")}`);
    assert.deepEqual(en.bad, []);
  } finally {
    await en.context.close();
  }
});

test("by keyboard alone: enrolment by SMS and an approval; focus on each heading; errors tied to their fields", async () => {
  const kb = await phone(chromium, demo, { allow: [/\/device\/v1\/requests\/\d+\/approve$/] });
  const { page } = kb;
  const k = page.keyboard;
  try {
    await visible(page, "scr-start");
    assert.equal(await focused(page), "start-h", "the start screen's heading has focus");
    await k.press("Tab");
    assert.equal(await focused(page), "go-sms");
    await k.press("Enter");
    await visible(page, "scr-person");
    assert.equal(await focused(page), "person-h");
    await k.press("Tab");
    assert.equal(await focused(page), "p-name");
    // Submitting empty: the error is said (role=alert), tied to the field, and focus goes there.
    await k.press("Enter");
    await visible(page, "person-error");
    assert.equal(await focused(page), "p-name");
    assert.equal(await page.locator("#p-name").getAttribute("aria-invalid"), "true");
    assert.equal(await page.locator("#p-name").getAttribute("aria-errormessage"), "person-error");
    assert.equal(await page.locator("#person-error").getAttribute("role"), "alert");
    await k.type(keys.name);
    await k.press("Tab");
    assert.equal(await focused(page), "p-phone");
    await k.type("0101");
    await k.press("Tab");
    await k.type(keys.birth);
    await k.press("Enter");
    // A wrong phone number: focus back to that field, which says so.
    assert.equal(await focused(page), "p-phone");
    assert.equal(await page.locator("#p-phone").getAttribute("aria-invalid"), "true");
    assert.equal(await page.locator("#p-name").getAttribute("aria-invalid"), null, "the fixed field is no longer invalid");
    await k.press("Control+A");
    await k.type(keys.phone);
    await k.press("Enter");
    await visible(page, "scr-code");
    assert.equal(await focused(page), "code-h");
    await k.press("Tab");
    assert.equal(await focused(page), "sms-code");
    await k.type(await smsCode(keys.phone));
    await k.press("Enter");
    await visible(page, "scr-newpin");
    assert.equal(await focused(page), "newpin-h");
    await k.press("Tab");
    assert.equal(await focused(page), "new-pin");
    await k.type("111111");
    await k.press("Tab");
    await k.type("111111");
    await k.press("Enter");
    await visible(page, "newpin-error");
    assert.equal(await focused(page), "new-pin", "a trivial PIN: focus on the PIN");
    await k.press("Control+A");
    await k.type(PIN);
    await k.press("Tab");
    await k.press("Control+A");
    await k.type(PIN);
    await k.press("Enter");
    await visible(page, "scr-done", 60000);
    assert.equal(await focused(page), "done-h");
    await k.press("Tab");
    assert.equal(await focused(page), "done-ok");
    await k.press(" ");
    await visible(page, "scr-home");
    assert.equal(await focused(page), "home-h");
    await page.locator("#app[data-live=on]").waitFor({ timeout: 15000 });

    const r = await request(keys, "키보드 시험");
    await visible(page, "scr-card", 20000);
    assert.equal(await focused(page), "card-h");
    // Tab reaches the numbers; inside the group the arrow keys move, Space picks.
    let steps = 0;
    while (!/^pick-\d$/.test(await focused(page) || "") && steps++ < 20) { await k.press("Tab"); }
    assert.match(await focused(page), /^pick-\d$/, "Tab reaches the numbers");
    const choices = await page.locator("#c-choices input").evaluateAll((l) => l.map((i) => i.value));
    const want = choices.indexOf(r.bindingCode);
    assert.ok(want >= 0);
    // Approving without a PIN: the error goes to the PIN field.
    for (let i = 0; i < want; i++) { await k.press("ArrowRight"); }
    await k.press(" ");
    assert.equal(await page.locator(`#pick-${want}`).isChecked(), true);
    await k.press("Tab");
    assert.equal(await focused(page), "sign-pin");
    await k.press("Enter");
    await visible(page, "sign-error");
    assert.equal(await focused(page), "sign-pin");
    assert.equal(await page.locator("#sign-pin").getAttribute("aria-errormessage"), "sign-error");
    await k.type(PIN);
    await k.press("Enter");
    await visible(page, "scr-done", 30000);
    assert.equal(await focused(page), "done-h");
    const status = await native(demo.dojang, demo.party, "GET", `/v1/identity/${r.receiptID}`);
    assert.equal(status.body.state, 1, "approved by keyboard");
    assert.deepEqual(kb.bad, []);
  } finally {
    await kb.context.close();
  }
});

test("JavaScript off: the page explains, in Korean and English, and shows nothing that cannot work", async () => {
  for (const lang of ["ko", "en"]) {
    const context = await chromium.newContext({ viewport: PHONE, javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(`${demo.dojang}/app?lang=${lang}`);
      const text = await page.locator("#scr-wait").innerText();
      assert.match(text, /이 앱은 JavaScript가 필요합니다/);
      assert.match(text, /This app needs JavaScript/);
      assert.equal(await page.locator("#scr-wait h1").innerText(), lang === "ko" ? "JavaScript가 필요합니다" : "JavaScript is needed");
      // No "getting ready" that never ends, no control that does nothing.
      assert.equal(await page.locator("#wait-text").isVisible(), false);
      assert.equal(await page.locator("main button:visible, main input:visible, main select:visible").count(), 0);
      // What is left works without script: the language switch is a link.
      assert.equal(await page.locator("a.lang").isVisible(), true);
      await shoot(page, "app-noscript", null, [lang]);
    } finally {
      await context.close();
    }
  }
});
