/* Open tickets by grid: grid polygons shaded by their open-ticket count, red
 * borders where some are overdue, on a plain background (no tiles, offline).
 * Clicking (tapping) a grid opens a popup with its name, community and counts, linking to
 * the ticket list filtered on it, and lists its open tickets beside the map (htmx). With
 * more than LABELLED grids none is named on the map (a district's view: the names would
 * cover it), and hover tooltips do not show on a phone. A list under the map ranks the
 * grids by open tickets, each entry selecting its grid as a tap does: the map's text
 * alternative, for a keyboard and a screen reader, however few grids it has.
 */
(function () {
  "use strict";

  var el = document.getElementById("ticket-map");
  if (!el || !window.L) return;

  var HEAT = ["#eef2f6", "#fbd9c9", "#f6a785", "#e4643f", "#b4232a"];
  var LABELLED = 12; // at most this many grids are named on the map
  var RANKED = 10; // ranking entries shown before "show all"

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
  var popup = L.popup({ className: "grid-popup-wrap", maxWidth: 260, autoPanPadding: [12, 12] });
  var selected = null;
  var layer = null;
  var labelled = [];
  var counted = []; // [count marker, its grid] for fitCounts
  var byCode = {};
  var quiet = null; // the selected grid, its hover tooltip off while its popup is open

  function hover(sub) {
    // A node, not a string: Leaflet would parse a string as HTML.
    sub.bindTooltip(node("span", null, sub.hoverText), { sticky: true });
    if (quiet === sub) quiet = null;
  }

  popup.on("remove", function () { if (quiet) hover(quiet); });

  function select(sub, p, at) {
    if (selected) layer.resetStyle(selected);
    selected = sub;
    sub.setStyle({ weight: 4, color: "#1f5fa8", dashArray: null });
    sub.bringToFront();
    if (quiet) hover(quiet);
    popup.setLatLng(at || sub.getBounds().getCenter()).setContent(popupContent(p)).openOn(map);
    // The popup says what the grid's hover tooltip said (and a tap shows it): no tooltip
    // over it while it is open.
    if (sub.hoverText) {
      sub.unbindTooltip();
      quiet = sub;
    }
    showGrid(p.code);
    var rank = document.getElementById("grid-rank");
    if (rank) {
      rank.querySelectorAll(".grid-rank-entry").forEach(function (b) {
        b.classList.toggle("is-selected", b.dataset.code === p.code);
      });
    }
  }

  // An entry of the ranking: bring its grid into view (zoomed in if too small to tap) and
  // select it; on a phone the map is above the list, so scroll back up to it.
  function reveal(code, feature) {
    var sub = byCode[code];
    var bounds = sub.getBounds();
    var size = map.latLngToContainerPoint(bounds.getNorthEast())
      .subtract(map.latLngToContainerPoint(bounds.getSouthWest()));
    if (!map.getBounds().contains(bounds) || Math.abs(size.x) < 40 || Math.abs(size.y) < 40) {
      var zoom = Math.max(map.getZoom(), Math.min(map.getBoundsZoom(bounds) - 1, map.getMaxZoom()));
      map.setView(bounds.getCenter(), zoom, { animate: false });
    }
    el.scrollIntoView({ block: "nearest" });
    select(sub, feature.properties);
  }

  function rank(features, max) {
    var box = document.getElementById("grid-rank");
    if (!box) return;
    var busy = features.filter(function (f) { return f.properties.open; });
    busy.sort(function (a, b) {
      var p = a.properties, q = b.properties;
      return q.open - p.open || q.overdue - p.overdue || p.name.localeCompare(q.name, "zh");
    });
    var list = box.querySelector(".grid-rank-list");
    busy.forEach(function (f, i) {
      var p = f.properties;
      var item = node("li");
      var button = node("button", "grid-rank-entry");
      button.type = "button";
      button.dataset.code = p.code;
      var swatch = node("span", "legend");
      swatch.style.background = heat(p.open, max);
      button.appendChild(swatch);
      button.appendChild(node("span", "grid-rank-name", p.name));
      button.appendChild(node("span", "grid-rank-community", p.community));
      button.appendChild(node("span", "grid-rank-open", p.open + " " + el.dataset.openText));
      if (p.overdue) button.appendChild(node("span", "grid-rank-overdue", p.overdue + " " + el.dataset.overdueText));
      button.addEventListener("click", function () { reveal(p.code, f); });
      item.appendChild(button);
      item.hidden = i >= RANKED;
      list.appendChild(item);
    });
    var more = box.querySelector(".grid-rank-more");
    if (busy.length > RANKED) {
      more.textContent = more.dataset.text.replace("__N__", busy.length);
      more.hidden = false;
      more.addEventListener("click", function () {
        list.querySelectorAll("li[hidden]").forEach(function (li) { li.hidden = false; });
        more.hidden = true;
      });
    }
    var rest = features.length - busy.length;
    var note = box.querySelector(".grid-rank-rest");
    note.textContent = busy.length ? (rest ? note.dataset.rest.replace("__N__", rest) : "") : note.dataset.none;
    box.hidden = false;
  }

  function showGrid(code) {
    var url = el.dataset.gridUrl.replace("__CODE__", encodeURIComponent(code));
    if (window.htmx) {
      window.htmx.ajax("GET", url, { target: "#grid-tickets", swap: "innerHTML" });
    }
  }

  // A count circle (30 px) only on a grid it fits in: at a phone's fitted zoom a district's
  // grids are some 25 px wide and their circles covered each other and the grids. The
  // shading and the list under the map still tell them; zoomed in, the counts come back.
  var COUNT_FITS = 30;
  function fitCounts() {
    counted.forEach(function (pair) {
      var b = pair[1].getBounds();
      var size = map.latLngToContainerPoint(b.getSouthEast())
        .subtract(map.latLngToContainerPoint(b.getNorthWest()));
      var icon = pair[0].getElement();
      if (icon) icon.classList.toggle("is-crowded", size.x < COUNT_FITS || size.y < COUNT_FITS);
    });
  }

  function node(tag, className, text) {
    var n = document.createElement(tag);
    if (className) n.className = className;
    if (text != null) n.textContent = text; // names are data: never parsed as HTML
    return n;
  }

  function counts(p) {
    var line = node("p", "grid-popup-counts");
    line.appendChild(node("strong", null, p.open + " " + el.dataset.openText));
    if (p.overdue) {
      line.appendChild(document.createTextNode(" · "));
      line.appendChild(node("span", "text-red", p.overdue + " " + el.dataset.overdueText));
    }
    return line;
  }

  function listLink(code, status, text) {
    var a = node("a", null, text);
    a.href = el.dataset.listUrl + "?status=" + status + "&place=" + encodeURIComponent(code);
    return a;
  }

  function popupContent(p) {
    var box = node("div", "grid-popup");
    box.appendChild(node("strong", "grid-popup-name", p.name));
    if (p.community) box.appendChild(node("span", "grid-popup-community", p.community));
    box.appendChild(counts(p));
    if (p.open) {
      var links = node("p", "grid-popup-links");
      links.appendChild(listLink(p.code, "open", el.dataset.listOpenText));
      if (p.overdue) links.appendChild(listLink(p.code, "overdue", el.dataset.listOverdueText));
      box.appendChild(links);
    }
    return box;
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
          if (drawable.length <= LABELLED) {
            // Few grids: their names are written under the counts where they fit, else
            // a letter explained under the map (web/gridlabels.js).
            sub.bindTooltip(document.createTextNode(p.name), { permanent: true, direction: "center", offset: [0, 26], className: "grid-label" });
            labelled.push({ layer: sub, name: p.name, below: 17 });
          } else {
            sub.hoverText = label;
            hover(sub);
          }
          sub.on("click", function (e) { select(sub, p, e.latlng); });
          byCode[p.code] = sub;
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
            counted.push([marker, sub]);
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
      rank(drawable, max);
      var labels = labelled.length && window.GridLabels ? window.GridLabels.attach(map, el, labelled) : null;
      map.fitBounds(bounds, { padding: [16, 16] });
      if (labels) labels.fit();
      fitCounts();
      map.on("zoomend", fitCounts);
      setStatus("", "ready");
    })
    .catch(function (error) {
      map.setView([35.0, 105.0], 4);
      setStatus(el.dataset.errorText, "error");
      if (window.console) console.error(error);
    });
})();
