// callrec: pop-ups, tabs and the role listboxes. Pages work without it
// where they can; pop-ups are native <dialog> elements, which trap focus
// and close with Escape.
"use strict";
(function () {
  function openDialog(dialog) {
    if (!dialog.open) dialog.showModal();
    var first = dialog.querySelector("[autofocus]");
    if (first) first.focus();
  }

  // A pop-up opened from the URL (e.g. ?edit=12) forgets that part of the
  // URL when it closes, so reloading does not bring it back.
  function forgetDialogParams(dialog) {
    var names = (dialog.dataset.urlParams || "").split(" ").filter(Boolean);
    if (!names.length) return;
    var url = new URL(window.location.href);
    names.forEach(function (name) { url.searchParams.delete(name); });
    window.history.replaceState(null, "", url.pathname + url.search);
  }

  document.querySelectorAll("dialog").forEach(function (dialog) {
    dialog.addEventListener("close", function () { forgetDialogParams(dialog); });
    if (dialog.hasAttribute("data-open")) {
      // Rendered open for browsers without script; make it modal now.
      if (dialog.open) dialog.close();
      openDialog(dialog);
    }
  });

  function moveSelected(from, to) {
    Array.prototype.slice.call(from.selectedOptions).forEach(function (option) {
      if (option.disabled) return;
      option.selected = false;
      to.appendChild(option);
    });
    sortOptions(to);
  }

  function sortOptions(select) {
    var options = Array.prototype.slice.call(select.options);
    options.sort(function (a, b) { return Number(a.dataset.order) - Number(b.dataset.order); });
    options.forEach(function (option) { select.appendChild(option); });
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.dataset.openDialog);
      if (dialog) { event.preventDefault(); openDialog(dialog); }
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      event.preventDefault();
      closer.closest("dialog").close();
      return;
    }
    var mover = event.target.closest("[data-move-from]");
    if (mover) {
      event.preventDefault();
      moveSelected(document.getElementById(mover.dataset.moveFrom), document.getElementById(mover.dataset.moveTo));
      return;
    }
    var tab = event.target.closest('[role="tab"]');
    if (tab) selectTab(tab);
  });

  document.addEventListener("dblclick", function (event) {
    var option = event.target.closest("option");
    var select = option && option.closest("select[data-pair]");
    if (select) moveSelected(select, document.getElementById(select.dataset.pair));
  });

  function selectTab(tab) {
    var list = tab.closest('[role="tablist"]');
    list.querySelectorAll('[role="tab"]').forEach(function (other) {
      var selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.tabIndex = selected ? 0 : -1;
      var panel = document.getElementById(other.getAttribute("aria-controls"));
      if (panel) panel.hidden = !selected;
    });
    tab.focus();
  }

  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest && event.target.closest('[role="tab"]');
    if (!tab || (event.key !== "ArrowRight" && event.key !== "ArrowLeft")) return;
    var tabs = Array.prototype.slice.call(tab.closest('[role="tablist"]').querySelectorAll('[role="tab"]'));
    var step = event.key === "ArrowRight" ? 1 : -1;
    selectTab(tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length]);
    event.preventDefault();
  });

  // The Assigned listbox sends every role it holds, not just the highlighted ones.
  document.addEventListener("submit", function (event) {
    event.target.querySelectorAll("select[data-submit-all]").forEach(function (select) {
      Array.prototype.forEach.call(select.options, function (option) { option.selected = true; });
    });
  });
})();
