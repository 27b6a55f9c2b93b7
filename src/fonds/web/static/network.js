// Network: hovering or focusing a person lights up their links and dims the rest.
(function () {
  "use strict";
  var svg = document.getElementById("network");
  if (!svg) return;
  var edges = Array.prototype.slice.call(svg.querySelectorAll("a.edge-link"));
  var nodes = Array.prototype.slice.call(svg.querySelectorAll("a.node-link"));

  function light(id) {
    var near = {};
    near[id] = true;
    edges.forEach(function (edge) {
      var on = edge.dataset.source === id || edge.dataset.target === id;
      edge.classList.toggle("lit", on);
      if (on) { near[edge.dataset.source] = true; near[edge.dataset.target] = true; }
    });
    nodes.forEach(function (node) { node.classList.toggle("lit", !!near[node.dataset.id]); });
    svg.classList.add("dim");
  }
  function clear() {
    svg.classList.remove("dim");
    edges.concat(nodes).forEach(function (el) { el.classList.remove("lit"); });
  }
  nodes.forEach(function (node) {
    node.addEventListener("mouseenter", function () { light(node.dataset.id); });
    node.addEventListener("focus", function () { light(node.dataset.id); });
    node.addEventListener("mouseleave", clear);
    node.addEventListener("blur", clear);
  });
})();
