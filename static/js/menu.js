// The phone menu: on a narrow screen the main links fold behind one "Menu" button.
// Without this script the button stays hidden and every link shows, wrapped.
(function () {
  "use strict";
  var nav = document.querySelector(".nav");
  var button = nav && nav.querySelector(".nav-toggle");
  var links = document.getElementById("nav-links");
  if (!nav || !button || !links) return;

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("nav-open", open);
  }

  nav.classList.add("nav-collapsible");
  button.hidden = false;
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && nav.classList.contains("nav-open")) {
      setOpen(false);
      button.focus();
    }
  });
})();
