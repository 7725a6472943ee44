// Keeps the capture page usable without a network: the page shell is cached, API calls are not.
// The shell includes the scripts' translations (/jsi18n/, in the language the rep last loaded online),
// so an offline rep reads the page and its messages in their own language.
const CACHE = "shelfai-shell-v3";
const SHELL = ["/rep/", "/jsi18n/", "/static/css/app.css", "/static/css/rep.css", "/static/js/capture.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  if (!SHELL.includes(url.pathname)) return;
  // Network first, so a signed-in page is always fresh; the cache only answers when offline.
  event.respondWith(
    fetch(event.request).then((res) => {
      const copy = res.clone();
      caches.open(CACHE).then((c) => c.put(event.request, copy));
      return res;
    }).catch(() => caches.match(event.request))
  );
});
