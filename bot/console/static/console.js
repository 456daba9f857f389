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
});
