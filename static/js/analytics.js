// Small helpers for the analytics pages: hide/show the boxes on a photo, light up the boxes of the
// SKU in a hovered or focused table row, and print the campaign report. Pages work without it.
(() => {
  "use strict";
  const stage = document.getElementById("stage");
  const toggle = document.getElementById("toggle-boxes");
  if (stage && toggle) {
    toggle.addEventListener("change", () => stage.classList.toggle("hide-boxes", !toggle.checked));
  }

  // Tables on the photo page have an SKU column; find it by its key (the header is in the user's language).
  const boxes = document.querySelectorAll("svg.boxes .box");
  function light(sku) {
    boxes.forEach((b) => b.classList.toggle("lit", !!sku && b.dataset.sku === sku));
  }
  if (boxes.length) {
    document.querySelectorAll("table[data-table]").forEach((table) => {
      const col = [...table.querySelectorAll("thead th")].findIndex((th) => th.dataset.col === "sku");
      if (col < 0) return;
      table.querySelectorAll("tbody tr").forEach((tr) => {
        const cell = tr.children[col];
        const sku = cell ? cell.textContent.trim() : "";
        if (!sku || sku === "—") return;
        tr.addEventListener("mouseenter", () => light(sku));
        tr.addEventListener("focusin", () => light(sku));
        tr.addEventListener("mouseleave", () => light(null));
        tr.addEventListener("focusout", () => light(null));
      });
    });
  }

  document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
})();
