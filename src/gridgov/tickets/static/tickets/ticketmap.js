/* Open tickets by grid: grid polygons shaded by their open-ticket count, red
 * borders where some are overdue, on a plain background (no tiles, offline).
 * Clicking a grid lists its open tickets beside the map (htmx).
 */
(function () {
  "use strict";

  var el = document.getElementById("ticket-map");
  if (!el || !window.L) return;

  var HEAT = ["#eef2f6", "#fbd9c9", "#f6a785", "#e4643f", "#b4232a"];

  function heat(open, max) {
    if (!open) return HEAT[0];
    var step = Math.ceil((open / Math.max(max, 1)) * (HEAT.length - 1));
    return HEAT[Math.min(Math.max(step, 1), HEAT.length - 1)];
  }

  function style(feature, max) {
    var p = feature.properties;
    return {
      color: p.overdue ? "#b4232a" : "#5b6b7f",
      weight: p.overdue ? 3 : 1.2,
      // Dashed: no open ticket (the legend's 无在办工单), not merely none overdue.
      dashArray: p.open ? null : "3 3",
      fillColor: heat(p.open, max),
      fillOpacity: p.open ? 0.75 : 0.35
    };
  }

  function setStatus(text, state) {
    el.dataset.state = state;
    var note = el.querySelector(".map-note");
    if (!text) { if (note) note.remove(); return; }
    if (!note) {
      note = document.createElement("div");
      note.className = "map-note";
      el.appendChild(note);
    }
    note.textContent = text;
  }

  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, minZoom: 3, maxZoom: 20 });
  var selected = null;
  var layer = null;
  var labelled = [];

  function showGrid(code) {
    var url = el.dataset.gridUrl.replace("__CODE__", encodeURIComponent(code));
    if (window.htmx) {
      window.htmx.ajax("GET", url, { target: "#grid-tickets", swap: "innerHTML" });
    }
  }

  setStatus("", "loading");
  fetch(el.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    })
    .then(function (data) {
      var drawable = data.features.filter(function (f) { return f.geometry; });
      var max = drawable.reduce(function (m, f) { return Math.max(m, f.properties.open); }, 0);
      layer = L.geoJSON({ type: "FeatureCollection", features: drawable }, {
        style: function (f) { return style(f, max); },
        onEachFeature: function (feature, sub) {
          var p = feature.properties;
          var label = p.name + " · " + p.open + " " + el.dataset.openText +
            (p.overdue ? " / " + p.overdue + " " + el.dataset.overdueText : "");
          if (drawable.length <= 12) {
            // Few grids: their names are written under the counts where they fit, else
            // a letter explained under the map (web/gridlabels.js).
            sub.bindTooltip(p.name, { permanent: true, direction: "center", offset: [0, 26], className: "grid-label" });
            labelled.push({ layer: sub, name: p.name, below: 17 });
          } else {
            sub.bindTooltip(label, { sticky: true });
          }
          sub.on("click", function () {
            if (selected) layer.resetStyle(selected);
            selected = sub;
            sub.setStyle({ weight: 4, color: "#1f5fa8", dashArray: null });
            sub.bringToFront();
            showGrid(p.code);
          });
          if (p.open && drawable.length <= 300) {
            var marker = L.marker(sub.getBounds().getCenter(), {
              icon: L.divIcon({
                className: "grid-count" + (p.overdue ? " grid-count--overdue" : ""),
                html: "<span>" + p.open + "</span>" + (p.overdue ? "<b>" + p.overdue + "</b>" : ""),
                iconSize: [30, 30]
              }),
              interactive: false,
              keyboard: false
            });
            marker.addTo(map);
          }
        }
      }).addTo(map);
      el.dataset.grids = String(drawable.length);
      var unplaced = data.unplaced || { open: 0 };
      var slot = document.getElementById("unplaced");
      var template = document.getElementById("unplaced-template");
      if (slot && template && unplaced.open) {
        slot.textContent = template.innerHTML
          .replace("__OPEN__", unplaced.open)
          .replace("__OVERDUE__", unplaced.overdue);
      }
      var bounds = layer.getBounds();
      if (!bounds.isValid()) {
        map.setView([35.0, 105.0], 4);
        setStatus(el.dataset.emptyText, "empty");
        return;
      }
      var labels = labelled.length && window.GridLabels ? window.GridLabels.attach(map, el, labelled) : null;
      map.fitBounds(bounds, { padding: [16, 16] });
      if (labels) labels.fit();
      setStatus("", "ready");
    })
    .catch(function (error) {
      map.setView([35.0, 105.0], 4);
      setStatus(el.dataset.errorText, "error");
      if (window.console) console.error(error);
    });
})();
