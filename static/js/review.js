// Review screen: hide/show the boxes; a tap on a box picks it in the "name" form (unrecognised ones) and
// in the "take out" form; with "Draw a missed pack" on, a drag on the photo draws a box and fills its
// corners (in the photo's own pixels, whatever size the photo is shown at).
(() => {
  const stage = document.getElementById("stage");
  const toggle = document.getElementById("toggle-boxes");
  if (stage && toggle) toggle.addEventListener("change", () => stage.classList.toggle("hide-boxes", !toggle.checked));
  const nameSelect = document.getElementById("id_detection");
  const removeSelect = document.getElementById("id_remove_detection");
  const draw = document.getElementById("draw-mode");
  const svg = document.getElementById("boxes");

  document.querySelectorAll("rect.box").forEach((rect) => {
    rect.addEventListener("click", () => {
      if (draw && draw.checked) return;
      document.querySelectorAll("rect.box.lit").forEach((r) => r.classList.remove("lit"));
      rect.classList.add("lit");
      if (removeSelect) removeSelect.value = rect.dataset.detection;
      if (nameSelect && rect.classList.contains("unknown")) {
        nameSelect.value = rect.dataset.detection;
        nameSelect.focus();
      } else if (removeSelect) {
        removeSelect.focus();
      }
    });
  });

  if (!svg || !draw) return;
  const field = (name) => document.getElementById(`id_${name}`);
  const ns = "http://www.w3.org/2000/svg";
  let start = null;
  let drawn = null;
  const toPhoto = (event) => {
    // The SVG's viewBox is the photo's pixel grid: the screen point mapped back through it.
    const point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    const p = point.matrixTransform(svg.getScreenCTM().inverse());
    const w = Number(svg.dataset.width), h = Number(svg.dataset.height);
    return { x: Math.max(0, Math.min(w, p.x)), y: Math.max(0, Math.min(h, p.y)) };
  };
  const show = (a, b) => {
    const x1 = Math.min(a.x, b.x), y1 = Math.min(a.y, b.y), x2 = Math.max(a.x, b.x), y2 = Math.max(a.y, b.y);
    if (!drawn) {
      drawn = document.createElementNS(ns, "rect");
      drawn.setAttribute("class", "box drawn");
      svg.appendChild(drawn);
    }
    drawn.setAttribute("x", x1); drawn.setAttribute("y", y1);
    drawn.setAttribute("width", x2 - x1); drawn.setAttribute("height", y2 - y1);
    [["x1", x1], ["y1", y1], ["x2", x2], ["y2", y2]].forEach(([k, v]) => { field(k).value = Math.round(v); });
  };
  draw.addEventListener("change", () => {
    stage.classList.toggle("drawing", draw.checked);
    if (draw.checked) stage.scrollIntoView({ block: "nearest" });
  });
  svg.addEventListener("pointerdown", (event) => {
    if (!draw.checked) return;
    event.preventDefault();
    svg.setPointerCapture(event.pointerId);
    start = toPhoto(event);
    show(start, start);
  });
  svg.addEventListener("pointermove", (event) => { if (start) show(start, toPhoto(event)); });
  svg.addEventListener("pointerup", (event) => {
    if (!start) return;
    show(start, toPhoto(event));
    start = null;
    document.getElementById("box-add").scrollIntoView({ block: "nearest" });
  });
})();
