// The admin console in Chromium: log in with the password the first start wrote, rename a
// member (their certificate is revoked, affiliationChanged), revoke another person's
// certificate, and look at every page. Screenshots of each.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startDemo, enrol, browser, shoot, tempDir } from "./lib.mjs";

let demo, chromium, page, context;
const hong = { name: "홍길동", phone: "01012345678", birth: "19900101" };
const kim = { name: "김철수", phone: "01099998888", birth: "19851212" };

before(async () => {
  demo = await startDemo();
  await enrol(demo, hong, tempDir("dojang-e2e-hong-"));
  await enrol(demo, kim, tempDir("dojang-e2e-kim-"));
  chromium = await browser();
  context = await chromium.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
});

after(async () => {
  if (context) { await context.close(); }
  if (chromium) { await chromium.close(); }
  if (demo) { await demo.stop(); }
});

test("an operator logs in; a wrong password is refused", async () => {
  const password = readFileSync(path.join(demo.dataDir, "admin-initial-password"), "utf8").trim();
  await page.goto(`${demo.dojang}/admin`);
  await page.waitForURL(/\/admin\/login/);
  await shoot(page, "admin-login");
  await page.locator("#password").fill("not the password");
  await page.locator("#login-submit").click();
  await page.waitForSelector("#login-error");
  await page.locator("#password").fill(password);
  await page.locator("#login-submit").click();
  await page.waitForURL(`${demo.dojang}/admin`);
  assert.equal(await page.locator("nav a[aria-current=page]").innerText(), "현황");
  await shoot(page, "admin-dashboard");
});

test("renaming a member revokes their certificate", async () => {
  await page.goto(`${demo.dojang}/admin/members`);
  await page.locator("#member-phone").fill(hong.phone);
  await page.locator("#member-search-submit").click();
  await page.waitForSelector("section.member");
  await shoot(page, "admin-members");
  const form = page.locator("form.rename").first();
  await form.locator("input[name=name]").fill("홍길순");
  await form.locator("button.rename-submit").click();
  await page.waitForSelector("#flash");
  assert.match(await page.locator("#flash").innerText(), /홍길순/);
  assert.ok(await page.locator('section.member span.badge[data-state="revoked"]').count() >= 1);
  const members = JSON.parse(demo.admin("member", "list", "--phone", hong.phone, "--json"));
  assert.equal(members[0].name, "홍길순");
});

test("revoking a certificate", async () => {
  await page.goto(`${demo.dojang}/admin/certificates`);
  const form = page.locator("form.revoke").first();
  const id = await form.getAttribute("id");
  const serial = id.replace("revoke-form-", "");
  await shoot(page, "admin-certificates");
  await page.selectOption(`#reason-${serial}`, "keyCompromise");
  await form.locator(".revoke-submit").click();
  await page.waitForURL(/serial=/);
  assert.match(await page.locator("#flash").innerText(), new RegExp(serial));
  assert.equal(await page.locator('span.badge[data-state="revoked"]').count(), 1);
  const listed = demo.admin("cert", "list", "--json");
  assert.match(listed, new RegExp(`${serial}[^\\n]*keyCompromise|keyCompromise[^\\n]*${serial}`));
});

test("every other page renders", async () => {
  for (const [path, name] of [
    ["/admin/parties", "admin-parties"],
    [`/admin/parties/${demo.party.clientCode}`, "admin-party"],
    ["/admin/requests", "admin-requests"],
    ["/admin/consents", "admin-consents"],
    ["/admin/outbox", "admin-outbox"],
  ]) {
    const res = await page.goto(`${demo.dojang}${path}`);
    assert.equal(res.status(), 200, path);
    await shoot(page, name);
  }
  await page.locator("#logout").click();
  await page.waitForURL(/\/admin\/login/);
});
