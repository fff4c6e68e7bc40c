// mauth console: small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Ask before destructive actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });

  // Refresh an activation page when its status changes (waiting for the phone).
  var card = document.querySelector("[data-poll]");
  if (card) {
    var url = card.getAttribute("data-poll"), was = card.getAttribute("data-status");
    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (j && j.status && j.status !== was) { window.location.reload(); return; }
          window.setTimeout(poll, 1500);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 1500);
  }

  // Live progress of a push campaign being sent: the counters follow the
  // status endpoint; the page reloads when the send ends (for its buttons).
  var camp = document.querySelector("[data-campaign-poll]");
  if (camp && camp.getAttribute("data-running") === "true") {
    var curl = camp.getAttribute("data-campaign-poll");
    var set = function (id, v) { var el = document.getElementById(id); if (el) { el.textContent = String(v); } };
    var cpoll = function () {
      fetch(curl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (j) {
            set("campaign-status", j.status); set("campaign-sent", j.sent); set("campaign-failed", j.failed);
            set("campaign-pending", j.pending); set("campaign-total", j.total);
            var bar = document.getElementById("campaign-progress");
            if (bar) { bar.value = j.percent; bar.textContent = j.percent + "%"; }
            if (!j.running) { window.location.reload(); return; }
          }
          window.setTimeout(cpoll, 1000);
        })
        .catch(function () { window.setTimeout(cpoll, 5000); });
    };
    window.setTimeout(cpoll, 1000);
  }

  // Live Mobile Token preview of a template: the server renders it from
  // the form as edited (the "Preview" button does the same without script).
  var box = document.getElementById("mobile-preview");
  var pform = box && box.closest("form");
  if (pform) {
    var timer = null;
    var refresh = function () {
      fetch(box.getAttribute("data-preview-url") + "?fragment=1", { method: "POST", credentials: "same-origin", body: new URLSearchParams(new FormData(pform)) })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          var doc = new DOMParser().parseFromString(html, "text/html");
          box.replaceChildren.apply(box, Array.prototype.slice.call(doc.body.childNodes));
        })
        .catch(function () {});
    };
    pform.addEventListener("input", function () { window.clearTimeout(timer); timer = window.setTimeout(refresh, 300); });
    refresh();
  }

  // Live preview of a template's data as the Mobile Token renders the parameters.
  document.querySelectorAll("[data-preview-of]").forEach(function (out) {
    var input = document.getElementById(out.getAttribute("data-preview-of"));
    if (!input) { return; }
    var show = function () {
      out.textContent = input.value.replace(/\$\{([^}]+)\}/g, function (_, name) { return "‹" + name + "›"; });
    };
    input.addEventListener("input", show);
    show();
  });
})();
