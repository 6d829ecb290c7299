// The officers' turnout page while voting is open: every so often it reads the page again and
// changes the counts in place, so whoever reads it keeps their place and their focus (a
// screen reader hears the new count). Without JavaScript the page reloads itself instead.
// Once voting has closed the counts no longer change, and it stops.
const live = document.querySelector("[data-refresh-seconds]");
if (live) {
  const every = Number(live.dataset.refreshSeconds) * 1000;
  const later = () => setTimeout(refresh, every);

  async function refresh() {
    let fresh;
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin" });
      if (!response.ok) return later();
      fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    } catch {
      return later(); // offline for a moment: try again next time
    }
    for (const shown of document.querySelectorAll("[data-refreshed]")) {
      const now = fresh.getElementById(shown.id);
      if (now && now.textContent !== shown.textContent) shown.textContent = now.textContent;
    }
    if (fresh.querySelector("[data-refresh-seconds]")) return later();
    // Voting has closed: the page no longer offers to refresh itself.
    document.getElementById("live")?.remove();
  }

  later();
}
