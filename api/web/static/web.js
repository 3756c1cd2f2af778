// After htmx has put an answered checklist item in place, the keyboard stays on that item (its heading):
// the form it was in has been replaced.
(function () {
  var pending = null;
  document.addEventListener("htmx:beforeSwap", function (e) {
    pending = e.detail.target ? e.detail.target.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    var item = pending && document.getElementById(pending);
    var heading = item && item.querySelector("h3");
    if (heading) { heading.focus(); }
    pending = null;
  });
})();
