// The site's small script: copy buttons, a back link, the live text counter and photo checks
// before upload. Every form still works without it; the server checks everything again.
"use strict";

function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => (key in values ? values[key] : ""));
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain http on a LAN has no clipboard API: the old select-and-copy way.
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy failed");
}

document.addEventListener("click", async (event) => {
  const copy = event.target.closest("[data-copy], [data-copy-text]");
  if (copy) {
    const source = copy.dataset.copy ? document.querySelector(copy.dataset.copy) : null;
    const text = source ? source.textContent.trim() : copy.dataset.copyText;
    const label = copy.dataset.label || copy.textContent;
    copy.dataset.label = label;
    try {
      await copyText(text);
      copy.textContent = copy.dataset.msgCopied;
      copy.classList.add("done");
    } catch (err) {
      copy.textContent = copy.dataset.msgFailed;
    }
    setTimeout(() => { copy.textContent = label; copy.classList.remove("done"); }, 2500);
  }
  const back = event.target.closest("[data-back]");
  if (back) { event.preventDefault(); history.back(); }
});

// Live counter for a text field with a limit: shows count / max and refuses to submit past it,
// saying by how much (nothing is cut silently).
function updateCounter(field) {
  const max = Number(field.dataset.maxlength);
  const count = [...field.value].length;
  const counter = document.getElementById(field.getAttribute("aria-describedby"));
  const over = count > max;
  if (counter) {
    counter.textContent = format(field.dataset.msgCounter, { count, max });
    counter.classList.toggle("over", over);
  }
  field.setCustomValidity(over ? format(field.dataset.msgTooLong, { count, max }) : "");
}

// Photo checks before upload: type, size and count, each refusal naming the file and its real size.
const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"];
const PHOTO_EXTENSIONS = /\.(jpe?g|png|webp|heic|heif)$/i;

function megabytes(bytes) {
  return String(Math.ceil((bytes / 1048576) * 100) / 100);
}

function checkPhotos(input) {
  const maxBytes = Number(input.dataset.maxBytes);
  const maxCount = Number(input.dataset.maxCount);
  const problems = [];
  const files = [...input.files];
  if (files.length > maxCount) {
    problems.push(format(input.dataset.msgCount, { n: maxCount, count: files.length }));
  }
  for (const file of files) {
    // Some phones leave the type empty for HEIC: the name decides then.
    const typeOk = PHOTO_TYPES.includes(file.type) || (!file.type && PHOTO_EXTENSIONS.test(file.name));
    if (!typeOk) problems.push(format(input.dataset.msgType, { name: file.name }));
    else if (file.size > maxBytes) {
      problems.push(format(input.dataset.msgSize, { name: file.name, size: megabytes(file.size), mb: megabytes(maxBytes) }));
    }
  }
  const list = document.getElementById(input.id + "-errors");
  if (list) {
    list.replaceChildren(...problems.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
  }
  input.setCustomValidity(problems.join(" "));
}

document.addEventListener("input", (event) => {
  if (event.target.matches("[data-maxlength]")) updateCounter(event.target);
});
document.addEventListener("change", (event) => {
  if (event.target.matches("input[type=file][data-max-bytes]")) checkPhotos(event.target);
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-maxlength]").forEach(updateCounter);
});

// A confirmation before destructive form posts (data-confirm holds the question).
document.addEventListener("submit", (event) => {
  const question = event.target.closest("[data-confirm]");
  if (question && !window.confirm(question.dataset.confirm)) event.preventDefault();
});
