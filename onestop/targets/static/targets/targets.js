// Targets dashboard charts (ECharts). No inline script (strict CSP): options come from json_script blocks named by
// data-target-chart; a click on a bar that carries a url opens the records behind it.
(function () {
  "use strict";
  function render(root) {
    if (typeof echarts === "undefined") { return; }
    (root || document).querySelectorAll("[data-target-chart]").forEach(function (el) {
      if (el.dataset.rendered === "1") { return; }
      var source = document.getElementById(el.dataset.targetChart);
      if (!source) { return; }
      var old = echarts.getInstanceByDom(el);
      if (old) { old.dispose(); }
      // The canvas renderer: the SVG one sets style attributes, which the strict CSP (style-src 'self') refuses.
      var chart = echarts.init(el, el.dataset.theme || null, { renderer: "canvas" });
      chart.setOption(JSON.parse(source.textContent));
      chart.on("click", function (params) {
        var url = params && params.data && params.data.url;
        if (typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/") { window.location.assign(url); }
      });
      el.dataset.rendered = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.body.addEventListener("htmx:afterSettle", function () { render(document); });
})();
