// Sorts a table when its header is clicked: by data-sort when the cell has one, else by text.
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, col) {
    th.tabIndex = 0;
    var sort = function () {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var body = table.tBodies[0];
      var key = function (row) {
        var c = row.cells[col];
        var n = c && c.dataset.sort !== undefined ? parseFloat(c.dataset.sort) : NaN;
        return isNaN(n) ? (c ? c.textContent.trim().toLowerCase() : "") : n;
      };
      Array.from(body.rows).sort(function (a, b) {
        var x = key(a), y = key(b);
        var r = x < y ? -1 : x > y ? 1 : 0;
        return asc ? r : -r;
      }).forEach(function (row) { body.appendChild(row); });
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
  });
});

// While a training job runs, reload its page to show the progress (the server renders it).
if (document.querySelector("[data-job-status=running]")) {
  setTimeout(function () { location.reload(); }, 1500);
}
