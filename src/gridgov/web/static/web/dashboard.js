/* Dashboard chart: people per grid in the user's area (ECharts, SVG renderer). */
(function () {
  "use strict";
  var el = document.getElementById("people-chart");
  var data = document.getElementById("people-chart-data");
  if (!el || !data || !window.echarts) return;
  var chart = JSON.parse(data.textContent);
  var instance = window.echarts.init(el, null, { renderer: "svg" });
  instance.setOption({
    animation: false,
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: chart.labels, inverse: true, axisTick: { show: false } },
    series: [{ type: "bar", data: chart.values, itemStyle: { color: "#b4232a", borderRadius: [0, 3, 3, 0] }, barMaxWidth: 22, label: { show: true, position: "right" } }],
    textStyle: { fontFamily: getComputedStyle(document.body).fontFamily }
  });
  el.dataset.state = "ready";
  window.addEventListener("resize", function () { instance.resize(); });
})();
