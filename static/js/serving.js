// Online prediction: the copy buttons of the "Use the API" card (endpoint, curl, new token).
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.top = "-1000px";
      document.body.appendChild(area);
      area.select();
      var copied = false;
      try {
        copied = document.execCommand("copy");
      } catch (error) {
        copied = false;
      }
      document.body.removeChild(area);
      if (copied) resolve();
      else reject(new Error("copy refused"));
    });
  }

  // Select the text, so Ctrl+C works when the browser refuses to copy for us.
  function select(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function show(button, text, className) {
    if (!button.dataset.label) button.dataset.label = button.textContent;
    button.textContent = text;
    button.classList.remove("is-copied", "is-failed");
    button.classList.add(className);
    window.clearTimeout(button._copyTimer);
    button._copyTimer = window.setTimeout(function () {
      button.textContent = button.dataset.label;
      button.classList.remove(className);
    }, 1800);
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false; // without this script there is nothing to press
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    copyText(source.textContent.trim()).then(
      function () {
        show(button, "Copied", "is-copied");
      },
      function () {
        select(source);
        show(button, "Press Ctrl+C", "is-failed");
      }
    );
  });
})();
