// The review page: keyboard shortcuts for the verdict and its reasons, the reasons that
// fit the verdict, and outcomes of the person's own answers as they arrive on the feed
// connection (feed.js). Everything here is an enhancement: the page works without it.
(function () {
  "use strict";

  // --- The verdict and its reasons ---------------------------------------------------
  var form = document.querySelector(".review-form");

  function verdict() {
    var checked = form && form.querySelector("input[name=verdict]:checked");
    return checked ? checked.value : "";
  }

  function showReasons() {
    if (!form) return;
    var chosen = verdict();
    form.querySelectorAll(".reasons").forEach(function (group) {
      var shown = group.dataset.reasons === chosen;
      group.hidden = !shown;
      // Reasons of the other verdict are not sent (the server would refuse them).
      group.querySelectorAll("input").forEach(function (box) { box.disabled = !shown; });
    });
  }

  if (form) {
    form.addEventListener("change", showReasons);
    showReasons();
  }

  document.addEventListener("keydown", function (key) {
    if (key.altKey || key.metaKey || key.ctrlKey) return;
    var typing = /^(TEXTAREA|INPUT|SELECT)$/.test(key.target.tagName) && !/^(checkbox|radio)$/.test(key.target.type);
    if (typing) return;
    var next = document.querySelector("[data-testid=review-next]");
    if (!form) {
      if (next && (key.key === "n" || key.key === "N")) { key.preventDefault(); next.click(); }
      return;
    }
    var lower = key.key.toLowerCase();
    if (lower === "a" || lower === "r") {
      key.preventDefault();
      var radio = form.querySelector('[data-verdict="' + (lower === "a" ? "accept" : "reject") + '"]');
      radio.checked = true;
      radio.focus();
      showReasons();
    } else if (/^[1-9]$/.test(key.key)) {
      var group = form.querySelector('.reasons[data-reasons="' + verdict() + '"]');
      var box = group && group.querySelector('[data-key="' + key.key + '"]');
      if (box) { key.preventDefault(); box.checked = !box.checked; }
    } else if (lower === "c") {
      key.preventDefault();
      form.querySelector("textarea").focus();
    } else if (key.key === "Enter") {
      key.preventDefault();
      form.requestSubmit();
    }
  });

  // --- Outcomes of my own answers, live ----------------------------------------------
  var list = document.getElementById("review-outcomes");
  var live = document.getElementById("review-live");

  function outcomeItem(event) {
    var item = document.createElement("li");
    item.className = "review-outcome review-new";
    item.id = "review-" + event.review;
    item.dataset.review = event.review;
    var title = document.createElement("strong");
    title.textContent = event.title || "Your answer";
    var badge = document.createElement("span");
    badge.className = "badge " + (event.accepted ? "badge-ok" : "badge-warn");
    badge.textContent = event.accepted ? "accepted" : "not accepted";
    var reasons = document.createElement("ul");
    reasons.className = "review-reasons";
    (event.reviews || []).forEach(function (said) {
      var line = document.createElement("li");
      var text = said.accept ? "Accept" : "Reject";
      if (said.reasons && said.reasons.length) text += ": " + said.reasons.join(", ");
      if (said.comment) text += " — “" + said.comment + "”";
      line.textContent = text;
      reasons.append(line);
    });
    item.append(title, document.createTextNode(" — "), badge, reasons);
    return item;
  }

  if (list && window.pioneerFeed) {
    // The server's "subscribed" answer says the socket is live: outcomes reach this page.
    window.pioneerFeed.on("subscribed", function (event) {
      if (event.topic === "reviews:mine") list.dataset.live = "true";
    });
    window.pioneerFeed.subscribe("reviews:mine");
    window.pioneerFeed.on("review.decided", function (event) {
      var empty = document.getElementById("review-outcomes-empty");
      if (empty) empty.remove();
      var fresh = outcomeItem(event);
      var old = list.querySelector('[data-review="' + event.review + '"]');
      if (old) old.replaceWith(fresh);
      else list.prepend(fresh);
      if (live) live.textContent = event.message || "A review of your answer came in.";
    });
  }
})();
