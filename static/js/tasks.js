// Task pages: live counts and notices from the page's feed connection (feed.js), keyboard
// shortcuts on the work page, item upload with a progress bar. Everything here is an
// enhancement: the pages work without it.
(function () {
  "use strict";

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; }
    catch (error) { return ""; }
  }

  // --- Live updates ------------------------------------------------------------------
  var live = document.getElementById("tasks-live");
  function say(text) { if (live) live.textContent = text; }

  // A live announcement adds the project's card as the server renders it, so it shows
  // what every other card shows (kind, reward, remaining items, level).
  function addProjectCard(event) {
    var list = document.getElementById("project-list");
    if (!list || list.querySelector('[data-project="' + event.project + '"]')) return;
    fetch("/tasks/" + encodeURIComponent(event.project) + "/card/", {
      credentials: "same-origin",
      headers: { "Accept": "text/html" }
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (!html || list.querySelector('[data-project="' + event.project + '"]')) return;
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var card = holder.querySelector(".project-card");
      if (!card) return;
      card.classList.add("project-new");
      var empty = document.getElementById("feed-empty");
      if (empty) empty.remove();
      list.prepend(card);
      if (window.pioneerFeed) window.pioneerFeed.subscribe("project:" + event.project);
    }).catch(function () { /* the next page load shows it */ });
  }

  function showRemaining(project, remaining) {
    document.querySelectorAll('[data-remaining="' + project + '"]').forEach(function (node) {
      node.textContent = remaining + (remaining === 1 ? " item" : " items");
    });
    document.querySelectorAll('[data-start="' + project + '"]').forEach(function (node) {
      node.hidden = remaining === 0;
    });
    document.querySelectorAll('[data-finished="' + project + '"]').forEach(function (node) {
      node.hidden = remaining !== 0;
    });
  }

  function handle(event) {
    if (event.type === "project.published") {
      addProjectCard(event);
      say(event.message || "A new project was published.");
    } else if (event.type === "project.remaining") {
      showRemaining(event.project, event.remaining_items);
    } else if (event.type === "assignment.expiring") {
      var item = document.querySelector('[data-assignment="' + event.assignment + '"] .expiry-warning');
      if (item) item.hidden = false;
      say(event.message || "Your reservation is about to expire.");
    } else if (event.type === "review.decided") {
      say(event.message || "A review of your answer came in.");
    } else if (event.type === "project.paused" || event.type === "project.state") {
      say(event.message || ("Project is now " + event.state + "."));
    }
  }

  if (live && window.pioneerFeed) {
    (live.dataset.topics || "").split(/\s+/).filter(Boolean).forEach(function (topic) {
      window.pioneerFeed.subscribe(topic);
    });
    window.pioneerFeed.on("*", handle);
  }

  // --- Keyboard shortcuts on the work page -------------------------------------------
  document.addEventListener("keydown", function (key) {
    var area = document.getElementById("work-area");
    if (!area || key.altKey || key.metaKey) return;
    var typing = /^(TEXTAREA|INPUT|SELECT)$/.test(key.target.tagName) && key.target.type !== "checkbox";
    var form = area.querySelector(".answer-form");
    if (typing) {
      if (key.key === "Enter" && key.ctrlKey && form) { key.preventDefault(); form.requestSubmit(); }
      return;
    }
    if (key.ctrlKey) return;
    if (/^[1-9]$/.test(key.key)) {
      var target = area.querySelector('[data-key="' + key.key + '"]');
      if (!target) return;
      key.preventDefault();
      if (target.type === "checkbox") target.checked = !target.checked;
      else target.click();
    } else if (key.key === "Enter" && form && form.dataset.kind === "multi_label") {
      key.preventDefault();
      form.requestSubmit();
    } else if (key.key === "s" || key.key === "S") {
      var skip = area.querySelector(".skip-button");
      if (skip) { key.preventDefault(); skip.click(); }
    }
  });

  // --- Upload with progress ----------------------------------------------------------
  var upload = document.getElementById("upload-form");
  if (upload) {
    upload.addEventListener("submit", function (submit) {
      submit.preventDefault();
      var file = document.getElementById("upload-file").files[0];
      var status = document.getElementById("upload-status");
      var errors = document.getElementById("upload-errors");
      var bar = document.getElementById("upload-progress");
      errors.textContent = "";
      if (!file) { status.textContent = "Choose a file first."; return; }
      var type = /\.(jsonl|ndjson)$/i.test(file.name) ? "application/x-ndjson"
        : /\.csv$/i.test(file.name) ? "text/csv" : "application/json";
      var request = new XMLHttpRequest();
      request.open("POST", upload.dataset.uploadUrl);
      request.setRequestHeader("Content-Type", type);
      request.setRequestHeader("X-CSRFToken", csrfToken());
      bar.hidden = false;
      bar.value = 0;
      status.textContent = "Uploading…";
      request.upload.onprogress = function (progress) {
        if (progress.lengthComputable) bar.value = Math.round((100 * progress.loaded) / progress.total);
      };
      request.upload.onload = function () { status.textContent = "Checking items…"; };
      request.onload = function () {
        var body = {};
        try { body = JSON.parse(request.responseText); } catch (error) { body = {}; }
        if (request.status === 201) {
          bar.value = 100;
          status.textContent = "Uploaded " + body.items + " items and " + body.gold + " gold items.";
          setTimeout(function () { location.reload(); }, 800);
          return;
        }
        status.textContent = "Nothing was uploaded.";
        var messages = (body.errors && (body.errors.items || body.errors.non_field_errors)) || [body.detail || "Upload failed."];
        messages.forEach(function (text) {
          var item = document.createElement("li");
          item.textContent = text;
          errors.append(item);
        });
      };
      request.onerror = function () { status.textContent = "The connection failed; nothing was uploaded."; };
      request.send(file);
    });
  }
})();
