// The rep's claim form: a double tap submits once. The server makes that true anyway (the form's
// signed reference lands a second post on the first claim); this only stops the second request.
(() => {
  "use strict";
  const form = document.getElementById("claim-form");
  if (!form) return;
  form.addEventListener("submit", (ev) => {
    const button = form.querySelector("button[type=submit]");
    if (form.dataset.sent) { ev.preventDefault(); return; }
    form.dataset.sent = "1";
    button.disabled = true;
    button.textContent = gettext("Sending…");
  });
})();
