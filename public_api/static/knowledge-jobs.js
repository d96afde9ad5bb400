// Staff console, knowledge page: follow the ingest jobs (queued -> indexing n/m -> ready | failed) without reloading.
(() => {
  const table = document.querySelector("[data-jobs]");
  if (!table) return;
  const labels = JSON.parse(table.dataset.labels);
  const body = table.querySelector("tbody");
  const unfinished = () => [...body.querySelectorAll("tr[data-job]")].some(
    (row) => row.dataset.state === "queued" || row.dataset.state === "indexing");
  const render = (jobs) => {
    for (const job of jobs) {
      let row = body.querySelector(`tr[data-job="${job.id}"]`);
      if (!row) {
        body.querySelector(".empty-row")?.remove();
        row = document.createElement("tr");
        row.dataset.job = job.id;
        for (const name of ["", "", "job-state", "num job-progress"]) {
          const cell = document.createElement("td");
          cell.className = name;
          row.appendChild(cell);
        }
        row.cells[0].textContent = job.id;
        row.cells[1].textContent = job.filename;
        body.prepend(row);
      }
      row.dataset.state = job.state;
      row.cells[2].textContent = labels[job.state] + (job.error ? `: ${job.error}` : "");
      row.cells[3].textContent = `${job.chunks_done}/${job.chunks_total}`;
    }
  };
  const poll = async () => {
    try {
      const response = await fetch(table.dataset.jobs, { credentials: "same-origin" });
      if (response.ok) render(await response.json());
    } catch (error) { /* offline for a moment: try again */ }
    setTimeout(poll, unfinished() ? 1000 : 5000);
  };
  setTimeout(poll, 500);
})();
