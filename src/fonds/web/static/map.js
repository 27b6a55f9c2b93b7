// Map: scroll to zoom, drag to pan, by changing the SVG's viewBox (no tiles, no network).
(function () {
  "use strict";
  var svg = document.getElementById("map");
  if (!svg) return;
  var box = svg.getAttribute("viewBox").split(/\s+/).map(Number);
  var baseWidth = box[2];
  var labels = Array.prototype.slice.call(svg.querySelectorAll(".place-label"));
  var dots = Array.prototype.slice.call(svg.querySelectorAll("circle.place"));
  var radii = dots.map(function (dot) { return Number(dot.getAttribute("r")); });
  var dotX = dots.map(function (dot) { return Number(dot.getAttribute("cx")); });
  var dotY = dots.map(function (dot) { return Number(dot.getAttribute("cy")); });
  var fontSize = Number(svg.dataset.labelSize) || 10;
  // the zoom from which each label overlaps no other shown label and no marker
  var offsets = labels.map(function (label) {  // from its marker, at the first view
    return [Number(label.dataset.dx), Number(label.dataset.dy)];
  });
  var showFrom = labels.map(function (label) {
    var z = label.getAttribute("data-zoom");
    return z === "never" ? Infinity : Number(z);
  });
  var drag = null;

  function apply() {
    svg.setAttribute("viewBox", box.join(" "));
    var scale = box[2] / baseWidth;  // keep labels and dots the same size on screen
    var zoom = 1 / scale;
    labels.forEach(function (label, i) {
      label.setAttribute("font-size", (fontSize * scale).toFixed(3));
      label.setAttribute("x", (dotX[i] + offsets[i][0] * scale).toFixed(3));
      label.setAttribute("y", (dotY[i] + offsets[i][1] * scale).toFixed(3));
      label.classList.toggle("minor", !(zoom >= showFrom[i] - 1e-9));
    });
    dots.forEach(function (dot, i) { dot.setAttribute("r", (radii[i] * scale).toFixed(3)); });
  }
  function toMap(event) {
    var rect = svg.getBoundingClientRect();
    return [box[0] + (event.clientX - rect.left) / rect.width * box[2],
            box[1] + (event.clientY - rect.top) / rect.height * box[3]];
  }
  svg.addEventListener("wheel", function (event) {
    event.preventDefault();
    var p = toMap(event);
    var factor = event.deltaY > 0 ? 1.2 : 1 / 1.2;
    // out to the whole world at most: the labels are placed for every zoom down to it
    var widest = Number(svg.dataset.widest) || baseWidth;
    var w = Math.min(Math.max(box[2] * factor, 10), widest), h = w * box[3] / box[2];
    box = [p[0] - (p[0] - box[0]) * w / box[2], p[1] - (p[1] - box[1]) * h / box[3], w, h];
    apply();
  }, { passive: false });
  svg.addEventListener("pointerdown", function (event) {
    if (event.target.closest("a")) return;
    drag = { x: event.clientX, y: event.clientY, box: box.slice() };
    svg.setPointerCapture(event.pointerId);
  });
  svg.addEventListener("pointermove", function (event) {
    if (!drag) return;
    var rect = svg.getBoundingClientRect();
    box[0] = drag.box[0] - (event.clientX - drag.x) / rect.width * box[2];
    box[1] = drag.box[1] - (event.clientY - drag.y) / rect.height * box[3];
    apply();
  });
  svg.addEventListener("pointerup", function () { drag = null; });
})();
