// Live per-user events from /ws/feed/. Reconnects with backoff; renders into #feed-events.
(function () {
  "use strict";
  var list = document.getElementById("feed-events");
  if (!list || !window.WebSocket) return;
  var delay = 1000;

  function show(text) {
    var placeholder = list.querySelector(".muted");
    if (placeholder) placeholder.remove();
    var item = document.createElement("li");
    item.textContent = text;
    list.prepend(item);
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + list.dataset.feedUrl);
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = function (message) {
      var event = JSON.parse(message.data);
      if (event.type === "hello") { show("Connected. New events appear here."); return; }
      if (event.type === "pong") return;
      document.dispatchEvent(new CustomEvent("feed:" + event.type, { detail: event }));
      show(event.message || event.type);
    };
    socket.onclose = function (close) {
      // 4401: signed out, nothing to reconnect to. Anything else (4001 after a password
      // change, a restart, the network) reconnects, and the handshake checks the session.
      if (close.code === 4401) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
