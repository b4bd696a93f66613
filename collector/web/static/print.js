// The print view's "Print" button (no inline script: the pages' CSP forbids it).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-now");
  if (button) { button.hidden = false; button.addEventListener("click", function () { window.print(); }); }
});
