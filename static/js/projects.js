// Project form (metric follows the task) and the schema table editor.
(function () {
  "use strict";
  var task = document.getElementById("f-task");
  var metric = document.getElementById("f-metric");
  if (task && metric && task.dataset.metrics) {
    var metrics = JSON.parse(task.dataset.metrics);
    var defaults = JSON.parse(task.dataset.defaults);
    var labels = JSON.parse(task.dataset.labels);
    task.addEventListener("change", function () {
      var choices = metrics[task.value] || [];
      metric.innerHTML = "";
      if (!choices.length) {
        metric.add(new Option("Default for the task", ""));
        return;
      }
      choices.forEach(function (name) {
        metric.add(new Option(labels[name] || name, name, false, name === defaults[task.value]));
      });
    });
  }

  var table = document.getElementById("schema-table");
  if (!table) return;
  var body = table.tBodies[0];
  function renumber() {
    Array.prototype.forEach.call(body.rows, function (row, index) {
      var cell = row.querySelector(".pos");
      cell.querySelector("input").value = index + 1;
      cell.querySelector("span").textContent = index + 1;
    });
  }
  body.addEventListener("click", function (event) {
    var button = event.target.closest(".js-remove-row");
    if (!button) return;
    button.closest("tr").remove();
    renumber();
  });
  var add = document.getElementById("add-column");
  var template = document.getElementById("row-template");
  if (add && template) {
    add.addEventListener("click", function () {
      body.appendChild(template.content.cloneNode(true));
      renumber();
      var inputs = body.querySelectorAll("input[name=col_name]");
      inputs[inputs.length - 1].focus();
    });
  }
})();
