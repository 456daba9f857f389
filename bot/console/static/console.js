// The console's only script (served from /staff/static, so the CSP needs no inline code):
// slip zoom, review keyboard shortcuts and canned complaint answers.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const pages = document.querySelectorAll(".slip img");  // a photo, or a PDF's pages
  const zoom = () => pages.forEach((img) => img.classList.toggle("zoomed"));
  pages.forEach((img) => img.addEventListener("click", zoom));
  const zoomButton = document.getElementById("zoom");
  if (zoomButton) zoomButton.addEventListener("click", zoom);
  const decide = document.getElementById("decide");
  if (decide) {
    document.addEventListener("keydown", (ev) => {
      const tag = (ev.target.tagName || "").toLowerCase();
      if (["input", "textarea", "select"].includes(tag) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const key = ev.key.toLowerCase();
      if (key === "z") { zoom(); return; }
      const button = decide.querySelector(`[data-key="${key}"]`);
      if (!button) return;
      ev.preventDefault();
      if (key === "r" && !decide.reason.value && !decide.reason_text.value) {
        decide.reason.focus();  // a rejection needs its reason first
        return;
      }
      decide.requestSubmit(button);
    });
  }
  const canned = document.getElementById("canned");
  const answer = document.getElementById("answer");
  if (canned && answer) {
    canned.addEventListener("change", () => {
      const opt = canned.selectedOptions[0];
      if (opt && opt.dataset.text) answer.value = opt.dataset.text;  // then edited freely
    });
  }
  broadcastComposer();
  broadcastProgress();
  importProgress();
});

// An import applied in the background: the bar follows its rows every second; once it is
// finished the page is loaded again and shows the import's figures (a GET, safe to repeat).
function importProgress() {
  const box = document.getElementById("job");
  if (!box) return;
  const bar = document.getElementById("job-bar");
  const label = document.getElementById("job-label");
  const tick = async () => {
    const r = await fetch(box.dataset.url);
    if (!r.ok) { setTimeout(tick, 2000); return; }
    const got = await r.json();
    bar.value = got.percent;
    label.textContent = got.label;
    if (got.finished) window.location.reload();
    else setTimeout(tick, 1000);
  };
  setTimeout(tick, 500);
}

// Live SMS part counts and the recipient count: the figures come from the server
// (sms/segments.py, storage.audience), so the page never disagrees with the preview.
function broadcastComposer() {
  const form = document.getElementById("composer");
  if (!form) return;
  const later = (fn) => { let t; return () => { clearTimeout(t); t = setTimeout(fn, 250); }; };
  form.querySelectorAll("textarea[data-parts]").forEach((area) => {
    const out = document.getElementById(area.dataset.parts);
    const count = async () => {
      const body = new FormData();
      body.append("csrf", form.csrf.value);
      body.append("text", area.value);
      const r = await fetch(form.action.replace(/preview$/, "parts"), { method: "POST", body });
      if (r.ok) out.textContent = (await r.json()).label;
    };
    area.addEventListener("input", later(count));
    count();
  });
  const audience = document.getElementById("audience");
  const fields = form.querySelectorAll("[data-segment]");
  const recount = async () => {
    const q = new URLSearchParams();
    fields.forEach((f) => { if (f.value) q.append(f.name, f.value); });
    const r = await fetch(`${audience.dataset.url}?${q}`);
    if (!r.ok) return;
    const got = await r.json();
    audience.textContent = got.error || got.label;
    audience.className = got.error ? "error" : "ok";
  };
  fields.forEach((f) => f.addEventListener(f.tagName === "SELECT" ? "change" : "input", later(recount)));
  recount();
}

// A broadcast's page polls its figures every two seconds until it is done or cancelled.
function broadcastProgress() {
  const box = document.getElementById("progress");
  if (!box || box.dataset.finished === "yes") return;
  const tick = async () => {
    const r = await fetch(box.dataset.url);
    if (!r.ok) return;
    const fig = await r.json();
    box.querySelectorAll("[data-k]").forEach((el) => { el.textContent = fig[el.dataset.k]; });
    document.getElementById("bc-bar").value = fig.raw;
    document.getElementById("bc-state").textContent = fig.state_label;
    if (fig.finished) {
      const actions = document.getElementById("bc-actions");
      if (actions) actions.remove();
      box.dataset.finished = "yes";
      return;
    }
    setTimeout(tick, 2000);
  };
  setTimeout(tick, 2000);
}
