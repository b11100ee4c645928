// The dashboard's live list: every event of the page's feed connection (feed.js), newest first.
(function () {
  "use strict";
  var list = document.getElementById("feed-events");
  if (!list || !window.pioneerFeed) return;

  function show(text) {
    var placeholder = list.querySelector(".muted");
    if (placeholder) placeholder.remove();
    var item = document.createElement("li");
    item.textContent = text;
    list.prepend(item);
  }

  window.pioneerFeed.on("*", function (event) {
    if (event.type === "hello") show("Connected. New events appear here.");
    else show(event.message || event.type);
  });
})();
