/* gongkai-audit index: filter, search and sort the agency-years. Data is inert JSON; rows are built
   with textContent only (no HTML from data). No network. */
(function () {
  "use strict";
  var el = document.getElementById("data");
  if (!el) return;
  var rows = JSON.parse(el.textContent);   // [page, agency, year, template, region, errors, warnings, infos, worst, codes, new]
  var body = document.getElementById("rows"), more = document.getElementById("more"), count = document.getElementById("count");
  var q = document.getElementById("q");
  var sel = { region: 4, year: 2, template: 3 };
  var PAGE = 200, shown = PAGE, sortCol = -1, sortDir = 1, current = rows;
  function fill(id, col) {
    var s = document.getElementById(id), seen = {}, vals = [];
    rows.forEach(function (r) { var v = String(r[col]); if (v !== "" && !seen[v]) { seen[v] = 1; vals.push(v); } });
    vals.sort();
    vals.forEach(function (v) { var o = document.createElement("option"); o.value = v; o.textContent = v; s.appendChild(o); });
  }
  fill("f-region", 4); fill("f-year", 2); fill("f-template", 3);
  function val(id) { return document.getElementById(id).value; }
  function apply() {
    var text = q.value.trim(), region = val("f-region"), year = val("f-year"), tpl = val("f-template"),
        rule = val("f-rule"), sev = val("f-severity");
    current = rows.filter(function (r) {
      if (text && String(r[1]).indexOf(text) < 0) return false;
      if (region && String(r[4]) !== region) return false;
      if (year && String(r[2]) !== year) return false;
      if (tpl && String(r[3]) !== tpl) return false;
      if (rule && (" " + r[9] + " ").indexOf(" " + rule + " ") < 0 && r[8] !== rule) return false;
      if (sev === "error" && !r[5]) return false;
      if (sev === "warning" && !r[6]) return false;
      if (sev === "clean" && (r[5] || r[6])) return false;
      return true;
    });
    if (sortCol >= 0) {
      current = current.slice().sort(function (a, b) {
        var x = a[sortCol], y = b[sortCol];
        if (typeof x === "number" && typeof y === "number") return (x - y) * sortDir;
        return String(x).localeCompare(String(y), "zh") * sortDir;
      });
    }
    shown = PAGE; draw();
  }
  function cell(tr, text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); return td; }
  function draw() {
    body.textContent = "";
    var frag = document.createDocumentFragment();
    current.slice(0, shown).forEach(function (r) {
      var tr = document.createElement("tr"), td = document.createElement("td"), a = document.createElement("a");
      a.href = r[0]; a.textContent = r[1]; td.appendChild(a); tr.appendChild(td);
      cell(tr, r[2], "num"); cell(tr, r[3]); cell(tr, r[4]);
      cell(tr, r[5], "num" + (r[5] ? " sev-error" : "")); cell(tr, r[6], "num" + (r[6] ? " sev-warning" : ""));
      cell(tr, r[7], "num"); cell(tr, r[8]); cell(tr, r[10] || "", "num");
      frag.appendChild(tr);
    });
    body.appendChild(frag);
    count.textContent = Math.min(shown, current.length) + " / " + current.length;
    more.hidden = current.length <= shown;
  }
  more.addEventListener("click", function () { shown += PAGE; draw(); });
  ["f-region", "f-year", "f-template", "f-rule", "f-severity"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", apply);
  });
  q.addEventListener("input", apply);
  Array.prototype.forEach.call(document.querySelectorAll("#reports th[data-col]"), function (th) {
    th.addEventListener("click", function () {
      var c = +th.getAttribute("data-col");
      sortDir = sortCol === c ? -sortDir : (c >= 5 ? -1 : 1); sortCol = c;
      Array.prototype.forEach.call(document.querySelectorAll("#reports th"), function (h) { h.className = h.className.replace(/ ?sorted-(asc|desc)/g, ""); });
      th.className += sortDir > 0 ? " sorted-asc" : " sorted-desc";
      apply();
    });
  });
  apply();
})();
