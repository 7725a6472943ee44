// The claims desk: a refused decision comes back scrolled to the decision form (its action ends in
// "#decision", which works without this file). Browsers skip `autofocus` on a page opened at a
// fragment, so here the field to fix gets the focus, once the page has loaded and scrolled, with the
// error summary kept in view above it.
(() => {
  "use strict";
  const summary = document.getElementById("error-summary");
  if (!summary) return;
  const field = document.querySelector(".decision [autofocus]") || summary;
  const show = () => {
    summary.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  };
  if (document.readyState === "complete") show();
  else window.addEventListener("load", show, { once: true });
})();
