// Call entry: the unit the call would be suggested to, updated as the operator types (gateway/console/dispatch_hint.py).
(function () {
  "use strict";
  var form = document.getElementById("call-form");
  var box = document.getElementById("dispatch-hint");
  if (!form || !box) return;
  var fields = ["content", "address", "district", "category"].map(function (id) { return document.getElementById(id); });
  var BASIS = {table: "派单表", learned: "历史派单", both: "派单表与历史派单一致"};
  var timer = null, pending = null, seq = 0;

  function render(body) {
    var unit = body.suggested_unit;
    box.textContent = "";
    if (!unit) { box.textContent = "暂无建议的承办单位。"; return; }
    var name = document.createElement("strong");
    name.textContent = unit.name;
    box.appendChild(document.createTextNode("建议承办单位："));
    box.appendChild(name);
    box.appendChild(document.createTextNode("（依据：" + (BASIS[unit.basis] || unit.basis) + "，置信度 " +
                                            Math.round(unit.score * 100) + "%）"));
  }

  function fetchHint() {
    var mine = ++seq;
    if (pending) pending.abort();
    pending = new AbortController();
    var query = new URLSearchParams({text: fields[0].value, address: fields[1].value, district: fields[2].value,
                                     category: fields[3].value});
    fetch(box.dataset.url + "?" + query, {signal: pending.signal, credentials: "same-origin",
                                          headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body && mine === seq) render(body); })
      .catch(function () {});
  }

  fields.forEach(function (f) {
    if (!f) return;
    f.addEventListener(f.tagName === "SELECT" ? "change" : "input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchHint, 400);
    });
  });
  if (fields[0].value || fields[3].value) fetchHint();
})();
