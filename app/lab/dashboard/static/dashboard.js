// The dashboard's live parts: running tasks' progress and the lab actions, both
// through the control plane's own API (same origin; the login cookie, if any, rides along).
"use strict";

(function () {
  const root = document.getElementById("dashboard");
  if (!root) return;
  const control = root.dataset.control;
  const status = document.getElementById("action-status");
  const FLASH = "mockarray.flash";
  const POLL_MS = 1000;

  async function call(method, path, body) {
    const response = await fetch(control + path, {
      method,
      credentials: "same-origin",
      // The control plane wants this header on every change, even without a body.
      headers: { "Accept": "application/json", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.message || response.status + " " + response.statusText);
    return answer;
  }

  function say(message, failed) {
    status.textContent = message;
    status.classList.toggle("error", Boolean(failed));
  }

  // An action's outcome is said again after the page reloads to show the new state.
  const flash = sessionStorage.getItem(FLASH);
  if (flash) {
    sessionStorage.removeItem(FLASH);
    say(flash, false);
  }

  function action(button, run) {
    return async (event) => {
      event.preventDefault();
      button.disabled = true;
      say("Working…", false);
      try {
        const message = await run();
        sessionStorage.setItem(FLASH, message);
        window.location.reload();
      } catch (error) {
        say(error.message, true);
        button.disabled = false;
      }
    };
  }

  const saveForm = document.getElementById("save-checkpoint");
  saveForm.addEventListener("submit", action(saveForm.querySelector("button"), async () => {
    const name = document.getElementById("checkpoint-name").value.trim();
    const saved = await call("POST", "/checkpoints", { name });
    return `Saved checkpoint '${saved.name}' (${saved.volumes} volumes).`;
  }));

  const restoreForm = document.getElementById("restore-checkpoint");
  restoreForm.addEventListener("submit", action(restoreForm.querySelector("button"), async () => {
    const name = document.getElementById("checkpoint-select").value;
    const restored = await call("POST", "/checkpoints/" + encodeURIComponent(name) + "/restore");
    return `Restored checkpoint '${restored.name}'.`;
  }));

  const finish = document.getElementById("finish-tasks");
  finish.addEventListener("click", action(finish, async () => {
    const done = await call("POST", "/clock/finish");
    return `Finished ${done.finished} running task${done.finished === 1 ? "" : "s"}.`;
  }));

  const clear = document.getElementById("clear-faults");
  clear.addEventListener("click", action(clear, async () => {
    const cleared = await call("DELETE", "/faults");
    return `Removed ${cleared.removed} fault rule${cleared.removed === 1 ? "" : "s"}.`;
  }));

  // -- running tasks, polled -------------------------------------------------------

  const tasks = document.querySelector("#tasks tbody");
  const noTasks = document.getElementById("no-tasks");
  const clockNow = document.getElementById("clock-now");

  function cell(text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }

  function size(bytes) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let value = bytes, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return (Math.round(value * 100) / 100) + " " + units[unit];
  }

  function newRow(task) {
    const row = document.createElement("tr");
    row.dataset.taskId = task.id;
    const kind = cell("");
    const pill = document.createElement("span");
    pill.className = "pill";
    pill.textContent = task.kind;
    kind.append(pill);
    const progress = document.createElement("td");
    progress.innerHTML = '<div class="progress"><span></span></div><span class="pct"></span>';
    row.append(
      kind, cell(task.array), cell(task.volume || ""),
      cell(task.snapshot ? task.snapshot + " → " + task.partner : ""),
      cell(size(task.totalBytes), "num"), progress,
    );
    return row;
  }

  function show(row, percent) {
    row.querySelector(".progress span").style.width = percent + "%";
    row.querySelector(".pct").textContent = percent + "%";
  }

  async function poll() {
    if (document.hidden) return;
    let answer;
    try {
      answer = await call("GET", "/tasks");
    } catch (error) {
      return; // the server restarting, or the token gone: the next poll tries again
    }
    clockNow.textContent = new Date(answer.now).toISOString();
    const running = new Set();
    for (const task of answer.tasks) {
      running.add(String(task.id));
      let row = tasks.querySelector(`tr[data-task-id="${task.id}"]`);
      if (!row) {
        row = newRow(task);
        tasks.append(row);
      }
      show(row, task.percentComplete);
    }
    for (const row of tasks.querySelectorAll("tr[data-task-id]")) {
      if (!running.has(row.dataset.taskId) && !row.classList.contains("done")) {
        row.classList.add("done");
        show(row, 100);
        setTimeout(() => row.remove(), 5000);
      }
    }
    noTasks.hidden = tasks.querySelector("tr[data-task-id]") !== null;
  }

  setInterval(poll, POLL_MS);
  poll();
})();
