/* An invoice run's page while it is previewed or issued: asks the progress endpoint every 2 seconds, moves
   the bar and its text, and reloads the page once the run changes state (or its issue is refused). Without
   JavaScript the page offers a "Rafraîchir" link and refreshes itself. */
(function () {
  "use strict";
  var box = document.querySelector("[data-run-progress]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-run-progress");
  var state = box.getAttribute("data-state");
  var error = box.getAttribute("data-error") || "";
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-progress-text]");
  var pattern = box.getAttribute("data-text") || "{done} / {total}";
  var failures = 0;

  function later() { window.setTimeout(tick, failures > 5 ? 10000 : 2000); }

  function tick() {
    window.fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (data) {
        failures = 0;
        if (data.state !== state || (data.error || "") !== error) { window.location.reload(); return; }
        if (data.total > 0) { bar.max = data.total; bar.value = data.done; }
        text.textContent = pattern.replace("{done}", data.done).replace("{total}", data.total)
          .replace("{anomalies}", data.anomalies);
        later();
      })
      .catch(function () { failures += 1; later(); });
  }
  later();
}());
