// Workshop pages: seats and the person's own place update live over /ws/feed/, times are
// shown in the browser's own zone, and the check-in page answers to the keyboard.
// Everything here is an enhancement: the pages work without it.
(function () {
  "use strict";

  // --- Times in the viewer's zone ------------------------------------------------------
  // The server renders times in the zone of the `tz` cookie (UTC until this sets it);
  // until the next page load, boxes rendered in another zone are rewritten here.
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (error) { zone = ""; }
  if (zone && !/^[A-Za-z0-9_+\-\/]+$/.test(zone)) zone = "";
  if (zone && document.cookie.split("; ").indexOf("tz=" + zone) === -1) {
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
  }
  var FULL = { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  var TIME = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };

  function localise(root) {
    if (!zone) return;
    root.querySelectorAll("[data-zone-rendered]").forEach(function (box) {
      if (box.dataset.zoneRendered === zone) return;
      box.querySelectorAll("time[data-local]").forEach(function (node) {
        var moment = new Date(node.getAttribute("datetime"));
        if (isNaN(moment.getTime())) return;
        var options = Object.assign({ timeZone: zone }, node.dataset.local === "time" ? TIME : FULL);
        node.textContent = new Intl.DateTimeFormat(undefined, options).format(moment);
      });
      box.querySelectorAll("[data-zone]").forEach(function (node) { node.textContent = zone; });
      box.dataset.zoneRendered = zone;
    });
  }
  localise(document);

  // --- Live seats and my place ---------------------------------------------------------
  var live = document.getElementById("workshop-live");
  function say(text) { if (live && text) live.textContent = text; }

  function refreshPanel() {
    var panel = document.getElementById("registration-panel");
    if (!panel || !live) return;
    fetch(live.dataset.panelUrl, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        panel.innerHTML = html;
        localise(panel);
      })
      .catch(function () { /* the next event or reload brings it */ });
  }

  function handle(event) {
    if (!live || event.workshop !== live.dataset.workshop) return;
    if (event.type === "workshop.seats") {
      document.querySelectorAll("[data-seats-left]").forEach(function (node) { node.textContent = event.seats_left; });
      document.querySelectorAll("[data-waitlist]").forEach(function (node) { node.textContent = event.waitlist; });
    } else if (event.type === "workshop.registration") {
      say(event.message);
      refreshPanel();
    } else if (event.type === "workshop.cancelled") {
      say("The hosts cancelled this workshop: " + (event.message || ""));
      refreshPanel();
    } else if (event.type === "workshop.changed") {
      say("The hosts changed the time or place; reload to see it.");
    }
  }

  function connect(delay, reconnecting) {
    if (!live || !window.WebSocket) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/feed/");
    socket.onopen = function () {
      delay = 1000;
      socket.send(JSON.stringify({ type: "subscribe", topic: live.dataset.topic }));
      // Whatever happened while the socket was down, the panel shows it now.
      if (reconnecting) refreshPanel();
    };
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      if (event.type === "subscribed") live.dataset.subscribed = "true";
      document.dispatchEvent(new CustomEvent("feed:" + event.type, { detail: event }));
      handle(event);
    };
    socket.onclose = function (close) {
      live.dataset.subscribed = "";
      if (close.code === 4401) return;
      setTimeout(function () { connect(Math.min(delay * 2, 30000), true); }, delay);
    };
  }
  connect(1000, false);

  // --- Check-in at the door ------------------------------------------------------------
  document.addEventListener("keydown", function (key) {
    if (key.altKey || key.ctrlKey || key.metaKey) return;
    if (/^(TEXTAREA|INPUT|SELECT)$/.test(key.target.tagName)) return;
    var row = key.target.closest && key.target.closest(".checkin-row");
    if (!row) return;
    var mark = key.key.toLowerCase();
    if (mark !== "a" && mark !== "n") return;
    var button = row.querySelector('[data-mark="' + mark + '"]');
    if (button) { key.preventDefault(); button.click(); }
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var error = document.getElementById("checkin-error");
    if (error) error.textContent = "";
    var row = event.detail.elt && event.detail.elt.id ? document.getElementById(event.detail.elt.id) : null;
    if (!row || !row.classList.contains("checkin-row")) return;
    var next = row.nextElementSibling;
    (next && next.classList.contains("checkin-row") ? next : row).focus();
  });

  document.body.addEventListener("htmx:responseError", function (event) {
    var error = document.getElementById("checkin-error");
    if (!error) return;
    var page = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html");
    var detail = page.querySelector("main .card p:not(.eyebrow)");
    error.textContent = detail ? detail.textContent : "That did not work; reload and try again.";
  });
})();
