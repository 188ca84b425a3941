// jobsmith dashboard: times in the viewer's zone, lists refreshed in place. No libraries.
(function () {
  "use strict";
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) {
        el.textContent = when.toLocaleString();
        el.title = el.getAttribute("datetime");
      }
    });
  }
  function refresh(el) {
    var url = el.getAttribute("data-refresh");
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null) { el.innerHTML = html; localTimes(el); }
      })
      .catch(function () {});
  }
  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    document.querySelectorAll("[data-refresh]").forEach(function (el) {
      setInterval(function () { if (!document.hidden) { refresh(el); } }, 5000);
    });
  });
})();
