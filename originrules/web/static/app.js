// The what-if table decides again as soon as a declaration is flipped: no other script runs here.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field.matches("form.what-if select.auto")) {
    field.form.requestSubmit();
  }
});
