/* Grid names written inside their polygons, on the place map and the ticket map.
 *
 * At a phone's width the fitted zoom leaves narrow grids (the demo's 魏家坡小区 and
 * 坡子街小区 are about 57 px wide at 390 px) narrower than their name on one line, so a
 * name is tried on one line, then wrapped to the polygon's width, and where even that
 * does not fit the grid gets a letter (A, B, …) explained in a key under the map whose
 * entries select the grid as a tap on it would. Every grid stays identifiable.
 *
 *   var labels = GridLabels.attach(map, mapElement, [{layer, name, below}]);
 *   // below: the label's top this many px under the centre (the ticket map's counts sit there)
 *   map.fitBounds(…); labels.fit();
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var keyTitle = (script && script.dataset.keyTitle) || "Grids marked by letter:";

  function letter(i) {
    var s = "";
    for (i += 1; i > 0; i = Math.floor((i - 1) / 26)) s = String.fromCharCode(65 + ((i - 1) % 26)) + s;
    return s;
  }

  function attach(map, el, items) {
    var key = document.createElement("p");
    key.className = "map-legend grid-key";
    key.hidden = true;
    el.insertAdjacentElement("afterend", key);

    function fits(item, node, pad) {
      var bounds = item.layer.getBounds();
      var sw = map.latLngToContainerPoint(bounds.getSouthWest());
      var ne = map.latLngToContainerPoint(bounds.getNorthEast());
      var centre = map.latLngToContainerPoint(bounds.getCenter());
      var half = node.offsetHeight / 2 + 1;
      var y = centre.y + L.point(item.layer.getTooltip().options.offset).y;
      return ne.x - sw.x >= node.offsetWidth + (pad == null ? 6 : pad) && y - half >= ne.y && y + half <= sw.y;
    }

    function show(item, text, wrap) {
      var tooltip = item.layer.getTooltip();
      tooltip.setContent(document.createTextNode(text)); // a name is data: a string would be parsed as HTML
      var node = tooltip.getElement();
      node.classList.toggle("grid-label--wrap", !!wrap);
      node.style.maxWidth = wrap ? wrap + "px" : "";
      // A wrapped name is taller: it moves down, not over what is at the centre.
      if (item.below != null) tooltip.options.offset = [0, item.below + node.offsetHeight / 2];
      tooltip.update();
      return node;
    }

    function centreOf(item) {
      return map.latLngToContainerPoint(item.layer.getBounds().getCenter());
    }

    function fit() {
      var lettered = [];
      var unshown = [];
      items.forEach(function (item) {
        var tooltip = item.layer.getTooltip();
        var node = tooltip && tooltip.getElement();
        if (!node) return;
        node.style.visibility = "";
        delete node.dataset.key;
        if (fits(item, show(item, item.name, 0))) return;
        // Wrapped to the polygon's width in lines of even length (魏家坡/小区), at
        // least two characters a line.
        var chars = Array.from(item.name).length;
        var charWidth = node.offsetWidth / chars;
        var bounds = item.layer.getBounds();
        var width = map.latLngToContainerPoint(bounds.getNorthEast()).x -
          map.latLngToContainerPoint(bounds.getSouthWest()).x - 6;
        var perLine = Math.floor(width / charWidth);
        if (perLine >= 2) {
          perLine = Math.ceil(chars / Math.ceil(chars / perLine));
          if (fits(item, show(item, item.name, Math.ceil(perLine * charWidth) + 1))) return;
        }
        // A letter may come closer to the borders than a name (its own width is its margin).
        node = show(item, "M", 0);
        node.dataset.key = "";
        if (fits(item, node, 2)) {
          lettered.push(item);
        } else {
          node.style.visibility = "hidden";
          unshown.push(item);
        }
      });
      // Letters in reading order (rows of about 24 px, then left to right), so the
      // key reads like the map.
      lettered.sort(function (a, b) {
        var p = centreOf(a);
        var q = centreOf(b);
        return Math.round(p.y / 24) - Math.round(q.y / 24) || p.x - q.x;
      });
      var keyed = lettered.map(function (item, i) {
        var mark = letter(i);
        show(item, mark, 0).dataset.key = mark;
        return { mark: mark, item: item };
      });
      // Grids too small even for a letter at this zoom are still listed: a tap selects them.
      unshown.forEach(function (item) { keyed.push({ mark: "", item: item }); });
      key.textContent = "";
      key.hidden = !keyed.length;
      if (!keyed.length) return;
      var title = document.createElement("span");
      title.textContent = keyTitle;
      key.appendChild(title);
      keyed.forEach(function (entry) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "grid-key-entry";
        button.dataset.key = entry.mark;
        if (entry.mark) {
          var b = document.createElement("b");
          b.textContent = entry.mark;
          button.appendChild(b);
          button.appendChild(document.createTextNode(" "));
        }
        button.appendChild(document.createTextNode(entry.item.name));
        button.addEventListener("click", function () { entry.item.layer.fire("click"); });
        key.appendChild(button);
      });
    }

    // The caller fits once the map has its view (before that no point has a position).
    map.on("zoomend", fit);
    return { fit: fit, key: key };
  }

  window.GridLabels = { attach: attach };
})();
