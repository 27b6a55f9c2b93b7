// Timeline: drag across bars to zoom to a range (a click on one bar is a plain link).
(function () {
  "use strict";
  var chart = document.querySelector(".timeline-chart");
  if (!chart) return;
  var links = Array.prototype.slice.call(chart.querySelectorAll("a.bar-link"));
  if (!links.length) return;
  var start = null, end = null, dragged = false;

  function linkOf(target) {
    while (target && target !== chart) {
      if (target.classList && target.classList.contains("bar-link")) return target;
      target = target.parentNode;
    }
    return null;
  }
  function paint() {
    var a = links.indexOf(start), b = links.indexOf(end);
    var lo = Math.min(a, b), hi = Math.max(a, b);
    links.forEach(function (link, i) {
      link.classList.toggle("selected", start !== null && i >= lo && i <= hi);
    });
  }
  chart.addEventListener("mousedown", function (event) {
    var link = linkOf(event.target);
    if (!link) return;
    event.preventDefault();
    start = end = link;
    dragged = false;
    paint();
  });
  chart.addEventListener("mouseover", function (event) {
    var link = linkOf(event.target);
    if (start && link && link !== end) { end = link; dragged = true; paint(); }
  });
  document.addEventListener("mouseup", function () {
    if (!start) return;
    if (dragged && start !== end) {
      var keys = [start.dataset.key, end.dataset.key].sort();
      var params = new URLSearchParams(window.location.search);
      params.set("from", keys[0]);
      params.set("to", keys[1]);
      params.delete("offset");
      window.location.search = params.toString();
    }
    start = end = null;
    paint();
  });
  chart.addEventListener("click", function (event) {
    if (dragged) { event.preventDefault(); dragged = false; }
  });
})();
