// The test console in Chromium: add a sandbox person whose built-in app approves after a
// second, fire an identity call with the demo relying party's credentials, see the raw signed
// request and the receipt, watch the timeline reach "signed" live, then verify. Screenshots.
// A second browser context neither sees nor removes the first one's sandbox person.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDemo, browser, shoot } from "./lib.mjs";

let demo, chromium, context, page;

before(async () => {
  demo = await startDemo({ name: "console" });
  chromium = await browser();
  context = await chromium.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
});

after(async () => {
  if (context) { await context.close(); }
  if (chromium) { await chromium.close(); }
  if (demo) { await demo.stop(); }
});

test("a console call returns a receipt and a sandbox person signs it", async () => {
  await page.goto(`${demo.dojang}/console`);
  await shoot(page, "console-home");

  // A sandbox person who approves after one second (their name and birth date must never reach
  // the server's log, scanned when the demo stops).
  for (const v of ["이영희", "19920315"]) { demo.secrets.add(v); }
  await page.locator("#sb-name").fill("이영희");
  await page.locator("#sb-birthday").fill("19920315");
  await page.selectOption("#sb-outcome", "approve");
  await page.locator("#sb-delay").fill("1");
  await page.locator("#sb-add").click();
  const row = page.locator('tr[id^="person-"]');
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  const id = (await row.first().getAttribute("id")).slice("person-".length);
  assert.match(id, /^[0-9a-f]{24}$/, "a random public id, not a sequence number");
  assert.equal(await row.first().getAttribute("data-outcome"), "approve");

  // Another browser (its own context, its own console cookie) sees none of them, and removing
  // this one by its id answers 404 (issue 14 #8).
  const other = await chromium.newContext();
  try {
    const theirs = await other.newPage();
    await theirs.goto(`${demo.dojang}/console`);
    assert.equal(await theirs.locator('tr[id^="person-"]').count(), 0);
    assert.ok(!(await theirs.content()).includes(id));
    const csrf = await theirs.locator('#sandbox-form input[name="_csrf"]').getAttribute("value");
    const res = await theirs.request.post(`${demo.dojang}/console/sandbox/${id}/remove`, {
      form: { _csrf: csrf }, maxRedirects: 0,
    });
    assert.equal(res.status(), 404);
  } finally {
    await other.close();
  }
  await page.reload();
  assert.equal(await page.locator(`#person-${id}`).count(), 1, "still there for its owner");

  // An identity call to them, signed with the demo relying party's credentials.
  await page.locator(`#use-${id}`).click();
  await page.waitForURL(/\/console\/identity\/create/);
  await shoot(page, "console-call");
  await page.locator("#link_id").fill(demo.party.linkId);
  await page.locator("#secret_key").fill(demo.party.secret);
  await page.locator("#send").click();
  await page.waitForSelector("#receipt-id");
  const receipt = (await page.locator("#receipt-id").innerText()).trim();
  assert.match(receipt, /^\d{32}$/);
  const raw = await page.locator("#raw-request").innerText();
  assert.match(raw, /POST \/v1\/identity/);
  assert.match(raw, /DOJANG-HMAC-SHA256/);
  assert.ok(!raw.includes(demo.party.secret), "the secret itself is never shown");
  assert.match(await page.locator("#raw-response").innerText(), /200/);
  await shoot(page, "console-result", null, ["ko"]);

  // The timeline moves to "signed" by itself.
  const verifyHref = await page.locator("#next-verify").getAttribute("href");
  await page.locator("#timeline-link").click();
  await page.waitForSelector('#timeline-state[data-state="1"]', { timeout: 30000 });
  assert.equal(await page.locator("#step-completed").getAttribute("data-done"), "true");
  await shoot(page, "console-timeline");

  // Verify through the console: the secret comes back from this tab's storage.
  await page.goto(new URL(verifyHref, demo.dojang).toString());
  await page.waitForURL(/\/console\/identity\/verify/);
  await page.locator("#send").click();
  await page.waitForSelector("#raw-response");
  const answer = await page.locator("#raw-response").innerText();
  assert.match(answer, /이영희/);
  assert.match(answer, /signedData/);
});
