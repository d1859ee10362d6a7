/* The alert bell in the header: fetches the server-rendered bell (core.header.alert_bell) at
   once and then every data-bell-interval seconds (20 by default), and whenever an htmx action on the
   page says "bell-refresh" (acknowledging, marking read). The bell is replaced only when its count
   changed, so screen readers are not told the same thing every 20 seconds. Signed out (204) or sent
   to the sign-in page: polling stops. A tab out of sight (another tab in front, the window minimised)
   does not poll: nobody sees its bell, and a clinician keeps a dozen case pages open, each of which
   would ask the server three times a minute all shift. It asks again the moment it is shown. No inline
   script (CSP). */
(function () {
  "use strict";

  var DEFAULT_SECONDS = 20;
  var timer = null;
  var stopped = false;

  function bell() {
    return document.getElementById("bell");
  }

  function interval() {
    var current = bell();
    var seconds = current ? parseInt(current.getAttribute("data-bell-interval"), 10) : NaN;
    return (isNaN(seconds) || seconds < 1 ? DEFAULT_SECONDS : seconds) * 1000;
  }

  function hidden() {
    return document.visibilityState === "hidden";
  }

  function schedule() {
    if (timer) {
      window.clearTimeout(timer);
      timer = null;
    }
    // Out of sight: no timer; "visibilitychange" refreshes when the tab is shown again.
    if (!stopped && !hidden()) {
      timer = window.setTimeout(refresh, interval());
    }
  }

  function same(a, b) {
    return (
      a.getAttribute("data-unread") === b.getAttribute("data-unread") &&
      a.getAttribute("data-loud") === b.getAttribute("data-loud") &&
      a.getAttribute("data-bell-interval") === b.getAttribute("data-bell-interval")
    );
  }

  function swap(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var fresh = template.content.firstElementChild;
    var current = bell();
    if (fresh && fresh.id === "bell" && current && !same(current, fresh)) {
      current.replaceWith(fresh);
    }
  }

  function refresh() {
    var current = bell();
    if (!current || stopped) {
      return;
    }
    if (hidden()) {
      schedule(); // clears a pending tick; nothing is fetched until the tab is shown
      return;
    }
    window
      .fetch(current.getAttribute("data-bell-url"), {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "text/html" },
      })
      .then(function (response) {
        if (response.status === 204 || response.redirected) {
          stopped = true;
          return "";
        }
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        if (html) {
          swap(html);
        }
      })
      .catch(function () {
        /* offline or the server is restarting: try again at the next tick */
      })
      .then(schedule);
  }

  document.addEventListener("bell-refresh", refresh);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      refresh();
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", refresh);
  } else {
    refresh();
  }
})();
