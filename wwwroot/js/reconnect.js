// Buttons of the reconnect overlay (Portal/Components/Layout/ReconnectModal.razor).
// Blazor itself shows and hides the overlay by toggling components-reconnect-* classes on it.
const modal = document.getElementById("components-reconnect-modal");

async function retry() {
  try {
    if (await Blazor.reconnect()) return;
    if (!(await Blazor.resumeCircuit())) location.reload();
  } catch {
    location.reload();
  }
}

async function resume() {
  try {
    if (!(await Blazor.resumeCircuit())) location.reload();
  } catch {
    location.reload();
  }
}

document.getElementById("components-reconnect-button")?.addEventListener("click", retry);
document.getElementById("components-resume-button")?.addEventListener("click", resume);

// The server no longer knows this circuit (it restarted): only a reload brings the page back.
modal?.addEventListener("components-reconnect-state-changed", (event) => {
  if (event.detail?.state === "rejected") location.reload();
});
