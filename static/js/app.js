// Small behaviours shared by every page.
(function () {
  "use strict";
  // Ask before destructive actions: <form data-confirm="Delete this?">
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  // The CSRF token for scripts that post with fetch/XHR.
  window.mlp = {
    csrfToken: function () {
      var meta = document.querySelector('meta[name="csrf-token"]');
      return meta ? meta.getAttribute("content") : "";
    },
  };
})();
