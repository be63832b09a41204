// The what-if table decides again as soon as a field is changed (a declaration flipped, a value
// or a price edited and left): no other script runs here.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field.form && field.form.matches("form.what-if")) {
    field.form.requestSubmit();
  }
});
