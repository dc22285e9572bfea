/* Place map: grid polygons and building points from GeoJSON on a plain
 * background (no tiles, works offline). Clicking a place loads its detail into
 * #place-detail through htmx; clicking a place in the tree highlights it here.
 */
(function () {
  "use strict";

  var el = document.getElementById("place-map");
  if (!el || !window.L) return;

  var scopeGrids = new Set();
  try {
    scopeGrids = new Set(JSON.parse(document.getElementById(el.dataset.scopeId).textContent));
  } catch (e) { /* no scope: nothing highlighted */ }

  var STYLE = {
    grid: { color: "#5b6b7f", weight: 1.5, fillColor: "#8fa3b8", fillOpacity: 0.18 },
    scope: { color: "#b4232a", weight: 2.5, fillColor: "#e0474f", fillOpacity: 0.22 },
    selected: { weight: 4, fillOpacity: 0.35 },
    building: { radius: 5, color: "#ffffff", weight: 1.5, fillColor: "#1f5fa8", fillOpacity: 0.95 },
    selectedBuilding: { radius: 9, color: "#ffffff", weight: 2.5, fillColor: "#b4232a", fillOpacity: 1 }
  };

  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, minZoom: 3, maxZoom: 20 });
  var layersByCode = {};
  var selected = null;
  var gridLayer = null;

  function codeOf(feature) {
    return (feature.properties && feature.properties.code) || feature.id;
  }

  function baseStyle(feature) {
    var style = scopeGrids.has(codeOf(feature)) ? STYLE.scope : STYLE.grid;
    return Object.assign({}, style);
  }

  function setStatus(text, state) {
    el.dataset.state = state;
    var note = el.querySelector(".map-note");
    if (!text) {
      if (note) note.remove();
      return;
    }
    if (!note) {
      note = document.createElement("div");
      note.className = "map-note";
      el.appendChild(note);
    }
    note.textContent = text;
  }

  function isPoint(layer) {
    return layer.feature.geometry.type === "Point";
  }

  function unselect() {
    if (!selected) return;
    if (isPoint(selected)) selected.setStyle(STYLE.building);
    else if (gridLayer && gridLayer.hasLayer(selected)) gridLayer.resetStyle(selected);
    selected = null;
  }

  function select(code, zoom) {
    unselect();
    var layer = layersByCode[code];
    if (!layer) return false;
    selected = layer;
    if (isPoint(layer)) {
      layer.setStyle(STYLE.selectedBuilding);
      layer.bringToFront();
      if (zoom) map.setView(layer.getLatLng(), Math.max(map.getZoom(), 17));
      layer.openTooltip();
    } else {
      layer.setStyle(STYLE.selected);
      layer.bringToFront();
      if (zoom) map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 18 });
    }
    return true;
  }

  function showPanel(code) {
    var url = el.dataset.panelUrl.replace("__CODE__", encodeURIComponent(code));
    var target = document.getElementById("place-detail");
    if (window.htmx && target) {
      window.htmx.ajax("GET", url, { target: "#place-detail", swap: "innerHTML" });
    } else {
      window.location.href = url.replace(/panel\/$/, "");
    }
  }

  function onEachFeature(feature, layer) {
    var code = codeOf(feature);
    layersByCode[code] = layer;
    var name = (feature.properties && feature.properties.name) || code;
    var point = feature.geometry.type === "Point";
    // A text node: Leaflet parses a string as HTML, and names come from imported sheets.
    layer.bindTooltip(document.createTextNode(name), point ? { direction: "top", offset: [0, -6] } : { sticky: true });
    layer.on("click", function () {
      select(code, false);
      showPanel(code);
    });
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + url);
        return response.json();
      });
  }

  // Grid names are written inside the polygons where they fit, else as a letter
  // explained under the map (gridlabels.js).
  var labels = null;

  function labelGrids(layer, count) {
    if (count > 300 || !window.GridLabels) return;
    var items = [];
    layer.eachLayer(function (sub) {
      var name = sub.feature.properties && sub.feature.properties.name;
      if (!name) return;
      sub.unbindTooltip();
      sub.bindTooltip(document.createTextNode(name), { permanent: true, direction: "center", className: "grid-label" });
      items.push({ layer: sub, name: name });
    });
    labels = window.GridLabels.attach(map, el, items);
  }

  var requests = [getJSON(el.dataset.gridsUrl)];
  if (el.dataset.buildingsUrl) requests.push(getJSON(el.dataset.buildingsUrl));
  setStatus("", "loading");

  Promise.all(requests).then(function (results) {
    var grids = results[0];
    var buildings = results[1];
    gridLayer = L.geoJSON(grids, { style: baseStyle, onEachFeature: onEachFeature }).addTo(map);
    labelGrids(gridLayer, grids.features.length);
    var bounds = gridLayer.getBounds();
    var nBuildings = 0;
    if (buildings) {
      var buildingLayer = L.geoJSON(buildings, {
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, STYLE.building);
        },
        onEachFeature: onEachFeature
      }).addTo(map);
      nBuildings = buildings.features.length;
      if (nBuildings) bounds = bounds.isValid() ? bounds.extend(buildingLayer.getBounds()) : buildingLayer.getBounds();
    }
    el.dataset.grids = String(grids.features.length);
    el.dataset.buildings = String(nBuildings);
    if (!bounds.isValid()) {
      map.setView([35.0, 105.0], 4);
      setStatus(el.dataset.emptyText, "empty");
      return;
    }
    map.fitBounds(bounds, { padding: [16, 16] });
    if (labels) labels.fit();
    // The focus place is highlighted in the context of its neighbours; a
    // building is too small for that, so the map zooms to it.
    var focus = el.dataset.focus;
    var focusLayer = focus && layersByCode[focus];
    if (focusLayer) select(focus, focusLayer.feature.geometry.type === "Point");
    setStatus("", "ready");
  }).catch(function (error) {
    map.setView([35.0, 105.0], 4);
    setStatus(el.dataset.errorText, "error");
    if (window.console) console.error(error);
  });

  // A place chosen in the tree or the detail panel is highlighted on the map.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-place-code]");
    if (link && !el.contains(link)) select(link.dataset.placeCode, true);
  });
})();
