// Review screen: hide/show the boxes, and a tap on an unrecognised box picks it in the "name" form.
(() => {
  const stage = document.getElementById("stage");
  const toggle = document.getElementById("toggle-boxes");
  if (stage && toggle) toggle.addEventListener("change", () => stage.classList.toggle("hide-boxes", !toggle.checked));
  const select = document.getElementById("id_detection");
  document.querySelectorAll("rect.box.unknown").forEach((rect) => {
    rect.addEventListener("click", () => {
      if (!select) return;
      select.value = rect.dataset.detection;
      document.querySelectorAll("rect.box.lit").forEach((r) => r.classList.remove("lit"));
      rect.classList.add("lit");
      select.focus();
    });
  });
})();
