// The page's one connection to /ws/feed/. Other scripts listen to it instead of opening
// their own socket:
//   pioneerFeed.on("project.remaining", function (event) { ... });  // one event type
//   pioneerFeed.on("*", function (event) { ... });                  // every event
//   pioneerFeed.subscribe("project:<id>");  pioneerFeed.unsubscribe("project:<id>");
// Events are also dispatched on `document` as CustomEvents named "feed:<type>" (and "feed"
// for every event), with the event as `detail`. Topics are sent again after a reconnect.
(function () {
  "use strict";
  if (window.pioneerFeed || !window.WebSocket) return;

  var PATH = "/ws/feed/";
  var FIRST_DELAY = 1000;
  var MAX_DELAY = 30000;
  // Keeps proxies from closing an idle socket; the server answers with a pong.
  var PING_EVERY = 25000;

  var topics = new Set();
  var socket = null;
  var delay = FIRST_DELAY;
  var pinger = null;

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function emit(event) {
    document.dispatchEvent(new CustomEvent("feed:" + event.type, { detail: event }));
    document.dispatchEvent(new CustomEvent("feed", { detail: event }));
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + PATH);
    socket.onopen = function () {
      delay = FIRST_DELAY;
      topics.forEach(function (topic) { send({ type: "subscribe", topic: topic }); });
      pinger = setInterval(function () { send({ type: "ping" }); }, PING_EVERY);
    };
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      if (!event || typeof event.type !== "string" || event.type === "pong") return;
      emit(event);
    };
    socket.onclose = function (close) {
      clearInterval(pinger);
      socket = null;
      // 4401: signed out, nothing to reconnect to. Anything else (4001 after a password
      // change, a restart, the network) reconnects, and the handshake checks the session.
      if (close.code === 4401) return;
      // Somewhere in the second half of the delay: when a server restarts, its sockets
      // come back spread out instead of all in the same second.
      setTimeout(connect, delay / 2 + Math.random() * (delay / 2));
      delay = Math.min(delay * 2, MAX_DELAY);
    };
  }

  window.pioneerFeed = {
    on: function (type, listener) {
      var name = type === "*" ? "feed" : "feed:" + type;
      document.addEventListener(name, function (custom) { listener(custom.detail); });
    },
    subscribe: function (topic) {
      if (topics.has(topic)) return;
      topics.add(topic);
      send({ type: "subscribe", topic: topic });
    },
    unsubscribe: function (topic) {
      if (!topics.delete(topic)) return;
      send({ type: "unsubscribe", topic: topic });
    },
  };
  connect();
})();
