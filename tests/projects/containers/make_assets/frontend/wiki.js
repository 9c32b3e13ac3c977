document.addEventListener("DOMContentLoaded", () => {
  document.body.dataset.wiki = "ready";
});
