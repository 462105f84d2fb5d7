// callrec: the one player (Recordings, pinned at the bottom; a recording's
// page, at the top). One <audio> element, so two calls never play at once;
// the waveform is drawn from the peaks the server keeps; Solo and Mute go
// through Web Audio, made on first use.
"use strict";
(function () {
  var root = document.querySelector("[data-player]");
  if (!root) return;
  var audio = root.querySelector("[data-audio]");
  var canvas = root.querySelector("[data-waveform]");
  var toggle = root.querySelector("[data-toggle]");
  var timeOut = root.querySelector("[data-player-time]");
  var title = root.querySelector("[data-player-title]");
  var lanesBox = root.querySelector("[data-player-lanes]");
  var speed = root.querySelector("[data-speed]");
  var volume = root.querySelector("[data-volume]");
  var status = root.querySelector("[data-player-status]");
  var download = root.querySelector("[data-download]");
  var copyLink = root.querySelector("[data-copy-link]");
  var SPEEDS = ["0.75", "1", "1.25", "1.5", "1.75", "2"];
  var state = { id: null, lanes: [], durationMs: 0, markers: [], spans: [], graph: null, solo: null, muted: [] };

  audio.preservesPitch = true;

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function total() {
    return isFinite(audio.duration) && audio.duration > 0 ? audio.duration : state.durationMs / 1000;
  }

  function say(text) { if (status) status.textContent = text; }

  function showTime() {
    timeOut.textContent = clock(audio.currentTime) + " / " + clock(total());
    draw();
  }

  function draw() {
    var ratio = window.devicePixelRatio || 1;
    var width = canvas.clientWidth, height = canvas.clientHeight;
    if (!width || !height) return;
    if (canvas.width !== Math.round(width * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    var g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    var lanes = state.lanes.length ? state.lanes : [{ peaks: [] }];
    var laneHeight = height / lanes.length;
    var played = total() ? audio.currentTime / total() : 0;
    var loudest = 1;
    lanes.forEach(function (lane) { lane.peaks.forEach(function (p) { if (p > loudest) loudest = p; }); });
    lanes.forEach(function (lane, index) {
      var middle = laneHeight * index + laneHeight / 2;
      var peaks = lane.peaks;
      if (index > 0) {
        g.fillStyle = "#d0d5dd";
        g.fillRect(0, laneHeight * index, width, 1);
      }
      if (!peaks.length) {
        g.fillStyle = "#98a2b3";
        g.fillRect(0, middle, width, 1);
        return;
      }
      var bars = Math.min(peaks.length, Math.floor(width / 2));
      for (var b = 0; b < bars; b += 1) {
        var from = Math.floor(b * peaks.length / bars), to = Math.max(from + 1, Math.floor((b + 1) * peaks.length / bars));
        var peak = 0;
        for (var i = from; i < to; i += 1) peak = Math.max(peak, peaks[i]);
        var h = Math.max(1, (peak / loudest) * (laneHeight / 2 - 3));
        var x = (b / bars) * width;
        var silenced = state.muted[index] || (state.solo !== null && state.solo !== index);
        g.fillStyle = b / bars < played ? (silenced ? "#9fb3d9" : "#1d4ed8") : (silenced ? "#e4e7ec" : "#98a2b3");
        g.fillRect(x, middle - h, Math.max(1, width / bars - 1), h * 2);
      }
    });
    // Spans the phone system paused: shaded, so their silence reads as such.
    state.spans.forEach(function (span) {
      if (!total()) return;
      g.fillStyle = "rgba(220, 104, 3, 0.12)";
      g.fillRect((span[0] / total()) * width, 0, Math.max(2, ((span[1] - span[0]) / total()) * width), height);
    });
    state.markers.forEach(function (at) {
      var x = total() ? (at / total()) * width : 0;
      g.fillStyle = "#dc6803";
      g.fillRect(x - 1, 0, 2, height);
    });
    g.fillStyle = "#101828";
    g.fillRect(played * width - 1, 0, 2, height);
  }

  function seekTo(seconds) {
    var end = total();
    audio.currentTime = Math.max(0, end ? Math.min(seconds, end) : seconds);
    showTime();
  }

  function stepSpeed(step) {
    var at = SPEEDS.indexOf(String(audio.playbackRate));
    var next = SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, (at < 0 ? 1 : at) + step))];
    speed.value = next;
    audio.playbackRate = Number(next);
    say("Speed " + next + "×");
  }

  // Web Audio: each party through its own gain, both heard in both ears.
  function graph() {
    if (state.graph) return state.graph;
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    var context = new Context();
    var source = context.createMediaElementSource(audio);
    var split = context.createChannelSplitter(2);
    var merge = context.createChannelMerger(2);
    var gains = [context.createGain(), context.createGain()];
    source.connect(split);
    gains.forEach(function (gain, i) {
      split.connect(gain, i);
      gain.connect(merge, 0, 0);
      gain.connect(merge, 0, 1);
    });
    merge.connect(context.destination);
    state.graph = { context: context, gains: gains };
    return state.graph;
  }

  function applyParties() {
    var g = state.lanes.length === 2 ? graph() : null;
    lanesBox.querySelectorAll("[data-lane]").forEach(function (lane) {
      var i = Number(lane.dataset.lane);
      var heard = !state.muted[i] && (state.solo === null || state.solo === i);
      lane.querySelector("[data-solo]").setAttribute("aria-pressed", state.solo === i ? "true" : "false");
      lane.querySelector("[data-mute]").setAttribute("aria-pressed", state.muted[i] ? "true" : "false");
      lane.classList.toggle("silenced", !heard);
      if (g) g.gains[i].gain.value = heard ? 1 : 0;
    });
    root.dataset.heard = state.lanes.map(function (_, i) {
      return !state.muted[i] && (state.solo === null || state.solo === i) ? "1" : "0";
    }).join("");
    draw();
  }

  function showLanes() {
    lanesBox.textContent = "";
    state.lanes.forEach(function (lane, i) {
      var box = document.createElement("div");
      box.className = "lane";
      box.dataset.lane = String(i);
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", lane.label);
      var name = document.createElement("span");
      name.className = "lane-label";
      name.textContent = lane.label;
      box.appendChild(name);
      if (state.lanes.length === 2) {
        ["Solo", "Mute"].forEach(function (word) {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "chip";
          button.textContent = word;
          button.setAttribute("aria-pressed", "false");
          button.dataset[word.toLowerCase()] = "";
          box.appendChild(button);
        });
      }
      lanesBox.appendChild(box);
    });
    applyParties();
  }

  function load(id, label, start, play) {
    if (state.id !== id) {
      state.id = id;
      state.lanes = [];
      state.solo = null;
      state.muted = [];
      audio.src = "/recordings/" + id + "/audio";
      audio.playbackRate = Number(speed.value);
      root.dataset.id = id;
      if (download) { download.href = "/recordings/" + id + "/download"; download.hidden = false; }
      copyLink.hidden = false;
      if (label) title.textContent = label;
      document.querySelectorAll("[data-play]").forEach(function (button) {
        var row = button.closest("tr");
        var current = button.dataset.play === id;
        if (row) row.classList.toggle("current", current);
        button.setAttribute("aria-pressed", current ? "true" : "false");
      });
      fetch("/recordings/" + id + "/waveform", { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body || state.id !== id) return;
          state.durationMs = body.duration_ms;
          state.lanes = body.lanes;
          showLanes();
          showTime();
        })
        .catch(function () {});
      if (start) {
        var jump = function () { seekTo(start); audio.removeEventListener("loadedmetadata", jump); };
        audio.addEventListener("loadedmetadata", jump);
      }
    }
    if (play) {
      if (state.graph && state.graph.context.state === "suspended") state.graph.context.resume();
      audio.play().catch(function () {});
    }
  }

  audio.addEventListener("play", function () { toggle.textContent = "Pause"; root.classList.add("playing"); });
  audio.addEventListener("pause", function () { toggle.textContent = "Play"; root.classList.remove("playing"); });
  audio.addEventListener("ended", function () { toggle.textContent = "Play"; root.classList.remove("playing"); });
  audio.addEventListener("timeupdate", showTime);
  audio.addEventListener("loadedmetadata", showTime);
  audio.addEventListener("ratechange", function () { speed.value = String(audio.playbackRate); });
  window.addEventListener("resize", draw);

  toggle.addEventListener("click", function () {
    if (!state.id) { say("Choose a call first: press Play on its row."); return; }
    if (audio.paused) load(state.id, null, 0, true); else audio.pause();
  });
  root.querySelector("[data-back]").addEventListener("click", function () { seekTo(audio.currentTime - 10); });
  root.querySelector("[data-forward]").addEventListener("click", function () { seekTo(audio.currentTime + 10); });
  speed.addEventListener("change", function () { audio.playbackRate = Number(speed.value); });
  volume.addEventListener("input", function () { audio.volume = Number(volume.value); });
  copyLink.addEventListener("click", function () {
    if (!state.id) return;
    var link = window.location.origin + "/recordings/" + state.id + "?t=" + Math.floor(audio.currentTime);
    root.dataset.link = link;
    var done = function () { say("Link copied: " + link); };
    if (navigator.clipboard) navigator.clipboard.writeText(link).then(done, function () { say("Copy this link: " + link); });
    else say("Copy this link: " + link);
  });

  lanesBox.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) return;
    var i = Number(button.closest("[data-lane]").dataset.lane);
    if (button.hasAttribute("data-solo")) state.solo = state.solo === i ? null : i;
    else state.muted[i] = !state.muted[i];
    applyParties();
  });

  // Click or drag on the waveform to seek; arrows when it has focus.
  var dragging = false;
  function seekAt(event) {
    var box = canvas.getBoundingClientRect();
    seekTo(((event.clientX - box.left) / box.width) * total());
  }
  canvas.addEventListener("pointerdown", function (event) {
    if (!state.id) return;
    dragging = true;
    canvas.setPointerCapture(event.pointerId);
    seekAt(event);
  });
  canvas.addEventListener("pointermove", function (event) { if (dragging) seekAt(event); });
  canvas.addEventListener("pointerup", function () { dragging = false; });

  // Space plays and pauses; ←/→ 5 s, with Shift 30 s; < and > the speed.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!state.id || event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest && target.closest("input, select, textarea, dialog, [role=tab], [contenteditable]")) return;
    var onControl = target.closest && target.closest("button, a, summary");
    if (event.key === " " && !onControl) {
      event.preventDefault();
      toggle.click();
    } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      event.preventDefault();
      var step = (event.shiftKey ? 30 : 5) * (event.key === "ArrowLeft" ? -1 : 1);
      seekTo(audio.currentTime + step);
    } else if (event.key === "<" || event.key === ">") {
      event.preventDefault();
      stepSpeed(event.key === ">" ? 1 : -1);
    }
  });

  // Play on a row of Recordings: that call, in the one player.
  document.addEventListener("click", function (event) {
    var play = event.target.closest("[data-play]");
    if (!play) return;
    event.preventDefault();
    event.stopPropagation();
    if (state.id === play.dataset.play && !audio.paused) { audio.pause(); return; }
    load(play.dataset.play, play.dataset.label, 0, true);
  }, true);

  state.markers = Array.prototype.map.call(document.querySelectorAll("[data-note-at]"), function (note) {
    return Number(note.dataset.noteAt);
  });
  state.spans = Array.prototype.map.call(document.querySelectorAll("[data-span-from]"), function (span) {
    return [Number(span.dataset.spanFrom), Number(span.dataset.spanTo)];
  });
  document.addEventListener("click", function (event) {
    var seek = event.target.closest("[data-seek]");
    if (!seek || !state.id) return;
    event.preventDefault();
    seekTo(Number(seek.dataset.seek));
  });

  // Add note: the moment is the player's when writing starts, unless typed.
  var noteForm = document.querySelector("[data-add-note]");
  if (noteForm) {
    var moment = noteForm.querySelector("[data-note-moment]");
    moment.addEventListener("input", function () { moment.dataset.typed = "1"; });
    noteForm.querySelector("textarea").addEventListener("focus", function () {
      if (!moment.dataset.typed) moment.value = clock(audio.currentTime);
    });
  }

  // The transcript: the word being said is highlighted (and kept in view
  // inside its panel); Search the transcript marks the words that begin
  // with what is typed, and Enter plays from the next one.
  var said = document.querySelector("[data-transcript]");
  if (said) {
    var words = Array.prototype.slice.call(said.querySelectorAll(".word"));
    var times = words.map(function (w) { return [Number(w.dataset.seek), Number(w.dataset.to)]; });
    var speaking = null;
    var keepInView = function (word) {
      var top = word.offsetTop, bottom = top + word.offsetHeight;
      if (top < said.scrollTop || bottom > said.scrollTop + said.clientHeight) {
        said.scrollTop = Math.max(0, top - said.clientHeight / 3);
      }
    };
    audio.addEventListener("timeupdate", function () {
      var t = audio.currentTime, at = -1, lo = 0, hi = times.length - 1;
      while (lo <= hi) {
        var mid = (lo + hi) >> 1;
        if (times[mid][0] <= t) { at = mid; lo = mid + 1; } else { hi = mid - 1; }
      }
      var word = at >= 0 && t <= times[at][1] + 0.3 ? words[at] : null;
      if (word === speaking) return;
      if (speaking) speaking.classList.remove("speaking");
      speaking = word;
      if (word) { word.classList.add("speaking"); keepInView(word); }
    });
    var fold = function (text) {
      return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^\p{L}\p{N}' ]/gu, "");
    };
    var folded = words.map(function (w) { return fold(w.textContent); });
    var search = document.querySelector("[data-transcript-search]");
    var found = document.querySelector("[data-transcript-found]");
    var matches = [], next = 0;
    search.addEventListener("input", function () {
      var terms = fold(search.value).split(" ").filter(Boolean);
      matches = [];
      next = 0;
      words.forEach(function (word, i) {
        var hit = terms.length > 0 && terms.some(function (term) { return folded[i].indexOf(term) === 0; });
        word.classList.toggle("match", hit);
        if (hit) matches.push(i);
      });
      found.textContent = terms.length === 0 ? "" : matches.length === 1 ? "1 word found" : matches.length + " words found";
      if (matches.length) keepInView(words[matches[0]]);
    });
    search.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || !matches.length) return;
      event.preventDefault();
      var i = matches[next % matches.length];
      next += 1;
      keepInView(words[i]);
      if (state.id) seekTo(times[i][0]);
    });
  }

  if (root.dataset.id) load(root.dataset.id, null, Number(root.dataset.start || 0), false);
  showTime();
  window.callrecPlayer = { seek: seekTo, load: load, time: function () { return audio.currentTime; } };
})();
