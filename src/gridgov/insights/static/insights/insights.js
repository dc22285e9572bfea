/* Insights pages: hot issues on a map (no tiles, offline), daily trend lines and the
 * classifier's confusion matrix (ECharts, vendored). Data come from json_script tags.
 */
(function () {
  "use strict";

  function data(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  // ECharts puts a formatter's answer into the tooltip as HTML; titles are residents' words.
  function escapeHtml(text) {
    var box = document.createElement("div");
    box.textContent = text;
    return box.innerHTML;
  }

  // --- forms that change what everybody gets (retrain, put a version in use) ask first ---
  // Retraining takes a minute or more while the old page stays on screen: the button says
  // it is at work and takes no second click (each click trained another version).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        return;
      }
      var button = form.querySelector("button[type=submit]");
      if (!button || !form.dataset.busy) return;
      setTimeout(function () {  // after the form has gone
        button.disabled = true;
        button.textContent = form.dataset.busy;
        form.setAttribute("aria-busy", "true");
      }, 0);
    });
  });

  // --- map of hot issues: circles sized and coloured by heat; the issues at one place
  // share a circle (they were drawn on top of each other), listed in its tooltip and popup.
  // Titles are residents' words: set as text, never as HTML.
  function issueList(p, links) {
    var box = document.createElement("div");
    box.className = "map-issues";
    var head = document.createElement("strong");
    head.textContent = p.place;
    box.appendChild(head);
    var list = document.createElement("ul");
    p.issues.forEach(function (issue) {
      var item = document.createElement("li");
      var title = document.createElement(links ? "a" : "span");
      if (links) title.href = issue.id + "/";
      title.textContent = issue.title;
      item.appendChild(title);
      item.appendChild(document.createTextNode(" (" + issue.heat.toFixed(1) + ")"));
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  var mapEl = document.getElementById("hot-map");
  var points = data("hot-points");
  if (mapEl && window.L && points) {
    var map = L.map(mapEl, { attributionControl: false, zoomSnap: 0.25 });
    // The grids around the issues, named, under the circles: without them the circles
    // stood on a blank background (the map has no tiles).
    var grids = data("hot-grids");
    var gridLayer = null;
    var labelled = [];
    if (grids && grids.features.length) {
      gridLayer = L.geoJSON(grids, {
        interactive: false,
        style: { color: "#8a99ab", weight: 1, fillColor: "#dde3ea", fillOpacity: 0.4 },
        onEachFeature: function (feature, sub) {
          // A text node: Leaflet parses a string as HTML, and names come from imported sheets.
          sub.bindTooltip(document.createTextNode(feature.properties.name), {
            // Below the centre, where an issue's circle sits (it hid the name).
            permanent: true, direction: "center", offset: [0, 32], className: "grid-label hot-grid-label"
          });
          labelled.push({ layer: sub, name: feature.properties.name, below: 20 });
          // A lettered grid's entry in the key zooms to it (the outlines take no taps).
          sub.on("click", function () { map.fitBounds(sub.getBounds(), { maxZoom: 18 }); });
        }
      }).addTo(map);
    }
    var maxHeat = Math.max.apply(null, points.map(function (p) { return p.heat; }).concat([1]));
    var layer = L.featureGroup();
    points.forEach(function (p) {
      var share = p.heat / maxHeat;
      var marker = L.circleMarker([p.lat, p.lng], {
        radius: 6 + 14 * share, color: "#ffffff", weight: 1.5,
        fillColor: share > 0.66 ? "#b4232a" : share > 0.33 ? "#e4643f" : "#f6a785", fillOpacity: 0.85
      }).bindTooltip(issueList(p, false));
      if (p.issues.length === 1) {
        marker.on("click", function () { window.location.href = p.issues[0].id + "/"; });
      } else {
        // Several: a click opens the list, each title a link to its issue.
        marker.bindPopup(issueList(p, true), { minWidth: 160, maxWidth: 280 });
        marker.on("popupopen", function () { marker.closeTooltip(); });
      }
      marker.addTo(layer);
      if (p.issues.length > 1) {
        // How many share the circle, printed on it (clicks go through to the circle).
        L.marker([p.lat, p.lng], {
          interactive: false, keyboard: false,
          icon: L.divIcon({ className: "map-count", html: String(p.issues.length), iconSize: [20, 20] })
        }).addTo(layer);
      }
    });
    layer.addTo(map);
    // Names that do not fit their grid are wrapped or lettered (web/gridlabels.js): side by
    // side they ran into each other.
    var labels = labelled.length && window.GridLabels ? window.GridLabels.attach(map, mapEl, labelled) : null;
    if (points.length) {
      // The grids drawn around the issues are in view too (those at the edge were cut off).
      var bounds = layer.getBounds().pad(0.3);
      if (gridLayer) bounds.extend(gridLayer.getBounds());
      map.fitBounds(bounds, { maxZoom: 16 });
      if (labels) labels.fit();
    } else {
      map.setView([28.2, 112.97], 12);
      var note = document.createElement("div");
      note.className = "map-note";
      note.textContent = mapEl.dataset.emptyText;
      mapEl.appendChild(note);
    }
  }

  // A chart drawn: its table of numbers (查看数据, open for a browser without JavaScript)
  // is folded under it.
  function fold(id) {
    var table = document.getElementById(id);
    if (table) table.open = false;
  }

  // --- trend: one line per hot issue (list page) or one issue (detail page) ---
  var trendEl = document.getElementById("hot-trend");
  if (trendEl && window.echarts) {
    var series = [];
    var many = data("hot-trends");
    var one = data("hot-trend-data");
    if (many) {
      // One line per issue, hottest first, named by its title in the legend and the tooltip;
      // straight, as daily counts are (a smoothed line bulged between days and below zero).
      many.forEach(function (line) {
        series.push({ name: line.name || "#" + line.id, type: "line", smooth: false, data: line.data });
      });
    } else if (one) {
      series.push({ name: trendEl.dataset.title, type: "bar", data: one });
    }
    var chart = echarts.init(trendEl);
    chart.setOption({
      // The title above the plot, and date labels that give way rather than overlap
      // (a month's first day and its neighbour were printed over each other).
      title: { text: trendEl.dataset.title, left: 0, top: 0, textStyle: { fontSize: 13 } },
      tooltip: { trigger: "axis" },
      // Whole days: a few days' trend was labelled 06:00, 12:00, 18:00 between them.
      xAxis: { type: "time", minInterval: 24 * 3600 * 1000, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", minInterval: 1 },
      grid: { left: 36, right: 12, top: 48, bottom: many ? 64 : 28 },
      legend: many ? {
        type: "scroll", bottom: 0, left: 0, right: 0, textStyle: { fontSize: 11 },
        formatter: function (name) { return name.length > 12 ? name.slice(0, 12) + "…" : name; },
        tooltip: { show: true, formatter: function (p) { return escapeHtml(p.name); } }
      } : undefined,
      series: series
    });
    fold("hot-trend-table");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  // --- confusion matrix heatmap ---
  var cmEl = document.getElementById("confusion");
  var cm = data("confusion-data");
  if (cmEl && window.echarts && cm && cm.labels.length) {
    var cells = [], max = 1;
    cm.confusion.forEach(function (row, i) {
      row.forEach(function (n, j) { cells.push([j, i, n]); if (n > max) max = n; });
    });
    var heat = echarts.init(cmEl);
    heat.setOption({
      tooltip: { formatter: function (p) {
        return cmEl.dataset.true + ": " + cm.labels[p.value[1]] + "<br>" + cmEl.dataset.predicted + ": " + cm.labels[p.value[0]] + "<br>" + p.value[2];
      } },
      // Axis names sit in the middle, clear of the (rotated) category labels.
      grid: { left: 130, right: 20, top: 10, bottom: 110 },
      // Every predicted category named (interval 0): on a phone ECharts left out every
      // other one, so a column of the matrix had no name. Rotated, they do not overlap.
      xAxis: { type: "category", data: cm.labels, name: cmEl.dataset.predicted, nameLocation: "middle", nameGap: 90, axisLabel: { rotate: 40, interval: 0 } },
      yAxis: { type: "category", data: cm.labels, name: cmEl.dataset.true, nameLocation: "middle", nameGap: 110, nameRotate: 90, inverse: true },
      visualMap: { min: 0, max: max, show: false, inRange: { color: ["#f4f6f9", "#b4232a"] } },
      series: [{ type: "heatmap", data: cells, label: { show: true } }]
    });
    fold("confusion-table");
    window.addEventListener("resize", function () { heat.resize(); });
  }
})();
