// dojang cloud certificate: the screens of /cloud/frame (inside a relying party's frame or
// popup, opened by /sdk/v1/dojang.js) and of /cloud (the person's own page). No framework, no
// build step.
//
// The browser's key: an ECDSA P-256 WebCrypto key made non-extractable, kept in IndexedDB
// (`dojang-cloud`), registered with the server as its SPKI. Every call that acts for the
// certificate first asks for a challenge and signs `dojang-cloud/v1\n<action>\n<challenge>\n
// <target>` with it (raw r‖s), so neither the PIN alone nor the browser alone is enough.
//
// Frame mode takes its options only by postMessage, only from an origin the publishable key
// registered (and only from the window that opened or embeds it), and answers only to that
// origin: never "*".
"use strict";
(function () {
  var app = document.getElementById("cloud-app");
  if (!app) { return; }
  var MODE = app.dataset.mode;           // "frame" or "page"
  var LANG = app.dataset.lang || "ko";
  var PK = app.dataset.pk || "";
  var PARTY = app.dataset.party || "";
  var RECEIPT = app.dataset.receipt || "";
  var PROTOCOL = "dojang-cloud/v1";
  var ERR = { cancelled: -10600052, unsupported: -10600055, network: -10600056,
    browserUnknown: -10600006, pinFormat: -10600009, pinTrivial: -10600010 };

  var WORDS = {};
  Array.prototype.forEach.call(document.querySelectorAll("#cloud-words li"), function (li) {
    WORDS[li.getAttribute("data-k")] = li.textContent;
  });
  function w(key) { return WORDS[key] || key; }
  function $(id) { return document.getElementById(id); }

  // ---------------------------------------------------------------- screens and messages

  var SCREENS = ["scr-wait", "scr-start", "scr-person", "scr-code", "scr-word", "scr-ask", "scr-newpin", "scr-confirm",
    "scr-manage", "scr-done"];
  function show(id, focus) {
    SCREENS.forEach(function (s) { $(s).hidden = s !== id; });
    status("");
    var target = focus ? $(focus) : $(id).querySelector("[tabindex='-1'], h2");
    if (target) { target.focus(); }
  }
  function status(text) {
    var el = $("cloud-status");
    el.textContent = text;
    el.hidden = !text;
  }
  function showError(e) {
    var box = $("cloud-error");
    if (!e) { box.hidden = true; return; }
    $("cloud-error-text").textContent = e.message || String(e);
    $("cloud-error-code").textContent = e.code ? "(" + e.code + ")" : "";
    box.hidden = false;
  }
  // A problem with one form: said next to it, and announced.
  function fieldError(id, e, input) {
    var el = $(id);
    if (!e) { el.hidden = true; el.textContent = ""; return; }
    el.textContent = (e.message || String(e)) + (e.code ? " (" + e.code + ")" : "");
    el.hidden = false;
    el.setAttribute("role", "alert");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-errormessage", id);
      input.focus();
    }
  }
  function clearInvalid(form) {
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (i) {
      i.removeAttribute("aria-invalid");
      i.removeAttribute("aria-errormessage");
    });
  }
  function problem(key) { return { code: 0, message: w(key) }; }

  // ---------------------------------------------------------------- the JSON API

  async function api(path, body) {
    var res;
    try {
      res = await fetch("/cloud/v1/" + path, {
        method: "POST",
        headers: { "content-type": "application/json", "accept-language": LANG },
        body: JSON.stringify(body || {}),
        credentials: "omit",
        cache: "no-store",
      });
    } catch (e) {
      throw { code: ERR.network, message: w("network") };
    }
    var data = {};
    try { data = await res.json(); } catch (e) { data = {}; }
    if (!res.ok) {
      throw { code: data.code || ERR.network, message: data.message || w("network") };
    }
    return data;
  }

  // ---------------------------------------------------------------- the browser key

  function b64url(bytes) {
    var s = "";
    var a = new Uint8Array(bytes);
    for (var i = 0; i < a.length; i++) { s += String.fromCharCode(a[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function db() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("dojang-cloud", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("keys"); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  async function store(mode, fn) {
    var d = await db();
    return new Promise(function (resolve, reject) {
      var tx = d.transaction("keys", mode);
      var req = fn(tx.objectStore("keys"));
      tx.oncomplete = function () { d.close(); resolve(req && req.result); };
      tx.onerror = function () { d.close(); reject(tx.error); };
    });
  }
  function loadKey() { return store("readonly", function (s) { return s.get("current"); }); }
  function saveKey(rec) { return store("readwrite", function (s) { return s.put(rec, "current"); }); }
  function forgetKey() { return store("readwrite", function (s) { return s.delete("current"); }); }

  // A new key pair, its private half not extractable; the public half as SPKI for the server.
  async function newKey() {
    var pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    var spki = await crypto.subtle.exportKey("spki", pair.publicKey);
    return { pair: pair, browserKey: b64url(spki) };
  }
  function label() {
    var ua = navigator.userAgent;
    var browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox"
      : /Chrome\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
    var os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS"
      : /Windows/.test(ua) ? "Windows" : /Mac OS X/.test(ua) ? "macOS"
      : /Linux/.test(ua) ? "Linux" : "";
    return (browser + (os ? " · " + os : "")).slice(0, 64);
  }
  // Keep the key once the server has registered it.
  async function keep(made, answer) {
    await saveKey({
      browserId: answer.browserId, certificateId: answer.certificateId,
      privateKey: made.pair.privateKey, publicKey: made.pair.publicKey,
    });
  }

  // The proof every browser-authenticated call carries.
  async function proof(action, target) {
    var rec = await loadKey();
    if (!rec) { throw { code: 0, message: w("unsupported"), unregistered: true }; }
    var c = await api("challenge", { browserId: rec.browserId });
    var text = PROTOCOL + "\n" + action + "\n" + c.challenge + "\n" + (target || "");
    var sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, rec.privateKey,
      new TextEncoder().encode(text));
    return { browserId: rec.browserId, challenge: c.challenge, signature: b64url(sig) };
  }
  async function withProof(path, action, target, body) {
    var p = await proof(action, target);
    return api(path, Object.assign({}, body || {}, p));
  }

  // ---------------------------------------------------------------- small checks

  var digits = function (s) { return String(s || "").replace(/[\s-]/g, ""); };
  function pinProblem(pin) {
    if (!/^[0-9]{6}$/.test(pin)) { return "pin.format"; }
    if (/^(\d)\1{5}$/.test(pin) || pin === "123456" || pin === "654321") { return "pin.trivial"; }
    return null;
  }
  function personProblem(p) {
    if (!p.name) { return ["person.name", "p-name"]; }
    if (!/^01[0-9]{8,9}$/.test(p.phone)) { return ["person.phone", "p-phone"]; }
    if (!/^[0-9]{8}$/.test(p.birth)) { return ["person.birth", "p-birth"]; }
    return null;
  }

  // ---------------------------------------------------------------- one-step forms

  // Show a form and resolve with what `read` returns once it checks out (`read` returns
  // {problem: [wordKey, inputId]} to refuse, {value} to go on). `last` is the refusal of the
  // previous try, shown on the form. The person form's "back" (first-party page) rejects.
  function ask(screen, errorId, read, last, inputId) {
    return new Promise(function (resolve, reject) {
      var form = $(screen);
      show(screen);
      clearInvalid(form);
      fieldError(errorId, last || null, last && inputId ? $(inputId) : null);
      var back = form.querySelector("#person-back");
      function off() {
        form.removeEventListener("submit", onSubmit);
        if (back) { back.removeEventListener("click", onBack); }
      }
      function onSubmit(ev) {
        ev.preventDefault();
        clearInvalid(form);
        var r = read();
        if (r && r.problem) { fieldError(errorId, problem(r.problem[0]), $(r.problem[1])); return; }
        off();
        resolve(r.value);
      }
      function onBack() { off(); reject({ back: true }); }
      form.addEventListener("submit", onSubmit);
      if (back) { back.addEventListener("click", onBack); }
    });
  }

  // Run `attempt(value)` with what the form gives until it succeeds; a refusal (wrong code,
  // wrong PIN, …) is said on the form, which stays open for another try. An error marked
  // `fatal` ends the flow.
  async function until(screen, errorId, read, attempt, inputId, first) {
    var last = first || null;
    for (;;) {
      var value = await ask(screen, errorId, read, last, inputId);
      var button = $(screen).querySelector("button[type=submit]");
      button.disabled = true;
      status(w("working"));
      try {
        return await attempt(value);
      } catch (e) {
        if (e && e.fatal) { throw e; }
        last = e;
      } finally {
        button.disabled = false;
        status("");
      }
    }
  }

  // The person's details (and, for a desk issue, the two codes), prefilled from init().
  function askPerson(purpose, person, desk) {
    var h = $("person-h");
    h.textContent = h.getAttribute("data-" + purpose);
    var lead = $("person-lead");
    lead.textContent = lead.getAttribute("data-" + purpose) || "";
    lead.hidden = !lead.textContent;
    $("desk-fields").hidden = !desk;
    $("bank-fields").hidden = true;
    $("person-back").hidden = MODE !== "page";
    person = person || {};
    $("p-name").value = person.name || $("p-name").value;
    $("p-phone").value = person.phone || $("p-phone").value;
    $("p-birth").value = person.birth || $("p-birth").value;
    if (desk) {
      $("p-ref").value = desk.referenceNumber || $("p-ref").value;
      $("p-auth").value = desk.authCode || $("p-auth").value;
    }
    return ask("scr-person", "person-error", function () {
      var p = { name: $("p-name").value.trim(), phone: digits($("p-phone").value), birth: digits($("p-birth").value) };
      var bad = personProblem(p);
      if (bad) { return { problem: bad }; }
      if (desk) {
        var ref = digits($("p-ref").value), auth = digits($("p-auth").value);
        if (!/^[0-9]{10}$/.test(ref)) { return { problem: ["refnum", "p-ref"] }; }
        if (!/^[0-9]{16}$/.test(auth)) { return { problem: ["authcode", "p-auth"] }; }
        return { value: { person: p, referenceNumber: ref, authCode: auth } };
      }
      return { value: { person: p } };
    });
  }

  function readWord() {
    var word = $("bank-word").value.trim();
    if (!/^[\uAC00-\uD7A3]{4}$/.test(word)) { return { problem: ["word.format", "bank-word"] }; }
    return { value: word };
  }
  function readBankPerson() {
    var r = readPerson();
    if (r.problem) { return r; }
    var bank = $("p-bank").value, account = $("p-account").value.trim();
    if (!/^[0-9]{3}$/.test(bank)) { return { problem: ["bank.choose", "p-bank"] }; }
    if (!/^[0-9-]{1,31}$/.test(account) || !/[0-9]/.test(account)) { return { problem: ["account.format", "p-account"] }; }
    r.value.bankCode = bank;
    r.value.bankAccountNum = account;
    return r;
  }

  function readCode() {
    var code = digits($("sms-code").value);
    if (!/^[0-9]{6}$/.test(code)) { return { problem: ["code.format", "sms-code"] }; }
    return { value: code };
  }
  function readNewPin() {
    var a = $("new-pin").value, b = $("new-pin2").value;
    var bad = pinProblem(a);
    if (bad) { return { problem: [bad, "new-pin"] }; }
    if (a !== b) { $("new-pin2").value = ""; return { problem: ["pin.mismatch", "new-pin2"] }; }
    return { value: a };
  }
  function resetPinFields() { $("new-pin").value = ""; $("new-pin2").value = ""; }

  // The SMS code, then `complete(code)`; a wrong code is said on the form.
  function askCode(complete) {
    $("sms-code").value = "";
    return until("scr-code", "code-error", readCode, complete, "sms-code");
  }

  // The SMS code, then a new PIN twice, then `complete(code, pin)`. A refusal other than of
  // the PIN itself (a wrong or expired code) goes back to the code, with the message.
  function codeThenPin(complete) {
    return proofThenPin("scr-code", "code-error", readCode, "sms-code", complete);
  }

  // The same for any proof screen: the SMS code, or the bank deposit's word.
  async function proofThenPin(screen, errorId, read, inputId, complete) {
    var last = null;
    for (;;) {
      $(inputId).value = "";
      var code = await until(screen, errorId, read,
        function (c) { return Promise.resolve(c); }, inputId, last);
      try {
        return await askNewPin(async function (pin) {
          try {
            return await complete(code, pin);
          } catch (e) {
            if (e && (e.code === ERR.pinFormat || e.code === ERR.pinTrivial || e.code === ERR.network)) { throw e; }
            throw Object.assign({}, e, { fatal: true, again: true });
          }
        });
      } catch (e) {
        if (e && e.again) { last = { code: e.code, message: e.message }; continue; }
        throw e;
      }
    }
  }

  // A new PIN twice, then `complete(pin)`.
  function askNewPin(complete, altNote) {
    resetPinFields();
    $("alt-note").hidden = !altNote;
    return until("scr-newpin", "newpin-error", readNewPin, async function (pin) {
      try { return await complete(pin); } catch (e) { resetPinFields(); throw e; }
    }, "new-pin");
  }

  // ---------------------------------------------------------------- flows

  var common = function (init) {
    var o = { label: label() };
    if (PK) { o.publishableKey = PK; }
    if (init && init.simpleAuthToken) { o.simpleAuthToken = true; }
    return o;
  };

  // Issue a certificate (desk, sms or alt) and register this browser; resolves with the
  // issue answer (its `code` when a simple-auth token was asked for).
  async function issue(init, params) {
    var method = params.method || "desk";
    var person = init.person || {};
    var answer;
    if (method === "alt") {
      var alt = init.altAuth || {};
      answer = await askNewPin(async function (pin) {
        var made = await newKey();
        var a = await api("issue/alt", Object.assign(common(init), {
          txId: alt.txId, permissionCode: alt.permissionCode, pin: pin, browserKey: made.browserKey,
        }));
        await keep(made, a);
        return a;
      }, true);
    } else if (method === "bank") {
      prefillPerson("issue", person, null, true);
      var started = await until("scr-person", "person-error", readBankPerson,
        function (p) { return api("issue/bank", p); }, null);
      var lead = $("word-lead");
      lead.textContent = lead.getAttribute("data-template")
        .replace("{account}", (started.bankName || started.bankCode) + " " + started.maskedAccount);
      answer = await proofThenPin("scr-word", "word-error", readWord, "bank-word", async function (word, pin) {
        var made = await newKey();
        var a = await api("issue/bank/" + encodeURIComponent(started.proofId) + "/complete", Object.assign(common(init), {
          word: word, pin: pin, browserKey: made.browserKey,
        }));
        await keep(made, a);
        return a;
      });
    } else if (method === "sms") {
      prefillPerson("issue", person, null);
      var got = await until("scr-person", "person-error", readPerson,
        function (p) { return api("issue/sms", p); }, null);
      answer = await codeThenPin(async function (code, pin) {
        var made = await newKey();
        var a = await api("issue/sms/" + encodeURIComponent(got.proofId) + "/complete", Object.assign(common(init), {
          code: code, pin: pin, browserKey: made.browserKey,
        }));
        await keep(made, a);
        return a;
      });
    } else {
      var desk = { referenceNumber: params.referenceNumber, authCode: params.authCode };
      var ready = person.name && person.phone && person.birth &&
        /^[0-9]{10}$/.test(digits(desk.referenceNumber)) && /^[0-9]{16}$/.test(digits(desk.authCode));
      var details = ready
        ? { person: { name: person.name, phone: digits(person.phone), birth: digits(person.birth) },
            referenceNumber: digits(desk.referenceNumber), authCode: digits(desk.authCode) }
        : await askPerson("issue", person, desk);
      answer = await askNewPin(async function (pin) {
        var made = await newKey();
        var a = await api("issue/desk", Object.assign(common(init), details.person, {
          referenceNumber: details.referenceNumber, authCode: details.authCode,
          pin: pin, browserKey: made.browserKey,
        }));
        await keep(made, a);
        return a;
      });
    }
    return answer;
  }

  // Fill the person form and its words before `until` shows it; returns nothing.
  function prefillPerson(purpose, person, desk, bank) {
    var h = $("person-h");
    h.textContent = h.getAttribute("data-" + purpose);
    var lead = $("person-lead");
    lead.textContent = lead.getAttribute("data-" + purpose) || "";
    lead.hidden = !lead.textContent;
    $("desk-fields").hidden = !desk;
    $("bank-fields").hidden = !bank;
    $("person-back").hidden = true;
    person = person || {};
    if (person.name) { $("p-name").value = person.name; }
    if (person.phone) { $("p-phone").value = digits(person.phone); }
    if (person.birth) { $("p-birth").value = digits(person.birth); }
    return undefined;
  }
  function readPerson() {
    var p = { name: $("p-name").value.trim(), phone: digits($("p-phone").value), birth: digits($("p-birth").value) };
    var bad = personProblem(p);
    return bad ? { problem: bad } : { value: p };
  }

  // Register this browser for the person's existing certificate (SMS proof).
  async function register(init) {
    prefillPerson("register", (init && init.person) || {}, null);
    var started = await until("scr-person", "person-error", readPerson,
      function (p) { return api("browsers/start", p); }, null);
    var made = await newKey();
    return askCode(async function (code) {
      var a = await api("browsers/" + encodeURIComponent(started.proofId) + "/complete", {
        code: code, browserKey: made.browserKey, label: label(),
      });
      await keep(made, a);
      return a;
    });
  }

  // Register this browser by approval on a registered one: show the number, wait for it.
  async function registerByAsk(init) {
    prefillPerson("register", (init && init.person) || {}, null);
    var made = await newKey();
    var asked = await until("scr-person", "person-error", readPerson, function (p) {
      return api("browsers/ask", Object.assign({}, p, { browserKey: made.browserKey, label: label() }));
    }, null);
    $("ask-number").textContent = asked.number;
    show("scr-ask", "ask-h");
    for (;;) {
      await new Promise(function (r) { setTimeout(r, 1500); });
      var st = await api("browsers/asks/" + encodeURIComponent(asked.askId), {});
      if (st.state === "approved") {
        await keep(made, st);
        return st;
      }
      if (st.state === "declined" || st.state === "expired") {
        throw { code: 0, message: w("ask." + st.state) };
      }
    }
  }

  // Reset a forgotten PIN (also unlocks, and registers this browser).
  async function resetPin(init) {
    prefillPerson("reset", (init && init.person) || {}, null);
    var started = await until("scr-person", "person-error", readPerson,
      function (p) { return api("pin/reset/start", p); }, null);
    return codeThenPin(async function (code, pin) {
      var made = await newKey();
      var a = await api("pin/reset/" + encodeURIComponent(started.proofId) + "/complete", {
        code: code, newPin: pin, browserKey: made.browserKey, label: label(),
      });
      await keep(made, a);
      return a;
    });
  }

  // A browser key that the server still knows, registering this browser first if needed.
  // (A browser removed on another one, or whose certificate was re-issued, is unknown to the
  // server: it forgets its key and registers again.)
  async function ensureBrowser(init) {
    var rec = await loadKey();
    if (rec) {
      try {
        await api("challenge", { browserId: rec.browserId });
        return rec;
      } catch (e) {
        if (!e || e.code !== ERR.browserUnknown) { throw e; }
        await forgetKey();
      }
    }
    await register(init);
    return loadKey();
  }

  // A document as the native API's `tokens` item (what /cloud/v1/sign takes), from the SDK's
  // friendlier {title?, text} / {title?, hash} or the native {signTitle?, tokenType, token}.
  function tokenItem(d) {
    d = d || {};
    var item = {};
    var title = d.title || d.signTitle || d.reqTitle;
    if (title) { item.signTitle = String(title); }
    if (typeof d.token === "string") {
      item.token = d.token;
      if (d.tokenType) { item.tokenType = String(d.tokenType); }
    } else if (typeof d.hash === "string") {
      item.token = d.hash;
      item.tokenType = "HASH";
    } else {
      item.token = String(d.text === undefined ? "" : d.text);
      item.tokenType = "TEXT";
    }
    return item;
  }

  // Show what is to be signed, then take the PIN. `card` is a request card as the server
  // shows it ({requester, kind, reqTitle, extraMessage, documents: [{title, tokenType, token}],
  // expireDt}). Resolves with approve(pin)'s answer, or with {declined: true}.
  function confirm(card, approve, decline) {
    var box = $("scr-confirm");
    $("c-party").textContent = card.requester || PARTY;
    $("c-kind").textContent = box.getAttribute("data-kind-" + card.kind) || card.kind || "";
    $("c-title").textContent = card.reqTitle || "";
    var message = card.extraMessage || "";
    Array.prototype.forEach.call(box.querySelectorAll(".c-message"), function (e) { e.hidden = !message; });
    $("c-message").textContent = message;
    var expires = card.expireDt || "";
    Array.prototype.forEach.call(box.querySelectorAll(".c-expires"), function (e) { e.hidden = !expires; });
    $("c-expires").textContent = expires ? new Date(expires).toLocaleString(LANG) : "";
    var list = $("c-docs");
    list.textContent = "";
    (card.documents || []).forEach(function (d) {
      var li = document.createElement("li");
      if (d.title) {
        var t = document.createElement("strong");
        t.textContent = d.title;
        li.appendChild(t);
        li.appendChild(document.createElement("br"));
      }
      if (d.tokenType === "TEXT" || !d.tokenType) {
        var p = document.createElement("span");
        p.className = "text";
        p.textContent = d.token;
        li.appendChild(p);
      } else {
        var c = document.createElement("code");
        c.textContent = d.tokenType + " " + w("hash") + " " + d.token;
        li.appendChild(c);
      }
      list.appendChild(li);
    });
    $("sign-pin").value = "";
    fieldError("sign-error", null);
    show("scr-confirm", "confirm-h");
    return new Promise(function (resolve, reject) {
      var form = $("confirm-form");
      var busy = false;
      async function onSubmit(ev) {
        ev.preventDefault();
        if (busy) { return; }
        clearInvalid(form);
        var pin = $("sign-pin").value;
        if (!/^[0-9]{6}$/.test(pin)) { fieldError("sign-error", problem("pin.format"), $("sign-pin")); return; }
        busy = true;
        $("sign-submit").disabled = true;
        try {
          var r = await approve(pin);
          done();
          resolve(r);
        } catch (e) {
          $("sign-pin").value = "";
          if (e && e.fatal) { done(); reject(e); return; }
          fieldError("sign-error", e, $("sign-pin"));
        } finally {
          busy = false;
          $("sign-submit").disabled = false;
        }
      }
      async function onDecline() {
        if (busy) { return; }
        busy = true;
        try {
          var r = decline ? await decline() : null;
          done();
          resolve(Object.assign({ declined: true }, r || {}));
        } catch (e) {
          fieldError("sign-error", e, null);
        } finally { busy = false; }
      }
      function done() {
        form.removeEventListener("submit", onSubmit);
        $("decline").removeEventListener("click", onDecline);
      }
      form.addEventListener("submit", onSubmit);
      $("decline").addEventListener("click", onDecline);
    });
  }

  // The completion page (skippable by the SDK's completionPage: false).
  function completion(textKey, skip) {
    if (skip) { return Promise.resolve(); }
    $("done-text").textContent = w(textKey);
    show("scr-done", "done-h");
    return new Promise(function (resolve) {
      var b = $("done-ok");
      b.addEventListener("click", function once() { b.removeEventListener("click", once); resolve(); });
    });
  }

  // Answer a request a relying party's server created (native API) with this certificate.
  async function answerRequest(init, receiptId, skipDone) {
    await ensureBrowser(init);
    var card = await withProof("requests/" + encodeURIComponent(receiptId), "view", receiptId);
    var r = await confirm(card, function (pin) {
      return withProof("requests/" + encodeURIComponent(receiptId) + "/approve", "approve", receiptId, { pin: pin });
    }, function () {
      return withProof("requests/" + encodeURIComponent(receiptId) + "/decline", "decline", receiptId);
    });
    await completion(r.declined ? "done.decline" : "done.sign", skipDone);
    return { state: r.declined ? 3 : (r.state || 1) };
  }

  // A signature the relying party's page asked for through the SDK: {code}.
  async function sign(init, params) {
    await ensureBrowser(init);
    var docs = (params.documents || []).map(tokenItem);
    var card = {
      requester: PARTY, kind: params.kind, reqTitle: params.title, extraMessage: params.reqMessage,
      documents: docs.map(function (d) {
        return { title: d.signTitle || "", tokenType: d.tokenType || "TEXT", token: d.token };
      }),
    };
    var r = await confirm(card, function (pin) {
      var body = { pin: pin, publishableKey: PK, kind: params.kind, title: params.title, documents: docs };
      if (params.reqMessage) { body.reqMessage = params.reqMessage; }
      return withProof("sign", "sign", "", body);
    }, null);
    if (r.declined) { throw { code: ERR.cancelled, message: w("cancelled"), fatal: true }; }
    await completion("done.sign", init.completionPage === false);
    return { code: r.code };
  }

  // ---------------------------------------------------------------- manage

  function fmt(ts) {
    if (!ts) { return "–"; }
    var d = new Date(ts);
    return isNaN(d.getTime()) ? String(ts) : d.toLocaleString(LANG === "ko" ? "ko-KR" : "en-GB");
  }
  function day(ts) {
    if (!ts) { return "–"; }
    var d = new Date(ts);
    return isNaN(d.getTime()) ? String(ts) : d.toLocaleDateString(LANG === "ko" ? "ko-KR" : "en-GB");
  }
  function cell(tr, text) {
    var td = document.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  async function manage(init) {
    await ensureBrowser(init);
    for (;;) {
      if (!(await loadKey())) { return {}; }
      var next = await manageOnce(init);
      if (next === "close") { return {}; }
      try { await next(); } catch (e) { if (!(e && e.back)) { showError(e); } }
    }
  }

  // Show the certificate once; resolves with "close" or with what to do before showing it
  // again (a function).
  async function manageOnce(init) {
    var me;
    try {
      me = await withProof("me", "me", "");
    } catch (e) {
      showError(e);
      throw Object.assign({}, e, { fatal: true });
    }
    showError(null);
    var cert = me.certificate || {};
    $("m-holder").textContent = me.holder ? me.holder.name + " (" + me.holder.phoneMasked + ")" : "–";
    $("m-serial").textContent = cert.serial || "–";
    $("m-valid").textContent = day(cert.notBefore) + " – " + day(cert.notAfter);
    $("m-state").textContent = w("state." + cert.state);
    $("m-state").setAttribute("data-state", cert.state || "");
    $("renew-form").hidden = !cert.renewable;

    var ask = (me.asks || [])[0] || null;
    var askIds = (me.asks || []).map(function (a) { return a.askId; }).join(",");
    $("ask-form").hidden = !ask;
    if (ask) {
      $("ask-label").textContent = ask.label;
      $("ask-at").textContent = fmt(ask.createdAt);
    }

    var pending = $("m-pending");
    pending.textContent = "";
    (me.pending || []).forEach(function (c) {
      var li = document.createElement("li");
      li.className = "row";
      var span = document.createElement("span");
      span.textContent = (c.requester || "") + " · " + (c.reqTitle || "");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "small";
      b.textContent = pending.getAttribute("data-open");
      b.setAttribute("data-receipt", c.receiptID || "");
      b.id = "open-" + (c.receiptID || "");
      li.appendChild(span);
      li.appendChild(b);
      pending.appendChild(li);
    });
    $("m-pending-none").hidden = (me.pending || []).length > 0;

    var table = $("m-browsers");
    var body = table.querySelector("tbody");
    body.textContent = "";
    (me.browsers || []).forEach(function (b) {
      var tr = document.createElement("tr");
      tr.id = "browser-" + b.browserId;
      var name = cell(tr, b.label || "");
      if (b.current) {
        var badge = document.createElement("span");
        badge.className = "badge ok";
        badge.textContent = table.getAttribute("data-current");
        name.appendChild(document.createTextNode(" "));
        name.appendChild(badge);
      }
      cell(tr, fmt(b.createdAt));
      cell(tr, fmt(b.lastUsedAt));
      var td = cell(tr, "");
      if (!b.current) {
        var rm = document.createElement("button");
        rm.type = "button";
        rm.className = "small secondary";
        rm.textContent = table.getAttribute("data-remove");
        rm.setAttribute("aria-label", table.getAttribute("data-remove") + ": " + (b.label || ""));
        rm.setAttribute("data-browser", b.browserId);
        td.appendChild(rm);
      }
      body.appendChild(tr);
    });

    var uses = $("m-uses").querySelector("tbody");
    uses.textContent = "";
    (me.uses || []).forEach(function (u) {
      var tr = document.createElement("tr");
      cell(tr, fmt(u.at));
      cell(tr, WORDS["action." + u.action] || u.action);
      cell(tr, u.relyingParty || "–");
      cell(tr, u.browserLabel || "–");
      cell(tr, u.receiptId || "–");
      uses.appendChild(tr);
    });

    ["pc-old", "pc-new", "pc-new2", "renew-pin", "revoke-pin", "ask-number-in", "ask-pin"].forEach(function (id) { $(id).value = ""; });
    $("revoke-sure").checked = false;
    ["pc-error", "renew-error", "revoke-error", "ask-error"].forEach(function (id) { fieldError(id, null); });
    show("scr-manage", "m-cert-h");

    return new Promise(function (resolve) {
      var handlers = [];
      var busy = false;
      function on(el, ev, fn) { el.addEventListener(ev, fn); handlers.push([el, ev, fn]); }
      function leave(v) {
        handlers.forEach(function (h) { h[0].removeEventListener(h[1], h[2]); });
        resolve(v);
      }
      // Run one action; on success show the completion and come back, else say why.
      // `inputs` ties a server error to the field it is about ({code: input id}), so the field
      // is marked invalid and described by the error, as a check made here would be.
      async function act(ev, errorId, run, doneKey, inputs) {
        if (ev) { ev.preventDefault(); }
        if (busy) { return; }
        busy = true;
        status(w("working"));
        try {
          await run();
          leave(function () { return completion(doneKey, false); });
        } catch (e) {
          if (e && e.local) { fieldError(errorId, problem(e.local[0]), $(e.local[1])); return; }
          var input = e && inputs && inputs[e.code];
          fieldError(errorId, e, input ? $(input) : null);
        } finally {
          busy = false;
          status("");
        }
      }
      on($("pin-form"), "submit", function (ev) {
        act(ev, "pc-error", async function () {
          var old = $("pc-old").value, a = $("pc-new").value, b = $("pc-new2").value;
          if (!/^[0-9]{6}$/.test(old)) { throw { local: ["pin.format", "pc-old"] }; }
          var bad = pinProblem(a);
          if (bad) { throw { local: [bad, "pc-new"] }; }
          if (a !== b) { throw { local: ["pin.mismatch", "pc-new2"] }; }
          await withProof("pin", "pin", "", { pin: old, newPin: a });
        }, "done.pin", { "-10600011": "pc-old", "-10600010": "pc-new", "-10600027": "pc-new" });
      });
      on($("renew-form"), "submit", function (ev) {
        act(ev, "renew-error", async function () {
          var pin = $("renew-pin").value;
          if (!/^[0-9]{6}$/.test(pin)) { throw { local: ["pin.format", "renew-pin"] }; }
          await withProof("renew", "renew", "", { pin: pin });
        }, "done.renew", { "-10600011": "renew-pin" });
      });
      on($("revoke-form"), "submit", function (ev) {
        act(ev, "revoke-error", async function () {
          if (!$("revoke-sure").checked) { throw { local: ["revoke.confirm", "revoke-sure"] }; }
          var pin = $("revoke-pin").value;
          if (!/^[0-9]{6}$/.test(pin)) { throw { local: ["pin.format", "revoke-pin"] }; }
          await withProof("revoke", "revoke", "", { pin: pin });
          await forgetKey();
        }, "done.revoke", { "-10600011": "revoke-pin" });
      });
      on($("ask-form"), "submit", function (ev) {
        act(ev, "ask-error", async function () {
          var n = $("ask-number-in").value.trim(), pin = $("ask-pin").value;
          if (!/^[0-9]{2}$/.test(n)) { throw { local: ["ask.number", "ask-number-in"] }; }
          if (!/^[0-9]{6}$/.test(pin)) { throw { local: ["pin.format", "ask-pin"] }; }
          await withProof("browsers/asks/" + encodeURIComponent(ask.askId) + "/approve", "ask-approve", ask.askId, { number: n, pin: pin });
        }, "done.ask", { "-10600011": "ask-pin", "-10600028": "ask-number-in" });
      });
      on($("ask-decline"), "click", function () {
        act(null, "ask-error", function () {
          return withProof("browsers/asks/" + encodeURIComponent(ask.askId) + "/decline", "ask-decline", ask.askId);
        }, "done.ask.decline");
      });
      // A new browser's ask shows up by itself while this page is open (checked every few
      // seconds while the page is visible and nothing is being done).
      var watch = setInterval(async function () {
        if (busy || document.hidden || $("scr-manage").hidden) { return; }
        try {
          var again = await withProof("me", "me", "");
          var ids = (again.asks || []).map(function (a) { return a.askId; }).join(",");
          if (ids !== askIds && !busy) { leave(function () { return Promise.resolve(); }); }
        } catch (e) { /* shown on the next action */ }
      }, 4000);
      handlers.push([{ removeEventListener: function () { clearInterval(watch); } }, "", null]);
      on($("m-browsers"), "click", function (ev) {
        var id = ev.target && ev.target.getAttribute && ev.target.getAttribute("data-browser");
        if (!id) { return; }
        act(null, "pc-error", function () {
          return withProof("browsers/" + encodeURIComponent(id) + "/remove", "remove", id);
        }, "done.remove");
      });
      on($("m-pending"), "click", function (ev) {
        var id = ev.target && ev.target.getAttribute && ev.target.getAttribute("data-receipt");
        if (!id) { return; }
        leave(function () { return answerRequest(init, id, false); });
      });
      on($("forget"), "click", function () {
        forgetKey().then(function () { leave("close"); });
      });
      on($("m-reset"), "click", function () {
        leave(function () {
          return resetPin(init).then(function () { return completion("done.reset", false); });
        });
      });
    });
  }

  // ---------------------------------------------------------------- first-party page

  async function start() {
    if (!window.crypto || !crypto.subtle || !window.indexedDB) {
      showError({ code: ERR.unsupported, message: w("unsupported") });
      return;
    }
    var rec = null;
    try { rec = await loadKey(); } catch (e) { rec = null; }
    if (rec) {
      try { await manage({}); } catch (e) { showError(e); }
      try { rec = await loadKey(); } catch (e) { rec = null; }
      // Still registered: the certificate could not be shown (said above); offer the rest.
    }
    show("scr-start", "start-h");
  }

  function pageMode() {
    function go(flow, doneKey) {
      showError(null);
      flow().then(function () { return completion(doneKey, false); })
        .then(start, function (e) { if (!(e && e.back)) { showError(e); } start(); });
    }
    $("go-issue-sms").addEventListener("click", function () { go(function () { return issue({}, { method: "sms" }); }, "done.issue"); });
    $("go-issue-bank").addEventListener("click", function () { go(function () { return issue({}, { method: "bank" }); }, "done.issue"); });
    $("go-issue-desk").addEventListener("click", function () {
      go(async function () {
        var d = await askPerson("issue", {}, {});
        return issue({ person: d.person }, { method: "desk", referenceNumber: d.referenceNumber, authCode: d.authCode });
      }, "done.issue");
    });
    $("go-register").addEventListener("click", function () { go(function () { return register({}); }, "done.register"); });
    $("go-reset").addEventListener("click", function () { go(function () { return resetPin({}); }, "done.reset"); });
    $("go-register-ask").addEventListener("click", function () { go(function () { return registerByAsk({}); }, "done.register"); });
    // The hosted login opens this page in a new tab with the request to answer:
    // /cloud#receipt=<32 digits> (registering this browser first when it is new).
    var m = /^#receipt=([0-9]{32})$/.exec(window.location.hash);
    if (m) {
      history.replaceState(null, "", window.location.pathname + window.location.search);
      answerRequest({}, m[1], true).then(function (r) {
        if (window.opener) { window.close(); }
        return completion(r.state === 3 ? "done.decline.return" : "done.return", false);
      }).then(start, function (e) { showError(e); start(); });
      return;
    }
    start();
  }

  // ---------------------------------------------------------------- frame mode

  function frameMode() {
    var peer = window.opener || (window.parent !== window ? window.parent : null);
    var allowed = (app.dataset.origins || "").split(" ").filter(Boolean);
    allowed.push(window.location.origin);
    var partnerOrigin = null;
    var callId = null;
    var started = false;

    function post(msg) {
      if (!peer || !partnerOrigin) { return; }
      msg.dojang = 1;
      msg.id = callId;
      peer.postMessage(msg, partnerOrigin);
    }
    function finish(result) { post({ type: "result", result: result || {} }); }
    function fail(e) {
      post({ type: "error", error: { code: (e && e.code) || ERR.network, message: (e && e.message) || w("network") } });
    }

    $("cloud-close").addEventListener("click", function () {
      if (partnerOrigin) { fail({ code: ERR.cancelled, message: w("cancelled") }); } else { window.close(); }
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && partnerOrigin) { fail({ code: ERR.cancelled, message: w("cancelled") }); }
    });

    if (!window.crypto || !crypto.subtle || !window.indexedDB) {
      showError({ code: ERR.unsupported, message: w("unsupported") });
    }

    // First-party use (dojang's own pages embed the frame with a receipt to answer).
    if (!PK) {
      if (RECEIPT && peer) {
        partnerOrigin = window.location.origin;
        answerRequest({}, RECEIPT, false).then(finish, function (e) { showError(e); fail(e); });
      } else if (RECEIPT) {
        answerRequest({}, RECEIPT, false).then(null, showError);
      } else {
        $("scr-wait").hidden = true;
        showError({ code: 0, message: w("toplevel") });
      }
      return;
    }
    if (!peer) { $("scr-wait").hidden = true; showError({ code: 0, message: w("toplevel") }); return; }

    window.addEventListener("message", function (ev) {
      if (ev.source !== peer || allowed.indexOf(ev.origin) < 0) { return; }
      var d = ev.data;
      if (!d || d.dojang !== 1 || d.type !== "open" || started) { return; }
      started = true;
      partnerOrigin = ev.origin;
      callId = typeof d.id === "string" ? d.id : null;
      run(d.op, d.init || {}, d.params || {}).then(finish, function (e) {
        if (e && e.code !== ERR.cancelled) { showError(e); }
        fail(e);
      });
    });
    // Say we are ready, to each registered origin only: the browser delivers it to the one
    // that embeds or opened us, and drops the rest.
    allowed.forEach(function (o) {
      try { peer.postMessage({ dojang: 1, type: "ready" }, o); } catch (e) { /* not that one */ }
    });
  }

  async function run(op, init, params) {
    if (init.publishableKey && init.publishableKey !== PK) {
      throw { code: -10600050, message: "publishableKey" };
    }
    var skip = init.completionPage === false;
    if (op === "issue") {
      var a = await issue(init, params);
      await completion("done.issue", skip);
      return a.code ? { code: a.code } : {};
    }
    if (op === "sign") { return sign(init, params); }
    if (op === "answer") { return answerRequest(init, String(params.receiptId || ""), skip); }
    if (op === "manage") { return manage(init); }
    throw { code: -10600050, message: "op" };
  }

  if (MODE === "page") { pageMode(); } else { frameMode(); }
})();
