/* A hot issue's page: its tickets on a map (no tiles, offline), over the grid it is about.
 * One circle per point, the tickets of one building sharing it (their number printed on
 * it); a click opens their codes, days and statuses, each code a link to its ticket.
 * Data from json_script tags (issuemap.issue_map); text set as text, never as HTML.
 */
(function () {
  "use strict";

  function data(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function node(tag, className, text) {
    var n = document.createElement(tag);
    if (className) n.className = className;
    if (text != null) n.textContent = text;
    return n;
  }

  function popup(point) {
    var list = node("ul", "map-tickets");
    point.tickets.forEach(function (t) {
      var item = node("li");
      var link = node("a", null, t.code);
      link.href = t.url;
      item.appendChild(link);
      item.appendChild(document.createTextNode(" " + t.day + " · " + t.status));
      list.appendChild(item);
    });
    return list;
  }

  var el = document.getElementById("hot-issue-map");
  var points = data("hot-issue-points");
  if (!el || !window.L || !points) return;

  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
  var outline = data("hot-issue-outline");
  var grid = null;
  if (outline && outline.features.length) {
    grid = L.geoJSON(outline, {
      interactive: false,
      style: { color: "#5b6b7f", weight: 1.5, fillColor: "#dde3ea", fillOpacity: 0.4 },
      onEachFeature: function (feature, sub) {
        // A text node: Leaflet parses a string as HTML, and names come from imported sheets.
        // Below the grid's centre, where the tickets' circles often stand (it hid the name).
        sub.bindTooltip(document.createTextNode(feature.properties.name), {
          permanent: true, direction: "center", offset: [0, 28], className: "grid-label"
        });
      }
    }).addTo(map);
  }
  var layer = L.featureGroup();
  points.forEach(function (p) {
    var many = p.tickets.length > 1;
    L.circleMarker([p.lat, p.lng], {
      radius: many ? 11 : 8, color: "#ffffff", weight: 1.5, fillColor: "#1f5fa8", fillOpacity: 0.85
    }).bindPopup(popup(p), { minWidth: 160, maxWidth: 280 }).addTo(layer);
    if (many) {
      // How many share the circle, printed on it (clicks go through to the circle).
      L.marker([p.lat, p.lng], {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: "map-count", html: String(p.tickets.length), iconSize: [20, 20] })
      }).addTo(layer);
    }
  });
  layer.addTo(map);
  var bounds = null;
  if (points.length) bounds = layer.getBounds().pad(0.3);
  if (grid) bounds = bounds ? bounds.extend(grid.getBounds()) : grid.getBounds().pad(0.1);
  map.fitBounds(bounds, { maxZoom: 17 });
  el.dataset.state = "ready";
})();
