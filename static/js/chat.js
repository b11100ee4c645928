// A chat room's live parts: the one connection to /ws/chat/<room>/ on a room page. The
// history is rendered on the server; this script resumes from the newest id on the page,
// appends new messages, applies edits and deletions, sends the form over the socket (the
// form still posts without it), marks the room read, and reconnects with backoff after a
// drop, resuming from the last id it saw so nothing is lost. Same reconnect rules as feed.js.
(function () {
  "use strict";
  var list = document.getElementById("chat-messages");
  if (!list || list.dataset.live !== "true" || !window.WebSocket) return;

  var FIRST_DELAY = 1000;
  var MAX_DELAY = 30000;
  var PING_EVERY = 25000;
  // 4401: signed out; 4403: banned from the room; 4404: no room (or no longer readable).
  // Any other code reconnects, e.g. 4503: the server's live delivery broke, resume.
  var FINAL = { 4401: "You are signed out.", 4403: "You can no longer read this room.",
                4404: "This room is not available." };

  var slug = list.dataset.room;
  var me = list.dataset.me;
  var moderator = list.dataset.moderator === "true";
  var lastId = parseInt(list.dataset.lastId, 10) || 0;
  var status = document.getElementById("chat-status");
  var form = document.getElementById("chat-form");
  var field = form && form.querySelector("textarea");
  var errorBox = document.getElementById("chat-error");
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  var socket = null;
  var delay = FIRST_DELAY;
  var pinger = null;
  var sent = 0;

  function tell(text) { status.textContent = text; }
  function showError(text) { if (errorBox) errorBox.textContent = text; else tell(text); }

  function send(message) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  function url(tail) { return "/chat/" + slug + "/m/" + tail; }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function postButton(action, text) {
    var f = document.createElement("form");
    f.method = "post";
    f.action = action;
    f.className = "inline";
    if (csrf) {
      var token = document.createElement("input");
      token.type = "hidden";
      token.name = "csrfmiddlewaretoken";
      token.value = csrf.value;
      f.appendChild(token);
    }
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "link-button";
    button.textContent = text;
    f.appendChild(button);
    return f;
  }

  function render(event) {
    var item = document.createElement("li");
    item.className = "chat-msg" + (event.deleted ? " chat-msg-deleted" : "");
    item.id = "m-" + event.id;
    item.dataset.id = event.id;
    item.dataset.author = event.author.id;
    item.setAttribute("data-testid", "chat-message");
    var meta = document.createElement("div");
    meta.className = "chat-meta";
    var name = document.createElement("strong");
    name.className = "chat-author";
    name.textContent = event.author.name;
    var time = document.createElement("time");
    time.dateTime = event.created_at;
    time.textContent = event.created_at.slice(11, 16) + " UTC";
    meta.append(name, " ", time);
    if (event.edited_at && !event.deleted) {
      var edited = document.createElement("span");
      edited.className = "chat-edited muted";
      edited.append("(edited");
      if (moderator) { edited.append(": "); edited.append(link(url(event.id + "/history/"), "history")); }
      edited.append(")");
      meta.append(" ", edited);
    }
    var body = document.createElement("div");
    body.className = "chat-body";
    if (event.deleted) {
      var note = document.createElement("em");
      note.className = "muted";
      note.textContent = event.removed_by_moderator ? "Removed by a moderator" : "Deleted by its author";
      body.appendChild(note);
    } else {
      // Sanitised on the server (a small Markdown subset through nh3) before it was stored.
      body.innerHTML = event.body_html;
    }
    item.append(meta, body);
    if (!event.deleted) {
      var actions = document.createElement("div");
      actions.className = "chat-actions";
      var mine = event.author.id === me;
      if (mine) {
        var age = Date.now() - Date.parse(event.created_at);
        if (age < 15 * 60 * 1000) actions.appendChild(link(url(event.id + "/edit/"), "Edit"));
        actions.appendChild(postButton(url(event.id + "/delete/"), "Delete"));
      } else {
        actions.appendChild(link(url(event.id + "/report/"), "Report"));
      }
      if (moderator) {
        actions.appendChild(link(url(event.id + "/remove/"), "Remove"));
        if (!mine) {
          var person = "/chat/" + slug + "/people/" + event.author.id;
          actions.appendChild(link(person + "/mute/", "Mute"));
          actions.appendChild(link(person + "/ban/", "Ban"));
        }
      }
      item.appendChild(actions);
    }
    return item;
  }

  function nearBottom() { return list.scrollHeight - list.scrollTop - list.clientHeight < 80; }

  function place(event, appendIfMissing) {
    var existing = document.getElementById("m-" + event.id);
    if (!existing && !appendIfMissing) return;
    var follow = nearBottom();
    var item = render(event);
    if (existing) existing.replaceWith(item);
    else {
      var empty = list.querySelector(".chat-empty");
      if (empty) empty.remove();
      list.appendChild(item);
    }
    if (follow) list.scrollTop = list.scrollHeight;
  }

  function markRead() { if (!document.hidden && lastId) send({ type: "read", id: lastId }); }

  function handle(event) {
    switch (event.type) {
      case "hello": tell(""); break;
      case "chat.message":
        place(event, true);
        if (event.id > lastId) lastId = event.id;
        markRead();
        break;
      case "chat.edit": case "chat.delete": place(event, false); break;
      case "gap": tell(event.detail); break;
      case "posted":
        if (field && event.client_id === "c" + sent) { field.value = ""; showError(""); }
        break;
      case "error":
        showError(event.detail + (event.retry_after ? " Try again in " + event.retry_after + " s." : ""));
        break;
      default: break;
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/chat/" + slug + "/?after=" + lastId);
    socket.onopen = function () {
      delay = FIRST_DELAY;
      list.dataset.connected = "true";
      pinger = setInterval(function () { send({ type: "ping" }); }, PING_EVERY);
    };
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      if (event && typeof event.type === "string") handle(event);
    };
    socket.onclose = function (close) {
      clearInterval(pinger);
      socket = null;
      list.dataset.connected = "false";
      if (FINAL[close.code]) { tell(FINAL[close.code]); return; }
      tell("Connection lost; reconnecting…");
      // Somewhere in the second half of the delay: when a server restarts, its sockets
      // come back spread out instead of all in the same second.
      setTimeout(connect, delay / 2 + Math.random() * (delay / 2));
      delay = Math.min(delay * 2, MAX_DELAY);
    };
  }

  if (form && field) {
    form.addEventListener("submit", function (submit) {
      var body = field.value;
      if (!body.trim()) { submit.preventDefault(); showError("Write something first."); return; }
      sent += 1;
      // Without an open socket the form posts as a page would; the server has the same rules.
      if (send({ type: "post", body: body, client_id: "c" + sent })) submit.preventDefault();
    });
    field.addEventListener("keydown", function (key) {
      if (key.key === "Enter" && !key.shiftKey && !key.isComposing) {
        key.preventDefault();
        form.requestSubmit();
      }
    });
  }
  document.addEventListener("visibilitychange", markRead);
  list.scrollTop = list.scrollHeight;
  connect();
})();
