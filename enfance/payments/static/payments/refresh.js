/* The result page of a payment still pending: reloads itself every 5 seconds (the page asks the bank) until the
   family stops it with the button; without JavaScript the page refreshes itself (a <noscript> meta) and offers
   "Actualiser maintenant". */
(function () {
  "use strict";
  var box = document.querySelector("[data-refresh]");
  if (!box) { return; }
  var seconds = parseInt(box.getAttribute("data-refresh"), 10) || 5;
  var timer = window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
  var button = box.querySelector("button[data-stop]");
  var status = box.querySelector("[data-refresh-status]");
  button.hidden = false;
  status.hidden = false;
  button.addEventListener("click", function () {
    window.clearTimeout(timer);
    button.hidden = true;
    status.textContent = button.getAttribute("data-stopped");
  });
}());
