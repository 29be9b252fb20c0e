// The frame's behaviours, and the start of Blazor (blazor.web.js is loaded with autostart="false" just before).
//
// Components/Layout/Shell.razor draws the app bar and the drawer on the server, once per page load; the circuit never
// renders them, so their two buttons are wired here: the drawer's toggle and the theme's.
//
// The circuit's first render replaces the whole server-drawn page (#page) with its own copy: applied to the page in the
// document, each of its thousand-odd nodes is inserted into the live tree and invalidates styles on its own (the
// pages' longest main-thread task, #32). Like a first mount in React, the copy is built off the document and attached
// once: the page is taken out, the batch applied, the page put back, all in one task (nothing is painted or laid out
// in between, so neither a flash nor a scroll jump). Later batches (live updates, a filter being typed) are applied in
// place, as Blazor does.
(() => {
  "use strict";

  const reloading = (() => {
    const rememberTheme = (dark) => {
      document.cookie = `portal-theme=${dark ? "dark" : "light"}; path=/; max-age=31536000; samesite=lax`;
      return /(?:^|;\s*)portal-theme=/.test(document.cookie);
    };

    const themeToggle = document.getElementById("theme-toggle");
    themeToggle?.addEventListener("click", () => {
      // The server draws the theme (its colours are MudBlazor's stylesheet of the page): a reload draws the other one.
      if (rememberTheme(themeToggle.dataset.dark !== "true")) {
        location.reload();
      }
    });

    // A browser that has not chosen follows its system, remembered so the server draws it from the next first paint on.
    // Only a page with the frame (always a GET) reloads to show it at once; a browser that refuses cookies never does.
    if (!/(?:^|;\s*)portal-theme=/.test(document.cookie) && matchMedia("(prefers-color-scheme: dark)").matches
        && rememberTheme(true) && themeToggle) {
      location.reload();
      return true;
    }

    const drawer = document.getElementById("drawer");
    const layout = drawer?.closest(".mud-layout");
    const drawerToggle = document.getElementById("drawer-toggle");
    if (!drawer || !layout || !drawerToggle) {
      return false;
    }
    // MudBlazor's md breakpoint: narrower, the responsive drawer is a sheet over the page, hidden until asked for.
    const wide = matchMedia("(min-width: 960px)");
    const isOpen = () => drawer.classList.contains("mud-drawer--initial") ? wide.matches : drawer.classList.contains("mud-drawer--open");
    const setOpen = (open) => {
      drawer.classList.remove("mud-drawer--initial");
      drawer.classList.toggle("mud-drawer--open", open);
      drawer.classList.toggle("mud-drawer--closed", !open);
      layout.classList.toggle("mud-drawer-open-responsive-md-left", open);
      drawerToggle.setAttribute("aria-expanded", String(open));
    };
    drawerToggle.setAttribute("aria-expanded", String(isOpen()));
    drawerToggle.addEventListener("click", () => setOpen(!isOpen()));
    // Over a narrow page, choosing a link or touching the page outside the drawer puts the sheet away.
    document.addEventListener("click", (event) => {
      if (!wide.matches && isOpen() && !drawerToggle.contains(event.target)
          && (!drawer.contains(event.target) || event.target.closest("a"))) {
        setOpen(false);
      }
    });
    return false;
  })();

  let pageBuilt = false;

  function offDocumentFirstRender(applyBatch) {
    return function (batchId, batch, ...rest) {
      const page = pageBuilt ? null : document.getElementById("page");
      // The first large batch is the page's (the head's small one may come first); a page being typed in stays put.
      if (!page || !(batch?.byteLength > 8192) || page.contains(document.activeElement)) {
        return applyBatch.call(this, batchId, batch, ...rest);
      }
      pageBuilt = true;
      const placeholder = document.createComment("page");
      page.replaceWith(placeholder);
      try {
        // Blazor applies the batch synchronously, then awaits the server's acknowledgement.
        return applyBatch.call(this, batchId, batch, ...rest);
      } finally {
        placeholder.replaceWith(page);
      }
    };
  }

  if (!reloading) {
    Blazor.start({
      circuit: {
        configureSignalR(builder) {
          const build = builder.build.bind(builder);
          builder.build = () => {
            const connection = build();
            const on = connection.on.bind(connection);
            connection.on = (name, handler) => on(name, name === "JS.RenderBatch" ? offDocumentFirstRender(handler) : handler);
            return connection;
          };
        },
      },
    });
  }
})();
