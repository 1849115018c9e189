/* Kith: a few progressive enhancements on top of htmx. Every page works without them.
   No inline script or style is needed anywhere: the Content-Security-Policy forbids both. */
(function () {
  "use strict";

  function announce(text) {
    var region = document.getElementById("live-status");
    if (!region || !text) { return; }
    region.textContent = "";
    // A change after a tick is announced again even when the text is the same.
    window.setTimeout(function () { region.textContent = text; }, 30);
  }

  // A failed request (a refused action, a post that has gone) says so instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var text = document.body.dataset.errorText;
    var xhr = event.detail.xhr;
    if (xhr && xhr.responseText) {
      var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var message = page.querySelector("main .error, main h1 + p");
      if (message && message.textContent.trim()) { text = message.textContent.trim(); }
    }
    announce(text);
  });
  document.addEventListener("htmx:sendError", function () {
    announce(document.body.dataset.offlineText);
  });

  // After "load more", keyboard and screen reader users continue at the first new item.
  document.addEventListener("htmx:afterSettle", function (event) {
    var trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!trigger || !trigger.hasAttribute("data-load-more")) { return; }
    var first = document.querySelector("[data-first-new]");
    if (first) {
      first.removeAttribute("data-first-new");
      first.setAttribute("tabindex", "-1");
      first.focus();
    }
  });

  // A chosen photo shows at once, before anything is uploaded (blob: URLs are allowed for images).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.hasAttribute("data-preview")) { return; }
    var slot = input.closest(".photo-slot") || input.parentElement;
    var image = slot.querySelector("img.photo-preview");
    if (image) { URL.revokeObjectURL(image.src); }
    if (!input.files || !input.files.length) {
      if (image) { image.remove(); }
      return;
    }
    if (!image) {
      image = document.createElement("img");
      image.className = "photo-preview";
      image.alt = input.getAttribute("data-preview") || "";
      slot.appendChild(image);
    }
    image.src = URL.createObjectURL(input.files[0]);
  });

  // A form that was sent and swapped in again starts empty (htmx keeps what the browser had typed).
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (event.detail.successful && form instanceof HTMLFormElement && form.hasAttribute("data-reset-on-success")) {
      form.reset();
    }
  });
})();
