// dojang cloud certificate integrator test page (/console/cloud): every init() and issue()
// field of seed 000's 금융인증서 test page, run through the real SDK (/sdk/v1/dojang.js)
// against this server, and the parameter-check mode (everything left out). No build step.
"use strict";
(function () {
  var form = document.getElementById("cc-form");
  if (!form || !window.Dojang) { return; }
  function v(id) { return document.getElementById(id).value.trim(); }
  var result = document.getElementById("cc-result");
  var codeBox = document.getElementById("cc-code");

  // init()'s options as the SDK takes them; empty fields are left out, as an integrator would.
  function initOptions() {
    var o = { server: window.location.origin, lang: v("cc-lang"), mode: v("cc-mode"),
      completionPage: v("cc-complete") !== "false", simpleAuthToken: v("cc-simple") === "true" };
    if (v("cc-pk")) { o.publishableKey = v("cc-pk"); }
    if (v("cc-css")) { o.cssPath = v("cc-css"); }
    if (v("cc-tx") || v("cc-perm")) { o.altAuth = { txId: v("cc-tx"), permissionCode: v("cc-perm") }; }
    if (v("cc-name") || v("cc-phone") || v("cc-birth")) {
      o.person = { name: v("cc-name"), phone: v("cc-phone"), birth: v("cc-birth") };
    }
    return o;
  }
  function shown(o) {
    // What the page passed, without nothing secret (there is nothing secret in init()).
    return JSON.stringify(o, null, 2);
  }
  function report(call, args, p) {
    result.textContent = call + "(" + (args === undefined ? "" : shown(args)) + ")\n…";
    codeBox.textContent = "";
    p.then(function (r) {
      result.className = "ok";
      result.textContent = call + " → " + JSON.stringify(r, null, 2);
      if (r && r.code) { codeBox.textContent = r.code; }
    }, function (e) {
      result.className = "bad";
      result.textContent = call + " ✗ " + JSON.stringify(e, null, 2);
    }).then(function () { document.getElementById("cc-result-h").focus(); });
  }
  function showInit(o) {
    codeBox.textContent = "Dojang.init(" + shown(o) + ");";
  }

  document.getElementById("cc-run-issue").addEventListener("click", function () {
    var o = initOptions();
    window.Dojang.init(o);
    var p = { method: v("cc-method"), referenceNumber: v("cc-ref"), authCode: v("cc-auth"), policy: v("cc-policy") };
    showInit(o);
    report("Dojang.issue", p, window.Dojang.issue(p));
  });
  document.getElementById("cc-run-sign").addEventListener("click", function () {
    var o = initOptions();
    window.Dojang.init(o);
    var docs;
    try { docs = JSON.parse(v("cc-docs")); } catch (e) { docs = v("cc-docs"); }
    var p = { kind: v("cc-kind"), title: v("cc-title"), documents: docs };
    report("Dojang.sign", p, window.Dojang.sign(p));
  });
  document.getElementById("cc-run-manage").addEventListener("click", function () {
    var o = initOptions();
    window.Dojang.init(o);
    report("Dojang.manage", undefined, window.Dojang.manage());
  });
  // The seed's parameter check: no JSON object at all, to init() or to issue().
  document.getElementById("cc-run-check").addEventListener("click", function () {
    window.Dojang.init();
    report("Dojang.issue", undefined, window.Dojang.issue());
  });
})();
