// LongLive live page: one WebSocket to /ws (protocol: docs/serve.md). Frames arrive as binary messages
// (28-byte header + JPEG) and are drawn on a canvas; events arrive as JSON text. No build step, no libraries.
"use strict";

const $ = (id) => document.getElementById(id);
const HEADER_BYTES = 28, MAGIC = 0x4C4C5646;

// Everything the page knows; window.longlive exposes it to the browser tests.
const state = {
  connected: false, session: null, number: -1, firstFrameMs: null, paused: false, frames: 0, lastFrame: -1, lastPrompt: 0,
  timeline: [], latencies: [], hello: null, errors: [], warnings: [], stopped: null,
};
window.longlive = state;

let ws = null;
let leaving = false;   // the page is being left: no reconnect
const arrivals = [];   // client-side frames/s over the last second

// Leaving the page ends its session at once: browsers may keep a page with an open socket alive in the
// back/forward cache, and the server would hold a generator for nobody until they drop it.
window.addEventListener("pagehide", () => { leaving = true; if (ws) ws.close(1001, "page left"); });
window.addEventListener("pageshow", (e) => { if (e.persisted) { leaving = false; connect(); } });

function connect() {
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
  ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  setStatus("connecting", "connecting");
  ws.onopen = () => { state.connected = true; setStatus("open", "connected"); };
  ws.onclose = (e) => {
    state.connected = false;
    setStatus("closed", "disconnected" + (e.reason ? ": " + e.reason : "") + " · reconnecting…");
    endSession();
    if (!leaving) setTimeout(connect, 2000);   // the server restarted or the network blinked: the session is gone, the page is not
  };
  ws.onmessage = (m) => (typeof m.data === "string" ? onEvent(JSON.parse(m.data)) : onFrame(m.data));
}

function send(obj) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
}

function setStatus(kind, text) {
  $("status").dataset.state = kind;
  $("status").textContent = text;
}

function log(kind, text) {
  const li = document.createElement("li");
  li.className = kind;
  li.textContent = new Date().toLocaleTimeString() + "  " + text;
  $("log").prepend(li);
}

// ---- events -----------------------------------------------------------------------------------------------------

function onEvent(ev) {
  switch (ev.type) {
    case "hello":
      state.hello = ev;
      $("model").textContent = `${ev.model} · ${ev.width}×${ev.height} · ${ev.fps} fps` +
        (ev.random_weights ? " · random weights (noise: no model found)" : "");
      $("video").width = ev.width; $("video").height = ev.height;
      $("video").style.aspectRatio = ev.width + " / " + ev.height;
      $("sessions").textContent = `${ev.sessions}/${ev.max_sessions}`;
      break;
    case "started":
      state.session = ev.session; state.number = ev.number; state.paused = false; state.frames = 0;
      state.lastFrame = -1; state.lastPrompt = 0; state.stopped = null;
      state.timeline = ev.timeline.map((t) => ({ ...t, sentAt: performance.now(), latency: null }));
      state.timeline[0].sentAt = pendingStartAt;
      state.timeline[0].applied_frame = 0;
      $("seed").value = ev.seed;
      $("download").href = ev.download;
      $("download").classList.remove("disabled");
      $("send").textContent = "Switch";
      $("pause").disabled = false; $("stop").disabled = false; $("pause").textContent = "Pause";
      $("overlay").textContent = "starting…";
      renderTimeline();
      break;
    case "switch_requested": {
      const pending = ev.source === "user" ? pendingSwitches.shift() : null;
      state.timeline[ev.index] = { index: ev.index, prompt: ev.prompt, source: ev.source, requested_frame: ev.frame,
        applied_frame: -1, superseded: false, sentAt: ev.source === "user" && pending ? pending : performance.now(),
        latency: null };
      renderTimeline();
      break;
    }
    case "switch_applied":
      if (state.timeline[ev.index]) state.timeline[ev.index].applied_frame = ev.frame;
      renderTimeline();
      break;
    case "switch_superseded":
      if (state.timeline[ev.index]) state.timeline[ev.index].superseded = true;
      renderTimeline();
      break;
    case "stats":
      $("fps").dataset.server = ev.fps.toFixed(1) + " frames/s made";
      $("queue").textContent = ev.queued;
      $("sessions").textContent = `${ev.sessions}/${state.hello ? state.hello.max_sessions : "?"}`;
      break;
    case "paused": state.paused = true; $("pause").textContent = "Resume"; $("overlay").textContent = "paused"; showOverlay(true); break;
    case "resumed": state.paused = false; $("pause").textContent = "Pause"; showOverlay(false); break;
    case "stopped":
      state.stopped = ev;
      log("", `session ended (${ev.reason}) after ${ev.frames} frames`);
      $("download").href = ev.download;
      endSession();
      break;
    case "warning": state.warnings.push(ev); log("warning", ev.message); break;
    case "error": state.errors.push(ev); log("error", `${ev.code}: ${ev.message}`); break;
  }
}

function endSession() {
  state.session = null;
  $("send").textContent = "Start";
  $("pause").disabled = true; $("stop").disabled = true;
  $("overlay").textContent = "Type a prompt and press Enter to start a new video";
  showOverlay(true);
}

function showOverlay(on) { $("overlay").classList.toggle("hidden", !on); }

// ---- frames -----------------------------------------------------------------------------------------------------

// Frames are decoded in arrival order into a play queue. A paced server (hello.realtime) sends whole blocks at
// once, up to a second ahead, so the page plays the queue at the video's fps; an unpaced server's frames are shown
// as they come. A queue that grows past two seconds (a stalled tab) is skipped forward.
let decoding = Promise.resolve();
const queue = [];
let nextDue = 0;

function onFrame(buf) {
  const v = new DataView(buf);
  if (buf.byteLength < HEADER_BYTES || v.getUint32(0) !== MAGIC) return;
  const headerLen = v.getUint16(6);
  const session = v.getUint32(8), frame = v.getUint32(12), prompt = v.getUint32(16);
  const bitmap = createImageBitmap(new Blob([new Uint8Array(buf, headerLen)], { type: "image/jpeg" }));
  decoding = decoding.then(() => bitmap).then((img) => {
    queue.push({ img, session, frame, prompt });
    if (!(state.hello && state.hello.realtime)) play();
  }).catch((e) => log("error", "frame " + frame + ": " + e));
}

function play() {
  const fps = state.hello ? state.hello.fps : 16;
  const paced = state.hello && state.hello.realtime;
  const now = performance.now();
  if (paced && queue.length > 2 * fps) {   // fell behind: drop to the newest second
    while (queue.length > fps) queue.shift().img.close();
    nextDue = now;
  }
  while (queue.length && (!paced || now >= nextDue)) {
    const f = queue.shift();
    show(f, now);
    if (paced) {
      nextDue = Math.max(nextDue + 1000 / fps, now - 1000 / fps);
      break;
    }
  }
}
setInterval(play, 5);

function show(f, now) {
  if (f.session !== state.number || f.frame <= state.lastFrame) { f.img.close(); return; }   // an older session's
  $("video").getContext("2d").drawImage(f.img, 0, 0);
  f.img.close();
  state.lastFrame = f.frame; state.frames++;
  $("frameCount").textContent = f.frame;
  if (state.frames === 1) { showOverlay(false); state.firstFrameMs = now - pendingStartAt; }
  arrivals.push(now);
  while (arrivals.length && arrivals[0] < now - 1000) arrivals.shift();
  if (f.prompt !== state.lastPrompt) {
    state.lastPrompt = f.prompt;
    const t = state.timeline[f.prompt];
    if (t && t.latency === null && t.sentAt) {
      t.latency = now - t.sentAt;
      if (f.prompt > 0) {
        state.latencies.push(t.latency);
        $("latency").textContent = Math.round(t.latency) + " ms";
      }
      t.shown_frame = f.frame;
    }
    renderTimeline();
  }
}

setInterval(() => {
  if (!state.session || state.paused) return;
  const now = performance.now();
  while (arrivals.length && arrivals[0] < now - 1000) arrivals.shift();
  $("fps").title = `${arrivals.length} frames shown in the last second (server: ${$("fps").dataset.server || "?"})`;
  $("fps").textContent = arrivals.length;
}, 500);

// ---- timeline ---------------------------------------------------------------------------------------------------

function renderTimeline() {
  const ol = $("timeline");
  ol.replaceChildren();
  for (const t of state.timeline) {
    if (!t) continue;
    const li = document.createElement("li");
    li.dataset.index = t.index;
    li.dataset.applied = t.applied_frame;
    if (t.superseded) li.classList.add("superseded");
    if (t.index === state.lastPrompt) li.classList.add("current");
    const text = document.createElement("span");
    text.className = "text"; text.textContent = t.prompt;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = t.superseded ? "replaced before it took effect"
      : t.applied_frame >= 0 ? `from frame ${t.applied_frame}` + (t.index > 0 && t.latency != null ? ` · ${Math.round(t.latency)} ms` : "")
      : `requested at frame ${t.requested_frame}…`;
    if (t.source === "script") meta.textContent += " · script";
    li.append(text, meta);
    ol.append(li);
  }
  ol.scrollTop = ol.scrollHeight;
}

// ---- controls ---------------------------------------------------------------------------------------------------

let pendingStartAt = 0;
const pendingSwitches = [];

$("promptForm").addEventListener("submit", (e) => {
  e.preventDefault();
  const prompt = $("prompt").value.trim();
  if (!prompt) { log("warning", "type a prompt first"); return; }
  if (!state.session) {
    pendingStartAt = performance.now();
    const seed = $("seed").value.trim();
    send(seed === "" ? { type: "start", prompt } : { type: "start", prompt, seed: Number(seed) });
  } else {
    pendingSwitches.push(performance.now());
    send({ type: "switch", prompt });
  }
  $("prompt").select();
});
$("pause").addEventListener("click", () => send({ type: state.paused ? "resume" : "pause" }));
$("stop").addEventListener("click", () => send({ type: "stop" }));
$("dice").addEventListener("click", () => { $("seed").value = Math.floor(Math.random() * 2 ** 31); });

connect();
