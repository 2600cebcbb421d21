// The big screen (oversight/templates/oversight/big_screen.html): a clock, and a reload every
// data-refresh-seconds seconds — only when the server answers, so a network hiccup leaves the
// last figures (with their "数据更新于" time) on the wall instead of an error page. The
// refresh can be paused (WCAG 2.2.2). No inline script: this file is all there is.
(function () {
  "use strict";

  var MINIMUM_SECONDS = 10;
  var clockFormat = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai",
    year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });

  function tick(clock) {
    var now = new Date();
    clock.textContent = clockFormat.format(now).replace(/\//g, "-");
    clock.setAttribute("datetime", now.toISOString());
  }

  function reloadWhenReachable() {
    if (!window.fetch) { window.location.reload(); return; }
    window.fetch(window.location.href, { method: "HEAD", cache: "no-store", credentials: "same-origin" })
      .then(function (response) { if (response.ok) { window.location.reload(); } else { schedule(); } })
      .catch(function () { schedule(); });
  }

  var seconds = MINIMUM_SECONDS;
  var timer = null;
  var paused = false;

  function schedule() {
    window.clearTimeout(timer);
    if (!paused) { timer = window.setTimeout(reloadWhenReachable, seconds * 1000); }
  }

  function init() {
    var body = document.body;
    seconds = Math.max(MINIMUM_SECONDS, parseInt(body.getAttribute("data-refresh-seconds"), 10) || 300);

    var clock = document.querySelector("[data-clock]");
    if (clock) {
      tick(clock);
      window.setInterval(function () { tick(clock); }, 1000);
    }

    var toggle = document.querySelector("[data-refresh-toggle]");
    var state = document.querySelector("[data-refresh-state]");
    if (toggle) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        paused = !paused;
        toggle.setAttribute("aria-pressed", paused ? "true" : "false");
        if (state) { state.textContent = paused ? "自动刷新已暂停" : "每 " + seconds + " 秒自动刷新"; }
        schedule();
      });
    }
    schedule();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
