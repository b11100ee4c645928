// The project form shows the fields of the chosen kind only (labels for label projects, the
// scale for ratings, the length limit for free text). Without this script every field
// shows and the server ignores those of other kinds.
(function () {
  "use strict";
  var kind = document.querySelector('select[name="kind"]');
  if (!kind) return;
  function show() {
    document.querySelectorAll("[data-kinds]").forEach(function (input) {
      var wrapper = input.closest("[data-field]");
      if (!wrapper) return;
      wrapper.hidden = input.dataset.kinds.split(" ").indexOf(kind.value) === -1;
    });
  }
  kind.addEventListener("change", show);
  show();
})();
