// Small browser facts the Blazor circuit cannot read on its own.

// The server marked the drawer's link of the page it served (Components/Layout/Shell.razor); after an in-page
// navigation the circuit names the new page's area (or none) and the mark moves here.
export function markCurrentArea(href) {
  for (const link of document.querySelectorAll("#drawer a.mud-nav-link")) {
    const current = link.getAttribute("href") === href;
    link.classList.toggle("active", current);
    if (current) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  }
}

// The browser's time zone, remembered in a cookie so the server renders local times from the next page's first paint.
// Reading it initialises the browser's Intl data (~15 ms of the main thread, 60 under a 4× slowdown): when the cookie
// already has a zone, the page keeps it and the zone is read when the browser is idle, for the next page.
export function timeZone(remembered) {
  if (remembered) {
    (window.requestIdleCallback ?? setTimeout)(readZone);
    return remembered;
  }
  return readZone();
}

function readZone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone ?? null;
  if (zone) {
    document.cookie = `portal-tz=${encodeURIComponent(zone)}; path=/; max-age=31536000; samesite=lax`;
  }
  return zone;
}

// Tells the circuit whether the tab is visible: live pages stop updating a hidden tab and catch up when it returns.
export function watchVisibility(viewer) {
  const report = () => viewer.invokeMethodAsync("SetVisible", document.visibilityState !== "hidden");
  document.addEventListener("visibilitychange", report);
  if (document.visibilityState === "hidden") {
    report();
  }
}
