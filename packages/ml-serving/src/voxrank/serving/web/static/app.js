// The voxrank web page: a client of the server's own HTTP API, with no dependencies and no build step.
"use strict";

const SAMPLE_RATE = 16000;
const STATUS_REFRESH_MS = 5000;
const API_KEY_STORAGE = "voxrank-api-key";
// Distinguishable on white and for the common colour-vision deficiencies (Okabe-Ito, then Tableau).
const SPEAKER_COLOURS = [
  "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9",
  "#8c564b", "#7f7f7f", "#bcbd22", "#17becf", "#9467bd", "#f0e442",
];

const page = {
  config: { auth_enabled: false, api_key_header: "X-API-Key", version: "" },
  audio: null, // { blob, name } of the audio the timeline belongs to
  audioUrl: null,
  stopAt: null, // where playback of a clicked turn ends, in seconds
  recorder: null,
};

const $ = (selector) => document.querySelector(selector);

function element(tag, properties = {}, children = []) {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

function setStatus(selector, text, kind = "") {
  const node = $(selector);
  node.textContent = text;
  node.className = `status ${kind}`.trim();
}

// ---- HTTP ---------------------------------------------------------------------------------------

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const key = sessionStorage.getItem(API_KEY_STORAGE);
  if (page.config.auth_enabled && key) headers.set(page.config.api_key_header, key);
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch (error) {
    return { ok: false, status: 0, body: { detail: `the server cannot be reached (${error.message})` } };
  }
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  return { ok: response.ok, status: response.status, body };
}

function detailOf(result) {
  const detail = result.body && result.body.detail;
  if (typeof detail === "string") return detail;
  if (detail) return JSON.stringify(detail);
  return `HTTP ${result.status}`;
}

// ---- Health and models --------------------------------------------------------------------------

function setPill(selector, label, ok, detail) {
  const pill = $(selector);
  pill.textContent = `${label}: ${ok ? "yes" : "no"}`;
  pill.className = `pill ${ok ? "ok" : "bad"}`;
  pill.title = detail;
}

async function refreshStatus() {
  const [live, ready, models] = await Promise.all([api("/healthz"), api("/readyz"), api("/v1/models")]);
  setPill("#live", "live", live.ok, live.ok ? "GET /healthz answers" : detailOf(live));
  setPill("#ready", "ready", ready.ok, ready.ok ? "required models are loaded" : detailOf(ready));
  renderModels(models);
}

function renderModels(result) {
  const body = $("#models tbody");
  if (!result.ok) {
    setStatus("#models-status", `GET /v1/models: ${detailOf(result)}`, "error");
    body.replaceChildren();
    return;
  }
  const models = result.body.models;
  setStatus("#models-status", models.length ? "" : "The server serves no model yet.");
  body.replaceChildren(...models.map(modelRow));
}

function modelRow(model) {
  const reload = model.last_reload;
  const reloadText = reload
    ? `${reload.version} ${reload.outcome} at ${new Date(reload.at * 1000).toLocaleTimeString()}`
    : "–";
  const cells = [model.name, model.task || "–", model.version || "–", model.state, model.provider || "–", reloadText];
  const row = element("tr", { className: "model" }, cells.map((text) => element("td", { textContent: text })));
  row.dataset.name = model.name;
  row.children[3].className = `state-${model.state}`;
  if (reload && reload.error) row.children[5].title = reload.error;
  return row;
}

// ---- Diarization --------------------------------------------------------------------------------

async function diarize() {
  if (!page.audio) return;
  const form = new FormData();
  form.append("file", page.audio.blob, page.audio.name);
  const speakers = $("#num-speakers").value;
  const query = speakers ? `?num_speakers=${encodeURIComponent(speakers)}` : "";
  setStatus("#diarize-status", `Diarizing ${page.audio.name}…`, "busy");
  $("#diarize").disabled = true;
  const result = await api(`/v1/diarize${query}`, { method: "POST", body: form });
  $("#diarize").disabled = false;
  if (!result.ok) {
    setStatus("#diarize-status", `Diarization failed (${result.status}): ${detailOf(result)}`, "error");
    $("#timeline").hidden = true;
    $("#diarize-summary").hidden = true;
    return;
  }
  const answer = result.body;
  setStatus("#diarize-status", `${page.audio.name}: ${answer.num_speakers} speakers, ${answer.turns.length} turns.`);
  renderTimeline(answer);
  renderSummary(answer);
}

function useAudio(blob, name) {
  page.audio = { blob, name };
  if (page.audioUrl) URL.revokeObjectURL(page.audioUrl);
  page.audioUrl = URL.createObjectURL(blob);
  const player = $("#player");
  player.src = page.audioUrl;
  player.hidden = false;
  diarize();
}

function renderTimeline(answer) {
  const timeline = $("#timeline");
  const duration = Math.max(answer.duration_s, ...answer.turns.map((turn) => turn.end), 1e-6);
  const speakers = [...new Set(answer.turns.map((turn) => turn.speaker))];
  const lanes = speakers.map((speaker, index) => {
    const colour = SPEAKER_COLOURS[index % SPEAKER_COLOURS.length];
    const turns = answer.turns.filter((turn) => turn.speaker === speaker);
    const track = element("div", { className: "track" }, turns.map((turn) => turnButton(turn, duration)));
    const label = element("span", { className: "lane-label", textContent: speaker });
    label.prepend(element("span", { className: "swatch" }));
    const lane = element("div", { className: "lane" }, [label, track]);
    lane.dataset.speaker = speaker;
    lane.style.setProperty("--speaker", colour);
    return lane;
  });
  timeline.replaceChildren(...lanes, axis(duration));
  timeline.dataset.duration = String(duration);
  timeline.hidden = false;
}

function turnButton(turn, duration) {
  const button = element("button", {
    type: "button",
    className: "turn",
    title: `${turn.speaker}: ${turn.start.toFixed(2)}–${turn.end.toFixed(2)} s`,
  });
  button.setAttribute("aria-label", `${turn.speaker} from ${turn.start.toFixed(2)} to ${turn.end.toFixed(2)} seconds`);
  button.dataset.start = String(turn.start);
  button.dataset.end = String(turn.end);
  button.dataset.speaker = turn.speaker;
  button.style.left = `${(100 * turn.start) / duration}%`;
  button.style.width = `${(100 * (turn.end - turn.start)) / duration}%`;
  button.addEventListener("click", () => playTurn(button, turn));
  return button;
}

function axis(duration) {
  const step = tickStep(duration);
  const ticks = [];
  for (let at = 0; at <= duration + 1e-9; at += step) {
    const tick = element("span", { className: "tick", textContent: `${+at.toFixed(3)} s` });
    tick.style.left = `${(100 * at) / duration}%`;
    ticks.push(tick);
  }
  return element("div", { className: "axis" }, ticks);
}

function tickStep(duration) {
  const rough = duration / 8;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((factor) => factor * power).find((step) => step >= rough);
}

function renderSummary(answer) {
  const talk = new Map();
  for (const turn of answer.turns) talk.set(turn.speaker, (talk.get(turn.speaker) || 0) + turn.end - turn.start);
  const rows = [
    ["Model", `${answer.model} ${answer.version} (${answer.provider})`],
    ["Audio", `${answer.duration_s.toFixed(2)} s`],
    ["Server time", `${answer.timing.inference_ms.toFixed(1)} ms inference, ${answer.timing.queue_ms.toFixed(1)} ms queued`],
    ...[...talk].map(([speaker, seconds]) => [speaker, `${seconds.toFixed(2)} s of speech`]),
  ];
  const summary = $("#diarize-summary");
  summary.replaceChildren(...rows.flatMap(([term, value]) => [
    element("dt", { textContent: term }),
    element("dd", { textContent: value }),
  ]));
  summary.hidden = false;
}

// ---- Playback of one turn -----------------------------------------------------------------------

async function playTurn(button, turn) {
  const player = $("#player");
  for (const playing of document.querySelectorAll(".turn.playing")) playing.classList.remove("playing");
  button.classList.add("playing");
  if (player.readyState < HTMLMediaElement.HAVE_METADATA) {
    await new Promise((resolve) => player.addEventListener("loadedmetadata", resolve, { once: true }));
  }
  page.stopAt = turn.end;
  player.currentTime = turn.start;
  try {
    await player.play();
  } catch (error) {
    setStatus("#diarize-status", `The browser would not play the audio: ${error.message}`, "error");
  }
}

// Runs once per frame while the player plays (started by its "play" event); stops a clicked turn at its end.
function followPlayback() {
  const player = $("#player");
  movePlayhead(player.currentTime);
  if (page.stopAt !== null && player.currentTime >= page.stopAt) player.pause();
  if (!player.paused) {
    requestAnimationFrame(followPlayback);
    return;
  }
  page.stopAt = null;
  for (const playing of document.querySelectorAll(".turn.playing")) playing.classList.remove("playing");
}

function movePlayhead(seconds) {
  const duration = Number($("#timeline").dataset.duration || 0);
  if (!duration) return;
  for (const track of document.querySelectorAll(".track")) {
    let head = track.querySelector(".playhead");
    if (!head) head = track.appendChild(element("div", { className: "playhead" }));
    head.style.left = `${(100 * Math.min(seconds, duration)) / duration}%`;
  }
}

// ---- Recording ----------------------------------------------------------------------------------

async function toggleRecording() {
  const button = $("#record");
  if (page.recorder) {
    page.recorder.stop();
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (error) {
    setStatus("#diarize-status", `No microphone: ${error.message}`, "error");
    return;
  }
  const chunks = [];
  const recorder = new MediaRecorder(stream);
  recorder.addEventListener("dataavailable", (event) => chunks.push(event.data));
  recorder.addEventListener("stop", async () => {
    stream.getTracks().forEach((track) => track.stop());
    page.recorder = null;
    button.textContent = "● Record";
    button.classList.remove("recording");
    setStatus("#diarize-status", "Converting the recording…", "busy");
    try {
      useAudio(await recordingToWav(new Blob(chunks, { type: recorder.mimeType })), "recording.wav");
    } catch (error) {
      setStatus("#diarize-status", `The recording could not be decoded: ${error.message}`, "error");
    }
  });
  recorder.start();
  page.recorder = recorder;
  button.textContent = "■ Stop";
  button.classList.add("recording");
  setStatus("#diarize-status", "Recording… press Stop to diarize.", "busy");
}

// Browsers record WebM/Opus or Ogg/Opus; the server decodes WAV, FLAC and OGG, so recordings are sent
// as 16 kHz mono WAV, decoded and resampled by the browser itself.
async function recordingToWav(blob) {
  const context = new AudioContext();
  let decoded;
  try {
    decoded = await context.decodeAudioData(await blob.arrayBuffer());
  } finally {
    context.close();
  }
  const frames = Math.max(1, Math.ceil(decoded.duration * SAMPLE_RATE));
  const offline = new OfflineAudioContext(1, frames, SAMPLE_RATE);
  const source = offline.createBufferSource();
  source.buffer = decoded;
  source.connect(offline.destination);
  source.start();
  const rendered = await offline.startRendering();
  return encodeWav(rendered.getChannelData(0), SAMPLE_RATE);
}

function encodeWav(samples, rate) {
  const bytes = new DataView(new ArrayBuffer(44 + samples.length * 2));
  const text = (offset, value) => [...value].forEach((char, i) => bytes.setUint8(offset + i, char.charCodeAt(0)));
  text(0, "RIFF");
  bytes.setUint32(4, 36 + samples.length * 2, true);
  text(8, "WAVE");
  text(12, "fmt ");
  bytes.setUint32(16, 16, true); // PCM header size
  bytes.setUint16(20, 1, true); // PCM
  bytes.setUint16(22, 1, true); // mono
  bytes.setUint32(24, rate, true);
  bytes.setUint32(28, rate * 2, true); // bytes per second
  bytes.setUint16(32, 2, true); // bytes per frame
  bytes.setUint16(34, 16, true); // bits per sample
  text(36, "data");
  bytes.setUint32(40, samples.length * 2, true);
  samples.forEach((sample, i) => {
    const clipped = Math.max(-1, Math.min(1, sample));
    bytes.setInt16(44 + i * 2, clipped < 0 ? clipped * 0x8000 : clipped * 0x7fff, true);
  });
  return new Blob([bytes], { type: "audio/wav" });
}

// ---- Recommendations ----------------------------------------------------------------------------

async function recommend(event) {
  event.preventDefault();
  const userId = $("#user-id").value.trim();
  const k = Number($("#top-k").value) || 10;
  setStatus("#recommend-status", `Asking for ${k} items for ${userId}…`, "busy");
  $("#recommendations").replaceChildren();
  const result = await api("/v1/recommendations", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: userId, k }),
  });
  if (result.status === 404 && detailOf(result) === "Not Found") {
    setStatus("#recommend-status", "This server has no recommendations endpoint.", "error");
    return;
  }
  if (!result.ok) {
    setStatus("#recommend-status", detailOf(result), "error");
    return;
  }
  const { items, model, version, store } = result.body;
  const titles = await titlesOf(items);
  setStatus("#recommend-status", `${items.length} items for ${userId} (${model} ${version}, ${store} index).${titles.note}`);
  $("#recommendations").replaceChildren(...items.map((item) => itemEntry(item, titles.byId)));
}

// Titles travel with the items when the API sends them; otherwise the server looks them up in the catalog.
async function titlesOf(items) {
  const byId = Object.fromEntries(items.filter((item) => item.title).map((item) => [item.item_id, item.title]));
  const missing = items.map((item) => item.item_id).filter((id) => !(id in byId));
  if (!missing.length) return { byId, note: "" };
  const result = await api("/ui/titles", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ item_ids: missing }),
  });
  if (!result.ok) return { byId, note: ` No titles: ${detailOf(result)}` };
  return { byId: { ...byId, ...result.body.titles }, note: result.body.detail ? ` No titles: ${result.body.detail}` : "" };
}

async function loadUsers() {
  const result = await api("/ui/users");
  const hint = $("#users-hint");
  if (!result.ok || result.body.detail) {
    hint.textContent = result.ok ? result.body.detail : detailOf(result);
    return;
  }
  const { users, total } = result.body;
  $("#known-users").replaceChildren(
    ...users.map((user) => element("option", { value: user.user_id, label: `${user.interactions} interactions` })),
  );
  hint.textContent = `${total} users with a stored history${users.length < total ? `; the ${users.length} most active are listed` : ""}.`;
}

function itemEntry(item, titles) {
  const entry = element("li", { className: "item" }, [
    element("span", { className: "title", textContent: titles[item.item_id] || "(no title)" }),
    " ",
    element("span", { className: "item-id", textContent: item.item_id }),
  ]);
  if (typeof item.score === "number") entry.prepend(element("span", { className: "score", textContent: item.score.toFixed(3) }));
  entry.dataset.itemId = item.item_id;
  return entry;
}

// ---- Start --------------------------------------------------------------------------------------

async function loadConfig() {
  const result = await api("/ui/config.json");
  if (!result.ok) return;
  page.config = result.body;
  $("#server-version").textContent = `voxrank-ml-serving ${page.config.version}`;
  const field = $("#api-key-field");
  field.hidden = !page.config.auth_enabled;
  $("#api-key").value = sessionStorage.getItem(API_KEY_STORAGE) || "";
}

function wire() {
  $("#audio-file").addEventListener("change", (event) => {
    const [file] = event.target.files;
    if (file) useAudio(file, file.name);
  });
  $("#diarize").addEventListener("click", diarize);
  $("#player").addEventListener("play", () => requestAnimationFrame(followPlayback));
  $("#recommend-form").addEventListener("submit", recommend);
  $("#api-key").addEventListener("change", (event) => {
    sessionStorage.setItem(API_KEY_STORAGE, event.target.value);
    refreshStatus();
    loadUsers();
  });
  const record = $("#record");
  if (!navigator.mediaDevices || !window.MediaRecorder) {
    record.disabled = true;
    record.title = "Recording needs a microphone and a secure page (https or localhost).";
  } else {
    record.addEventListener("click", toggleRecording);
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  wire();
  await loadConfig();
  await Promise.all([refreshStatus(), loadUsers()]);
  setInterval(refreshStatus, STATUS_REFRESH_MS);
});
