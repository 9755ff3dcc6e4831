// The run page: poll the log cursor about once a second and append new lines in place.
(function () {
  "use strict";
  var root = document.getElementById("run");
  if (!root) return;
  var logsUrl = root.dataset.logsUrl;
  var runUrl = root.dataset.runUrl;
  var pane = document.getElementById("logs");
  var cursor = 0;
  var finished = false;
  var BADGE = { queued: "info", running: "accent", succeeded: "ok", failed: "bad", cancelled: "muted", interrupted: "warn", skipped: "muted", missed: "warn", needs_review: "warn", discarded: "muted" };
  var LABELS = { balanced_accuracy: "Balanced accuracy", f1_macro: "Macro F1", roc_auc: "ROC AUC", accuracy: "Accuracy", rmse: "RMSE", mae: "MAE", r2: "R²" };
  var TERMINAL = ["succeeded", "failed", "cancelled", "interrupted", "skipped", "missed", "needs_review", "discarded"];

  function text(id, value) { var el = document.getElementById(id); if (el) el.textContent = value; }

  function appendLines(records) {
    if (!records.length) return;
    var nearBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
    var frag = document.createDocumentFragment();
    records.forEach(function (r) {
      var line = document.createElement("span");
      line.className = "line lvl-" + r.level;
      line.dataset.seq = r.seq;
      var ts = document.createElement("span");
      ts.className = "ts";
      ts.textContent = r.time.substring(11, 19) + " ";
      line.appendChild(ts);
      line.appendChild(document.createTextNode((r.level === "INFO" ? "" : r.level + " ") + "[" + (r.step || "-") + "] " + r.message + "\n"));
      frag.appendChild(line);
    });
    pane.appendChild(frag);
    if (nearBottom) pane.scrollTop = pane.scrollHeight;
  }

  function showStatus(data) {
    var status = document.getElementById("status");
    status.textContent = data.status;
    status.className = "badge badge-" + (BADGE[data.status] || "muted");
    root.dataset.status = data.status;
    text("step", data.step);
    text("percent", Math.round(data.percent || 0) + "%");
    text("message", data.message);
    document.getElementById("bar").style.width = (data.percent || 0) + "%";
    document.getElementById("message").classList.toggle("is-failed", data.status === "failed");
  }

  function showResults(run) {
    var box = document.getElementById("metrics");
    var html = [];
    var ORDER = ["balanced_accuracy", "f1_macro", "roc_auc", "accuracy", "rmse", "mae", "r2"];
    var names = Object.keys(run.metrics || {}).sort(function (a, b) {
      if (a === run.metric) return -1;
      if (b === run.metric) return 1;
      return ORDER.indexOf(a) - ORDER.indexOf(b);
    });
    names.forEach(function (name) {
      var main = name === run.metric;
      html.push('<div class="stat metric' + (main ? " metric-main" : "") + '"><span class="stat-value">' +
        Number(run.metrics[name]).toFixed(4) + '</span><span class="stat-label">' + (LABELS[name] || name) +
        (main ? " · selection metric" : "") + "</span></div>");
    });
    if (run.output_rows !== null && run.output_rows !== undefined) {
      html.push('<div class="stat metric"><span class="stat-value">' + run.output_rows + '</span><span class="stat-label">rows predicted</span></div>');
    }
    if (html.length) {
      box.innerHTML = html.join("");
      document.getElementById("results").classList.remove("hidden");
    }
    if (run.model_version) {
      var link = document.getElementById("model-link");
      link.textContent = "Model ";
      var a = document.createElement("a");
      a.href = root.dataset.modelsUrl;
      a.textContent = "v" + run.model_version;
      link.appendChild(a);
    }
    if (run.duration_s !== null && run.duration_s !== undefined) text("duration", run.duration_s.toFixed(1) + " s");
    if (run.kind === "predict" && run.status === "succeeded") document.getElementById("download").classList.remove("hidden");
    document.querySelectorAll("form[action$='/cancel']").forEach(function (f) { f.remove(); });
    text("log-state", "");
    if (run.kind === "predict" && (run.drifted !== null || run.status === "needs_review")) refreshSections();
  }

  // Sections drawn on the server once a run ends (drift, review, prediction distribution):
  // fetch the page again and swap them in, so nobody has to reload.
  function refreshSections() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-server-section]").forEach(function (el) {
          var next = fresh.getElementById(el.id);
          if (next) el.replaceWith(document.importNode(next, true));
        });
      });
  }

  function poll() {
    fetch(logsUrl + "?after=" + cursor, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) {
        appendLines(data.records);
        cursor = data.next;
        showStatus(data);
        if (TERMINAL.indexOf(data.status) >= 0) {
          if (data.records.length) return setTimeout(poll, 200);  // drain the last lines
          finished = true;
          return fetch(runUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(showResults);
        }
        setTimeout(poll, 800);  // with the request itself: about once a second
      })
      .catch(function () { if (!finished) setTimeout(poll, 2500); });
  }
  poll();
})();
