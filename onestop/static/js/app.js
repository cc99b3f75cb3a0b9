// OneStop site script: no inline scripts anywhere (strict CSP), behaviour hangs off classes and data attributes.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.classList && el.classList.contains("js-autosubmit") && el.form) { el.form.submit(); }
  });

  // --- charts ---------------------------------------------------------------------------------------------------
  // A chart is <div class="chart" data-chart="ID"> with its ECharts option in {{ option|json_script:"ID" }}.
  // The strict CSP (style-src 'self', no 'unsafe-inline') refuses inline style attributes, so:
  //  * the canvas renderer — the SVG one writes style attributes on its nodes;
  //  * rich-text tooltips drawn on the canvas — HTML tooltips inject markup carrying style="…";
  // (ECharts' own container styling goes through the CSSOM, which the CSP allows.)
  // Accessibility: role="img" and an aria label — the page's own aria-label followed by the series and their data,
  // in the page's language (ECharts' aria component sets it on the container).
  var appScript = document.currentScript;
  var echartsLoading = false;

  function loadEcharts() {
    // A page that draws charts but forgot the vendor script: load it from our own static files (script-src 'self').
    if (echartsLoading || !appScript || !appScript.src) { return; }
    echartsLoading = true;
    var script = document.createElement("script");
    script.src = new URL("../vendor/echarts/echarts.min.js", appScript.src).href;
    script.addEventListener("load", function () { renderCharts(document); });
    document.body.appendChild(script);
  }

  var WORDS = {
    ZH: {chart: "图表", sep: "，", seriesSep: "；", colon: "：", end: "。", none: "无数据",
         summary: "共 {n} 项，最高 {max}（{maxAt}），最低 {min}（{minAt}），最后一项 {last}（{lastAt}）"},
    EN: {chart: "Chart", sep: ", ", seriesSep: "; ", colon: ": ", end: ".", none: "no data",
         summary: "{n} items, highest {max} ({maxAt}), lowest {min} ({minAt}), last {last} ({lastAt})"}
  };

  function asList(value) { return Array.isArray(value) ? value : (value ? [value] : []); }

  function describe(option, label, words) {
    // ECharts' generated aria text reads the category index as a value ("11-03 的数据是 1，0"): write our own —
    // the page's label, then each series with its categories and values (a summary when the series is long).
    var axis = asList(option.xAxis).concat(asList(option.yAxis))
      .filter(function (a) { return Array.isArray(a.data); })[0];
    var categories = axis ? axis.data.map(function (c) { return c && typeof c === "object" ? c.value : c; }) : [];
    var title = asList(option.title).map(function (t) { return t.text; }).filter(Boolean)[0];
    var parts = asList(option.series).map(function (series) {
      var items = (series.data || []).map(function (d, i) {
        var value = d !== null && typeof d === "object" ? (Array.isArray(d) ? d[d.length - 1] : d.value) : d;
        var name = d !== null && typeof d === "object" && d.name !== undefined ? d.name : categories[i];
        return {at: name === undefined ? String(i + 1) : String(name), value: value};
      });
      var head = (series.name || "") + words.colon;
      if (!items.length) { return head + words.none; }
      if (items.length <= 12) {
        return head + items.map(function (it) { return it.at + " " + it.value; }).join(words.sep);
      }
      var numbers = items.filter(function (it) { return typeof it.value === "number"; });
      var max = numbers.reduce(function (a, b) { return b.value > a.value ? b : a; }, numbers[0] || items[0]);
      var min = numbers.reduce(function (a, b) { return b.value < a.value ? b : a; }, numbers[0] || items[0]);
      var last = items[items.length - 1];
      return head + words.summary.replace("{n}", items.length).replace("{max}", max.value).replace("{maxAt}", max.at)
        .replace("{min}", min.value).replace("{minAt}", min.at).replace("{last}", last.value)
        .replace("{lastAt}", last.at);
    });
    var name = [label, title].filter(Boolean).join(words.colon) || words.chart;
    return name + words.end + parts.join(words.seriesSep) + (parts.length ? words.end : "");
  }

  function chartOption(el, option, locale) {
    var aria = option.aria || {};
    aria.enabled = true;
    if (!(aria.label && aria.label.description)) {
      aria.label = aria.label || {};
      aria.label.description = describe(option, (el.getAttribute("aria-label") || "").trim(), WORDS[locale]);
    }
    option.aria = aria;
    asList(option.tooltip).forEach(function (tooltip) {
      tooltip.renderMode = "richText";  // drawn on the canvas, no HTML, no style attributes
      tooltip.confine = true;           // stays inside the chart on a narrow phone screen
    });
    // A legend on one line that scrolls rather than wrapping over the plot on a phone.
    asList(option.legend).forEach(function (legend) { if (!legend.type) { legend.type = "scroll"; } });
    if (option.toolbox && option.toolbox.feature) { delete option.toolbox.feature.dataView; }  // an HTML overlay
    return option;
  }

  function renderCharts(root) {
    var charts = (root || document).querySelectorAll("[data-chart]");
    if (!charts.length) { return; }
    if (typeof echarts === "undefined") { loadEcharts(); return; }
    var locale = (document.documentElement.lang || "zh").toLowerCase().indexOf("zh") === 0 ? "ZH" : "EN";
    charts.forEach(function (el) {
      if (el.dataset.rendered === "1") { return; }
      var source = document.getElementById(el.dataset.chart);
      if (!source) { return; }
      var old = echarts.getInstanceByDom(el);
      if (old) { old.dispose(); }
      if (!el.hasAttribute("role")) { el.setAttribute("role", "img"); }
      var chart = echarts.init(el, null, {renderer: "canvas", locale: locale});
      chart.setOption(chartOption(el, JSON.parse(source.textContent), locale));
      el.dataset.rendered = "1";
      if (typeof ResizeObserver !== "undefined") {
        new ResizeObserver(function () { if (!chart.isDisposed()) { chart.resize(); } }).observe(el);
      } else {
        window.addEventListener("resize", function () { if (!chart.isDisposed()) { chart.resize(); } });
      }
    });
  }

  function disposeCharts(root) {
    if (typeof echarts === "undefined" || !root || !root.querySelectorAll) { return; }
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = echarts.getInstanceByDom(el);
      if (chart) { chart.dispose(); }
      delete el.dataset.rendered;  // drawn again after the swap if it is still on the page
    });
  }

  document.addEventListener("DOMContentLoaded", function () { renderCharts(document); });
  document.body.addEventListener("htmx:beforeSwap", function (e) { disposeCharts(e.detail && e.detail.target); });
  document.body.addEventListener("htmx:afterSwap", function () { renderCharts(document); });
})();
