// File Management: upload by button or drag-and-drop, one streamed PUT per file with its own
// progress bar; the listing refreshes when the batch is done.
(function () {
  "use strict";
  var browser = document.getElementById("browser");
  if (!browser || browser.dataset.canWrite !== "true") return;

  var folder = browser.dataset.folder || "";
  var uploadUrl = browser.dataset.uploadUrl;
  var maxUpload = parseInt(browser.dataset.maxUpload, 10) || 0;
  var panel = document.getElementById("uploads");
  var list = document.getElementById("upload-list");
  var summary = document.getElementById("uploads-summary");
  var dropzone = document.getElementById("dropzone");
  var input = document.getElementById("file-input");
  var storeKey = "mlp-uploads:" + browser.dataset.connection + ":" + folder;
  var queue = [];
  var items = [];
  var running = 0;
  var PARALLEL = 2;

  function human(bytes) {
    var units = ["B", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return (i === 0 ? bytes : bytes.toFixed(1)) + " " + units[i];
  }

  function row(name, size) {
    var li = document.createElement("li");
    li.className = "upload-item";
    li.innerHTML =
      '<div class="upload-line"><span class="upload-name"></span>' +
      '<span class="upload-status muted small">Waiting</span></div>' +
      '<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"><span style="width:0%"></span></div>';
    li.querySelector(".upload-name").textContent = name + " · " + human(size);
    list.appendChild(li);
    panel.hidden = false;
    return li;
  }

  function setProgress(item, percent, text, state) {
    var bar = item.li.querySelector(".progress");
    bar.setAttribute("aria-valuenow", String(Math.round(percent)));
    bar.firstChild.style.width = percent + "%";
    item.li.querySelector(".upload-status").textContent = text;
    if (state) {
      item.state = state;
      item.message = text;
      item.li.classList.add(state);
    }
  }

  function updateSummary() {
    var done = items.filter(function (i) { return i.state === "done"; }).length;
    var failed = items.filter(function (i) { return i.state === "failed"; }).length;
    summary.textContent = done + " of " + items.length + " uploaded" + (failed ? ", " + failed + " failed" : "");
  }

  function errorMessage(xhr) {
    try {
      return JSON.parse(xhr.responseText).error.message;
    } catch (e) {
      return xhr.status === 413 ? "The file is larger than this platform accepts." : "Upload failed (" + (xhr.status || "network error") + ").";
    }
  }

  function start(item) {
    running++;
    var path = folder ? folder + "/" + item.file.name : item.file.name;
    var xhr = new XMLHttpRequest();
    xhr.open("PUT", uploadUrl + "?path=" + encodeURIComponent(path));
    xhr.setRequestHeader("X-CSRFToken", window.mlp.csrfToken());
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (event) {
      if (event.lengthComputable && event.total) {
        var percent = Math.min(99, (event.loaded / event.total) * 100);
        setProgress(item, percent, Math.round(percent) + "% · " + human(event.loaded));
      }
    };
    xhr.onload = function () {
      if (xhr.status === 201) setProgress(item, 100, "Uploaded", "done");
      else setProgress(item, 100, errorMessage(xhr), "failed");
      finish();
    };
    xhr.onerror = function () { setProgress(item, 100, "Network error: the upload did not finish.", "failed"); finish(); };
    setProgress(item, 0, "Starting…");
    xhr.send(item.file);
  }

  function finish() {
    running--;
    updateSummary();
    pump();
    if (running === 0 && queue.length === 0) {
      // keep the results across the refresh that shows the new files
      var results = items.map(function (i) { return { name: i.file.name, size: i.file.size, state: i.state, message: i.message }; });
      try { sessionStorage.setItem(storeKey, JSON.stringify(results)); } catch (e) { /* private mode */ }
      window.setTimeout(function () { window.location.reload(); }, 900);
    }
  }

  function pump() {
    while (running < PARALLEL && queue.length) start(queue.shift());
  }

  function add(files) {
    Array.prototype.forEach.call(files, function (file) {
      var item = { file: file, li: row(file.name, file.size), state: null, message: "" };
      items.push(item);
      if (maxUpload && file.size > maxUpload) {
        setProgress(item, 100, "Larger than the " + human(maxUpload) + " limit; not uploaded.", "failed");
        return;
      }
      queue.push(item);
    });
    updateSummary();
    pump();
  }

  function restore() {
    var stored;
    try { stored = JSON.parse(sessionStorage.getItem(storeKey) || "null"); sessionStorage.removeItem(storeKey); } catch (e) { stored = null; }
    if (!stored || !stored.length) return;
    stored.forEach(function (saved) {
      var item = { file: { name: saved.name, size: saved.size }, li: row(saved.name, saved.size) };
      items.push(item);
      setProgress(item, 100, saved.message || "Uploaded", saved.state || "done");
    });
    updateSummary();
  }

  if (input) {
    input.addEventListener("change", function () {
      if (input.files.length) add(input.files);
      input.value = "";
    });
  }

  var depth = 0;
  function hasFiles(event) {
    return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") !== -1;
  }
  browser.addEventListener("dragenter", function (event) {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth++;
    dropzone.hidden = false;
  });
  browser.addEventListener("dragover", function (event) {
    if (hasFiles(event)) { event.preventDefault(); event.dataTransfer.dropEffect = "copy"; }
  });
  browser.addEventListener("dragleave", function () {
    depth = Math.max(0, depth - 1);
    if (depth === 0) dropzone.hidden = true;
  });
  browser.addEventListener("drop", function (event) {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    dropzone.hidden = true;
    add(event.dataTransfer.files);
  });

  restore();
})();
