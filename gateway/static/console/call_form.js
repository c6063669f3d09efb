// Call entry: live duplicate suggestions, the caller's earlier reports, and keyboard shortcuts.
// Every text from the server is put in the page with textContent, never as HTML.
(function () {
  "use strict";
  var form = document.getElementById("call-form");
  if (!form) return;
  var content = document.getElementById("content");
  var address = document.getElementById("address");
  var district = document.getElementById("district");
  var phone = document.getElementById("caller_number");
  var list = document.getElementById("suggestions");
  var status = document.getElementById("suggest-status");
  var history = document.getElementById("caller-history");
  var attachField = document.getElementById("attach_to_case");
  var attachNote = document.getElementById("attach-note");
  var attachCase = document.getElementById("attach-case");
  var lastQuery = "", pending = null, seq = 0;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  function attach(caseId) {
    attachField.value = String(caseId);
    attachCase.textContent = String(caseId);
    attachNote.hidden = false;
    form.requestSubmit ? form.requestSubmit() : form.submit();
  }

  function renderSuggestions(items) {
    list.textContent = "";
    if (!items.length) { status.textContent = "暂未发现疑似重复的在办案件。"; return; }
    status.textContent = "找到 " + items.length + " 个疑似重复案件（Alt+↓ 选择，Enter 并入）。";
    items.forEach(function (s, i) {
      var li = el("li", "suggestion" + (s.likely ? " likely" : ""));
      li.setAttribute("role", "option");
      li.tabIndex = -1;
      li.dataset.caseId = s.case_id;
      var head = el("div", "head");
      var link = el("a", null, "案件 " + s.case_id);
      link.href = form.dataset.caseUrl.replace(/0$/, String(s.case_id));
      link.target = "_blank";
      link.tabIndex = -1;
      head.appendChild(link);
      head.appendChild(el("span", "meta", " · " + s.reports + " 件诉求 · 相似度 " + s.score.toFixed(2) +
                                          (s.likely ? " · 很可能重复" : "")));
      li.appendChild(head);
      if (s.evidence.shared_names.length) {
        var names = el("div", "names", "共同地名：");
        s.evidence.shared_names.forEach(function (n) { names.appendChild(el("mark", null, n)); });
        li.appendChild(names);
      }
      var quote = el("p", "quote");
      s.report.segments.forEach(function (seg) { quote.appendChild(el(seg[1] ? "mark" : "span", null, seg[0])); });
      li.appendChild(quote);
      var button = el("button", "attach-button", "并入此案件");
      button.type = "button";
      button.tabIndex = -1;
      button.addEventListener("click", function () { attach(s.case_id); });
      li.appendChild(button);
      li.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { e.preventDefault(); attach(s.case_id); }
      });
      list.appendChild(li);
    });
  }

  function fetchSuggestions() {
    var text = content.value.trim();
    var query = new URLSearchParams({text: text, address: address.value, district: district.value,
                                     phone: phone.value}).toString();
    if (query === lastQuery) return;
    lastQuery = query;
    if (text.length < 4) { list.textContent = ""; status.textContent = "输入诉求内容后自动查找。"; return; }
    if (pending) pending.abort();
    pending = new AbortController();
    var mine = ++seq;
    status.textContent = "查找中……";
    fetch(form.dataset.suggestUrl + "?" + query, {signal: pending.signal, credentials: "same-origin",
                                                  headers: {"Accept": "application/json"}})
      .then(function (r) {
        if (r.status === 401) { window.location.reload(); throw new Error("signed out"); }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (body) { if (mine === seq) renderSuggestions(body.suggestions); })
      .catch(function (err) { if (err.name !== "AbortError" && mine === seq) status.textContent = "查重暂不可用。"; });
  }

  function fetchHistory() {
    var number = phone.value.trim();
    history.textContent = "";
    if (number.replace(/\D/g, "").length < 5) return;
    fetch(form.dataset.callerUrl + "?" + new URLSearchParams({number: number}),
          {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {reports: []}; })
      .then(function (body) {
        if (phone.value.trim() !== number) return;
        history.textContent = "";
        if (!body.reports.length) { history.appendChild(el("p", "hint", "该号码没有以往诉求。")); return; }
        history.appendChild(el("p", "hint", "该号码以往诉求 " + body.reports.length + " 件："));
        var ul = el("ul");
        body.reports.forEach(function (r) {
          var li = el("li");
          li.appendChild(el("span", "mono", r.reference));
          li.appendChild(el("span", null, " " + r.received_local + " " + r.status_name + " "));
          if (r.case_id) {
            var a = el("a", null, "案件 " + r.case_id);
            a.href = form.dataset.caseUrl.replace(/0$/, String(r.case_id));
            li.appendChild(a);
          }
          li.appendChild(el("span", null, " " + r.excerpt));
          ul.appendChild(li);
        });
        history.appendChild(ul);
      })
      .catch(function () { /* history is a help, not a must */ });
  }

  var suggestSoon = debounce(fetchSuggestions, 300);
  [content, address].forEach(function (f) { f.addEventListener("input", suggestSoon); });
  district.addEventListener("change", suggestSoon);
  phone.addEventListener("input", debounce(fetchHistory, 400));
  if (phone.value) fetchHistory();
  if (content.value) fetchSuggestions();

  document.getElementById("attach-clear").addEventListener("click", function () {
    attachField.value = "";
    attachNote.hidden = true;
    content.focus();
  });

  function options() { return Array.prototype.slice.call(list.querySelectorAll("li.suggestion")); }

  document.addEventListener("keydown", function (e) {
    if (e.altKey && (e.key === "s" || e.key === "S")) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.submit();
      return;
    }
    var items = options();
    var at = items.indexOf(document.activeElement);
    if (e.altKey && e.key === "ArrowDown" && items.length && at < 0) {
      e.preventDefault();
      items[0].focus();
    } else if (at >= 0 && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      items[Math.max(0, Math.min(items.length - 1, at + (e.key === "ArrowDown" ? 1 : -1)))].focus();
    } else if (at >= 0 && e.key === "Escape") {
      e.preventDefault();
      content.focus();
    }
  });
})();
