// The demo site's login, end to end in Chromium: the welfare portal sends the browser to
// dojang's hosted login, the person fills in the form and agrees to the notice, a real
// `dojang-app listen` device answers, and the portal greets the verified person by name.
// Then the decline and expiry paths. Screenshots of every page on the way.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDemo, enrol, listen, browser, shoot, tempDir } from "./lib.mjs";

const person = { name: "홍길동", phone: "01012345678", birth: "19900101" };
let demo, profile, chromium, device;

before(async () => {
  demo = await startDemo({ loginExpireIn: 12 });
  profile = await enrol(demo, person, tempDir("dojang-e2e-app-"));
  chromium = await browser();
});

after(async () => {
  if (device) { await device.stop(); }
  if (chromium) { await chromium.close(); }
  if (demo) { await demo.stop(); }
});

/** From the portal to the steps page: choose dojang, fill in, agree, send. */
async function toSteps(page, { screenshots = false } = {}) {
  await page.goto(demo.site);
  if (screenshots) { await shoot(page, "demo-home"); }
  await page.getByRole("link", { name: "간편인증으로 로그인" }).first().click();
  await page.waitForURL(/\/login\/\d{12}\?/);
  assert.match(await page.locator("h1").innerText(), /인증서를 선택하세요/);
  if (screenshots) { await shoot(page, "login-choose"); }
  await page.locator("a.provider.active").click();
  await page.waitForURL(/\/form/);
  if (screenshots) { await shoot(page, "login-form"); }
  await page.getByLabel("이름").fill(person.name);
  await page.getByLabel("휴대폰 번호").fill(person.phone);
  await page.getByLabel("생년월일").fill(person.birth);
  await page.locator("#consent").check();
  await page.locator("#send").click();
  await page.waitForURL(/\/login\/s\//);
}

test("a person logs in on the demo portal and is greeted by name", async () => {
  const context = await chromium.newContext({ viewport: { width: 1280, height: 860 } });
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
  const greeting = await page.locator("#greeting").innerText();
  assert.equal(greeting, "홍길동님, 환영합니다");
  assert.equal(await page.locator("#who-name").innerText(), "홍길동");
  const consentId = await page.locator("#who-consent").innerText();
  await shoot(page, "demo-greeting");

  // The consent record the page stored.
  const consents = demo.admin("rp", "login-page", "consents", "--json").trim().split("\n").map(JSON.parse);
  const c = consents.find((x) => x.id === consentId);
  assert.ok(c, "the consent record of this login");
  assert.equal(c.clientCode, demo.party.clientCode);
  assert.equal(c.name, "홍길동");
  assert.match(c.noticeVersion, /^\d{4}-\d{2}-\d{2}$/);

  // Logging out and in again in English.
  await page.locator("#logout").click();
  await page.waitForSelector("#login");
  await device.stop();
  device = undefined;
  await context.close();
});

test("a declined request ends the login with a way to try again", async () => {
  const context = await chromium.newContext();
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
  const context = await chromium.newContext();
  const page = await context.newPage();
  device = await listen(demo, profile, "auto-ignore");
  await toSteps(page);
  assert.match(await page.locator("#countdown").innerText(), /^0:1[0-2]$/);
  // The help appears after ten seconds; expiry follows at twelve.
  await page.waitForSelector("#help:not([hidden])", { timeout: 15000 });
  await page.waitForSelector("#status.bad", { timeout: 30000 });
  assert.match(await page.locator("#status").innerText(), /시간이 지났습니다/);
  assert.equal(await page.locator("#countdown").innerText(), "0:00");
  await shoot(page, "login-expired");
  await device.stop();
  device = undefined;
  await context.close();
});
