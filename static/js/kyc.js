// Shows a preview of each chosen photo before upload (nothing leaves the browser here).
(function () {
  "use strict";
  document.querySelectorAll("img[data-preview-for]").forEach(function (img) {
    var input = document.getElementById(img.dataset.previewFor);
    if (!input) return;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) { img.hidden = true; return; }
      img.src = URL.createObjectURL(file);
      img.alt = "Preview of " + file.name;
      img.hidden = false;
    });
  });
})();
