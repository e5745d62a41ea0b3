// dojang app: the person's authenticator on a phone, at /app (issue 16). What `dojang-app`
// does on a desktop, in the browser: enrol, the pending list, the live card, approve with the
// number and the PIN, decline, certificate status, renewal, revocation, PIN change. It speaks
// the device API (/device/v1/*) with the device credential; no framework, no build step.
//
// The key (docs/app.md): an ECDSA P-256 WebCrypto key made here; its PKCS#8 is kept only
// wrapped (AES-GCM) under KEK = HMAC(k_pin, "dojang-app kek v2" ‖ unlock secret), where
// k_pin = PBKDF2-SHA-256(PIN, salt) and the 32-byte unlock secret is released by the server
// only to the right PIN proof HMAC(k_pin, "dojang-app pin proof v1") — counted, the fifth wrong
// proof locks the device and revokes its certificate. Each signing unwraps the key as a
// NON-extractable CryptoKey; the only extractable moments are inside enrolment and renewal
// (a new key, wrapped at once) and a PIN change (re-wrapped at once). So IndexedDB copied off
// the phone holds no usable key: without the PIN it gets the server's five guesses, no more.
"use strict";
(function () {
  var root = document.getElementById("app");
  if (!root) { return; }
  var D = window.DojangDer;
  var LANG = root.dataset.lang || "ko";
  var PBKDF2_ITERATIONS = 600000;
  var AAD = new TextEncoder().encode("dojang web app device key v2");
  var PROOF_LABEL = new TextEncoder().encode("dojang-app pin proof v1");
  var KEK_LABEL = new TextEncoder().encode("dojang-app kek v2");
  var ERR = { locked: -10400062, network: -1, pinWrong: null };

  var WORDS = {};
  Array.prototype.forEach.call(document.querySelectorAll("#app-words li"), function (li) {
    WORDS[li.getAttribute("data-k")] = li.textContent;
  });
  function w(key) { return WORDS[key] || key; }
  function $(id) { return document.getElementById(id); }

  // ---------------------------------------------------------------- screens and messages

  var SCREENS = ["scr-wait", "scr-start", "scr-person", "scr-code", "scr-newpin", "scr-home",
    "scr-card", "scr-manage", "scr-done"];
  var current = "scr-wait";
  function show(id, focus) {
    SCREENS.forEach(function (s) { $(s).hidden = s !== id; });
    current = id;
    status("");
    var target = focus ? $(focus) : $(id).querySelector("h1");
    if (target) { target.focus(); }
  }
  function status(text) {
    var el = $("app-status");
    el.textContent = text;
    el.hidden = !text;
  }
  function showError(e) {
    var box = $("app-error");
    if (!e) { box.hidden = true; return; }
    $("app-error-text").textContent = (e && e.message) || String(e);
    $("app-error-code").textContent = e && e.code < -1 ? "(" + e.code + ")" : "";
    box.hidden = false;
  }
  function fieldError(id, e, input) {
    var el = $(id);
    if (!e) { el.hidden = true; el.textContent = ""; return; }
    el.textContent = (e.message || String(e)) + (e.code && e.code < -1 ? " (" + e.code + ")" : "");
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

  // ---------------------------------------------------------------- the device API

  async function api(method, path, body, token) {
    var headers = { accept: "application/json", "accept-language": LANG };
    if (body !== undefined) { headers["content-type"] = "application/json"; }
    if (token) { headers.authorization = "Bearer " + token; }
    var res;
    try {
      res = await fetch("/device/v1/" + path, {
        method: method, headers: headers, credentials: "omit", cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw { code: ERR.network, message: w(navigator.onLine === false ? "offline" : "network") };
    }
    if (res.status === 204) { return {}; }
    var data = {};
    try { data = await res.json(); } catch (e) { data = {}; }
    if (!res.ok) {
      throw { code: data.code || ERR.network, message: data.message || w("network"), status: res.status };
    }
    return data;
  }
  function dev(method, path, body) { return api(method, path, body, state.deviceToken); }

  // ---------------------------------------------------------------- storage (IndexedDB)

  function db() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("dojang-app", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("state"); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  async function store(mode, fn) {
    var d = await db();
    return new Promise(function (resolve, reject) {
      var tx = d.transaction("state", mode);
      var req = fn(tx.objectStore("state"));
      tx.oncomplete = function () { d.close(); resolve(req && req.result); };
      tx.onerror = function () { d.close(); reject(tx.error); };
    });
  }
  var load = function (k) { return store("readonly", function (s) { return s.get(k); }); };
  var save = function (k, v) { return store("readwrite", function (s) { return s.put(v, k); }); };
  var forget = function (k) { return store("readwrite", function (s) { return s.delete(k); }); };

  // The enrolled device: {deviceId, deviceToken, certificate, caCertificate, serial, notAfter,
  // holder, key: {version, kdf, iterations, salt, iv, wrapped}}.
  var state = null;

  // ---------------------------------------------------------------- keys and the PIN

  var subtle = window.crypto && crypto.subtle;
  function random(n) { var b = new Uint8Array(n); crypto.getRandomValues(b); return b; }

  // The only place a key is made: extractable, because it must be wrapped (docs/app.md); the
  // caller wraps it at once and drops it.
  function newKey() {
    return subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
  }
  function signer(privateKey) {
    return async function (bytes) {
      return new Uint8Array(await subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, bytes));
    };
  }
  async function sha256(bytes) { return new Uint8Array(await subtle.digest("SHA-256", bytes)); }

  // k_pin as a non-extractable HMAC key.
  async function pinKey(pin, salt, iterations) {
    var base = await subtle.importKey("raw", new TextEncoder().encode(pin), "PBKDF2", false, ["deriveBits"]);
    var bits = await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: iterations }, base, 256);
    return subtle.importKey("raw", bits, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  }
  async function hmac(key, parts) {
    return new Uint8Array(await subtle.sign("HMAC", key, D.concat(parts)));
  }
  async function proofOf(kPin) { return D.b64(await hmac(kPin, [PROOF_LABEL])); }
  async function kekOf(kPin, secretB64) {
    var secret = D.unb64(secretB64);
    if (secret.length !== 32) { throw { code: 0, message: w("nokey") }; }
    var raw = await hmac(kPin, [KEK_LABEL, secret]);
    var kek = await subtle.importKey("raw", raw, "AES-GCM", false, ["wrapKey", "unwrapKey"]);
    raw.fill(0);
    return kek;
  }
  async function wrap(privateKey, kPin, secretB64, salt) {
    var iv = random(12);
    var wrapped = await subtle.wrapKey("pkcs8", privateKey, await kekOf(kPin, secretB64),
      { name: "AES-GCM", iv: iv, additionalData: AAD });
    return { version: 2, kdf: "pbkdf2-sha256", iterations: PBKDF2_ITERATIONS, salt: D.b64(salt),
      iv: D.b64(iv), wrapped: D.b64(new Uint8Array(wrapped)) };
  }
  async function unwrap(file, kPin, secretB64, extractable) {
    try {
      return await subtle.unwrapKey("pkcs8", D.unb64(file.wrapped), await kekOf(kPin, secretB64),
        { name: "AES-GCM", iv: D.unb64(file.iv), additionalData: AAD },
        { name: "ECDSA", namedCurve: "P-256" }, extractable, ["sign"]);
    } catch (e) {
      throw { code: 0, message: w("nokey") };
    }
  }
  // The PIN's k_pin for the stored key file.
  function pinKeyFor(file, pin) {
    if (!file || file.version !== 2 || file.kdf !== "pbkdf2-sha256" ||
        !(file.iterations >= 100000 && file.iterations <= 10000000)) {
      throw { code: 0, message: w("nokey") };
    }
    return pinKey(pin, D.unb64(file.salt), file.iterations);
  }
  // The server checks the PIN (counted) and releases the unlock secret.
  async function unlock(pin) {
    var kPin = await pinKeyFor(state.key, pin);
    var proof = await proofOf(kPin);
    var r = await dev("POST", "unlock", { pinProof: proof });
    return { kPin: kPin, proof: proof, secret: r.unlockSecret };
  }

  // ---------------------------------------------------------------- biometrics (docs/app.md)
  // A WebAuthn platform credential stands in for typing the PIN. Turning it on (with the PIN):
  // the credential is made with the `prf` extension, whose output for a random per-device salt
  // the authenticator releases only after its own user verification; HKDF of that output is an
  // AES-GCM key wrapping k_pin's 32 raw bytes; the server stores the credential's public key
  // (the PIN proof authorises it). Using it: the server's single-use challenge, an assertion
  // with UV that the server verifies before it releases the same unlock secret as the PIN
  // proof (refusals count toward the same five), and the PRF output unwraps k_pin. No PRF, no
  // biometrics: the PIN stays the only way.

  var BIO_LABEL = new TextEncoder().encode("dojang-app biometric v1");
  function b64u(bytes) { return D.b64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""); }
  function unb64u(s) {
    s = String(s).replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    return D.unb64(s);
  }
  // k_pin's raw bytes (only to be wrapped for biometrics, then wiped).
  async function pinBits(pin, file) {
    if (!file || file.version !== 2 || file.kdf !== "pbkdf2-sha256" ||
        !(file.iterations >= 100000 && file.iterations <= 10000000)) {
      throw { code: 0, message: w("nokey") };
    }
    var base = await subtle.importKey("raw", new TextEncoder().encode(pin), "PBKDF2", false, ["deriveBits"]);
    return new Uint8Array(await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256",
      salt: D.unb64(file.salt), iterations: file.iterations }, base, 256));
  }
  function kPinOf(bits) {
    return subtle.importKey("raw", bits, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  }
  async function bioKey(prf) {
    var base = await subtle.importKey("raw", prf, "HKDF", false, ["deriveKey"]);
    return subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: BIO_LABEL },
      base, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  }
  function bioAad() { return D.concat([BIO_LABEL, new TextEncoder().encode(String(state.deviceId || ""))]); }
  function prfOutput(cred) {
    var x = cred && cred.getClientExtensionResults ? cred.getClientExtensionResults() : {};
    var first = x && x.prf && x.prf.results && x.prf.results.first;
    return first ? new Uint8Array(first) : null;
  }
  async function bioAvailable() {
    try {
      return !!(window.PublicKeyCredential && navigator.credentials &&
        PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable &&
        await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable());
    } catch (e) { return false; }
  }
  var bioUnavailable = function () { return { code: 0, message: w("bio.unavailable"), calm: true }; };
  var bioCancelled = function () { return { code: 0, message: w("bio.cancelled") }; };

  // Turn biometrics on: the PIN (checked by the server, counted), a new credential, its PRF.
  async function bioTurnOn(pin) {
    var bits = await pinBits(pin, state.key);
    var proof = await proofOf(await kPinOf(bits));
    var salt = random(32);
    var cred;
    try {
      cred = await navigator.credentials.create({ publicKey: {
        rp: { id: location.hostname, name: w("bio.rp") },
        user: { id: random(16), name: (state.holder && state.holder.name) || "dojang",
          displayName: (state.holder && state.holder.name) || "dojang" },
        challenge: random(32),
        pubKeyCredParams: [{ type: "public-key", alg: -7 }],
        authenticatorSelection: { authenticatorAttachment: "platform", userVerification: "required",
          residentKey: "discouraged", requireResidentKey: false },
        attestation: "none",
        timeout: 60000,
        extensions: { prf: { eval: { first: salt } } },
      } });
    } catch (e) { bits.fill(0); throw bioCancelled(); }
    var ext = cred.getClientExtensionResults ? cred.getClientExtensionResults() : {};
    var out = prfOutput(cred);
    if (!out && ext.prf && ext.prf.enabled) {
      // Not evaluated at creation: a first assertion evaluates it (checked here only).
      try {
        out = prfOutput(await navigator.credentials.get({ publicKey: {
          challenge: random(32), rpId: location.hostname, userVerification: "required", timeout: 60000,
          allowCredentials: [{ type: "public-key", id: cred.rawId }],
          extensions: { prf: { eval: { first: salt } } },
        } }));
      } catch (e) { bits.fill(0); throw bioCancelled(); }
    }
    var spki = cred.response && cred.response.getPublicKey ? cred.response.getPublicKey() : null;
    var alg = cred.response && cred.response.getPublicKeyAlgorithm ? cred.response.getPublicKeyAlgorithm() : -7;
    if (!out || !spki || alg !== -7) { bits.fill(0); throw bioUnavailable(); }
    var id = b64u(new Uint8Array(cred.rawId));
    try {
      await dev("POST", "biometric", { pinProof: proof, credentialId: id, publicKey: D.b64(new Uint8Array(spki)) });
      var iv = random(12);
      var wrapped = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: bioAad() },
        await bioKey(out), bits));
      var rec = Object.assign({}, state, { bio: { version: 1, credentialId: id, prfSalt: D.b64(salt),
        iv: D.b64(iv), wrapped: D.b64(wrapped) } });
      await save("device", rec);
      state = rec;
    } finally { bits.fill(0); out.fill(0); }
  }
  async function bioTurnOff() {
    await dev("DELETE", "biometric");
    var rec = Object.assign({}, state);
    delete rec.bio;
    await save("device", rec);
    state = rec;
  }
  // The server's challenge, the authenticator's assertion (UV), the unlock secret; k_pin from PRF.
  async function bioUnlock() {
    var b = state.bio;
    if (!b) { throw bioUnavailable(); }
    var ch = await dev("POST", "unlock/biometric/challenge", {});
    var a;
    try {
      a = await navigator.credentials.get({ publicKey: {
        challenge: unb64u(ch.challenge), rpId: location.hostname, userVerification: "required", timeout: 60000,
        allowCredentials: [{ type: "public-key", id: unb64u(b.credentialId), transports: ["internal"] }],
        extensions: { prf: { eval: { first: D.unb64(b.prfSalt) } } },
      } });
    } catch (e) { throw bioCancelled(); }
    var r = a.response;
    var u = await dev("POST", "unlock/biometric", {
      credentialId: b64u(new Uint8Array(a.rawId)),
      authenticatorData: b64u(new Uint8Array(r.authenticatorData)),
      clientDataJSON: b64u(new Uint8Array(r.clientDataJSON)),
      signature: b64u(new Uint8Array(r.signature)),
    });
    var out = prfOutput(a);
    if (!out) { throw bioUnavailable(); }
    var bits;
    try {
      bits = new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: D.unb64(b.iv), additionalData: bioAad() },
        await bioKey(out), D.unb64(b.wrapped)));
    } catch (e) { throw { code: 0, message: w("nokey") }; } finally { out.fill(0); }
    var kPin = await kPinOf(bits);
    bits.fill(0);
    return { kPin: kPin, secret: u.unlockSecret };
  }
  // The manage screen's biometrics part.
  async function fillBio(active) {
    var on = !!(state && state.bio);
    $("bio-form").hidden = !active;
    if (!active) { return; }
    var can = await bioAvailable();
    $("bio-state").textContent = on ? w("bio.state.on") : (can ? w("bio.state.off") : w("bio.unavailable"));
    $("bio-state").setAttribute("data-bio", on ? "on" : (can ? "off" : "unavailable"));
    $("bio-pin-row").hidden = on || !can;
    $("bio-submit").hidden = on || !can;
    $("bio-off").hidden = !on;
  }

  // ---------------------------------------------------------------- small checks

  var digits = function (s) { return String(s || "").replace(/[\s-]/g, ""); };
  function pinProblem(pin) {
    if (!/^[0-9]{6}$/.test(pin)) { return "pin.format"; }
    if (/^(\d)\1{5}$/.test(pin) || pin === "123456" || pin === "654321") { return "pin.trivial"; }
    return null;
  }

  // Show a form; resolve with read()'s value once it checks out ({problem: [word, inputId]}
  // refuses). `last`, a refusal of the previous try, is said on the form.
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
  // ask() until attempt(value) succeeds; its refusals are said on the form.
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

  // ---------------------------------------------------------------- enrolment

  function readPerson(method) {
    return function () {
      var p = { name: $("p-name").value.trim(), phone: digits($("p-phone").value), birthday: digits($("p-birth").value) };
      if (!p.name) { return { problem: ["name", "p-name"] }; }
      if (!/^01[0-9]{8,9}$/.test(p.phone)) { return { problem: ["phone", "p-phone"] }; }
      if (!/^[0-9]{8}$/.test(p.birthday)) { return { problem: ["birth", "p-birth"] }; }
      if (method === "bank") {
        p.bankCode = digits($("p-bank").value);
        p.bankAccountNum = $("p-account").value.replace(/\s/g, "");
        if (!/^[0-9]{3}$/.test(p.bankCode)) { return { problem: ["bank", "p-bank"] }; }
        if (!/^[0-9-]{1,31}$/.test(p.bankAccountNum)) { return { problem: ["account", "p-account"] }; }
      }
      if (method === "desk") {
        p.refNum = digits($("p-ref").value);
        p.authCode = digits($("p-auth").value);
        if (!/^[0-9]{10}$/.test(p.refNum)) { return { problem: ["refnum", "p-ref"] }; }
        if (!/^[0-9]{16}$/.test(p.authCode)) { return { problem: ["authcode", "p-auth"] }; }
      }
      return { value: p };
    };
  }
  function readNewPin() {
    var a = $("new-pin").value, b = $("new-pin2").value;
    var bad = pinProblem(a);
    if (bad) { return { problem: [bad, "new-pin"] }; }
    if (a !== b) { $("new-pin2").value = ""; return { problem: ["pin.mismatch", "new-pin2"] }; }
    return { value: a };
  }
  function askNewPin(last) {
    $("new-pin").value = "";
    $("new-pin2").value = "";
    return until("scr-newpin", "newpin-error", readNewPin, function (p) { return Promise.resolve(p); }, "new-pin", last);
  }

  // Everything an enrolment sends besides the proof of the person: a new key's CSR and the
  // PIN proof; `finish(answer)` wraps the key under the PIN and the unlock secret and keeps it.
  async function material(name, pin) {
    var pair = await newKey();
    var spki = new Uint8Array(await subtle.exportKey("spki", pair.publicKey));
    var csr = await D.csr(spki, name, signer(pair.privateKey));
    var salt = random(16);
    var kPin = await pinKey(pin, salt, PBKDF2_ITERATIONS);
    var proof = await proofOf(kPin);
    return {
      csr: D.b64(csr), pinProof: proof,
      finish: async function (answer, holder) {
        if (!answer.unlockSecret) { throw { code: 0, message: w("nokey") }; }
        var key = await wrap(pair.privateKey, kPin, answer.unlockSecret, salt);
        pair = null;
        var rec = {
          deviceId: answer.deviceID, deviceToken: answer.deviceToken,
          certificate: answer.certificate, caCertificate: answer.caCertificate,
          serial: answer.serial, notAfter: answer.notAfter, holder: holder, key: key,
        };
        await save("device", rec);
        state = rec;
      },
    };
  }

  // One enrolment: the person (and bank or desk details), the code or word, the PIN, the call.
  async function enrol(method, known) {
    var h = $("person-h");
    h.textContent = h.getAttribute("data-" + method);
    $("bank-fields").hidden = method !== "bank";
    $("desk-fields").hidden = method !== "desk";
    var person = null, started = null, first = null;
    if (known) { knownPerson(known); }
    if (known && method === "sms") {
      // Logged in without a certificate: the person is known, the code is sent at once.
      try {
        person = { name: known.name, phone: known.phone, birthday: known.birthday };
        started = await api("POST", "enrolments", person);
      } catch (e) { first = e; }
    }
    if (method === "desk") {
      person = await ask("scr-person", "person-error", readPerson(method), null);
    } else if (!started) {
      started = await until("scr-person", "person-error", readPerson(method), async function (p) {
        person = p;
        if (method === "bank") {
          return api("POST", "enrolments/bank", {
            name: p.name, phone: p.phone, birthday: p.birthday, bankCode: p.bankCode, bankAccountNum: p.bankAccountNum,
          });
        }
        return api("POST", "enrolments", { name: p.name, phone: p.phone, birthday: p.birthday });
      }, null, first);
    }
    var pin = null, last = null;
    for (;;) {
      var code = null;
      if (method !== "desk") {
        $("code-lead").textContent = $("code-lead").getAttribute("data-" + method);
        $("code-label").textContent = $("code-label").getAttribute("data-" + method);
        $("sms-code").value = "";
        $("sms-code").setAttribute("inputmode", method === "sms" ? "numeric" : "text");
        code = await ask("scr-code", "code-error", function () {
          var v = method === "sms" ? digits($("sms-code").value) : $("sms-code").value.trim();
          if (method === "sms" && !/^[0-9]{6}$/.test(v)) { return { problem: ["code", "sms-code"] }; }
          if (method === "bank" && !v) { return { problem: ["word", "sms-code"] }; }
          return { value: v };
        }, last, "sms-code");
        last = null;
      }
      if (!pin) { pin = await askNewPin(method === "desk" ? last : null); }
      status(w("working"));
      try {
        var m = await material(person.name, pin);
        var answer;
        if (method === "sms") {
          answer = await api("POST", "enrolments/" + encodeURIComponent(started.enrolmentID) + "/complete",
            { code: code, csr: m.csr, pinProof: m.pinProof });
        } else if (method === "bank") {
          answer = await api("POST", "enrolments/bank/" + encodeURIComponent(started.enrolmentID) + "/complete",
            { word: code, csr: m.csr, pinProof: m.pinProof });
        } else {
          answer = await api("POST", "enrolments/ra", {
            refNum: person.refNum, authCode: person.authCode, name: person.name, phone: person.phone,
            birthday: person.birthday, csr: m.csr, pinProof: m.pinProof,
          });
        }
        await m.finish(answer, { name: person.name });
        status("");
        return;
      } catch (e) {
        status("");
        last = e;
        if (method === "desk") {
          // The details themselves were refused: back to the form, keeping the PIN.
          person = await ask("scr-person", "person-error", readPerson(method), e, null);
        }
      }
    }
  }

  // ---------------------------------------------------------------- the pending list and the card

  var cards = [];          // the waiting cards, oldest first
  var openCard = null;     // the card on screen
  var withdrawn = {};      // receipt → true once the server said it is no longer waiting
  var ended = {};          // receipt → true once this card's own answer ended it (its error stays)

  function kindName(kind) { return $("scr-card").getAttribute("data-kind-" + kind) || kind; }
  function when(ts) {
    if (!ts) { return "–"; }
    var d = new Date(ts);
    return isNaN(d.getTime()) ? String(ts) : d.toLocaleString(LANG === "ko" ? "ko-KR" : "en-GB");
  }

  function renderPending() {
    var list = $("pending");
    list.textContent = "";
    var now = Date.now();
    cards = cards.filter(function (c) { return !withdrawn[c.receiptID] && new Date(c.expireDt).getTime() > now; });
    cards.forEach(function (c) {
      var li = document.createElement("li");
      li.className = "row";
      var span = document.createElement("span");
      span.textContent = c.requester + " · " + kindName(c.kind) + " · " + c.reqTitle;
      var b = document.createElement("button");
      b.type = "button";
      b.className = "small";
      b.id = "open-" + c.receiptID;
      b.textContent = list.getAttribute("data-open");
      b.setAttribute("aria-label", list.getAttribute("data-open") + ": " + c.requester + " " + c.reqTitle);
      b.setAttribute("data-receipt", c.receiptID);
      li.appendChild(span);
      li.appendChild(b);
      list.appendChild(li);
    });
    $("pending-none").hidden = cards.length > 0;
  }

  async function refresh() {
    try {
      var r = await dev("GET", "requests");
      cards = r.requests || [];
      withdrawn = {};
      renderPending();
      showError(null);
    } catch (e) {
      deviceProblem(e);
    }
  }

  // A card arrived (live, the list, or a notification's #receipt=).
  function arrived(card) {
    if (!cards.some(function (c) { return c.receiptID === card.receiptID; })) { cards.push(card); }
    renderPending();
    $("app-live").textContent = w("new");
    setTimeout(function () { if (socket) { $("app-live").textContent = w("live.on"); } }, 5000);
    if (current === "scr-home") { showCard(card.receiptID); }
  }

  function showCard(receiptId) {
    var card = cards.filter(function (c) { return c.receiptID === receiptId; })[0];
    if (!card) { return false; }
    openCard = card;
    $("c-party").textContent = card.requester;
    $("c-kind").textContent = kindName(card.kind);
    $("c-title").textContent = card.reqTitle;
    var msg = card.extraMessage || "";
    Array.prototype.forEach.call(document.querySelectorAll(".c-message"), function (e) { e.hidden = !msg; });
    $("c-message").textContent = msg;
    var call = [card.callCenterName, card.callCenterNum].filter(Boolean).join(" ");
    Array.prototype.forEach.call(document.querySelectorAll(".c-call"), function (e) { e.hidden = !call; });
    $("c-call").textContent = call;
    $("c-expires").textContent = when(card.expireDt);
    var docs = $("c-docs");
    docs.textContent = "";
    var all = card.documents && card.documents.length ? card.documents
      : [{ title: card.reqTitle, tokenType: "TEXT", token: card.token }];
    all.forEach(function (d) {
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
        c.textContent = d.tokenType + " " + docs.getAttribute("data-hash") + " " + d.token;
        li.appendChild(c);
      }
      docs.appendChild(li);
    });
    var choices = $("c-choices");
    choices.textContent = "";
    (card.bindingChoices || []).forEach(function (n, i) {
      var id = "pick-" + i;
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "binding";
      input.id = id;
      input.value = n;
      var label = document.createElement("label");
      label.setAttribute("for", id);
      label.className = "number";
      label.textContent = n;
      choices.appendChild(input);
      choices.appendChild(label);
    });
    $("c-binding").hidden = !(card.bindingChoices || []).length;
    $("sign-pin").value = "";
    $("bio-approve").hidden = !(state && state.bio);
    $("bio-approve").disabled = false;
    fieldError("sign-error", null);
    $("approve").disabled = false;
    $("decline").disabled = false;
    guestCard(card);
    show("scr-card", "card-h");
    // Seen: the server records when the person first saw it.
    dev("POST", "requests/" + encodeURIComponent(card.receiptID) + "/view", {}).catch(function (e) {
      if (e && e.code !== ERR.network) { fieldError("sign-error", e, null); lockCard(); }
    });
    return true;
  }
  function lockCard() { $("approve").disabled = true; $("decline").disabled = true; $("bio-approve").disabled = true; }

  // Sign every document of the card with the key unlocked by `pin`; the approve call's body.
  async function approval(card, pin, picked, bio) {
    var u = bio ? await bioUnlock() : await unlock(pin);
    var key = await unwrap(state.key, u.kPin, u.secret, false);
    var sign = signer(key);
    var cert = D.pemToDer(state.certificate);
    var now = new Date();
    var enc = new TextEncoder();
    async function one(text) {
      return D.b64(await D.signedData(cert, enc.encode(text), now, sign, sha256));
    }
    var body = {};
    if (card.kind === "multi-sign") {
      body.multiSignedData = [];
      for (var i = 0; i < card.documents.length; i++) { body.multiSignedData.push(await one(card.documents[i].token)); }
    } else {
      body.signedData = await one(card.token);
    }
    if (picked) { body.bindingCode = picked; }
    return body;
  }

  async function onApprove(ev, bio) {
    ev.preventDefault();
    var card = openCard;
    if (!card) { return; }
    if (state && state.guest) { issueInCard(card); return; }
    var form = $("scr-card");
    clearInvalid(form);
    var picked = null;
    if ((card.bindingChoices || []).length) {
      var sel = form.querySelector("input[name=binding]:checked");
      if (!sel) { fieldError("sign-error", problem("pick"), $("pick-0")); return; }
      picked = sel.value;
    }
    var pin = $("sign-pin").value;
    if (!bio && !/^[0-9]{6}$/.test(pin)) { fieldError("sign-error", problem("pin.format"), $("sign-pin")); return; }
    lockCard();
    status(w("working"));
    try {
      var body = await approval(card, pin, picked, bio);
      await dev("POST", "requests/" + encodeURIComponent(card.receiptID) + "/approve", body);
      withdrawn[card.receiptID] = true;
      openCard = null;
      await completion("done.approve");
      home();
    } catch (e) {
      status("");
      $("sign-pin").value = "";
      if (e && e.code === ERR.locked) { deviceProblem(e); return; }
      // A wrong number declines the request on the server: nothing more to do here, and the
      // "withdrawn" frame the server sends for it must not replace this, the reason.
      if (e && e.code === -10400033) { ended[card.receiptID] = true; withdrawn[card.receiptID] = true; }
      fieldError("sign-error", e, e && e.code === -10400033 ? null : $("sign-pin"));
      if (!(e && e.code === -10400033)) { $("approve").disabled = false; $("decline").disabled = false; $("bio-approve").disabled = false; }
      if (bio && e && e.code === -10700023) { bioForgotten(); }
    }
  }
  // The server no longer knows this phone's credential (a PIN change elsewhere): the PIN only.
  function bioForgotten() {
    var rec = Object.assign({}, state);
    delete rec.bio;
    state = rec;
    save("device", rec).catch(function () { /* kept in memory */ });
    $("bio-approve").hidden = true;
  }
  async function onDecline() {
    var card = openCard;
    if (!card) { return; }
    lockCard();
    try {
      await dev("POST", "requests/" + encodeURIComponent(card.receiptID) + "/decline", {});
      withdrawn[card.receiptID] = true;
      openCard = null;
      await completion("done.decline");
      home();
    } catch (e) {
      fieldError("sign-error", e, null);
      $("decline").disabled = false;
    }
  }

  // ---------------------------------------------------------------- the live channel

  var socket = null, retry = 1000, liveWanted = false;
  function live() {
    if (!state || socket || !liveWanted) { return; }
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/device/v1/push";
    var s;
    try {
      s = new WebSocket(url, ["dojang.device.v1", "dojang.bearer." + state.deviceToken]);
    } catch (e) { return; }
    socket = s;
    s.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.type === "hello") {
        retry = 1000;
        $("app-live").textContent = w("live.on");
        root.setAttribute("data-live", "on");
        refresh();
      } else if (m.type === "request" && m.card) {
        arrived(m.card);
      } else if (m.type === "withdrawn") {
        withdrawn[m.receiptID] = true;
        renderPending();
        if (openCard && openCard.receiptID === m.receiptID && !ended[m.receiptID]) {
          lockCard();
          fieldError("sign-error", problem("withdrawn"), null);
        }
      }
    };
    s.onclose = function () {
      socket = null;
      root.setAttribute("data-live", "off");
      if (!liveWanted) { return; }
      $("app-live").textContent = w("live.off");
      setTimeout(function () {
        if (!liveWanted || !state) { return; }
        // Still ours? (A lock or a revocation ends the credential: say so instead.)
        dev("GET", "certificate").then(live, deviceProblem);
      }, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  function stopLive() {
    liveWanted = false;
    $("app-live").textContent = "";
    if (socket) { socket.close(); socket = null; }
  }

  // The credential no longer works (locked by wrong PINs, revoked): say so, offer a new start.
  function deviceProblem(e) {
    if (guestGone(e)) { return; }
    if (e && e.code === ERR.locked) {
      // Locked by wrong PINs: the credential and the certificate are gone for good. Forget
      // them and offer a new enrolment, saying why.
      openCard = null;
      state = null;
      forget("device").catch(function () { /* already gone */ });
      start();
      showError({ code: e.code, message: w("locked") });
      return;
    }
    showError(e);
  }

  // ---------------------------------------------------------------- Web Push (wake-up only)

  async function pushSetup(ask) {
    var line = $("push-state");
    var button = $("push-on");
    button.hidden = true;
    function off() { line.textContent = w("push.off"); root.setAttribute("data-push", "off"); }
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) { off(); return; }
    try {
      var vapid = await api("GET", "push/vapid");
      if (Notification.permission === "denied") { off(); return; }
      if (Notification.permission !== "granted") {
        if (!ask) { button.hidden = false; line.textContent = ""; return; }
        if ((await Notification.requestPermission()) !== "granted") { off(); return; }
      }
      var reg = await navigator.serviceWorker.ready;
      var sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: D.unb64(vapid.publicKey) });
      var j = sub.toJSON();
      await dev("POST", "push/subscription", { kind: "webpush", endpoint: j.endpoint, keys: { p256dh: j.keys.p256dh, auth: j.keys.auth } });
      line.textContent = w("push.on");
      root.setAttribute("data-push", "on");
    } catch (e) {
      // No push service (404 from dojang, no permission, or the browser's service refused):
      // the live channel and the list on opening carry the requests.
      off();
    }
  }


  // ---------------------------------------------------------------- a login without a certificate
  //
  // Seed 000: before a certificate, pushes go to the device that logged in last. The SMS check
  // alone registers this phone for the person (POST enrolments/{id}/login): the credential is
  // kept in IndexedDB as "guest" ({guest, deviceId, deviceToken, hasCertificate, holder}), the
  // live channel, the list and Web Push work with it as with an enrolled device, and the first
  // card leads to a certificate issued inside it (SMS when the request allows simple
  // registration and needs no verified name, else the bank-account check) — the enrolment's
  // own code paths (new key, CSR, PIN) — after which the same card is approved. The server
  // supersedes the login's device when the certificate's device is registered.

  function knownPerson(p) {
    $("p-name").value = p.name || "";
    $("p-phone").value = p.phone || "";
    $("p-birth").value = p.birthday || "";
  }

  async function guestLogin() {
    var h = $("person-h");
    h.textContent = h.getAttribute("data-login");
    $("bank-fields").hidden = true;
    $("desk-fields").hidden = true;
    var person = null;
    var started = await until("scr-person", "person-error", readPerson("sms"), function (p) {
      person = p;
      return api("POST", "enrolments", { name: p.name, phone: p.phone, birthday: p.birthday });
    });
    $("code-lead").textContent = $("code-lead").getAttribute("data-sms");
    $("code-label").textContent = $("code-label").getAttribute("data-sms");
    $("sms-code").value = "";
    $("sms-code").setAttribute("inputmode", "numeric");
    await until("scr-code", "code-error", function () {
      var v = digits($("sms-code").value);
      if (!/^[0-9]{6}$/.test(v)) { return { problem: ["code", "sms-code"] }; }
      return { value: v };
    }, async function (code) {
      var r = await api("POST", "enrolments/" + encodeURIComponent(started.enrolmentID) + "/login", { code: code });
      var rec = {
        guest: true, deviceId: r.deviceID, deviceToken: r.deviceToken, hasCertificate: !!r.hasCertificate,
        holder: { name: person.name, phone: person.phone, birthday: person.birthday },
      };
      await save("guest", rec);
      state = rec;
    }, "sms-code");
  }

  function guestFlow() {
    showError(null);
    guestLogin().then(function () {
      return completion("done.login");
    }).then(home, function (e) {
      if (!(e && e.back)) { showError(e); }
      start();
    });
  }

  function guestHome() {
    var g = !!(state && state.guest);
    $("home-guest").hidden = !g;
    $("guest-elsewhere").hidden = !(g && state.hasCertificate);
    $("go-manage").hidden = g;
  }

  // The card of a phone without a certificate: what it needs first, instead of the PIN.
  function guestCard(card) {
    var g = !!(state && state.guest);
    var method = issueMethod(card);
    $("c-guest").hidden = !g;
    $("c-guest-sms").hidden = !(g && method === "sms");
    $("c-guest-bank").hidden = !(g && method === "bank");
    $("c-guest-elsewhere").hidden = !(g && state.hasCertificate);
    $("sign-pin").hidden = g;
    $("sign-pin-label").hidden = g;
    $("approve").hidden = g;
    if (g) { $("c-binding").hidden = true; }
  }
  function issueMethod(card) {
    return card.allowSimpleRegist && !card.requiresVerifiedName ? "sms" : "bank";
  }

  // Issue a certificate inside `card`, then show the same card for approval.
  var issuing = false;
  async function issueInCard(card) {
    if (issuing || !state || !state.guest) { return; }
    issuing = true;
    var guest = state;
    // The server closes the login's socket when the new device is registered: stop first, so
    // the retry does not ask with the superseded credential.
    stopLive();
    showError(null);
    try {
      await enrol(issueMethod(card), guest.holder);
      // enrol() kept the enrolled device (state); the login is superseded.
      await forget("guest").catch(function () { /* gone already */ });
      liveWanted = true;
      live();
      await refresh();
      pushSetup(false);
      if (showCard(card.receiptID)) {
        status(w("issued"));
      } else {
        home();
        showError({ code: 0, message: w("withdrawn") });
      }
    } catch (e) {
      if (state === guest) {
        liveWanted = true;
        live();
      }
      if (!(e && e.back)) { showError(e); }
      if (!showCard(card.receiptID)) { home(); }
    } finally {
      issuing = false;
    }
  }

  // The login was superseded (another login, or a certificate issued elsewhere): forget it.
  function guestGone(e) {
    if (!(state && state.guest && e && e.code === -10400002)) { return false; }
    openCard = null;
    state = null;
    forget("guest").catch(function () { /* gone already */ });
    start();
    showError({ code: e.code, message: w("guest.gone") });
    return true;
  }

  function bindGuest() {
    $("go-login").addEventListener("click", guestFlow);
    $("c-issue").addEventListener("click", function () { if (openCard) { issueInCard(openCard); } });
    $("guest-logout").addEventListener("click", function () {
      act(null, "sign-error", async function () {
        stopLive();
        await dev("DELETE", "push/subscription").catch(function () { /* none */ });
        await forget("guest");
        state = null;
      }, "done.logout");
    });
  }

  // ---------------------------------------------------------------- home, manage, done

  function completion(key) {
    $("done-text").textContent = w(key);
    show("scr-done", "done-h");
    return new Promise(function (resolve) {
      var b = $("done-ok");
      b.addEventListener("click", function once() { b.removeEventListener("click", once); resolve(); });
    });
  }

  function home() {
    $("home-holder").textContent = state.holder && state.holder.name ? state.holder.name : "";
    guestHome();
    show("scr-home", "home-h");
    liveWanted = true;
    live();
    refresh().then(function () {
      var m = /^#receipt=([0-9A-Za-z_-]{1,64})$/.exec(location.hash);
      if (m) {
        history.replaceState(null, "", location.pathname + location.search);
        showCard(m[1]);
      }
    });
    pushSetup(false);
  }

  function fillManage(st) {
    $("m-holder").textContent = st.holderName || (state.holder && state.holder.name) || "–";
    $("m-serial").textContent = st.serial || "–";
    $("m-state").textContent = w("state." + st.state);
    $("m-state").setAttribute("data-state", st.state);
    $("m-notafter").textContent = when(st.notAfter);
    var days = st.notAfter ? (new Date(st.notAfter).getTime() - Date.now()) / 86400000 : -1;
    $("renew-form").hidden = !(st.state === "active" && days <= 30);
    $("pin-form").hidden = st.state !== "active";
    $("revoke-form").hidden = st.state !== "active";
    fillBio(st.state === "active");
  }

  async function manage() {
    status(w("working"));
    var st;
    try { st = await dev("GET", "certificate"); } catch (e) { status(""); deviceProblem(e); st = { state: "none" }; }
    status("");
    ["pc-old", "pc-new", "pc-new2", "renew-pin", "revoke-pin", "bio-pin"].forEach(function (id) { $(id).value = ""; });
    $("revoke-sure").checked = false;
    ["pc-error", "renew-error", "revoke-error", "bio-error"].forEach(function (id) { fieldError(id, null); });
    fillManage(st);
    show("scr-manage", "manage-h");
  }

  var busy = false;
  async function act(ev, errorId, run, doneKey) {
    if (ev) { ev.preventDefault(); }
    if (busy) { return; }
    busy = true;
    status(w("working"));
    try {
      try { await run(); } catch (e) { if (e && e.done) { doneKey = e.done; } else { throw e; } }
      status("");
      await completion(doneKey);
      if (state) { manage(); } else { start(); }
    } catch (e) {
      status("");
      if (e && e.local) { fieldError(errorId, problem(e.local[0]), $(e.local[1])); return; }
      if (e && e.code === ERR.locked) { deviceProblem(e); }
      fieldError(errorId, e, null);
    } finally { busy = false; }
  }

  function bind() {
    $("go-sms").addEventListener("click", function () { flow("sms"); });
    $("go-bank").addEventListener("click", function () { flow("bank"); });
    $("go-desk").addEventListener("click", function () { flow("desk"); });
    bindGuest();
    $("refresh").addEventListener("click", refresh);
    $("go-manage").addEventListener("click", manage);
    $("manage-back").addEventListener("click", home);
    $("card-back").addEventListener("click", function () { openCard = null; home(); });
    $("push-on").addEventListener("click", function () { pushSetup(true); });
    $("pending").addEventListener("click", function (ev) {
      var id = ev.target && ev.target.getAttribute && ev.target.getAttribute("data-receipt");
      if (id) { showCard(id); }
    });
    $("scr-card").addEventListener("submit", onApprove);
    $("bio-approve").addEventListener("click", function (ev) { onApprove(ev, true); });
    $("bio-form").addEventListener("submit", function (ev) {
      if (ev) { ev.preventDefault(); }
      var pin = $("bio-pin").value;
      if (!/^[0-9]{6}$/.test(pin)) { clearInvalid($("bio-form")); fieldError("bio-error", problem("pin.format"), $("bio-pin")); return; }
      act(ev, "bio-error", async function () {
        try { await bioTurnOn(pin); } catch (e) {
          // No PRF here: said calmly where the switch is; the PIN keeps working.
          if (e && e.calm) { $("bio-pin").value = ""; $("bio-state").textContent = w("bio.unavailable"); }
          throw e;
        }
      }, "done.bio.on");
    });
    $("bio-off").addEventListener("click", function () {
      act(null, "bio-error", bioTurnOff, "done.bio.off");
    });
    $("decline").addEventListener("click", onDecline);
    $("pin-form").addEventListener("submit", function (ev) {
      act(ev, "pc-error", async function () {
        var old = $("pc-old").value, a = $("pc-new").value, b = $("pc-new2").value;
        if (!/^[0-9]{6}$/.test(old)) { throw { local: ["pin.format", "pc-old"] }; }
        var bad = pinProblem(a);
        if (bad) { throw { local: [bad, "pc-new"] }; }
        if (a !== b) { throw { local: ["pin.mismatch", "pc-new2"] }; }
        var u = await unlock(old);
        // Extractable only to be re-wrapped under the new PIN and secret, at once.
        var key = await unwrap(state.key, u.kPin, u.secret, true);
        var salt = random(16);
        var kNew = await pinKey(a, salt, PBKDF2_ITERATIONS);
        var r = await dev("POST", "pin", { pinProof: u.proof, newPinProof: await proofOf(kNew) });
        var rec = Object.assign({}, state, { key: await wrap(key, kNew, r.unlockSecret, salt) });
        // k_pin changed: the biometric wrapping of the old one is useless, and the server
        // forgot the credential with the old PIN. Biometrics are off until turned on again.
        var hadBio = !!rec.bio;
        delete rec.bio;
        await save("device", rec);
        state = rec;
        if (hadBio) { throw { done: "done.pin.bio" }; }
      }, "done.pin");
    });
    $("renew-form").addEventListener("submit", function (ev) {
      act(ev, "renew-error", async function () {
        var pin = $("renew-pin").value;
        if (!/^[0-9]{6}$/.test(pin)) { throw { local: ["pin.format", "renew-pin"] }; }
        var u = await unlock(pin);
        var pair = await newKey();
        var spki = new Uint8Array(await subtle.exportKey("spki", pair.publicKey));
        var csr = await D.csr(spki, state.holder && state.holder.name, signer(pair.privateKey));
        var r = await dev("POST", "certificate/renew", { csr: D.b64(csr), pinProof: u.proof });
        var rec = Object.assign({}, state, {
          certificate: r.certificate, serial: r.serial, notAfter: r.notAfter,
          key: await wrap(pair.privateKey, u.kPin, u.secret, D.unb64(state.key.salt)),
        });
        await save("device", rec);
        state = rec;
      }, "done.renew");
    });
    $("revoke-form").addEventListener("submit", function (ev) {
      act(ev, "revoke-error", async function () {
        if (!$("revoke-sure").checked) { throw { local: ["revoke.confirm", "revoke-sure"] }; }
        var pin = $("revoke-pin").value;
        if (!/^[0-9]{6}$/.test(pin)) { throw { local: ["pin.format", "revoke-pin"] }; }
        var kPin = await pinKeyFor(state.key, pin);
        await dev("POST", "revoke", { pinProof: await proofOf(kPin) });
        // The credential ends with the certificate: nothing left on this phone to keep.
        stopLive();
        await forget("device");
        state = null;
      }, "done.revoke");
    });
    $("forget").addEventListener("click", function () {
      act(null, "revoke-error", async function () {
        stopLive();
        await forget("device");
        state = null;
      }, "done.forget");
    });
    // A notification clicked while the app is open (the service worker says which card).
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.addEventListener("message", function (ev) {
        var d = ev.data || {};
        if (d.type === "open" && typeof d.receiptId === "string" && state) {
          refresh().then(function () { showCard(d.receiptId); });
        }
      });
    }
    window.addEventListener("online", function () { if (state && liveWanted) { live(); refresh(); } });
  }

  function flow(method) {
    showError(null);
    enrol(method).then(function () {
      return completion("done.enrol");
    }).then(home, function (e) {
      if (!(e && e.back)) { showError(e); }
      start();
    });
  }

  function start() {
    stopLive();
    show("scr-start", "start-h");
  }

  async function main() {
    $("wait-text").hidden = false;
    if (!subtle || !window.indexedDB || !D) {
      showError({ code: 0, message: w("unsupported") });
      return;
    }
    bind();
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(root.dataset.sw, { scope: "/app" }).catch(function () { /* no offline shell */ });
    }
    try { await save("lang", LANG); } catch (e) { /* private mode: no notifications' language */ }
    try { state = (await load("device")) || null; } catch (e) { state = null; }
    if (!state) { try { state = (await load("guest")) || null; } catch (e) { state = null; } }
    if (state) { home(); } else { start(); }
  }

  main();
})();
