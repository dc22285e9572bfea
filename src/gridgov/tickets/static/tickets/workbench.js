/* Ticket workbench helpers: pick suggested categories, standard answers and
 * address candidates; show the on-the-spot answer only for consultations; the
 * phone's position on the photo-report page; no double submits.
 */
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  function setValue(el, value) {
    if (!el) return;
    el.value = value;
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // --- consultation answer panel ------------------------------------------------------
  var nature = byId("id_nature");
  var consult = byId("consult-answer");
  function toggleConsult() {
    if (!nature || !consult) return;
    consult.hidden = nature.value !== "consult";
  }
  if (nature) nature.addEventListener("change", toggleConsult);
  toggleConsult();

  // --- clicks on suggestions ------------------------------------------------------------
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-pick-category],[data-pick-answer],[data-pick-address]");
    if (!target) return;
    event.preventDefault();
    if (target.dataset.pickCategory) {
      // The category field of the form the suggestions serve (a patrol's hazard has its own).
      var holder = target.closest("[data-category-input]");
      setValue(byId(holder ? holder.dataset.categoryInput : "id_category"), target.dataset.pickCategory);
      document.querySelectorAll("[data-pick-category]").forEach(function (b) {
        b.classList.toggle("is-picked", b === target);
      });
    }
    if (target.dataset.pickAnswer) {
      setValue(nature, "consult");
      var answer = byId("id_answer");
      if (answer) answer.value = target.dataset.answerText || "";
      var hidden = byId("id_knowledge_answer");
      if (hidden) hidden.value = target.dataset.pickAnswer;
      var note = byId("picked-answer");
      if (note) note.textContent = "✓ " + (target.dataset.answerQuestion || "");
      toggleConsult();
      if (consult) consult.scrollIntoView({ block: "nearest" });
    }
    if (target.dataset.pickAddress) {
      var address = byId("id_address");
      if (address) {
        address.value = target.dataset.pickAddress;
        if (window.htmx) window.htmx.trigger(address, "change");
      }
    }
  });

  // --- 来电催办 beside the intake form ---------------------------------------------------
  // Pressing the button took the focus out of the address just typed: its change refreshed
  // the duplicates panel, which replaced the button's form while the urging was recorded,
  // so the confirmation went nowhere (or was written over) and the operator, seeing the
  // button still there, pressed it again: two urgings. The focus stays where it is.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest("form.urge button")) event.preventDefault();
  });

  // An answer typed by hand is not the standard answer any more.
  var answerBox = byId("id_answer");
  if (answerBox) {
    answerBox.addEventListener("input", function () {
      var hidden = byId("id_knowledge_answer");
      if (hidden && hidden.value) {
        hidden.value = "";
        var note = byId("picked-answer");
        if (note) note.textContent = "";
      }
    });
  }

  // --- an action's outcome, in view -------------------------------------------------------
  // The ticket comes back with 已完成：… (and the next ticket) at its top; on a phone the
  // action's form is a screen or more below it, so the worker saw the form change and no
  // word of what happened.
  if (window.htmx) {
    window.htmx.onLoad(function (element) {
      var done = element.querySelector && element.querySelector(".wb-done");
      if (done && done.getBoundingClientRect().top < 0) done.scrollIntoView({ block: "start" });
    });
  }

  // --- the list's filters on a phone: the ones seldom used folded away, unless one is set --
  var filters = byId("ticket-filters");
  var more = filters && filters.querySelector(".wb-filters__more");
  if (more) {
    var fold = function (folded) {
      filters.classList.toggle("is-folded", folded);
      more.setAttribute("aria-expanded", folded ? "false" : "true");
      more.textContent = folded ? more.dataset.more : more.dataset.fewer;
    };
    filters.classList.add("is-foldable");
    fold(!filters.querySelector(".field--more.is-set"));
    more.addEventListener("click", function () { fold(!filters.classList.contains("is-folded")); });
  }

  // --- selects that submit their form -------------------------------------------------------
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Typing a date on the KPI page means a custom period.
  ["kpi-start", "kpi-end"].forEach(function (id) {
    var input = byId(id);
    var period = byId("kpi-period");
    if (input && period) input.addEventListener("change", function () { period.value = "custom"; });
  });

  // --- a patrol's hazard: hidden while 发现隐患 is unticked, and then not sent ----------------
  // A worker who typed a hazard and unticked the box means "no hazard after all": the walk
  // is recorded without it. The fields are disabled, not cleared, so ticking the box again
  // brings back what was typed. Without a script they are sent, and the server asks
  // (PatrolWalkForm); a page it sent back so (.is-held) keeps them in view and enabled
  // until the box is touched.
  var hazardSwitch = byId("id_hazard_open");
  var hazardSection = byId("hazard-section");
  var hazardBody = hazardSection && hazardSection.querySelector(".hazard__body");
  if (hazardSwitch && hazardBody) {
    var syncHazard = function () {
      var off = !hazardSwitch.checked && !hazardSection.classList.contains("is-held");
      hazardBody.hidden = off;
      hazardBody.querySelectorAll("input, select, textarea").forEach(function (el) {
        el.disabled = off;
      });
    };
    hazardSwitch.addEventListener("change", function () {
      hazardSection.classList.remove("is-held");
      syncHazard();
    });
    syncHazard();
  }

  // --- a form sent back with errors: the first one in view, its field focused --------------
  // The page comes back at its top; on a phone the field at fault (a patrol's note under
  // its checklist, a visit's requester) was a screen below, the error out of sight.
  var firstError = document.querySelector(
    "#patrol-form .has-error, #visit-form .has-error, #report-form .has-error, #intake-form .has-error"
  );
  if (firstError) {
    firstError.scrollIntoView({ block: "center" });
    var input = firstError.querySelector("textarea, select, input:not([type=file]):not([type=hidden])");
    if (input) input.focus({ preventScroll: true });
  }

  // --- one submit per form ----------------------------------------------------------------
  [
    "intake-form", "report-form", "patrol-form", "visit-form", "import-form",
    "rate-form", "add-photos-form",
  ].forEach(function (id) {
    var form = byId(id);
    if (!form) return;
    form.addEventListener("submit", function (event) {
      var button = form.querySelector("button[type=submit]");
      // Not when a check below kept the form from going (it is still to be sent).
      if (button) setTimeout(function () { if (!event.defaultPrevented) button.disabled = true; }, 0);
    });
  });

  // --- 随手拍 without a place: said here, before the photos are sent and sent back without
  // them (a page may not fill a file input in again) -------------------------------------
  var reportForm = byId("report-form");
  if (reportForm) {
    reportForm.addEventListener("submit", function (event) {
      var lat = byId("id_lat"), lng = byId("id_lng"), address = byId("id_address");
      if ((lat && lat.value && lng && lng.value) || (address && address.value.trim())) return;
      event.preventDefault();
      var box = reportForm.querySelector("[data-field=location]");
      var note = byId("location-missing");
      if (!note) {
        note = document.createElement("div");
        note.id = "location-missing";
        note.className = "field-errors";
        note.setAttribute("role", "alert");
        note.textContent = box.dataset.missing;
        box.appendChild(note);
      }
      box.classList.add("has-error");
      if (address) address.focus();
    });
  }

  // --- chosen files (the browser's own file button speaks the browser's language) -----------
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file]")) return;
    // Files chosen anew: what the server said of the ones before (not a photo, over 10 MB,
    // "choose them again") is no longer true, and it stayed under the new choice.
    var field = input.closest(".field");
    if (field) {
      field.classList.remove("has-error");
      field.querySelectorAll(".field-errors").forEach(function (el) { el.remove(); });
    }
    var names = input.parentNode.querySelector(".file-names");
    if (!names) return;
    var files = Array.prototype.slice.call(input.files || []);
    var n = files.length;
    var chosen = files.map(function (file) { return file.name; }).join(", ");
    names.textContent = n ? names.dataset.some.replace("__N__", n).replace("__NAME__", chosen) : names.dataset.none;
  });

  // --- photo preview ----------------------------------------------------------------------
  var photos = document.querySelector("#report-form input[type=file]");
  var preview = byId("photo-preview");
  if (photos && preview) {
    photos.addEventListener("change", function () {
      preview.textContent = "";
      Array.prototype.slice.call(photos.files || [], 0, 9).forEach(function (file) {
        var img = document.createElement("img");
        img.alt = file.name;
        img.src = URL.createObjectURL(file);
        preview.appendChild(img);
      });
    });
  }

  // --- the phone's position ---------------------------------------------------------------
  var locate = byId("locate");
  if (locate) {
    var status = byId("locate-status");
    var say = function (text) { if (status) status.textContent = text; };
    // Where the position is, in place names; outside the area it is not kept, so the check
    // before sending asks for an address (the server would refuse it and drop the photos).
    var checkPoint = function (lat, lng) {
      var box = byId("address-check");
      var address = byId("id_address");
      var url = address && address.getAttribute("hx-get");
      if (!box || !url || address.value.trim()) return;
      fetch(url + "?lat=" + lat + "&lng=" + lng, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          if (!html || address.value.trim()) return;
          box.innerHTML = html;
          if (box.querySelector("[data-point=outside]")) {
            byId("id_lat").value = "";
            byId("id_lng").value = "";
            locate.classList.remove("is-located");
            say("");
            address.focus();
          }
        })
        .catch(function () {});
    };
    locate.addEventListener("click", function () {
      if (!navigator.geolocation) {
        say(locate.dataset.failed);
        return;
      }
      say(locate.dataset.locating);
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var lat = position.coords.latitude.toFixed(6);
          var lng = position.coords.longitude.toFixed(6);
          byId("id_lat").value = lat;
          byId("id_lng").value = lng;
          say(locate.dataset.located + " (" + lat + ", " + lng + ")");
          locate.classList.add("is-located");
          checkPoint(lat, lng);
        },
        function () {
          say(locate.dataset.failed);
          var address = byId("id_address");
          if (address) address.focus();
        },
        { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
      );
    });
  }
})();
