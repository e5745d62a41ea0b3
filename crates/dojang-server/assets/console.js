// dojang test console: remembers the credentials in this tab only, and keeps the timeline
// live with server-sent events. No framework, no build step.
"use strict";
(function () {
  var KEYS = ["link_id", "secret_key"];
  var store = null;
  try { store = window.sessionStorage; } catch (e) { store = null; }

  // Credentials: typed once per tab. The server never writes the secret back into a page.
  var form = document.getElementById("call-form");
  var remember = document.getElementById("remember");
  if (form && store) {
    KEYS.forEach(function (k) {
      var input = document.getElementById(k);
      var saved = store.getItem("dojang.console." + k);
      if (input && !input.value && saved) { input.value = saved; }
    });
    form.addEventListener("submit", function () {
      KEYS.forEach(function (k) {
        var input = document.getElementById(k);
        if (!input) { return; }
        if (remember && remember.checked) {
          store.setItem("dojang.console." + k, input.value);
        } else {
          store.removeItem("dojang.console." + k);
        }
      });
    });
  }

  // After a call, take keyboard and screen-reader users to the answer.
  var result = document.getElementById("result-h");
  if (result && !document.querySelector("[aria-invalid=true]")) { result.focus(); }

  // The timeline: one event stream (the server long-polls the status), no polling loop here.
  var card = document.getElementById("timeline-card");
  if (!card || !window.EventSource) { return; }
  var url = card.getAttribute("data-events");
  if (!url) { return; }
  var source = new EventSource(url);
  // As the server renders it (timeline.rs, tone): 1 signed, 2 expired, 3 declined, 4 failed.
  var TONES = { 1: "ok", 2: "warn", 3: "bad", 4: "bad" };
  function set(id, text) {
    var el = document.getElementById(id);
    if (el && text) { el.textContent = text; }
  }
  function step(id, value) {
    var li = document.getElementById("step-" + id);
    if (li && value) { li.setAttribute("data-done", "true"); set("time-" + id, value); }
  }
  source.addEventListener("status", function (ev) {
    var t;
    try { t = JSON.parse(ev.data); } catch (e) { return; }
    var state = document.getElementById("timeline-state");
    if (state) {
      state.setAttribute("data-state", String(t.state));
      state.className = "status" + (TONES[t.state] ? " " + TONES[t.state] : "");
    }
    set("timeline-state-word", card.getAttribute("data-state-" + t.state));
    var reason = document.getElementById("timeline-reason");
    if (reason && t.reason) { reason.hidden = false; set("timeline-reason-text", t.reason); }
    step("requested", t.requested);
    step("viewed", t.viewed);
    step("completed", t.completed);
    step("verified", t.verified);
    set("time-expires", t.expires);
  });
  source.addEventListener("done", function () {
    source.close();
    card.setAttribute("data-stream", "done");
  });
})();
