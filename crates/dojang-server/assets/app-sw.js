// dojang app's service worker, served at /app/sw.js with scope /app (docs/app.md).
//
// * Offline shell: the page, its scripts, the stylesheet, the icon and the manifest are cached
//   at install. The page is fetched network-first (a new release or language shows at once)
//   and falls back to the cached copy offline; the versioned assets are cache-first. API calls
//   (/device/v1/*) are never cached or intercepted.
// * Web Push: a push is only a wake-up ({type: "request", receiptId, title, expiresAt}, no
//   personal data); the notification opens or focuses /app#receipt=<id>, and the app fetches
//   the card over the device API.
// * pushsubscriptionchange: subscribe again and post the new subscription with the credential
//   kept in IndexedDB.
"use strict";
var ASSETS = "__ASSETS__";
var CACHE = "dojang-app-" + ASSETS;
var SHELL = ["/app", ASSETS + "/app.js", ASSETS + "/der.js", ASSETS + "/dojang.css",
  ASSETS + "/icon.svg", "/app/manifest.webmanifest"];
var BODY = {
  ko: "눌러서 요청을 확인하세요.",
  en: "Tap to see the request.",
};

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("dojang-app-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") { return; }
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname === "/app" && req.mode === "navigate") {
    event.respondWith(fetch(req).then(function (res) {
      if (res.ok) {
        var copy = res.clone();
        caches.open(CACHE).then(function (c) { return c.put("/app", copy); });
      }
      return res;
    }).catch(function () {
      return caches.match("/app", { ignoreSearch: true }).then(function (r) { return r || Response.error(); });
    }));
    return;
  }
  if (url.pathname.indexOf(ASSETS + "/") === 0 || url.pathname === "/app/manifest.webmanifest") {
    event.respondWith(caches.match(req, { ignoreSearch: true }).then(function (r) { return r || fetch(req); }));
  }
});

// The language the page last showed (kept by the page in IndexedDB).
function lang() {
  return new Promise(function (resolve) {
    var open = indexedDB.open("dojang-app", 1);
    open.onupgradeneeded = function () { open.result.createObjectStore("state"); };
    open.onerror = function () { resolve("ko"); };
    open.onsuccess = function () {
      var d = open.result;
      try {
        var get = d.transaction("state", "readonly").objectStore("state").get("lang");
        get.onsuccess = function () { d.close(); resolve(get.result === "en" ? "en" : "ko"); };
        get.onerror = function () { d.close(); resolve("ko"); };
      } catch (e) { d.close(); resolve("ko"); }
    };
  });
}

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  if (data.type !== "request" || typeof data.receiptId !== "string") { return; }
  var id = data.receiptId.slice(0, 64);
  event.waitUntil(lang().then(function (l) {
    return self.registration.showNotification(String(data.title || "도장").slice(0, 120), {
      body: BODY[l],
      tag: "dojang-" + id,
      renotify: true,
      requireInteraction: true,
      icon: ASSETS + "/icon.svg",
      data: { receiptId: id },
    });
  }));
});

// Where a notification's click goes: the /app window already open (told which card, then
// focused), else a new window on /app#receipt=<id>. A function of the window list, so the
// choice is testable apart from the click (docs/app.md, "The service worker").
function clickTarget(list, id) {
  for (var i = 0; i < list.length; i++) {
    var c = list[i];
    if (new URL(c.url).pathname === "/app" && "focus" in c) { return { client: c }; }
  }
  return { url: "/app#receipt=" + encodeURIComponent(id) };
}

function openFromNotification(notification) {
  notification.close();
  var id = (notification.data && notification.data.receiptId) || "";
  return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    var t = clickTarget(list, id);
    if (t.client) {
      // The message first: the card opens even where focusing is refused.
      t.client.postMessage({ type: "open", receiptId: id });
      return t.client.focus();
    }
    return self.clients.openWindow(t.url);
  });
}

self.addEventListener("notificationclick", function (event) {
  event.waitUntil(openFromNotification(event.notification));
});

// One value of the page's IndexedDB (the same database: "device" for an enrolled phone,
// "guest" for one logged in without a certificate).
function stored(key) {
  return new Promise(function (resolve) {
    var open = indexedDB.open("dojang-app", 1);
    open.onupgradeneeded = function () { open.result.createObjectStore("state"); };
    open.onerror = function () { resolve(null); };
    open.onsuccess = function () {
      var d = open.result;
      try {
        var get = d.transaction("state", "readonly").objectStore("state").get(key);
        get.onsuccess = function () { d.close(); resolve(get.result || null); };
        get.onerror = function () { d.close(); resolve(null); };
      } catch (e) { d.close(); resolve(null); }
    };
  });
}

function unb64url(text) {
  var s = atob(String(text).replace(/-/g, "+").replace(/_/g, "/"));
  var b = new Uint8Array(s.length);
  for (var i = 0; i < s.length; i++) { b[i] = s.charCodeAt(i); }
  return b;
}

// The push service replaced (or expired) the subscription: subscribe again with the same VAPID
// key (the old subscription's, else the server's) and tell the server, with the device
// credential the page keeps. Without a device (or a credential the server refuses) nothing is
// sent; the page subscribes again when it next opens.
function resubscribe(event) {
  return Promise.all([stored("device"), stored("guest")]).then(function (found) {
    var dev = found[0] || found[1];
    if (!dev || typeof dev.deviceToken !== "string") { return null; }
    var old = event.oldSubscription;
    var key = old && old.options && old.options.applicationServerKey;
    var sub = event.newSubscription ? Promise.resolve(event.newSubscription)
      : (key ? Promise.resolve(key) : fetch("/device/v1/push/vapid", { credentials: "omit", cache: "no-store" })
        .then(function (r) { if (!r.ok) { throw new Error("no Web Push"); } return r.json(); })
        .then(function (v) { return unb64url(v.publicKey); }))
        .then(function (k) { return self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: k }); });
    return sub.then(function (s) {
      var j = s.toJSON();
      return fetch("/device/v1/push/subscription", {
        method: "POST", credentials: "omit", cache: "no-store",
        headers: { "content-type": "application/json", accept: "application/json", authorization: "Bearer " + dev.deviceToken },
        body: JSON.stringify({ kind: "webpush", endpoint: j.endpoint, keys: { p256dh: j.keys.p256dh, auth: j.keys.auth } }),
      });
    });
  });
}

self.addEventListener("pushsubscriptionchange", function (event) {
  event.waitUntil(resubscribe(event).catch(function () { /* the page subscribes when opened */ }));
});
