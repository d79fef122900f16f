// Sorting and paging of the tables, and the reload of a running job's page. The pages work
// without it: every row is in the HTML, in the server's order.

var PAGE_SIZE = 25;

// Shows one page of a table's rows (the rows stay in the document; the others are hidden).
function pager(table) {
  var size = parseInt(table.dataset.pageSize || PAGE_SIZE, 10);
  var body = table.tBodies[0];
  if (!body || body.rows.length <= size) {
    return function () {};
  }
  var page = 0;
  var bar = document.createElement("div");
  bar.className = "pager";
  var prev = document.createElement("button");
  prev.type = "button";
  prev.textContent = "Previous";
  var next = document.createElement("button");
  next.type = "button";
  next.textContent = "Next";
  var status = document.createElement("span");
  status.setAttribute("aria-live", "polite");
  bar.appendChild(prev);
  bar.appendChild(status);
  bar.appendChild(next);
  var holder = table.parentElement.classList.contains("scroll") ? table.parentElement : table;
  holder.insertAdjacentElement("afterend", bar);
  var show = function () {
    var rows = body.rows;
    var pages = Math.ceil(rows.length / size);
    page = Math.max(0, Math.min(page, pages - 1));
    for (var i = 0; i < rows.length; i++) {
      rows[i].hidden = Math.floor(i / size) !== page;
    }
    var first = page * size + 1;
    var last = Math.min(rows.length, first + size - 1);
    status.textContent = "Rows " + first + "–" + last + " of " + rows.length;
    prev.disabled = page === 0;
    next.disabled = page === pages - 1;
  };
  prev.addEventListener("click", function () { page -= 1; show(); });
  next.addEventListener("click", function () { page += 1; show(); });
  show();
  return function () { page = 0; show(); };
}

// Sorts a table when its header is clicked: by data-sort when the cell has one, else by text.
document.querySelectorAll("table.sortable").forEach(function (table) {
  var repage = pager(table);
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
      repage();
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
  });
});

// While a training job runs, reload its page to show the progress (the server renders it).
if (document.querySelector("[data-job-status=running]")) {
  setTimeout(function () { location.reload(); }, 1500);
}
