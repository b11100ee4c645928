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

  function addProjectCard(event) {
    var list = document.getElementById("project-list");
    if (!list || list.querySelector('[data-project="' + event.project + '"]')) return;
    var empty = document.getElementById("feed-empty");
    if (empty) empty.remove();
    var card = document.createElement("article");
    card.className = "card project-card project-new";
    card.dataset.project = event.project;
    var eyebrow = document.createElement("p");
    eyebrow.className = "eyebrow";
    eyebrow.textContent = "New";
    var title = document.createElement("h2");
    title.textContent = event.title;
    var reward = document.createElement("p");
    reward.textContent = event.reward + " points per answer";
    var link = document.createElement("a");
    link.className = "button";
    link.href = "/tasks/" + encodeURIComponent(event.project) + "/work/";
    link.textContent = "Start working";
    card.append(eyebrow, title, reward, link);
    list.prepend(card);
  }

  function handle(event) {
    if (event.type === "project.published") {
      addProjectCard(event);
      say(event.message || "A new project was published.");
    } else if (event.type === "project.remaining") {
      document.querySelectorAll('[data-remaining="' + event.project + '"]').forEach(function (node) {
        node.textContent = event.remaining_items;
      });
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
      var jsonl = /\.(jsonl|ndjson)$/i.test(file.name);
      var request = new XMLHttpRequest();
      request.open("POST", upload.dataset.uploadUrl);
      request.setRequestHeader("Content-Type", jsonl ? "application/x-ndjson" : "application/json");
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
