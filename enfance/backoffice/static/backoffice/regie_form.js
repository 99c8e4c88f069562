/* The régie's form: only the chosen bank's settings are shown (each part names, in data-pay-for, the choices of
   "Banque du paiement en ligne" it belongs to). Without JavaScript every part stays visible under its heading;
   a hidden part is still sent, and the server reads only the chosen bank's. */
(function () {
  "use strict";
  var select = document.getElementById("id_pay_provider");
  if (!select) {
    return;
  }
  var parts = document.querySelectorAll("[data-pay-for]");
  function show() {
    var chosen = select.value;
    for (var i = 0; i < parts.length; i++) {
      var wanted = parts[i].getAttribute("data-pay-for").split(" ");
      parts[i].hidden = wanted.indexOf(chosen) === -1;
    }
  }
  select.addEventListener("change", show);
  show();
})();
