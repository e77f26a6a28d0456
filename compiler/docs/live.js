// archc docs --serve: reload the page when the site is rebuilt; show model errors in a banner.
// Added to each page by the server only (compiler/docs/serve.py), never to the site on disk.
(() => {
  const shown = document.currentScript.dataset.build; // the build this page belongs to
  const source = new EventSource("/__archc/events");

  function banner(errors) {
    let box = document.getElementById("archc-errors");
    if (errors.length === 0) {
      if (box) box.remove();
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.id = "archc-errors";
      box.setAttribute("role", "alert");
      box.style.cssText =
        "position:fixed;top:0;left:0;right:0;z-index:100000;max-height:50vh;overflow:auto;" +
        "background:#fff0f0;color:#5c0000;border-bottom:3px solid #c00;padding:0.8em 1.2em;font:14px/1.4 sans-serif;";
      document.body.appendChild(box);
    }
    const title = document.createElement("strong");
    title.textContent = "The model has errors: this is the last good build. Fix the model and save.";
    const lines = document.createElement("pre");
    lines.style.cssText = "margin:0.5em 0 0;white-space:pre-wrap;font:13px/1.4 monospace;";
    lines.textContent = errors.join("\n"); // text, never markup: error lines quote the model
    box.replaceChildren(title, lines);
  }

  source.onmessage = (event) => {
    const status = JSON.parse(event.data);
    if (status.build !== shown) {
      source.close();
      location.reload();
      return;
    }
    banner(status.errors);
  };
})();
