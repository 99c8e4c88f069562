/* The page that posts a bank's signed form (SystemPay, Paybox, Sips): sent at once, as if the family had
   pressed "Continuer vers la banque" (which still works without JavaScript). Once per tab: coming back to
   this page with the browser's back button shows it rather than sending the family to the bank again. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-to-bank]");
  if (!form) { return; }
  var key = "to-bank:" + location.pathname;
  try {
    if (window.sessionStorage.getItem(key)) { return; }
    window.sessionStorage.setItem(key, "1");
  } catch (e) { return; }  /* no storage: the button is there */
  form.submit();
}());
