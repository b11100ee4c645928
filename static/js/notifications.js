// The bell in the header and the /notifications/ page, kept current by /ws/feed/:
// "notification" events carry the new notification and the unread count, and
// "notification.read" events the count after a page (this one or another) marked some read.
(function () {
  "use strict";
  if (!window.pioneerFeed) return;

  var bell = document.querySelector("[data-notification-bell]");
  var status = document.querySelector("[data-bell-status]");
  var list = document.querySelector("[data-notification-list]");
  var template = document.getElementById("notification-template");

  function showCount(count) {
    if (!bell) return;
    var badge = bell.querySelector("[data-unread-count]");
    badge.textContent = String(count);
    badge.hidden = count === 0;
    bell.setAttribute("aria-label", count ? "Notifications, " + count + " unread" : "Notifications");
  }

  function addToList(notification) {
    if (!list || !template) return;
    var item = template.content.firstElementChild.cloneNode(true);
    item.classList.add("unread");
    var title = item.querySelector("[data-title]");
    title.textContent = notification.title;
    // Only paths inside the site are ever sent; anything else stays plain text.
    if (/^\/(?!\/)/.test(notification.url || "")) title.setAttribute("href", notification.url);
    else title.removeAttribute("href");
    item.querySelector("[data-body]").textContent = notification.body || "";
    var time = item.querySelector("[data-time]");
    time.setAttribute("datetime", notification.created_at);
    time.textContent = "just now";
    item.querySelector("[data-title-hidden]").textContent = ": " + notification.title;
    item.querySelector("[data-id]").value = notification.id;
    item.querySelector("[data-new-badge]").hidden = false;
    item.querySelector("[data-read-form]").hidden = false;
    list.insertBefore(item, list.firstChild);
    var empty = document.querySelector("[data-notifications-empty]");
    if (empty) empty.hidden = true;
  }

  window.pioneerFeed.on("notification", function (event) {
    if (typeof event.unread_count === "number") showCount(event.unread_count);
    if (event.notification) {
      addToList(event.notification);
      if (status) status.textContent = "New notification: " + event.notification.title;
    }
  });
  // The server greets each new socket: from then on the bell is live (tests wait for it).
  window.pioneerFeed.on("hello", function () {
    if (bell) bell.setAttribute("data-live", "true");
  });
  window.pioneerFeed.on("notification.read", function (event) {
    if (typeof event.unread_count === "number") showCount(event.unread_count);
  });
})();
