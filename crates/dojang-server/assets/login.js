// The hosted login's steps page: a countdown to expiry, the "no notification?" help after ten
// seconds, and the request's state pushed by the server (Server-Sent Events, no polling loop).
// On "signed" the page moves on by itself; on any other end it says why and offers a retry.
// On the last page (the code is issued), go back to the relying party at once; the page's meta
// refresh and its link do the same without JavaScript.
"use strict";
(function () {
  var back = document.getElementById("return-link");
  if (back) { window.location.replace(back.href); return; }
  var box = document.getElementById("login-steps");
  if (!box || !box.dataset.session || !document.getElementById("countdown")) { return; }
  var session = box.dataset.session;
  var left = parseInt(box.dataset.remaining, 10) || 0;
  var countdown = document.getElementById("countdown");
  var status = document.getElementById("status");
  var help = document.getElementById("help");
  var retry = document.getElementById("retry-wrap");
  var cont = document.getElementById("continue");
  var over = false;

  function show(secs) {
    var m = Math.floor(secs / 60), s = secs % 60;
    countdown.textContent = m + ":" + (s < 10 ? "0" : "") + s;
  }
  var timer = setInterval(function () {
    left = Math.max(0, left - 1);
    show(left);
    if (left === 0) { clearInterval(timer); }
  }, 1000);
  setTimeout(function () { if (!over) { help.hidden = false; } }, 10000);

  function end(state) {
    over = true;
    clearInterval(timer);
    help.hidden = true;
    var word = box.dataset["word" + state.charAt(0).toUpperCase() + state.slice(1)];
    status.textContent = word || state;
    if (state === "signed") {
      status.className = "status ok";
      window.location.assign("/login/s/" + session + "/done");
    } else {
      status.className = "status bad";
      status.setAttribute("role", "alert");
      retry.hidden = false;
      if (cont) { cont.hidden = true; }
      document.getElementById("retry").focus();
    }
  }

  var es = new EventSource("/login/s/" + session + "/events");
  es.addEventListener("state", function (e) {
    if (e.data !== "waiting") { es.close(); end(e.data); }
  });
})();
