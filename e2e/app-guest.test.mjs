// The phone app (/app) before a certificate (seed 000: "인증서 발급 전에는 마지막 로그인 기기로
// 발송됩니다"), in Chromium at phone size: the person logs in without a certificate (name, phone,
// birth date, SMS code); the demo portal's hosted login sends a request for them, which arrives
// live on the app's WebSocket; the card leads them to a certificate issued inside it by SMS
// (new key, CSR, PIN: the enrolment's own code), then they approve the same card with the
// number and the PIN, and the portal greets them. Then a request that arrives while the app is
// closed (opening the app lists it) and asks for more than a phone check: the certificate is
// issued by the bank account inside the card. Then the service worker's notificationclick and
// pushsubscriptionchange handlers, run in the real worker with the real page and server.
//
// Last, a person who holds a certificate on another device logs in: the app says so.
//
// Screenshots: app-login-*, app-guest-home-*, app-guest-card-* (DOJANG_SCREENSHOTS=1).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createECDH, randomBytes } from "node:crypto";
import { startDemo, browser, shoot, enrol, tempDir } from "./lib.mjs";
import { native } from "./rp.mjs";
import { smsCodes, depositWord, phone, axe, visible, portalLogin, approve, stored, appWorker } from "./app-lib.mjs";

const PIN = "246813";
const person = { name: "윤서아", phone: "01077701234", birth: "19930303" };
const strict = { name: "배도윤", phone: "01077705678", birth: "19880808" };
const holder = { name: "남궁민", phone: "01077709012", birth: "19850505" };
let demo, chromium, smsCode;
let app; // the first person's phone, enrolled by the end of the first test
const a11y = [];

before(async () => {
  demo = await startDemo({ name: "app-guest" });
  for (const p of [person, strict, holder]) { for (const v of Object.values(p)) { demo.secrets.add(v); } }
  chromium = await browser();
  smsCode = smsCodes(demo);
});

after(async () => {
  if (app) { await app.context.close(); }
  if (chromium) { await chromium.close(); }
  if (demo) { await demo.stop(); }
});

/** Log `who` in without a certificate; ends on the home screen with the live channel up. */
async function logIn(page, who, { screenshots = false } = {}) {
  await visible(page, "scr-start");
  await page.locator("#go-login").click();
  await visible(page, "scr-person");
  assert.equal(await page.locator("#person-h").innerText(), "인증서 없이 로그인");
  assert.equal(await page.locator("#bank-fields").isHidden(), true);
  await page.locator("#p-name").fill(who.name);
  await page.locator("#p-phone").fill(who.phone);
  await page.locator("#p-birth").fill(who.birth);
  await page.locator("#person-submit").click();
  await visible(page, "scr-code");
  // A wrong code is refused on the form and can be typed again.
  const code = await smsCode(who.phone);
  await page.locator("#sms-code").fill(code === "000000" ? "111111" : "000000");
  await page.locator("#code-submit").click();
  await visible(page, "code-error");
  assert.match(await page.locator("#code-error").innerText(), /-104000/);
  await page.locator("#sms-code").fill(code);
  await page.locator("#code-submit").click();
  await visible(page, "scr-done", 30000);
  if (screenshots) { await shoot(page, "app-login", null, ["ko"]); }
  await page.locator("#done-ok").click();
  await visible(page, "scr-home");
  await page.locator("#app[data-live=on]").waitFor({ timeout: 15000 });
}

test("log in without a certificate; the portal's request arrives live; a certificate by SMS inside the card; approve; the portal greets", async () => {
  app = await phone(chromium, demo, { allow: [/\/device\/v1\/enrolments\/[^/]+\/login$/] });
  const { page } = app;
  await logIn(page, person, { screenshots: true });
  // The home says where requests go and that there is no certificate here.
  await visible(page, "home-guest");
  assert.match(await page.locator("#guest-lead").innerText(), /이 휴대폰으로/);
  assert.equal(await page.locator("#guest-elsewhere").isHidden(), true, "no certificate elsewhere");
  assert.equal(await page.locator("#go-manage").isHidden(), true);
  const guest = await stored(page, "guest");
  assert.equal(guest.guest, true);
  assert.equal(guest.hasCertificate, false);
  assert.equal(await stored(page, "device"), null);
  demo.secrets.add(guest.deviceToken);
  await axe(page, "home without a certificate", a11y);
  await shoot(page, "app-guest-home", async (lang) => {
    await page.goto(`${demo.dojang}/app?lang=${lang}`);
    await page.locator("#app[data-live=on]").waitFor({ timeout: 15000 });
  });

  // The request reaches the phone that logged in: the card, with what to do first.
  const portal = await portalLogin(chromium, demo, person);
  await visible(page, "scr-card", 20000);
  await visible(page, "c-guest");
  await visible(page, "c-guest-sms");
  assert.equal(await page.locator("#approve").isHidden(), true);
  assert.equal(await page.locator("#sign-pin").isHidden(), true);
  assert.equal(await page.locator("#c-binding").isHidden(), true);
  await axe(page, "the card without a certificate", a11y);
  await shoot(page, "app-guest-card", null, ["ko"]);

  // Issue by SMS: the person is known, the code is sent at once, then the PIN.
  await page.locator("#c-issue").click();
  await visible(page, "scr-code");
  await page.locator("#sms-code").fill(await smsCode(person.phone));
  await page.locator("#code-submit").click();
  await visible(page, "scr-newpin");
  await page.locator("#new-pin").fill(PIN);
  await page.locator("#new-pin2").fill(PIN);
  await page.locator("#newpin-submit").click();
  // Back on the same card, now with the numbers and the PIN.
  await visible(page, "scr-card", 60000);
  await visible(page, "c-binding");
  assert.equal(await page.locator("#c-guest").isHidden(), true);
  assert.match(await page.locator("#app-status").innerText(), /발급/);
  const choices = await page.locator("#c-choices label.number").allInnerTexts();
  assert.ok(choices.includes(portal.code), `${portal.code} among ${choices}`);
  // The login is gone; the app holds an enrolled device with a different credential.
  assert.equal(await stored(page, "guest"), null);
  const device = await stored(page, "device");
  assert.ok(device && device.key && device.certificate, "an enrolled device");
  assert.notEqual(device.deviceToken, guest.deviceToken);
  demo.secrets.add(device.deviceToken);
  // The server superseded the login's device: its credential is refused.
  const old = await fetch(`${demo.dojang}/device/v1/requests`, { headers: { authorization: `Bearer ${guest.deviceToken}` } });
  assert.equal(old.status, 401);
  assert.equal((await old.json()).code, -10400002);

  await approve(page, portal.code, PIN);
  await visible(page, "scr-done", 30000);
  await portal.page.waitForURL(demo.site + "/", { timeout: 60000 });
  assert.equal(await portal.page.locator("#greeting").innerText(), `${person.name}님, 환영합니다`);
  await portal.context.close();
  await page.locator("#done-ok").click();
  await visible(page, "scr-home");
  // An ordinary enrolled app now: the certificate screen, the live channel on the new credential.
  assert.equal(await page.locator("#home-guest").isHidden(), true);
  await page.locator("#app[data-live=on]").waitFor({ timeout: 15000 });
  await page.locator("#go-manage").click();
  await visible(page, "scr-manage");
  assert.equal(await page.locator("#m-state").getAttribute("data-state"), "active");
  await page.locator("#manage-back").click();
  await visible(page, "scr-home");
  assert.deepEqual(app.bad, []);
});

test("closed app: the request waits in the list; a strict one issues the certificate by the bank account inside the card", async () => {
  const who = await phone(chromium, demo, { allow: [/\/device\/v1\/enrolments\/[^/]+\/login$/] });
  try {
    await logIn(who.page, strict);
    // The app is closed (its context, and IndexedDB, stay).
    await who.page.close();
    const r = await native(demo.dojang, demo.party, "POST", "/v1/identity", {
      receiverName: strict.name, receiverHP: strict.phone, receiverBirthday: strict.birth,
      reqTitle: "계좌 확인 필요", token: "본인확인", expireIn: 300, allowSimpleRegistYN: false,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // Opened again: the waiting request is listed (seed 000: PUSH가 오지 않은 경우, 앱을 실행해주세요).
    const page = await who.context.newPage();
    page.on("pageerror", (e) => who.bad.push(`page error: ${e.message}`));
    await page.goto(`${demo.dojang}/app`);
    await visible(page, "scr-home");
    await page.locator(`#open-${r.body.receiptID}`).waitFor({ timeout: 15000 });
    await page.locator(`#open-${r.body.receiptID}`).click();
    await visible(page, "scr-card");
    await visible(page, "c-guest-bank");
    assert.equal(await page.locator("#c-guest-sms").isHidden(), true);
    // The bank account: the person's details are filled in, the bank and account asked.
    await page.locator("#c-issue").click();
    await visible(page, "scr-person");
    await visible(page, "bank-fields");
    assert.equal(await page.locator("#p-name").inputValue(), strict.name);
    assert.equal(await page.locator("#p-phone").inputValue(), strict.phone);
    await page.locator("#p-bank").fill("004");
    await page.locator("#p-account").fill("123-456-778899");
    await page.locator("#person-submit").click();
    await visible(page, "scr-code");
    await page.locator("#sms-code").fill(await depositWord(demo, strict.phone));
    await page.locator("#code-submit").click();
    await visible(page, "scr-newpin");
    await page.locator("#new-pin").fill(PIN);
    await page.locator("#new-pin2").fill(PIN);
    await page.locator("#newpin-submit").click();
    await visible(page, "c-binding", 60000);
    await approve(page, r.body.bindingCode, PIN);
    await visible(page, "scr-done", 30000);
    const status = await native(demo.dojang, demo.party, "GET", `/v1/identity/${r.body.receiptID}`);
    assert.equal(status.body.state, 1, "signed, by a bank-account certificate");
    assert.deepEqual(who.bad, []);
  } finally {
    await who.context.close();
  }
});

test("notificationclick: the open app is told which card and shows it; the URL a new window would open shows it too", async () => {
  // Chromium has no way to click a notification from a test: a real notification is shown by
  // the worker, and a NotificationEvent carrying it is dispatched in the worker's own scope,
  // which runs the real handler with the real window list. A synthetic event carries no user
  // activation, so the browser refuses focus() and openWindow(): that part is the platform's.
  const { context, page } = app;
  await context.grantPermissions(["notifications"], { origin: demo.dojang });
  const r = await native(demo.dojang, demo.party, "POST", "/v1/identity", {
    receiverName: person.name, receiverHP: person.phone, receiverBirthday: person.birth,
    reqTitle: "알림 시험", token: "알림", expireIn: 300,
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const id = r.body.receiptID;
  await visible(page, "scr-card", 20000);
  await page.locator("#card-back").click();
  await visible(page, "scr-home");
  const sw = await appWorker(context);
  const outcome = await sw.evaluate(async (receiptId) => {
    await self.registration.showNotification("햇살복지포털 인증 요청", { tag: `dojang-${receiptId}`, data: { receiptId } });
    const [n] = await self.registration.getNotifications({ tag: `dojang-${receiptId}` });
    // eslint-disable-next-line no-undef
    const ev = new NotificationEvent("notificationclick", { notification: n });
    let done = null;
    Object.defineProperty(ev, "waitUntil", { value: (p) => { done = p; } });
    self.dispatchEvent(ev);
    let focus;
    try { await done; focus = "focused"; } catch (e) { focus = e.name; }
    const left = (await self.registration.getNotifications()).length;
    return { waited: done !== null, focus, left };
  }, id);
  assert.equal(outcome.waited, true, "the handler waits on its work");
  assert.equal(outcome.left, 0, "the notification is closed");
  assert.ok(["focused", "InvalidAccessError"].includes(outcome.focus), outcome.focus);
  console.log(`notificationclick: focus() in a synthetic click: ${outcome.focus}`);
  // The page was told: the card is open.
  await visible(page, "scr-card", 15000);
  assert.equal(await page.locator("#c-title").innerText(), "알림 시험");

  // No /app window: the routing names the URL a new window opens, and that URL shows the card.
  const target = await sw.evaluate((receiptId) => {
    // eslint-disable-next-line no-undef
    const t = clickTarget([{ url: `${location.origin}/`, focus() {} }], receiptId);
    return t.url;
  }, id);
  assert.equal(target, `/app#receipt=${id}`);
  await page.locator("#card-back").click();
  const fresh = await context.newPage();
  await page.close();
  await fresh.goto(`${demo.dojang}${target}`);
  await visible(fresh, "scr-card", 20000);
  assert.equal(await fresh.locator("#c-title").innerText(), "알림 시험");
  assert.equal(new URL(fresh.url()).hash, "", "the fragment is consumed");
  await fresh.locator("#decline").click();
  await visible(fresh, "scr-done", 30000);
  await fresh.locator("#done-ok").click();
  app.page = fresh;
});

test("pushsubscriptionchange: the worker posts the new subscription with the credential from IndexedDB", async () => {
  // The push service's replacement subscription is handed to the worker's real handler (this
  // Chromium has no push service to replace one); the handler reads the device credential from
  // IndexedDB and posts to the real server, whose answer and log are checked.
  const { context, page } = app;
  const device = await stored(page, "device");
  const sw = await appWorker(context);
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const sub = {
    endpoint: `https://push.example.net/wpush/v2/${randomBytes(16).toString("hex")}`,
    p256dh: ecdh.getPublicKey().toString("base64url"),
    auth: randomBytes(16).toString("base64url"),
  };
  const status = await sw.evaluate(async (s) => {
    const ev = new Event("pushsubscriptionchange");
    const fresh = { endpoint: s.endpoint, toJSON: () => ({ endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } }) };
    Object.defineProperty(ev, "newSubscription", { value: fresh });
    Object.defineProperty(ev, "oldSubscription", { value: null });
    let done = null;
    Object.defineProperty(ev, "waitUntil", { value: (p) => { done = p; } });
    self.dispatchEvent(ev);
    const res = await done;
    return res ? res.status : null;
  }, sub);
  assert.equal(status, 204, "the server took the new subscription");
  await demo.proc.waitFor(new RegExp(`push subscription registered.*${device.deviceId}`), 10000);

  // Without a device in IndexedDB nothing is posted.
  const empty = await chromium.newContext();
  try {
    const p = await empty.newPage();
    await p.goto(`${demo.dojang}/app`);
    await visible(p, "scr-start");
    await p.evaluate(() => navigator.serviceWorker.ready);
    const w = await appWorker(empty);
    const none = await w.evaluate(async () => {
      const ev = new Event("pushsubscriptionchange");
      Object.defineProperty(ev, "newSubscription", { value: { toJSON: () => ({ endpoint: "https://push.example.net/x", keys: {} }) } });
      let done = null;
      Object.defineProperty(ev, "waitUntil", { value: (q) => { done = q; } });
      self.dispatchEvent(ev);
      return (await done) === null ? "nothing" : "posted";
    });
    assert.equal(none, "nothing");
  } finally {
    await empty.close();
  }
  // Leave no subscription to an unreachable service behind.
  const del = await fetch(`${demo.dojang}/device/v1/push/subscription`, { method: "DELETE", headers: { authorization: `Bearer ${device.deviceToken}` } });
  assert.equal(del.status, 204);
  assert.deepEqual(a11y, [], `accessibility violations:\n${a11y.join("\n")}`);
});

test("a person holding a certificate on another device logs in here: the app says so, on the home and on the card", async () => {
  // The certificate is on a desktop dojang-app; the phone logs in without one.
  await enrol(demo, holder, tempDir("dojang-e2e-holder-"));
  await smsCode(holder.phone); // the enrolment's code, used already
  const who = await phone(chromium, demo, { allow: [/\/device\/v1\/enrolments\/[^/]+\/login$/] });
  try {
    await logIn(who.page, holder);
    assert.equal((await stored(who.page, "guest")).hasCertificate, true);
    await visible(who.page, "guest-elsewhere");
    assert.match(await who.page.locator("#guest-elsewhere").innerText(), /다른 기기/);
    const r = await native(demo.dojang, demo.party, "POST", "/v1/identity", {
      receiverName: holder.name, receiverHP: holder.phone, receiverBirthday: holder.birth,
      reqTitle: "다른 기기 시험", token: "본인확인", expireIn: 300,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await visible(who.page, "scr-card", 20000);
    await visible(who.page, "c-guest-elsewhere");
    // Declining needs no certificate.
    await who.page.locator("#decline").click();
    await visible(who.page, "scr-done", 30000);
    const status = await native(demo.dojang, demo.party, "GET", `/v1/identity/${r.body.receiptID}`);
    assert.equal(status.body.state, 3, "declined from the phone without a certificate");
    assert.deepEqual(who.bad, []);
  } finally {
    await who.context.close();
  }
});
