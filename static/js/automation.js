// Automation: the schedule form's live preview, and a prediction run's input files once it ends.
(function () {
  "use strict";
  var WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function span(seconds) {
    seconds = Math.floor(Math.abs(seconds));
    if (seconds < 60) return seconds + " s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min";
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours < 24) return minutes ? hours + " h " + minutes + " min" : hours + " h";
    var days = Math.floor(hours / 24);
    hours = hours % 24;
    return hours ? days + " d " + hours + " h" : days + " d";
  }

  // "2027-01-05T06:00:00+01:00" -> its wall-clock parts in the schedule's zone (not the browser's).
  function when(iso) {
    var y = +iso.slice(0, 4), m = +iso.slice(5, 7), d = +iso.slice(8, 10);
    var offset = iso.slice(19);
    var seconds = (Date.parse(iso) - Date.now()) / 1000;
    return {
      day: WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()] + " " + d + " " + MONTHS[m - 1] + " " + y,
      time: iso.slice(11, 16),
      zone: !offset || offset === "+00:00" || offset === "Z" ? "UTC" : "UTC" + offset,
      relative: Math.abs(seconds) < 5 ? (seconds >= 0 ? "now" : "just now") : seconds > 0 ? "in " + span(seconds) : span(seconds) + " ago",
    };
  }

  // -- the schedule form ------------------------------------------------------------------
  function scheduleForm(form, panel) {
    var url = panel.dataset.previewUrl;
    var description = document.getElementById("preview-description");
    var error = document.getElementById("preview-error");
    var list = document.getElementById("preview-times");
    var state = document.getElementById("preview-state");
    var label = document.getElementById("preview-times-label");
    var timer = null;
    var sequence = 0;

    function preset() {
      var checked = form.querySelector("input[name=preset]:checked");
      return checked ? checked.value : "";
    }

    function showFields() {
      var chosen = preset();
      form.querySelectorAll("[data-presets]").forEach(function (field) {
        field.hidden = field.dataset.presets.split(" ").indexOf(chosen) < 0;
      });
    }

    function query() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, name) {
        if (name !== "csrf_token") params.append(name, value);
      });
      return params.toString();
    }

    function render(data) {
      list.textContent = "";
      if (data.error) {
        description.hidden = true;
        error.hidden = false;
        error.textContent = data.error;
        label.textContent = "Next five runs";
        list.appendChild(el("li", "next-none", "Fix the schedule to see its run times."));
        panel.classList.add("has-error");
        return;
      }
      panel.classList.remove("has-error");
      error.hidden = true;
      description.hidden = false;
      description.textContent = data.description;
      label.textContent = data.next_runs.length === 1 ? "The run" : "Next five runs";
      if (!data.next_runs.length) list.appendChild(el("li", "next-none", "No run: that time has already passed."));
      data.next_runs.forEach(function (iso) {
        var w = when(iso);
        var item = el("li", "next-time");
        item.appendChild(el("span", "nt-day", w.day));
        item.appendChild(el("span", "nt-time", w.time));
        item.appendChild(el("span", "nt-zone", w.zone));
        item.appendChild(el("span", "nt-rel", w.relative));
        list.appendChild(item);
      });
    }

    function refresh() {
      var mine = ++sequence;
      panel.classList.add("is-loading");
      state.textContent = "Updating…";
      fetch(url + "?" + query(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (result) {
          if (mine !== sequence) return;  // an answer to an older question
          var body = result.body;
          render(result.ok ? body : { error: (body.error && body.error.message) || "This schedule cannot be used." });
          state.textContent = "Live";
          panel.classList.remove("is-loading");
        })
        .catch(function () {
          if (mine !== sequence) return;
          state.textContent = "Preview unavailable; the form still works";
          panel.classList.remove("is-loading");
        });
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", function (event) {
      if (event.target.name === "preset") showFields();
      later();
    });
    showFields();
    state.textContent = "Live";
  }

  var form = document.getElementById("schedule-form");
  var panel = document.getElementById("preview");
  if (form && panel) scheduleForm(form, panel);

  // -- the run page: list a prediction's input files when the run ends (runs.js polls) ------
  var run = document.getElementById("run");
  var inputs = document.getElementById("inputs");
  if (run && inputs && run.dataset.kind === "predict" && inputs.dataset.pending === "1") {
    var TERMINAL = ["succeeded", "failed", "cancelled", "interrupted", "skipped", "missed"];
    var observer = new MutationObserver(function () {
      if (TERMINAL.indexOf(run.dataset.status) < 0) return;
      observer.disconnect();
      fetch(run.dataset.runUrl, { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          var files = data.inputs || [];
          var body = inputs.querySelector("tbody");
          var note = inputs.querySelector(".inputs-note");
          if (!files.length) {
            note.textContent = "No file was predicted.";
            return;
          }
          files.forEach(function (file) {
            var row = el("tr");
            row.appendChild(el("td", "mono small", file.name));
            row.appendChild(el("td", "num", String(file.rows)));
            var hash = el("td", "mono small muted", (file.sha256 || "").slice(0, 12));
            hash.title = file.sha256 || "";
            row.appendChild(hash);
            body.appendChild(row);
          });
          var total = files.reduce(function (sum, file) { return sum + (file.rows || 0); }, 0);
          inputs.querySelector(".inputs-count").textContent =
            files.length + " file" + (files.length === 1 ? "" : "s") + " · " + total + " rows";
          inputs.querySelector(".table-wrap").classList.remove("hidden");
          note.remove();
        })
        .catch(function () {});
    });
    observer.observe(run, { attributes: true, attributeFilter: ["data-status"] });
  }
})();
