/* Tells the user when an in-page (htmx) request did not go through, instead of leaving the page as it
   was with no word: a write refused because of a concurrent one (503: nothing was saved), any other
   error answer, or no answer at all (offline). The banner (#request-error in base.html) carries the
   translated texts in data attributes; it goes away on the next request that succeeds, or when clicked.
   No inline script (CSP). */
(function () {
  "use strict";

  function banner() {
    return document.getElementById("request-error");
  }

  function show(kind) {
    var element = banner();
    if (!element) {
      return;
    }
    element.textContent = element.getAttribute("data-" + kind);
    element.hidden = false;
  }

  function hide() {
    var element = banner();
    if (element) {
      element.hidden = true;
    }
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : 0;
    show(status === 503 ? "conflict" : "failed");
  });
  document.addEventListener("htmx:sendError", function () {
    show("offline");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) {
      hide();
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target === banner()) {
      hide();
    }
  });
})();
