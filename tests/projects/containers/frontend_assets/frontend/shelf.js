document.addEventListener("DOMContentLoaded", () => {
  document.body.dataset.shelf = "ready";
});
