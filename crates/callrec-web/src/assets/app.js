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

  // A pop-up opened without the modal backdrop (see the Company MFA page)
  // still keeps Tab inside itself and closes with Escape.
  function openModeless(dialog) {
    if (!dialog.open) dialog.show();
    var first = dialog.querySelector("[autofocus], input, button");
    if (first) first.focus();
  }

  function focusables(dialog) {
    return Array.prototype.filter.call(
      dialog.querySelectorAll("a[href], button, input, select, textarea"),
      function (el) { return !el.disabled && el.type !== "hidden" && el.offsetParent !== null; }
    );
  }

  document.addEventListener("keydown", function (event) {
    var dialog = event.target.closest && event.target.closest("dialog[open]");
    if (!dialog || dialog.matches(":modal")) return;
    if (event.key === "Escape") {
      event.preventDefault();
      dialog.close();
    } else if (event.key === "Tab") {
      var items = focusables(dialog);
      if (!items.length) return;
      var first = items[0];
      var last = items[items.length - 1];
      if (event.shiftKey && document.activeElement === first) { last.focus(); event.preventDefault(); }
      else if (!event.shiftKey && document.activeElement === last) { first.focus(); event.preventDefault(); }
    }
  });

  document.querySelectorAll("dialog").forEach(function (dialog) {
    dialog.addEventListener("close", function () { forgetDialogParams(dialog); });
    // Pop-ups that stand between the password and the portal do not close:
    // their Cancel button signs out instead.
    if (dialog.hasAttribute("data-keep-open")) {
      dialog.addEventListener("cancel", function (event) { event.preventDefault(); });
    }
    if (dialog.hasAttribute("data-open")) {
      // Rendered open for browsers without script; make it modal now.
      if (dialog.open) dialog.close();
      openDialog(dialog);
    }
  });

  // A checkbox that must be ticked before a button works ("I have saved
  // these codes" before Continue).
  document.querySelectorAll("[data-enables]").forEach(function (box) {
    var target = document.getElementById(box.dataset.enables);
    if (!target) return;
    var sync = function () { target.disabled = !box.checked; };
    box.addEventListener("change", sync);
    sync();
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

  // Users → Add user: a Role preset fills the Roles tab; moving roles by
  // hand there makes it Custom.
  document.querySelectorAll("[data-role-preset]").forEach(function (preset) {
    var prefix = preset.dataset.rolePreset;
    var available = document.getElementById(prefix + "-available");
    var assigned = document.getElementById(prefix + "-assigned");
    preset.addEventListener("change", function () {
      var option = preset.selectedOptions[0];
      if (!option || preset.value === "custom") return;
      var wanted = option.dataset.roles.split(" ").filter(Boolean);
      Array.prototype.slice.call(assigned.options).concat(Array.prototype.slice.call(available.options)).forEach(function (role) {
        if (role.disabled) return;
        role.selected = false;
        (wanted.indexOf(role.value) >= 0 ? assigned : available).appendChild(role);
      });
      sortOptions(assigned);
      sortOptions(available);
    });
    document.querySelectorAll('[data-move-from="' + prefix + '-available"], [data-move-from="' + prefix + '-assigned"]').forEach(function (arrow) {
      arrow.addEventListener("click", function () { preset.value = "custom"; });
    });
    [available, assigned].forEach(function (list) {
      list.addEventListener("dblclick", function () { preset.value = "custom"; });
    });
  });

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
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var status = copy.parentElement.querySelector("[data-copy-status]");
      var say = function (text) { if (status) status.textContent = text; };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(copy.dataset.copy).then(
          function () { say("Copied"); },
          function () { say("Copying is blocked here: use Download, or select the codes."); }
        );
      } else {
        say("Copying is blocked here: use Download, or select the codes.");
      }
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

  // The Assigned listbox sends every role it holds, not just the highlighted
  // ones. A role highlighted in Available but not yet moved is assigned too:
  // choosing it and clicking Save means "give this role".
  document.addEventListener("submit", function (event) {
    event.target.querySelectorAll("select[data-submit-all]").forEach(function (select) {
      var available = document.getElementById(select.dataset.pair);
      if (available) moveSelected(available, select);
      Array.prototype.forEach.call(select.options, function (option) { option.selected = true; });
    });
  });

  // My MFA: Reset MFA is chosen in the pop-up and carried out by Save.
  document.querySelectorAll("[data-toggle-reset]").forEach(function (button) {
    var input = document.getElementById(button.dataset.toggleReset);
    var note = button.parentElement.querySelector("[data-reset-note]");
    button.addEventListener("click", function () {
      var on = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", on ? "true" : "false");
      input.value = on ? "1" : "0";
      if (note) note.hidden = !on;
      var save = button.closest("form").querySelector("[data-save-after-reset]");
      if (save) save.disabled = !on;
    });
  });

  // Company MFA: choosing MFA Disabled asks for the typed confirmation at
  // once (and again on Save, from the server, if the browser skipped this).
  document.querySelectorAll("form[data-disable-confirm]").forEach(function (form) {
    var dialog = document.getElementById(form.dataset.disableConfirm);
    var select = form.querySelector("select[name=policy]");
    var openedByChoice = false;
    select.addEventListener("change", function () {
      if (select.value === "disabled" && form.dataset.current !== "disabled") {
        openedByChoice = true;
        openModeless(dialog);
      }
    });
    // Cancelling the pop-up opened by the choice puts the choice back.
    dialog.addEventListener("close", function () {
      if (openedByChoice && select.value === "disabled") select.value = form.dataset.current;
      openedByChoice = false;
    });
    form.addEventListener("submit", function () { openedByChoice = false; });
  });
  // Security keys (WebAuthn): the browser half of Add security key and
  // Use security key. The server sends the options as JSON with binary
  // fields in base64url, and checks the answer the key signs.
  function fromB64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i += 1) bytes[i] = bin.charCodeAt(i);
    return bytes.buffer;
  }

  function toB64url(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer);
    var bin = "";
    for (var i = 0; i < bytes.length; i += 1) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: fromB64url(c.id) }); });
  }

  function keyError(error) {
    var name = error && error.name;
    if (name === "NotAllowedError") return "The security key did not answer (cancelled or timed out). Try again.";
    if (name === "InvalidStateError") return "This security key is registered already.";
    if (name === "SecurityError") return "Security keys cannot be used at this address: open the portal at its own address and try again.";
    if (name === "NotSupportedError") return "This browser cannot use security keys here.";
    return (error && error.message) || "The security key could not be used. Try again.";
  }

  function post(url, body, type) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": type, "Accept": "application/json" },
      body: body,
    }).then(function (response) {
      return response.json().catch(function () { return { error: "Something went wrong. Try again." }; });
    });
  }

  function followOrShow(answer, errorBox, control) {
    if (answer.redirect) { window.location.assign(answer.redirect); return; }
    errorBox.textContent = answer.error || "Something went wrong. Try again.";
    errorBox.hidden = false;
    control.disabled = false;
  }

  function startKeyCeremony(control, errorBox, run) {
    errorBox.hidden = true;
    if (!window.PublicKeyCredential || !navigator.credentials) {
      followOrShow({ error: "This browser cannot use security keys." }, errorBox, control);
      return;
    }
    control.disabled = true;
    run().catch(function (error) { followOrShow(refusal(error), errorBox, control); });
  }

  // A key's answer to a challenge from `optionsUrl`, as the JSON the
  // server reads; rejects with the server's refusal ({error}) or the
  // browser's error.
  function keyAnswer(optionsUrl) {
    return post(optionsUrl, "", "application/x-www-form-urlencoded").then(function (options) {
      if (!options.publicKey) return Promise.reject(options);
      var publicKey = Object.assign({}, options.publicKey, {
        challenge: fromB64url(options.publicKey.challenge),
        allowCredentials: withIds(options.publicKey.allowCredentials),
      });
      return navigator.credentials.get({ publicKey: publicKey }).then(function (credential) {
        return JSON.stringify({
          id: credential.id,
          rawId: toB64url(credential.rawId),
          type: credential.type,
          response: {
            authenticatorData: toB64url(credential.response.authenticatorData),
            clientDataJSON: toB64url(credential.response.clientDataJSON),
            signature: toB64url(credential.response.signature),
            userHandle: toB64url(credential.response.userHandle),
          },
          extensions: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
        });
      });
    });
  }

  function refusal(error) {
    return error && error.error ? error : { error: keyError(error) };
  }

  function errorBoxNear(element) {
    return element.closest("dialog, form, main").querySelector("[data-webauthn-error]");
  }

  document.querySelectorAll("[data-webauthn-sign-in]").forEach(function (button) {
    var errorBox = errorBoxNear(button);
    button.addEventListener("click", function () {
      startKeyCeremony(button, errorBox, function () {
        return keyAnswer("/mfa/security-key/options")
          .then(function (answer) { return post("/mfa/security-key", answer, "application/json"); })
          .then(function (result) { followOrShow(result, errorBox, button); });
      });
    });
  });

  // "Confirm it's you" with a key: the answer goes in the proof field and
  // the form is sent.
  document.querySelectorAll("[data-webauthn-confirm]").forEach(function (button) {
    var errorBox = errorBoxNear(button);
    var form = button.closest("form");
    button.addEventListener("click", function () {
      startKeyCeremony(button, errorBox, function () {
        return keyAnswer("/my-mfa/confirm-key/options")
          .then(function (answer) {
            form.querySelector("[name=proof]").value = answer;
            form.submit();
          });
      });
    });
  });

  document.querySelectorAll("form[data-webauthn-add]").forEach(function (form) {
    var errorBox = form.querySelector("[data-webauthn-error]");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      startKeyCeremony(button, errorBox, function () {
        // Without an authenticator application, one of the keys the user
        // has confirms it is them first.
        var proofKey = form.querySelector("[data-proof-key]");
        var proven = proofKey && form.querySelector("[name=name]").value.trim()
          ? keyAnswer("/my-mfa/confirm-key/options").then(function (answer) { proofKey.value = answer; })
          : Promise.resolve();
        return proven.then(function () {
          var body = new URLSearchParams(new FormData(form)).toString();
          return post(form.action, body, "application/x-www-form-urlencoded");
        }).then(function (options) {
          if (!options.publicKey) return followOrShow(options, errorBox, button);
          var publicKey = Object.assign({}, options.publicKey, {
            challenge: fromB64url(options.publicKey.challenge),
            user: Object.assign({}, options.publicKey.user, { id: fromB64url(options.publicKey.user.id) }),
            excludeCredentials: withIds(options.publicKey.excludeCredentials),
          });
          return navigator.credentials.create({ publicKey: publicKey }).then(function (credential) {
            var answer = {
              id: credential.id,
              rawId: toB64url(credential.rawId),
              type: credential.type,
              response: {
                attestationObject: toB64url(credential.response.attestationObject),
                clientDataJSON: toB64url(credential.response.clientDataJSON),
                transports: credential.response.getTransports ? credential.response.getTransports() : undefined,
              },
              extensions: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
            };
            return post("/my-mfa/security-keys", JSON.stringify(answer), "application/json").then(function (result) {
              followOrShow(result, errorBox, button);
            });
          });
        });
      });
    });
  });
})();

// "Select all on this page": ticks or clears every row's checkbox of the
// class it names, and follows them (cleared when one is cleared).
(function () {
  // The bulk bar says how many rows are ticked, and stands out once any are.
  var bulk = document.querySelector("[data-bulk]");
  function countSelected() {
    if (!bulk) return;
    var n = document.querySelectorAll("input.row-select:checked").length;
    var count = bulk.querySelector("[data-selected-count]");
    if (count) count.textContent = n + " selected";
    bulk.classList.toggle("active", n > 0);
  }
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    var rows = function () { return document.querySelectorAll("input." + all.dataset.selectAll); };
    all.addEventListener("change", function () {
      rows().forEach(function (box) { box.checked = all.checked; });
      countSelected();
    });
    rows().forEach(function (box) {
      box.addEventListener("change", function () {
        all.checked = Array.prototype.every.call(rows(), function (b) { return b.checked; });
        countSelected();
      });
    });
  });
  countSelected();

  // A row's "…" menu: one open at a time; Escape or a click elsewhere
  // closes it.
  function closeMenus(except) {
    document.querySelectorAll("[data-menu-button][aria-expanded=true]").forEach(function (button) {
      if (button === except) return;
      button.setAttribute("aria-expanded", "false");
      document.getElementById(button.getAttribute("aria-controls")).hidden = true;
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-menu-button]");
    closeMenus(button);
    if (button) {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      var items = document.getElementById(button.getAttribute("aria-controls"));
      items.hidden = !open;
      if (open) { var first = items.querySelector("a, button"); if (first) first.focus(); }
      return;
    }
    // The whole row opens the recording; its controls keep their own jobs.
    var row = event.target.closest("tr[data-href]");
    if (row && !event.target.closest("a, button, input, label, form, [data-menu]")) {
      window.location.assign(row.dataset.href);
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("[data-menu-button][aria-expanded=true]");
    if (open) { closeMenus(null); open.focus(); }
  });

  // Filters: a date preset searches at once (Custom shows its two fields);
  // on a phone the filters fold behind the Filters button.
  var filters = document.querySelector("form[data-filters]");
  if (filters) {
    var custom = filters.querySelector("[data-custom-dates]");
    filters.querySelectorAll("input[name=period]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (radio.value === "custom") {
          custom.hidden = false;
          var start = custom.querySelector("input");
          if (start) start.focus();
        } else {
          custom.querySelectorAll("input").forEach(function (input) { input.value = ""; });
          filters.requestSubmit();
        }
      });
    });
    var toggle = document.querySelector("[data-filters-toggle]");
    var folded = !document.querySelector(".error-summary");
    var fold = function (on) {
      filters.classList.toggle("folded", on);
      if (toggle) toggle.setAttribute("aria-expanded", on ? "false" : "true");
    };
    fold(folded);
    if (toggle) toggle.addEventListener("click", function () { fold(!filters.classList.contains("folded")); });
  }

  // On a phone the menu is one row that scrolls: the current page in view.
  var here = document.querySelector('.menu a[aria-current="page"]');
  if (here && here.scrollIntoView && window.innerWidth <= 760) here.scrollIntoView({ block: "nearest", inline: "center" });

  // An error summary takes the focus, so it is read out first.
  var summary = document.querySelector("[data-focus-on-load]");
  if (summary) summary.focus();
})();
