/*! dojang cloud certificate SDK v1 — /sdk/v1/dojang.js (docs/cloud-sdk.md).
 *
 * Opens dojang's own UI (/cloud/frame) in a full-screen iframe or a popup; the person types the
 * PIN there, never into this page. All this page ever receives is a one-time code, which the
 * relying party's server exchanges with the HMAC API (POST /v1/cloud/exchange).
 *
 * Messages: the frame says {dojang:1, type:"ready"}; the SDK answers {dojang:1, type:"open",
 * id, op, init, params}; the frame ends with {type:"result", id, result} or {type:"error", id,
 * error:{code, message}}. The SDK accepts a message only when event.origin is the dojang
 * server's origin AND event.source is the frame (or popup) it opened, and posts only to that
 * origin.
 */
(function (global) {
  "use strict";
  if (global.Dojang && global.Dojang.version) { return; }

  var VERSION = "1.0.0";
  var PK = /^pk_[A-Za-z0-9_-]{32}$/;
  var POLICY = "dojang 금융인증서 개인";
  var CODE = {
    params: -10600050, noFrame: -10600051, cancelled: -10600052, busy: -10600053,
    popupBlocked: -10600054,
  };
  var WORDS = {
    ko: {
      params: "필수 항목이 없거나 형식이 틀렸습니다: ",
      noFrame: "도장 인증 화면을 열지 못했습니다. 공개 키와 이 사이트의 주소(origin)가 등록되었는지 확인하세요.",
      cancelled: "사용자가 취소했습니다.",
      busy: "이미 진행 중인 요청이 있습니다.",
      popupBlocked: "팝업이 차단되었습니다. 팝업을 허용하거나 iframe 방식을 쓰세요.",
    },
    en: {
      params: "Missing or malformed parameters: ",
      noFrame: "Could not open dojang's screen. Check that the publishable key and this site's origin are registered.",
      cancelled: "Cancelled by the person.",
      busy: "Another call is still running.",
      popupBlocked: "The popup was blocked. Allow popups or use the iframe mode.",
    },
  };

  // Where this script came from: the default dojang server.
  var here = document.currentScript && document.currentScript.src;
  var scriptOrigin = null;
  try { scriptOrigin = here ? new URL(here).origin : null; } catch (e) { scriptOrigin = null; }

  var options = null;
  var running = false;

  function lang() { return options && options.lang === "en" ? "en" : "ko"; }
  function error(code, key, extra) {
    var e = { code: code, message: WORDS[lang()][key] + (extra || "") };
    return e;
  }
  function blank(v) { return v === undefined || v === null || String(v).trim() === ""; }
  function digits(v) { return String(v === undefined || v === null ? "" : v).replace(/[\s-]/g, ""); }

  function serverOrigin(o) {
    if (!blank(o.server)) {
      try {
        var u = new URL(String(o.server));
        if (u.protocol === "https:" || u.protocol === "http:") { return u.origin; }
      } catch (e) { return null; }
      return null;
    }
    return scriptOrigin;
  }

  // Every problem of init()'s options, by field name.
  function checkInit(o) {
    var bad = [];
    if (blank(o.publishableKey) || !PK.test(String(o.publishableKey))) { bad.push("publishableKey"); }
    if (!serverOrigin(o)) { bad.push("server"); }
    if (!blank(o.lang) && o.lang !== "ko" && o.lang !== "en") { bad.push("lang"); }
    if (!blank(o.mode) && o.mode !== "iframe" && o.mode !== "popup") { bad.push("mode"); }
    if (!blank(o.cssPath)) {
      try {
        var c = new URL(String(o.cssPath), global.location.href);
        if (c.protocol !== "https:" && c.protocol !== "http:") { bad.push("cssPath"); }
      } catch (e) { bad.push("cssPath"); }
    }
    var p = o.person;
    if (p !== undefined && p !== null) {
      if (!blank(p.phone) && !/^01[0-9]{8,9}$/.test(digits(p.phone))) { bad.push("person.phone"); }
      if (!blank(p.birth) && !/^[0-9]{8}$/.test(digits(p.birth))) { bad.push("person.birth"); }
    }
    return bad;
  }

  // Every problem of one call's parameters (and what that call needs from init()).
  function checkCall(op, p, o) {
    var bad = [];
    var person = o.person || {};
    if (op === "issue") {
      var method = blank(p.method) ? "desk" : p.method;
      if (method !== "desk" && method !== "sms" && method !== "bank" && method !== "alt") { bad.push("method"); }
      if (method === "desk") {
        ["name", "phone", "birth"].forEach(function (k) {
          if (blank(person[k]) && bad.indexOf("person." + k) < 0) { bad.push("person." + k); }
        });
        if (!/^[0-9]{10}$/.test(digits(p.referenceNumber))) { bad.push("referenceNumber"); }
        if (!/^[0-9]{16}$/.test(digits(p.authCode))) { bad.push("authCode"); }
      }
      if (method === "alt") {
        var alt = o.altAuth || {};
        if (blank(alt.txId)) { bad.push("altAuth.txId"); }
        if (blank(alt.permissionCode)) { bad.push("altAuth.permissionCode"); }
      }
      if (!blank(p.policy) && p.policy !== POLICY) { bad.push("policy"); }
    } else if (op === "sign") {
      if (["identity", "sign", "multi-sign"].indexOf(p.kind) < 0) { bad.push("kind"); }
      if (blank(p.title)) { bad.push("title"); }
      var docs = p.documents;
      if (!Array.isArray(docs) || docs.length < 1 || docs.length > 20) {
        bad.push("documents");
      } else {
        docs.forEach(function (d, i) {
          // {text} or {hash} (optionally with title), or the native {token, tokenType}.
          var given = ["text", "hash", "token"].filter(function (k) {
            return d && typeof d[k] === "string" && d[k] !== "";
          });
          if (given.length !== 1) { bad.push("documents[" + i + "]"); }
        });
      }
    } else if (op === "answer") {
      if (!/^[0-9]{32}$/.test(String(p.receiptId || ""))) { bad.push("receiptId"); }
    }
    return bad;
  }

  // What the frame is told (never the URL): the person, codes, documents and the switches.
  function forFrame(o) {
    var out = {
      publishableKey: o.publishableKey,
      completionPage: o.completionPage !== false,
      simpleAuthToken: o.simpleAuthToken === true,
    };
    if (o.person) {
      out.person = {
        name: blank(o.person.name) ? "" : String(o.person.name).trim(),
        phone: digits(o.person.phone),
        birth: digits(o.person.birth),
      };
    }
    if (o.altAuth) { out.altAuth = { txId: String(o.altAuth.txId || ""), permissionCode: String(o.altAuth.permissionCode || "") }; }
    return out;
  }

  function randomId() {
    var a = new Uint8Array(16);
    global.crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  // Open the frame (or popup) for one call; resolves with its result, rejects with {code, message}.
  function open(op, params) {
    return new Promise(function (resolve, reject) {
      var o = options || {};
      var p = params || {};
      var bad = checkInit(o).concat(checkCall(op, p, o));
      if (bad.length) {
        var e = error(CODE.params, "params", bad.join(", "));
        e.fields = bad;
        reject(e);
        return;
      }
      if (running) { reject(error(CODE.busy, "busy")); return; }
      running = true;

      var origin = serverOrigin(o);
      var url = new URL("/cloud/frame", origin);
      url.searchParams.set("pk", o.publishableKey);
      url.searchParams.set("lang", lang());
      if (!blank(o.cssPath)) { url.searchParams.set("css", new URL(String(o.cssPath), global.location.href).href); }
      var id = randomId();
      var popup = o.mode === "popup";
      var win = null, frame = null, overlay = null, timer = null, poll = null, opened = false;
      var before = document.activeElement;

      var inerted = [];
      function finish(ok, value) {
        inerted.forEach(function (el) { el.inert = false; });
        global.removeEventListener("message", onMessage);
        clearTimeout(timer);
        clearInterval(poll);
        if (overlay && overlay.parentNode) { overlay.parentNode.removeChild(overlay); }
        if (popup && win && !win.closed) { try { win.close(); } catch (e) { /* gone */ } }
        running = false;
        if (before && before.focus) { try { before.focus(); } catch (e) { /* gone */ } }
        if (ok) { resolve(value); } else { reject(value); }
      }

      function onMessage(ev) {
        // Only dojang's origin, and only the window this call opened.
        if (ev.origin !== origin || !win || ev.source !== win) { return; }
        var d = ev.data;
        if (!d || d.dojang !== 1) { return; }
        if (d.type === "ready") {
          if (opened) { return; }
          opened = true;
          clearTimeout(timer);
          win.postMessage({ dojang: 1, type: "open", id: id, op: op, init: forFrame(o), params: p }, origin);
          return;
        }
        if (d.id !== id) { return; }
        if (d.type === "result") {
          finish(true, d.result || {});
        } else if (d.type === "error") {
          var err = d.error || {};
          finish(false, { code: Number(err.code) || CODE.cancelled, message: String(err.message || "") });
        }
      }
      global.addEventListener("message", onMessage);

      if (popup) {
        win = global.open(url.href, "dojang-cloud-" + id, "popup,width=480,height=760");
        if (!win) { finish(false, error(CODE.popupBlocked, "popupBlocked")); return; }
        poll = setInterval(function () {
          if (win.closed) { finish(false, error(CODE.cancelled, "cancelled")); }
        }, 400);
      } else {
        overlay = document.createElement("div");
        overlay.setAttribute("data-dojang", "overlay");
        var s = overlay.style;
        s.position = "fixed"; s.top = "0"; s.left = "0"; s.right = "0"; s.bottom = "0";
        s.zIndex = "2147483647"; s.background = "rgba(20,20,26,.55)";
        s.display = "flex"; s.alignItems = "center"; s.justifyContent = "center";
        frame = document.createElement("iframe");
        frame.src = url.href;
        frame.title = lang() === "en" ? "dojang cloud certificate" : "도장 금융인증서";
        frame.setAttribute("data-dojang", "frame");
        var f = frame.style;
        f.border = "0"; f.width = "100%"; f.height = "100%"; f.maxWidth = "30rem"; f.maxHeight = "48rem";
        f.background = "#fff"; f.borderRadius = "10px"; f.colorScheme = "normal";
        overlay.appendChild(frame);
        // A modal: the page behind cannot be reached by Tab or a screen reader meanwhile.
        Array.prototype.forEach.call(document.body.children, function (el) {
          if (!el.inert && el.tagName !== "SCRIPT") { el.inert = true; inerted.push(el); }
        });
        document.body.appendChild(overlay);
        win = frame.contentWindow;
        frame.focus();
      }
      var wait = Number(o.timeout) > 0 ? Number(o.timeout) : 15000;
      timer = setTimeout(function () { finish(false, error(CODE.noFrame, "noFrame")); }, wait);
    });
  }

  global.Dojang = Object.freeze({
    version: VERSION,
    /** Remember the options every later call uses. Checked at each call. */
    init: function (o) {
      options = o && typeof o === "object" ? Object.assign({}, o) : {};
      return true;
    },
    /** Issue a certificate (desk | sms | alt). → {code?} (the simple-auth token's code). */
    issue: function (p) { return open("issue", p); },
    /** Sign (identity | sign | multi-sign). → {code} for the relying party's server. */
    sign: function (p) { return open("sign", p); },
    /** Answer a request the relying party's server created. → {state}. */
    answer: function (receiptId) { return open("answer", { receiptId: receiptId }); },
    /** The person's certificate: browsers, PIN, renewal, revocation, history. → {}. */
    manage: function () { return open("manage", {}); },
  });
})(window);
