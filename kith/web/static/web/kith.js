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

  function parse(html) {
    return new DOMParser().parseFromString(html || "", "text/html");
  }

  // ---- errors: every refused request says why, where it was made ----------------------

  // What an error page says: kith's error pages put it in "main .error", or right under the heading.
  function messageIn(page) {
    var found = page.querySelector("main .error, main h1 + p, body > h1 + p");
    return found && found.textContent.trim();
  }

  // A message beside the form (or link, or fieldset) that sent the request, replacing an earlier one there.
  function sayBeside(element, text) {
    if (!element || !element.isConnected) { announce(text); return; }
    clearBeside(element);
    var note = document.createElement("p");
    note.className = "error request-error";
    note.setAttribute("role", "alert");
    note.textContent = text;
    element.insertAdjacentElement("afterend", note);
  }

  function clearBeside(element) {
    var next = element && element.nextElementSibling;
    if (next && next.classList.contains("request-error")) { next.remove(); }
  }

  // The element an answer is meant to replace: the hx-select when there is one, else the target by its id.
  function replacementSelector(detail) {
    var element = detail.requestConfig && detail.requestConfig.elt;
    var selecting = element && element.closest("[hx-select]");
    if (selecting) { return selecting.getAttribute("hx-select"); }
    return detail.target && detail.target.id ? "#" + CSS.escape(detail.target.id) : null;
  }

  // An error answer (the htmx-config meta sends every 4xx and 5xx here):
  // - a form sent back with its errors and what was written (422 "A post needs some text", a 400, a 403 on a
  //   comment...) holds the element it replaces: it is swapped in, as the page would be without JavaScript;
  // - anything else (an error page: a post that has gone, a refused action) is said beside what was pressed.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!detail.isError) { return; }
    var page = parse(detail.xhr.responseText);
    var selector = replacementSelector(detail);
    detail.isError = false;  // handled here: htmx need not report it as well
    if (selector && page.querySelector(selector)) {
      detail.shouldSwap = true;
      return;
    }
    detail.shouldSwap = false;
    sayBeside(detail.requestConfig && detail.requestConfig.elt, messageIn(page) || document.body.dataset.errorText);
  });
  document.addEventListener("htmx:sendError", function (event) {
    sayBeside(event.detail.requestConfig && event.detail.requestConfig.elt, document.body.dataset.offlineText);
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    clearBeside(event.detail.elt);
  });

  // ---- after a redirect: "Your post has been deleted." is read first ------------------------

  var messages = document.getElementById("messages");
  if (messages) { messages.focus(); }

  // ---- asking first: a form marked data-confirm shows its confirmation page's box as a dialog ----
  // Without JavaScript the form (method get) opens that page; the box's own form does the deed.

  function openDialog(box, opener) {
    var dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.appendChild(document.importNode(box, true));
    var title = dialog.querySelector("h1, h2");
    if (title && title.id) { dialog.setAttribute("aria-labelledby", title.id); }
    document.body.appendChild(dialog);
    var cancel = dialog.querySelector("[data-cancel]");
    if (cancel) {
      cancel.addEventListener("click", function (event) { event.preventDefault(); dialog.close(); });
    }
    dialog.addEventListener("close", function () {
      dialog.remove();
      if (opener && opener.isConnected) { opener.focus(); }
    });
    dialog.showModal();
    if (cancel) { cancel.focus(); }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm") || typeof HTMLDialogElement !== "function") { return; }
    event.preventDefault();
    var url = new URL(form.action, window.location.href);
    new FormData(form).forEach(function (value, key) { url.searchParams.set(key, value); });
    var opener = event.submitter || form.querySelector("button");
    clearBeside(form);
    fetch(url.toString(), { credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (html) {
          var page = parse(html);
          var box = response.ok && page.querySelector("[data-confirm-box]");
          if (box) { openDialog(box, opener); } else { sayBeside(form, messageIn(page) || document.body.dataset.errorText); }
        });
      })
      .catch(function () { sayBeside(form, document.body.dataset.offlineText); });
  });

  // ---- compose: Public, All aspects and single aspects exclude each other, as in diaspora*'s publisher ----
  // (Run while capturing, before htmx reads the boxes for the "who will see this post" preview.)

  function audienceKind(value) {
    return value === "public" || value === "all_aspects" ? value : "aspect";
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || box.name !== "audience" || !box.checked || !box.closest("form.compose")) { return; }
    var kind = audienceKind(box.value);
    box.form.querySelectorAll("input[name='audience']").forEach(function (other) {
      if (audienceKind(other.value) !== kind) { other.checked = false; }
    });
  }, true);

  // Naming people makes the post limited: Public is unticked (the preview follows when the field is left).
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLInputElement) || field.name !== "people" || !field.value.trim() || !field.closest("form.compose")) { return; }
    var everyone = field.form.querySelector("input[name='audience'][value='public']");
    if (everyone && everyone.checked) { everyone.checked = false; }
  });

  // ---- small things ---------------------------------------------------------------------

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

  // A form that was sent and swapped in again starts empty (htmx keeps what the browser had typed);
  // one that was refused keeps what was written.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status >= 200 && status < 400 && form instanceof HTMLFormElement && form.hasAttribute("data-reset-on-success")) {
      form.reset();
    }
  });
})();
