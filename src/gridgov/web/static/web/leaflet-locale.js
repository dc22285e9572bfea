/* Leaflet's own controls in the page's language: its zoom buttons were titled "Zoom in" and
 * "Zoom out" (their tooltips and what a screen reader says) on the Chinese pages. Loaded
 * right after leaflet.js, before any map is made; the words come from the script tag.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!window.L || !script) return;
  L.Control.Zoom.prototype.options.zoomInTitle = script.dataset.zoomIn;
  L.Control.Zoom.prototype.options.zoomOutTitle = script.dataset.zoomOut;
})();
