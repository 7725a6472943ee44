// The rep's capture flow. Photos are written to IndexedDB first and sent from there, so a
// flaky store network or a page reload never loses one; the client upload id made at capture
// time makes every retry idempotent on the server.
(() => {
  "use strict";
  // The translations come from /jsi18n/ (loaded by base.html, cached by sw.js for offline use). Should it
  // be missing (an old cache), the page still works in English rather than not at all.
  const gettext = window.gettext || ((s) => s);
  const ngettext = window.ngettext || ((one, many, n) => (n === 1 ? one : many));
  const interpolate = window.interpolate || ((fmt, obj) => fmt.replace(/%\((\w+)\)s/g, (m, k) => String(obj[k])));
  const fmt = (text, values) => interpolate(text, values, true);
  const percent = (fraction) => `${Math.round(fraction * 100)} %`;
  const app = document.getElementById("app");
  const csrf = app.dataset.csrf;
  const $ = (id) => document.getElementById(id);
  const DB_NAME = "shelfai", STORE = "uploads";
  const TERMINAL = new Set(["done", "retake", "failed"]);
  let db, sending = false, backoff = 1000, position = null;
  let pendingTask = null; // the checklist task the camera was opened for
  let visit = JSON.parse(localStorage.getItem("shelfai.visit") || "null");

  const uuid = () => (crypto.randomUUID ? crypto.randomUUID()
    : "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, (c) => {
        const r = (Math.random() * 16) | 0; return (c === "x" ? r : (r & 3) | 8).toString(16); }));

  // --- IndexedDB -------------------------------------------------------------------------------
  function openDb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  function tx(mode, fn) {
    return new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const result = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      t.onerror = () => reject(t.error);
    });
  }
  const putItem = (item) => tx("readwrite", (s) => s.put(item));
  const allItems = () => tx("readonly", (s) => s.getAll());

  // --- Network ---------------------------------------------------------------------------------
  async function api(method, url, body) {
    const res = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/json", Accept: "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) { const e = new Error(data.detail || res.statusText); e.status = res.status; throw e; }
    return data;
  }
  function showNet() {
    const note = $("net");
    note.hidden = navigator.onLine;
    note.textContent = gettext("Offline: photos are kept on this phone and will send when the network is back.");
  }

  // --- Stores and check-in ---------------------------------------------------------------------
  function locate() {
    return new Promise((resolve) => {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        (p) => resolve(p.coords), () => resolve(null), { timeout: 6000, maximumAge: 60000 });
    });
  }
  // Today's stores follow the assignment's weekdays; a rep sent to a store off schedule opens every
  // assigned store with the switch below the list (the server allows that visit).
  let allStores = false;
  async function loadStores() {
    position = await locate();
    const params = new URLSearchParams();
    if (position) { params.set("lat", position.latitude); params.set("lon", position.longitude); }
    if (allStores) params.set("all", "1");
    const q = params.toString() ? "?" + params.toString() : "";
    $("stores-h").textContent = allStores ? gettext("All my stores") : gettext("Today's stores");
    $("all-stores").textContent = allStores ? gettext("Only today's stores") : gettext("Show all my stores");
    $("geo-note").textContent = position ? gettext("Nearest first.") : gettext("Location is off: stores in name order.");
    let stores = [];
    const cacheKey = allStores ? "shelfai.stores.all" : "shelfai.stores";
    try { stores = await api("GET", "/api/stores/" + q); localStorage.setItem(cacheKey, JSON.stringify(stores)); }
    catch (e) { stores = JSON.parse(localStorage.getItem(cacheKey) || "[]"); }
    const list = $("stores");
    list.replaceChildren();
    if (!stores.length) {
      const none = document.createElement("li");
      none.className = "muted";
      none.textContent = allStores ? gettext("No stores are assigned to you.")
        : gettext("No stores are assigned to you today.");
      list.append(none);
    }
    for (const s of stores) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.store = s.code;
      const dist = s.distance_m == null ? "" : distanceText(s.distance_m);
      b.innerHTML = `<strong></strong><span class="dist"></span><br><span class="muted small"></span>`;
      b.querySelector("strong").textContent = s.name;
      b.querySelector(".dist").textContent = dist;
      b.querySelector(".small").textContent = `${s.retailer} · ${s.address}`;
      b.addEventListener("click", () => checkIn(s));
      li.append(b); list.append(li);
    }
  }
  let checkingIn = false;
  async function checkIn(store) {
    // A double tap on a store sends one check-in; the server resumes today's open visit anyway.
    if (checkingIn) return;
    checkingIn = true;
    document.querySelectorAll("#stores button").forEach((b) => { b.disabled = true; });
    try { await checkInOnce(store); } finally {
      checkingIn = false;
      document.querySelectorAll("#stores button").forEach((b) => { b.disabled = false; });
    }
  }
  async function checkInOnce(store) {
    const clientVisitId = uuid();
    const body = { store: store.code, client_visit_id: clientVisitId };
    if (position) Object.assign(body, { latitude: position.latitude, longitude: position.longitude, accuracy_m: position.accuracy });
    try {
      const v = await api("POST", "/api/visits/", body);
      visit = { id: v.id, store: store.code, name: store.name, distance: v.checkin_distance_m,
        warning: v.location_warning || "", tasks: v.tasks || [], checklist: v.checklist || {}, started: v.started_at };
    } catch (e) {
      if (e.status) { alert(e.message); return; }
      // Offline: open the visit locally; it is created on the server before its first photo.
      visit = { id: null, pending: body, store: store.code, name: store.name };
    }
    localStorage.setItem("shelfai.visit", JSON.stringify(visit));
    $("stores-note").hidden = true;
    showVisit();
    loadServerPhotos();
  }
  function distanceText(m) {
    return m < 1000 ? fmt(gettext("%(metres)s m"), { metres: Math.round(m) })
      : fmt(gettext("%(km)s km"), { km: (m / 1000).toFixed(1) });
  }
  function showVisit() {
    $("stores-view").hidden = !!visit;
    $("visit-view").hidden = !visit;
    if (!visit) return;
    $("visit-h").textContent = visit.name;
    $("visit-meta").textContent = visit.distance != null
      ? fmt(gettext("Checked in %(distance)s from the store."), { distance: distanceText(visit.distance) })
      : gettext("Checked in.");
    $("visit-warning").textContent = visit.warning || "";
    $("visit-warning").hidden = !visit.warning;
    $("visit-resumed").hidden = true;
    renderTasks();
    render();
  }

  // --- The checklist: what to photograph here today ----------------------------------------------
  function renderTasks() {
    const tasks = visit.tasks || [], list = $("tasks"), note = $("checklist-note");
    const c = visit.checklist || {};
    $("checklist-count").textContent = c.total ? `· ${c.text}` : "";
    note.textContent = !visit.id ? gettext("The checklist appears when the visit reaches the server; photos taken now are matched to the shelf they show.")
      : (c.note || "");
    note.hidden = !note.textContent;
    list.replaceChildren(...tasks.map((t) => {
      const li = document.createElement("li");
      const state = t.done ? "done" : (t.retake_needed ? "retake" : "todo");
      li.className = `task ${state}`; li.dataset.task = t.id;
      li.innerHTML = `<span class="tick" aria-hidden="true"></span><div><strong></strong><p class="small muted"></p>
        <span class="state"></span></div><button type="button"></button>`;
      li.querySelector(".tick").textContent = t.done ? "✓" : (t.retake_needed ? "!" : "");
      li.querySelector("strong").textContent = t.title;
      li.querySelector("p").textContent = t.instructions;
      const n = (t.photos || []).length;
      li.querySelector(".state").textContent = t.done ? fmt(ngettext("Photographed (%(n)s photo)", "Photographed (%(n)s photos)", n), { n })
        : (t.retake_needed ? gettext("Retake needed: see the photo below") : gettext("Not photographed yet"));
      const b = li.querySelector("button");
      b.className = t.done ? "" : "primary";
      b.textContent = t.done ? gettext("Add a photo") : gettext("Photograph");
      b.setAttribute("aria-label", fmt(gettext("%(action)s: %(task)s"), { action: b.textContent, task: t.title }));
      b.addEventListener("click", () => { pendingTask = { id: t.id, title: t.title }; $("camera").click(); });
      if (t.kind === "display" && t.placement) {
        // A paid display is what a rep claims for: its claim form is one tap from its task.
        const claim = document.createElement("a");
        claim.href = `/rep/claims/new/${t.placement}/`; claim.className = "small claim-link";
        claim.textContent = gettext("Claim this display");
        li.querySelector("div").append(claim);
      }
      return li;
    }));
  }
  async function refreshVisit() {
    if (!visit || !visit.id) return;
    try {
      const v = await api("GET", `/api/visits/${visit.id}/`);
      if (v.status === "closed" && !(await unsent()).length) { leaveVisit(gettext("This visit was ended.")); return; }
      const same = JSON.stringify([visit.tasks, visit.checklist]) === JSON.stringify([v.tasks || [], v.checklist || {}]);
      Object.assign(visit, { tasks: v.tasks || [], checklist: v.checklist || {} });
      localStorage.setItem("shelfai.visit", JSON.stringify(visit));
      if (!same) renderTasks(); // unchanged: leave the list alone (no flicker, focus stays)
    } catch (e) { /* offline: the last known checklist stays */ }
  }

  // --- The visit lives on the server: today's photos from any phone, ending it ------------------
  const ofVisit = (item) => !!visit && (item.visit.id ? item.visit.id === visit.id
    : !!(visit.pending && item.visit.pending && item.visit.pending.client_visit_id === visit.pending.client_visit_id));
  const unsent = async () => (await allItems()).filter((i) => ofVisit(i) && (i.state === "waiting" || i.state === "uploading"));
  async function loadServerPhotos() {
    // Photos of this visit sent from another phone or browser (or before this one's storage was
    // cleared) are kept here like our own, so they show with their results and are polled alike.
    if (!visit || !visit.id) return;
    let photos;
    try { photos = await api("GET", `/api/visits/${visit.id}/photos/`); } catch (e) { return; }
    const known = new Set((await allItems()).map((i) => i.id));
    const fresh = photos.filter((p) => !known.has(p.client_upload_id));
    for (const p of fresh) {
      await putItem({ id: p.client_upload_id, visitKey: visit.store, visit: { id: visit.id }, blob: null, type: "",
        task: p.task ? p.task.id : null, taskTitle: p.task ? p.task.title : "", state: "sent", photo: p,
        progress: 1, created: Date.parse(p.uploaded_at) || Date.now() });
    }
    if (fresh.length) {
      const lang = document.documentElement.lang || undefined;
      const since = visit.started ? new Date(visit.started).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" }) : "";
      const note = $("visit-resumed"), n = fresh.length;
      note.textContent = since
        ? fmt(ngettext("Resumed your visit from %(since)s: %(n)s earlier photo below.",
          "Resumed your visit from %(since)s: %(n)s earlier photos below.", n), { since, n })
        : fmt(ngettext("Resumed your visit: %(n)s earlier photo below.", "Resumed your visit: %(n)s earlier photos below.", n), { n });
      note.hidden = false;
      render();
    }
  }
  function leaveVisit(message) {
    visit = null; localStorage.removeItem("shelfai.visit");
    $("stores-note").textContent = message || ""; $("stores-note").hidden = !message;
    showVisit(); loadStores();
  }
  async function endVisit() {
    if (!visit) return;
    const left = (await unsent()).length;
    if (left && !confirm(fmt(ngettext(
      "%(n)s photo is still waiting to send. It stays on this phone and sends later. End the visit?",
      "%(n)s photos are still waiting to send. They stay on this phone and send later. End the visit?", left), { n: left }))) return;
    if (!visit.id) { leaveVisit(gettext("Visit ended.")); return; } // never reached the server: nothing to end there
    const button = $("end-visit");
    button.disabled = true;
    try {
      await api("POST", `/api/visits/${visit.id}/end/`);
      leaveVisit(fmt(gettext("Visit at %(store)s ended."), { store: visit.name }));
    } catch (e) {
      if (e.status === 409) leaveVisit(e.message);
      else alert(e.status ? e.message : gettext("No network: the visit could not be ended. Try again when you are online."));
    } finally { button.disabled = false; }
  }

  // --- Capture and upload ----------------------------------------------------------------------
  async function addFiles(files, task) {
    for (const file of files) {
      await putItem({ id: uuid(), visitKey: visit.store, visit: { id: visit.id, pending: visit.pending },
        blob: file, type: file.type, task: task ? task.id : null, taskTitle: task ? task.title : "",
        state: "waiting", progress: 0, created: Date.now() });
    }
    render(); pump();
  }
  async function ensureVisit(item) {
    if (item.visit.id) return item.visit.id;
    const v = await api("POST", "/api/visits/", item.visit.pending);
    item.visit.id = v.id;
    if (visit && visit.pending && visit.pending.client_visit_id === item.visit.pending.client_visit_id) {
      Object.assign(visit, { id: v.id, tasks: v.tasks || [], checklist: v.checklist || {},
        warning: v.location_warning || "", distance: v.checkin_distance_m });
      localStorage.setItem("shelfai.visit", JSON.stringify(visit));
      showVisit();
    }
    return v.id;
  }
  function send(item, visitId) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      form.append("photos", item.blob, "photo");
      form.append("client_upload_ids", item.id);
      if (item.task) form.append("task", item.task);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `/api/visits/${visitId}/photos/`);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) { item.progress = ev.loaded / ev.total; paint(item); } };
      xhr.onload = () => {
        let data = {}; try { data = JSON.parse(xhr.responseText); } catch (e) { /* keep {} */ }
        if (xhr.status === 202) resolve(data[0]);
        else { const e = new Error(data.detail || fmt(gettext("The server answered %(status)s."), { status: xhr.status })); e.status = xhr.status; reject(e); }
      };
      xhr.onerror = () => reject(new Error("network")); // i18n: not shown (no status: the photo waits)
      xhr.send(form);
    });
  }
  async function pump() {
    if (sending) return;
    sending = true;
    try {
      for (const item of await allItems()) {
        if (item.state !== "waiting" && item.state !== "uploading") continue;
        item.state = "uploading"; paint(item);
        try {
          const visitId = await ensureVisit(item);
          const photo = await send(item, visitId);
          Object.assign(item, { state: "sent", photo, blob: null, progress: 1 });
          backoff = 1000;
          refreshVisit();
        } catch (e) {
          if (e.status === 404 && item.task) {
            // The task is gone from the checklist: keep the photo, send it to be matched to its shelf.
            Object.assign(item, { task: null, taskTitle: "", state: "waiting" });
            await putItem(item); paint(item); continue;
          }
          if (e.status && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429) {
            Object.assign(item, { state: "rejected", error: e.message }); // the server said no: retrying won't help
          } else {
            item.state = "waiting"; await putItem(item); paint(item);
            setTimeout(pump, backoff); backoff = Math.min(backoff * 2, 30000);
            break;
          }
        }
        await putItem(item); paint(item);
      }
    } finally { sending = false; }
  }
  async function poll() {
    let changed = false;
    for (const item of await allItems()) {
      if (item.state !== "sent" || TERMINAL.has(item.photo.status)) continue;
      try {
        const before = item.photo.status;
        item.photo = await api("GET", `/api/photos/${item.photo.id}/`); await putItem(item); paint(item);
        changed = changed || item.photo.status !== before;
      } catch (e) { /* offline: try again next tick */ }
    }
    if (changed) refreshVisit();
  }

  // --- Rendering -------------------------------------------------------------------------------
  const urls = new Map();
  function paint(item) {
    let li = document.getElementById("p-" + item.id);
    if (!li) {
      li = document.createElement("li");
      li.id = "p-" + item.id; li.className = "photo";
      li.innerHTML = `<button type="button" class="thumb"><img></button><div><span class="task-name"></span><span class="badge"></span> <span class="score"></span>
        <progress max="1" value="0"></progress><p class="msg small"></p><ul class="fixes small"></ul></div>`;
      li.querySelector(".thumb").setAttribute("aria-label", gettext("Open the photo with its boxes"));
      li.querySelector("img").alt = gettext("Shelf photo");
      $("photos").prepend(li);
      li.querySelector(".thumb").addEventListener("click", () => openViewer(li.id.slice(2)));
    }
    const img = li.querySelector("img");
    if (item.blob && !urls.has(item.id)) { urls.set(item.id, URL.createObjectURL(item.blob)); }
    if (urls.has(item.id)) img.src = urls.get(item.id);
    else if (item.photo && item.photo.evidence_url) img.src = item.photo.evidence_url;
    else if (item.photo) img.src = item.photo.original_url;
    const status = item.state === "sent" ? item.photo.status : item.state;
    const bound = item.photo && item.photo.task;
    const taskName = bound && bound.title ? bound.title : item.taskTitle;
    let taskText = "";
    if (taskName) {
      taskText = bound && bound.matched_by === "best_match"
        ? fmt(gettext("%(task)s (matched by what it shows)"), { task: taskName }) : taskName;
      if (bound && bound.retake) taskText = fmt(gettext("%(task)s · retake"), { task: taskText });
    } else if (item.state === "sent" && bound && bound.matched_by === "none") taskText = gettext("Not matched to any shelf");
    li.querySelector(".task-name").textContent = taskText;
    const labels = { waiting: gettext("Waiting for network"), uploading: gettext("Uploading"), rejected: gettext("Not accepted"),
      queued: gettext("Queued"), processing: gettext("Analysing"), analyzed: gettext("Scoring"), scoring: gettext("Scoring"),
      done: gettext("Done"), retake: gettext("Retake"), failed: gettext("Failed") };
    const badge = li.querySelector(".badge");
    badge.className = "badge " + status; badge.textContent = labels[status] || status;
    li.dataset.status = status;
    const prog = li.querySelector("progress");
    prog.hidden = !(item.state === "uploading" || item.state === "waiting");
    prog.value = item.progress || 0;
    const result = item.photo && item.photo.result;
    // A score is never shown without how sure it is: its confidence and how many packs were named.
    let scoreText = "";
    if (result && result.score != null) {
      const values = { score: Math.round(result.score), confidence: percent(result.confidence) };
      scoreText = result.recognised
        ? fmt(gettext("%(score)s/100 · confidence %(confidence)s · %(named)s of %(total)s recognised"),
          Object.assign(values, { named: result.recognised.named, total: result.recognised.total }))
        : fmt(gettext("%(score)s/100 · confidence %(confidence)s"), values);
    }
    li.querySelector(".score").textContent = scoreText;
    let msg = "";
    if (item.state === "rejected") msg = item.error;
    else if (status === "retake" || status === "failed") msg = item.photo.status_reason;
    else if (result && result.verified === false && status === "done") msg = fmt(gettext("Not verified: %(reason)s"), { reason: result.not_verified_reason });
    else if (result && result.score == null && status === "done") {
      msg = fmt(ngettext("%(n)s product seen; no planogram for this store.", "%(n)s products seen; no planogram for this store.",
        result.facings), { n: result.facings });
    }
    li.querySelector(".msg").textContent = msg;
    renderFixes(li.querySelector(".fixes"), item.id, (result && result.fixes) || []);
  }
  // The first fixes, then "+N more" that shows the rest: the ones past the first few were often the
  // actionable ones ("Shelf 3: empty space for about 6 facings — restock") and were cut without notice.
  const FIRST_FIXES = 3;
  const expanded = new Set();
  function renderFixes(list, id, fixes) {
    const shown = expanded.has(id) ? fixes : fixes.slice(0, FIRST_FIXES);
    const rows = shown.map((t) => { const f = document.createElement("li"); f.textContent = t; return f; });
    if (shown.length < fixes.length) {
      const li = document.createElement("li"), more = document.createElement("button");
      li.className = "more-row"; more.type = "button"; more.className = "more";
      const rest = fixes.length - shown.length;
      more.textContent = fmt(gettext("+%(n)s more"), { n: rest });
      more.setAttribute("aria-label", fmt(ngettext("Show %(n)s more thing to fix", "Show %(n)s more things to fix", rest), { n: rest }));
      more.addEventListener("click", () => { expanded.add(id); renderFixes(list, id, fixes); });
      li.append(more); rows.push(li);
    }
    list.replaceChildren(...rows);
  }
  // Tapping a thumbnail opens the photo large: the evidence image with its boxes once analysed.
  async function openViewer(id) {
    const item = (await allItems()).find((i) => i.id === id);
    if (!item) return;
    const img = $("viewer-img"), photo = item.photo, result = photo && photo.result;
    const boxed = !!(photo && photo.evidence_url);
    img.src = boxed ? photo.evidence_url : (urls.get(id) || (photo ? photo.original_url : ""));
    img.alt = boxed ? gettext("The photo with a box around each product found") : gettext("The photo as taken");
    $("viewer-h").textContent = item.taskTitle || (photo && photo.task && photo.task.title) || gettext("Photo");
    const parts = [];
    if (result && result.score != null) {
      parts.push(fmt(gettext("%(score)s/100 · confidence %(confidence)s"),
        { score: Math.round(result.score), confidence: percent(result.confidence) }));
    }
    if (result) parts.push(fmt(ngettext("%(n)s product boxed", "%(n)s products boxed", result.facings), { n: result.facings }));
    parts.push(boxed ? gettext("Boxes: what ShelfAI found on the shelf.") : gettext("Boxes appear once the photo is analysed."));
    $("viewer-caption").textContent = parts.join(" · ");
    const dialog = $("viewer");
    if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
  }
  async function render() {
    $("photos").replaceChildren();
    const items = (await allItems()).filter(ofVisit).sort((a, b) => a.created - b.created);
    items.forEach(paint);
  }

  // --- Wiring ----------------------------------------------------------------------------------
  async function main() {
    db = await openDb();
    showNet();
    window.addEventListener("online", () => { showNet(); backoff = 1000; pump(); });
    window.addEventListener("offline", showNet);
    $("camera").addEventListener("change", (ev) => {
      addFiles([...ev.target.files], pendingTask); pendingTask = null; ev.target.value = ""; });
    $("library").addEventListener("change", (ev) => { addFiles([...ev.target.files], null); ev.target.value = ""; });
    $("other-camera").addEventListener("click", () => { pendingTask = null; });
    // Back to the store list leaves the visit open on the server: a tap on the store resumes it.
    $("back").addEventListener("click", () => leaveVisit(""));
    $("end-visit").addEventListener("click", endVisit);
    $("all-stores").addEventListener("click", () => { allStores = !allStores; loadStores(); });
    $("viewer-close").addEventListener("click", () => $("viewer").close ? $("viewer").close() : $("viewer").removeAttribute("open"));
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
    if (visit) { showVisit(); refreshVisit(); loadServerPhotos(); } else loadStores();
    pump();
    setInterval(poll, 2000);
    setInterval(() => { if (navigator.onLine) pump(); }, 15000);
  }
  main();
})();
