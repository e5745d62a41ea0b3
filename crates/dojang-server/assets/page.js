// dojang pages: small helpers every page may use. No framework, no build step.
"use strict";
(function () {
  // Focus the first field that the server marked invalid, so a keyboard user lands on it.
  var bad = document.querySelector("[aria-invalid=true]");
  if (bad) { bad.focus(); }
})();
