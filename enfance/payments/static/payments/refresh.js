/* The result page of a payment still pending: reloads itself every data-refresh seconds (the page asks the bank)
   for data-refresh-for seconds at most (counted across the reloads, per page), until the family stops it with the
   button; without JavaScript the page refreshes itself (a <noscript> meta) and offers "Actualiser maintenant". */
(function () {
  "use strict";
  var box = document.querySelector("[data-refresh]");
  if (!box) { return; }
  var seconds = parseInt(box.getAttribute("data-refresh"), 10) || 10;
  var limit = parseInt(box.getAttribute("data-refresh-for"), 10) || 300;
  var button = box.querySelector("button[data-stop]");
  var status = box.querySelector("[data-refresh-status]");
  var key = "refresh-since:" + window.location.pathname;
  var since;
  try {
    since = parseInt(window.sessionStorage.getItem(key), 10);
    if (!since) { since = Date.now(); window.sessionStorage.setItem(key, String(since)); }
  } catch (e) { since = Date.now(); }
  status.hidden = false;
  if (Date.now() - since > limit * 1000) {
    status.textContent = button.getAttribute("data-ended");
    return;
  }
  var timer = window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
  button.hidden = false;
  button.addEventListener("click", function () {
    window.clearTimeout(timer);
    button.hidden = true;
    status.textContent = button.getAttribute("data-stopped");
  });
}());
