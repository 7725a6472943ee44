// Keeps queued and running forecast runs current on the forecast page, so a planner sees progress without
// reloading; when a run finishes it offers to show the new forecast instead of swapping the chart under them.
(function () {
  "use strict";
  const POLL_MS = 2000;
  // Django's JavaScript catalog (/jsi18n/, loaded by base.html); English if it did not load.
  const gettext = window.gettext || function (text) { return text; };
  const interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\((\w+)\)s/g, function (_m, key) { return String(obj[key]); });
  };
  const LABELS = { queued: gettext("Queued"), running: gettext("Running"), done: gettext("Done"), failed: gettext("Failed") };
  const lang = document.documentElement.lang || undefined;
  const announcer = document.getElementById("run-announcer");

  function render(row, run) {
    const status = row.querySelector("[data-field=status]");
    status.textContent = LABELS[run.status] || run.status;
    status.className = "badge " + run.status;
    row.querySelector("progress").value = run.progress;
    const counts = { done: run.series_done, total: run.series_total, failed: run.series_failed };
    row.querySelector("[data-field=counts]").textContent = run.series_failed
      ? interpolate(gettext("%(done)s of %(total)s series, %(failed)s failed"), counts, true)
      : interpolate(gettext("%(done)s of %(total)s series"), counts, true);
    if (run.error) {
      const error = row.querySelector("[data-field=error]");
      error.textContent = run.error;
      error.hidden = false;
    }
    if (run.finished_at) showFinished(row.querySelector("[data-field=finished]"), run.finished_at);
    if (run.status === "done") row.querySelector("[data-field=show]").hidden = false;
  }

  // The finish time as the page writes it is only known to the server, so the cell says how long ago the
  // run finished ("2 minutes ago", kept current) with the exact time in the browser's own format beside it.
  const relative = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;

  function ago(date) {
    const seconds = Math.round((date.getTime() - Date.now()) / 1000);
    if (!relative) return "";
    if (Math.abs(seconds) < 60) return relative.format(seconds, "second");
    if (Math.abs(seconds) < 3600) return relative.format(Math.round(seconds / 60), "minute");
    return relative.format(Math.round(seconds / 3600), "hour");
  }

  function showFinished(cell, iso) {
    const date = new Date(iso);
    if (isNaN(date.getTime())) return;
    const exact = date.toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
    const time = document.createElement("time");
    time.dateTime = iso;
    time.title = exact;
    cell.replaceChildren(time);
    function tick() {
      // Translators: a finish time and how long ago it was, e.g. "Dec 4, 2026, 7:30 AM (2 minutes ago)".
      time.textContent = interpolate(gettext("%(exact)s (%(ago)s)"), { exact: exact, ago: ago(date) }, true);
      if (Date.now() - date.getTime() < 3600 * 1000) setTimeout(tick, 30000);
    }
    tick();
  }

  function poll(row) {
    fetch(row.dataset.pollUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (run) {
        render(row, run);
        if (run.status === "done" || run.status === "failed") {
          if (announcer) {
            announcer.textContent = interpolate(gettext("Forecast run %(run)s: %(status)s."),
              { run: run.id, status: LABELS[run.status] }, true);
          }
          return;
        }
        setTimeout(function () { poll(row); }, POLL_MS);
      })
      .catch(function () { setTimeout(function () { poll(row); }, POLL_MS * 5); }); // offline or a restart
  }

  document.querySelectorAll("tr[data-poll-url]").forEach(function (row) {
    const link = row.querySelector("[data-field=show]");
    if (link) link.href = window.location.pathname + window.location.search;
    poll(row);
  });
})();
