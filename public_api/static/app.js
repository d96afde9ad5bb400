// The only script on the site: fill latitude/longitude from the browser, a back link, and a
// confirmation before destructive form posts (data-confirm holds the question).
document.addEventListener("click", (event) => {
  const locate = event.target.closest("[data-locate]");
  if (locate && navigator.geolocation) {
    navigator.geolocation.getCurrentPosition((pos) => {
      document.getElementById("lat").value = pos.coords.latitude.toFixed(6);
      document.getElementById("lon").value = pos.coords.longitude.toFixed(6);
    });
  }
  const back = event.target.closest("[data-back]");
  if (back) { event.preventDefault(); history.back(); }
});
document.addEventListener("submit", (event) => {
  const question = event.target.closest("[data-confirm]");
  if (question && !window.confirm(question.dataset.confirm)) event.preventDefault();
});
