// The only script on the site: fill latitude/longitude from the browser, and a back link.
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
