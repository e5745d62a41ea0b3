// The admin console in Chromium: log in as `admin` with the password the first start wrote and
// enrol a TOTP authenticator (codes computed here with node's crypto, as an app would), rename a
// member (their certificate is revoked, affiliationChanged), revoke another person's
// certificate, create a support operator who logs in in a second browser, reads the audit log,
// is refused a change, and is logged out at once when disabled; look at every page.
// Screenshots of each.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startDemo, enrol, listen, browser, shoot, tempDir, run, bin, totp, enrolTotp } from "./lib.mjs";

let demo, chromium, page, context, receipt, consentId;
const hong = { name: "홍길동", phone: "01012345678", birth: "19900101" };
const kim = { name: "김철수", phone: "01099998888", birth: "19851212" };

before(async () => {
  demo = await startDemo({ name: "admin" });
  await enrol(demo, hong, tempDir("dojang-e2e-hong-"));
  const kimProfile = await enrol(demo, kim, tempDir("dojang-e2e-kim-"));
  chromium = await browser();
  // 김철수 logs in on the demo portal once, for the consents page to show his consent record.
  const device = await listen(demo, kimProfile, "auto-approve");
  const portal = await chromium.newContext();
  const p = await portal.newPage();
  await p.goto(demo.site);
  await p.locator("a[href='/login']").first().click();
  await p.waitForURL(/\/login\/\d{12}\?/);
  await p.locator("a.provider.active").click();
  await p.waitForURL(/\/form/);
  await p.locator("#name").fill(kim.name);
  await p.locator("#phone").fill(kim.phone);
  await p.locator("#birthday").fill(kim.birth);
  await p.locator("#consent").check();
  await p.locator("#send").click();
  await p.waitForURL(demo.site + "/", { timeout: 30000 });
  consentId = (await p.locator("#who-consent").innerText()).trim();
  assert.ok(consentId.length > 0);
  await portal.close();
  await device.stop();
  // A request for the requests pages to show: 김철수's, left waiting (his app is closed now).
  receipt = JSON.parse(run(bin("dojang"), [
    "rp", "--url", demo.dojang, "--client-code", demo.party.clientCode,
    "--link-id", demo.party.linkId, "identity", "request",
    "--name", kim.name, "--phone", kim.phone, "--birth", kim.birth, "--token", "admin e2e",
    "--title", "관리 화면 확인",
  ], { DOJANG_SECRET: demo.party.secret })).receiptID;
  assert.match(receipt, /^\d{32}$/);
  context = await chromium.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
});

after(async () => {
  if (context) { await context.close(); }
  if (chromium) { await chromium.close(); }
  if (demo) { await demo.stop(); }
});

test("the first administrator logs in and enrols TOTP; a wrong password is refused", async () => {
  const password = readFileSync(path.join(demo.dataDir, "admin-initial-password"), "utf8").trim();
  demo.secrets.add(password); // never in the server's log (scanned when the demo stops)
  await page.goto(`${demo.dojang}/admin`);
  await page.waitForURL(/\/admin\/login/);
  await shoot(page, "admin-login");
  await page.locator("#login").fill("admin");
  await page.locator("#password").fill("not the password");
  await page.locator("#login-submit").click();
  await page.waitForSelector("#login-error");
  await page.locator("#login").fill("admin");
  await page.locator("#password").fill(password);
  await page.locator("#login-submit").click();
  await page.waitForURL(/\/admin\/totp/);
  await shoot(page, "admin-totp");
  await enrolTotp(page, demo.dojang);
  assert.equal(await page.locator("nav a[aria-current=page]").innerText(), "현황");
  // The counters: the two people enrolled above, each with a live certificate.
  assert.equal(await page.locator("#count-members").innerText(), "2");
  assert.equal(await page.locator("#count-active").innerText(), "2");
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

test("a support operator made in the console reads the audit log, is refused a change, and is logged out when disabled", async () => {
  await page.goto(`${demo.dojang}/admin/operators`);
  await page.locator("#op-login").fill("support1");
  await page.locator("#op-name").fill("상담 1");
  await page.selectOption("#op-role", "support");
  await page.locator("#operator-add-submit").click();
  await page.waitForSelector("#new-password");
  const password = (await page.locator("#new-password").innerText()).trim();
  assert.ok(password.length >= 20);
  await page.goto(`${demo.dojang}/admin/operators`);
  assert.match(await page.locator("#operator-support1 .role").innerText(), /support/);
  await shoot(page, "admin-operators");

  // The support operator, in a browser of its own.
  const other = await chromium.newContext({ viewport: { width: 1280, height: 860 } });
  const p2 = await other.newPage();
  await p2.goto(`${demo.dojang}/admin/login`);
  await p2.locator("#login").fill("support1");
  await p2.locator("#password").fill(password);
  await p2.locator("#login-submit").click();
  await enrolTotp(p2, demo.dojang);
  assert.match(await p2.locator("#who").innerText(), /상담 1 \(support1\) · support/);
  const res = await p2.goto(`${demo.dojang}/admin/audit`);
  assert.equal(res.status(), 200);
  const added = p2.locator('tr.audit-entry[data-action="operator.add"][data-outcome="ok"]');
  assert.equal(await added.count(), 1);
  assert.match(await added.innerText(), /admin[\s\S]*support1/);
  assert.equal(await p2.locator('tr.audit-entry[data-action="login.ok"], tr.audit-entry[data-action="totp.enrol"]').count() >= 2, true);
  // Support sees no change forms; a change posted anyway (with its own CSRF token) is refused.
  await p2.goto(`${demo.dojang}/admin/parties/${demo.party.clientCode}`);
  const csrf = await p2.locator("form.logout input[name=_csrf]").getAttribute("value");
  const [refused] = await Promise.all([
    p2.waitForNavigation(),
    p2.evaluate(([code, token]) => {
      const f = document.createElement("form");
      f.method = "post";
      f.action = `/admin/parties/${code}/rotate`;
      const i = document.createElement("input");
      i.type = "hidden"; i.name = "_csrf"; i.value = token;
      f.appendChild(i);
      document.body.appendChild(f);
      f.submit();
    }, [demo.party.clientCode, csrf]),
  ]);
  assert.equal(refused.status(), 403);
  // The administrator sees the refusal in the log, filtered by operator.
  await page.goto(`${demo.dojang}/admin/audit?operator=support1`);
  assert.equal(await page.locator('tr.audit-entry[data-action="rp.rotate_key"][data-outcome="refused"]').count(), 1);
  await shoot(page, "admin-audit");
  const exported = await page.request.get(`${demo.dojang}/admin/audit/export?format=jsonl&operator=support1`);
  assert.equal(exported.status(), 200);
  const lines = (await exported.text()).trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(lines.some((e) => e.action === "rp.rotate_key" && e.outcome === "refused" && e.role === "support"));

  // Disabled: the support operator's open session ends at once.
  await page.goto(`${demo.dojang}/admin/operators`);
  await page.locator("#disable-support1").click();
  await page.waitForSelector("#flash");
  await p2.goto(`${demo.dojang}/admin/audit`);
  await p2.waitForURL(/\/admin\/login/);
  await other.close();
});

/**
 * Open an admin page: 200, still logged in, the page's own link marked in the navigation.
 * Returns its heading and that link's words (a list page is headed by its own name).
 */
async function open(pathname, navHref, name) {
  const res = await page.goto(`${demo.dojang}${pathname}`);
  assert.equal(res.status(), 200, pathname);
  assert.equal(new URL(page.url()).pathname, pathname, "not sent back to the login");
  const current = page.locator("nav a[aria-current=page]");
  assert.equal(await current.getAttribute("href"), navHref, pathname);
  await shoot(page, name);
  return {
    h1: (await page.locator("h1").innerText()).trim(),
    nav: (await current.innerText()).trim(),
  };
}

test("every other page shows what it is for, then logging out ends the session", async () => {
  const { clientCode, linkId } = demo.party;
  // Relying parties: the demo's own, with its client code and LinkID, linking to its page.
  let shown = await open("/admin/parties", "/admin/parties", "admin-parties");
  assert.equal(shown.h1, shown.nav);
  const row = page.locator("table tbody tr", { hasText: clientCode });
  assert.equal(await row.count(), 1, "the demo's relying party is listed");
  assert.match(await row.innerText(), new RegExp(linkId));
  const partyName = (await row.locator("td").nth(1).innerText()).trim();
  assert.ok(partyName.length > 0);

  // One relying party: its name, client code and the sections to manage it.
  shown = await open(`/admin/parties/${clientCode}`, "/admin/parties", "admin-party");
  assert.equal(shown.h1, partyName);
  assert.equal(await page.locator("#party-client-code").innerText(), clientCode);
  for (const id of ["#h-credentials", "#h-call-center", "#h-login-page", "#h-login-texts"]) {
    assert.equal(await page.locator(id).count(), 1, id);
  }

  // Requests: the one made above, its title and its party; its own page by its link.
  shown = await open("/admin/requests", "/admin/requests", "admin-requests");
  assert.equal(shown.h1, shown.nav);
  const req = page.locator("table tbody tr", { hasText: receipt });
  assert.equal(await req.count(), 1, "the request made above is listed");
  const cells = await req.innerText();
  assert.match(cells, /관리 화면 확인/);
  assert.match(cells, new RegExp(clientCode));
  await req.locator(`a[href="/admin/requests/${receipt}"]`).click();
  await page.waitForURL(`${demo.dojang}/admin/requests/${receipt}`);
  assert.match(await page.locator("h1").innerText(), new RegExp(receipt));
  assert.ok((await page.locator("#request-state").innerText()).trim().length > 0);

  // Consents: the one 김철수 gave logging in on the portal, with his name, the party and the
  // login's request.
  shown = await open("/admin/consents", "/admin/consents", "admin-consents");
  assert.equal(shown.h1, shown.nav);
  const consent = page.locator(`#consent-table tbody tr[data-consent="${consentId}"]`);
  assert.equal(await consent.count(), 1, "the login's consent record is listed");
  assert.match(await consent.innerText(), new RegExp(`${kim.name}[\\s\\S]*${clientCode}`));
  assert.equal(await consent.locator('a[href^="/admin/requests/"]').count(), 1);

  // The SMS outbox: the one-time codes both enrolments sent, as `dojang admin outbox` lists them.
  shown = await open("/admin/outbox", "/admin/outbox", "admin-outbox");
  assert.equal(shown.h1, shown.nav);
  const outbox = await page.locator("table tbody").innerText();
  for (const person of [hong, kim]) {
    const sent = JSON.parse(demo.admin("outbox", "--phone", person.phone, "--json"));
    assert.ok(sent.length >= 1, person.phone);
    for (const m of sent) { assert.ok(outbox.includes(m.text), `${person.phone}: ${m.text}`); }
  }

  // Logging out: back to the login form, and the console is closed to this browser.
  await page.locator("#logout").click();
  await page.waitForURL(/\/admin\/login/);
  assert.equal(await page.locator("#password").count(), 1);
  await page.goto(`${demo.dojang}/admin/outbox`);
  await page.waitForURL(/\/admin\/login/);
});
