-- hh.report_assets: the style sheet and script that hh.report inlines into
-- report.html. Plain CSS (every colour a variable, light and dark) and
-- JavaScript, no libraries, no build step; the script reads the run from
-- <script id="hh-data">, builds every element with textContent (never
-- innerHTML), and keeps votes in localStorage. The grid's part is
-- hh.report_grid, judging's hh.report_judge and the live reload of
-- hh.report_live, all inlined into this script.
-- Exposes window.hhReport for the browser tests.

local M = {}

M.css = [==[
:root { color-scheme: light dark; font: 14px/1.4 system-ui, sans-serif; color: var(--fg);
  --fg: #1d1f21; --muted: #5c6166; --line: #d8dadc; --bg: #fff; --panel: #f1f2f4; --accent: #1f56b8;
  --bad: #b3261e; --good: #1b6e2f; --on-bad: #fff; --on-muted: #fff; --video: #111; --diff: #fff0b3;
  --mark: #ffd95e; --on-mark: #1d1f21; --shade: rgba(0, 0, 0, .28); --cell-min: 200px; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e3e5e8; --muted: #a4abb3; --line: #3b4046; --bg: #16181b; --panel: #23272c; --accent: #8cb4ff;
    --bad: #ff9a90; --good: #7fd492; --on-bad: #16181b; --on-muted: #16181b; --video: #000; --diff: #4a3d07;
    --mark: #806500; --on-mark: #fff; --shade: rgba(0, 0, 0, .7); }
}
@media (max-width: 600px) { :root { --cell-min: 130px; } main { padding: 0 .5em 2em; } .cell .novideo { font-size: .85em; } }
body { margin: 0; background: var(--bg); color: var(--fg); }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .3em 2em; padding: .6em 1em; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.3em; margin: 0; }
h1 small, #facts small { color: var(--muted); font-weight: normal; }
h2 { font-size: 1.1em; }
a { color: var(--accent); }
nav a { margin-right: 1em; text-decoration: none; }
nav a.current { font-weight: bold; border-bottom: 2px solid var(--accent); }
main { padding: 0 1em 2em; }
footer { color: var(--muted); font-size: .85em; padding: 1em; }
#facts { margin: .6em 0; overflow-wrap: anywhere; }
#facts dt, #facts dd { display: inline; margin: 0; }
#facts dt { color: var(--muted); margin-right: .3em; }
#facts dd { margin-right: 1.5em; }
.state { padding: 0 .4em; border-radius: 3px; background: var(--panel); white-space: nowrap; }
.state.done { color: var(--good); }
.state.failed, .state.unknown { color: var(--bad); }
table { border-collapse: collapse; }
th, td { text-align: left; padding: .25em .6em; border-bottom: 1px solid var(--line); vertical-align: top; }
.bar { display: flex; flex-wrap: wrap; align-items: center; gap: .5em 1em; margin: .6em 0;
  padding: .5em; background: var(--panel); border-radius: 4px; }
.bar[hidden] { display: none; }
.bar label { overflow-wrap: anywhere; }
select, input { max-width: 100%; }
.transport input[type=range] { width: 18em; max-width: 100%; }
.transport .time { font-variant-numeric: tabular-nums; min-width: 7em; }
button { font: inherit; padding: .2em .8em; }
.gridbox { position: relative; }
.gridscroll { overflow-x: auto; scrollbar-width: thin; padding-bottom: 4px; }
.gridbox .shade { position: absolute; top: 0; bottom: 0; width: 18px; pointer-events: none; opacity: 0; transition: opacity .2s; z-index: 2; }
.gridbox .shade.left { left: 0; background: linear-gradient(to right, var(--shade), transparent); }
.gridbox .shade.right { right: 0; background: linear-gradient(to left, var(--shade), transparent); }
.gridbox.more-left .shade.left, .gridbox.more-right .shade.right { opacity: 1; }
.scrollhint { margin: .2em 0; }
.grid { display: grid; gap: 8px; align-items: start; }
.grid .head { font-weight: bold; padding: .2em; max-width: 14em; overflow-wrap: break-word; }
.grid .rowhead, .grid .corner { position: sticky; left: 0; z-index: 1; background: var(--bg); }
.grid .rowhead { align-self: stretch; display: flex; align-items: center; }
@media (max-width: 600px) { .grid .head { max-width: 7em; } }
.list { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(260px, 100%), 1fr)); gap: 12px; }
.cell { margin: 0; min-width: 0; position: relative; }
.cell video, .cell .novideo { width: 100%; aspect-ratio: 16 / 9; background: var(--video); display: block; border-radius: 3px; }
.cell video.sound { outline: 3px solid var(--accent); }
.cell .novideo { background: var(--panel); color: var(--bad); padding: .5em; box-sizing: border-box; overflow: auto; }
.cell .novideo.empty { color: var(--muted); }
.cell .novideo .why { color: var(--fg); }
.cell figcaption { font-size: .85em; color: var(--muted); margin-top: .2em; overflow-wrap: anywhere; }
.cell figcaption b { color: var(--fg); }
.cell .prompt { color: var(--fg); margin: .15em 0; display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 3;
  overflow: hidden; cursor: pointer; }
.cell .prompt.open { display: block; -webkit-line-clamp: none; }
.cell .prompt mark { background: var(--mark); color: var(--on-mark); border-radius: 2px; }
.cell details table { font-size: .95em; }
.cell td.diff { background: var(--diff); }
.side { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(260px, 100%), 1fr)); gap: 12px; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; max-width: 1100px; }
.choices button { min-width: 9em; }
kbd { border: 1px solid var(--line); border-radius: 3px; padding: 0 .3em; background: var(--panel); }
.ranking td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ci { position: relative; width: 180px; height: 12px; background: var(--panel); border-radius: 6px; }
.ci span { position: absolute; top: 5px; height: 2px; background: var(--accent); }
.ci i { position: absolute; top: 2px; width: 8px; height: 8px; margin-left: -4px; border-radius: 50%; background: var(--accent); }
.note { color: var(--muted); }
header .live { color: var(--muted); font-size: .9em; }
.clipbox { position: relative; }
.clipbox .strip { position: absolute; inset: 0; background-size: 1000% 100%; background-repeat: no-repeat;
  border-radius: 3px; pointer-events: none; }
.cell .badge { position: absolute; top: 6px; left: 6px; background: var(--bad); color: var(--on-bad); font-size: .8em;
  padding: 0 .4em; border-radius: 3px; max-width: 90%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.cell .badge.unchecked { background: var(--muted); color: var(--on-muted); }
.cell.flagged video { outline: 2px solid var(--bad); }
.hidden-cell { min-height: 2em; }
]==]

M.js = [==[
(function () {
  'use strict';
  const DATA = JSON.parse(document.getElementById('hh-data').textContent);
  const $ = (sel) => document.querySelector(sel);

  // h('div', {class: 'x', text: 'y', on: {click: f}}, children): an element;
  // strings become text nodes, so no value is ever parsed as HTML.
  function h(tag, props, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.className = v;
      else if (k === 'on') for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of [].concat(children === undefined ? [] : children)) {
      if (c !== null && c !== undefined && c !== false) node.append(c);
    }
    return node;
  }

  const valueKey = (v) => (v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v));
  const fileUrl = (file) => file.split('/').map(encodeURIComponent).join('/');
  const seconds = (s) => (s === undefined || s === null ? '-' : s < 60 ? s.toFixed(1) + ' s' : (s / 60).toFixed(1) + ' min');
  const slotKey = (cell, variant, sample) => cell + '\u0000' + variant + '\u0000' + sample;

  // --- the run: one entry a cell, variant and sample (its last rerun shown)
  const slots = new Map();
  for (const job of DATA.jobs) {
    const k = slotKey(job.cell, job.variant, job.sample);
    const s = slots.get(k);
    if (!s) slots.set(k, { job: job, earlier: [] });
    else { s.earlier.push(s.job); s.job = job; }
  }
  const entries = [...slots.values()];
  const uniq = (list) => [...new Set(list)];


  // --- synchronised playback: one clock drives the visible videos of a view
  const player = {
    videos: new Set(), playing: false, frame: 0, base: 0, started: 0, held: false, duration: 0, ui: [],
    time() { return this.playing && !this.held ? this.base + (performance.now() - this.started) / 1000 : this.base; },
  };
  const TOLERANCE = 0.15; // seconds a video may drift before it is moved
  const HOLD_LIMIT = 3000; // ms to wait for a video that does not load

  const observer = new IntersectionObserver((list) => {
    for (const e of list) {
      const v = e.target;
      v.dataset.visible = e.isIntersecting ? '1' : '0';
      if (e.isIntersecting && !v.getAttribute('src')) {
        v.preload = 'auto';
        v.src = v.dataset.src; // lazy: only videos that come into view load
      }
      if (!e.isIntersecting && !v.paused) v.pause();
    }
    if (player.playing) schedule();
  });

  function activeVideos() {
    return [...player.videos].filter((v) => v.dataset.visible === '1' && v.getAttribute('src') && !v.error);
  }
  const ends = (v) => (isFinite(v.duration) ? v.duration : Infinity);
  // The view's length: its longest video, from its metadata once loaded,
  // before that from the media checks; 0 while neither is known.
  function viewDuration() {
    let d = 0;
    for (const v of player.videos) {
      const t = isFinite(v.duration) && v.duration > 0 ? v.duration : Number(v.dataset.duration) || 0;
      if (t > d) d = t;
    }
    return d;
  }
  function schedule() {
    if (!player.frame) player.frame = requestAnimationFrame(() => { player.frame = 0; tick(); });
  }

  function tick() {
    const now = performance.now();
    const active = activeVideos();
    player.duration = viewDuration();
    if (player.playing) {
      let t = player.time();
      const waiting = active.filter((v) => {
        if (v.readyState >= 3 || t >= ends(v) - 0.05) { v.waitingSince = undefined; return false; }
        if (v.waitingSince === undefined) v.waitingSince = now;
        return now - v.waitingSince < HOLD_LIMIT;
      });
      if (waiting.length && !player.held) { player.base = t; player.held = true; }
      else if (!waiting.length && player.held) { player.held = false; player.started = now; }
      t = player.time();
      if (player.duration > 0 && t >= player.duration) { player.base = 0; player.started = now; t = 0; }
      for (const v of active) {
        const target = Math.min(t, ends(v));
        if (player.held || t >= ends(v) - 0.05) {
          if (!v.paused) v.pause();
          if (v.readyState >= 1 && !v.seeking && Math.abs(v.currentTime - target) > 0.05) v.currentTime = target;
          continue;
        }
        if (!v.seeking && Math.abs(v.currentTime - t) > TOLERANCE) v.currentTime = t;
        if (v.paused) v.play().catch(() => {});
      }
      schedule();
    }
    updateTransport();
  }

  function play() {
    if (player.playing) return;
    player.playing = true; player.held = false; player.started = performance.now();
    schedule();
  }
  function pause() {
    if (!player.playing) return;
    player.base = player.time(); player.playing = false;
    for (const v of player.videos) { if (!v.paused) v.pause(); }
    seek(player.base);
  }
  function seek(t) {
    player.base = t; player.started = performance.now();
    for (const v of activeVideos()) { if (v.readyState >= 1) v.currentTime = Math.min(t, ends(v)); }
    updateTransport();
  }
  function toggle() { if (player.playing) pause(); else play(); }

  // The videos of the view now shown.
  function attach(videos) {
    for (const v of player.videos) { observer.unobserve(v); if (!v.paused) v.pause(); }
    player.videos = new Set(videos);
    for (const v of videos) {
      v.addEventListener('loadedmetadata', () => {
        v.currentTime = Math.min(player.time(), ends(v));
        updateTransport();
      });
      observer.observe(v);
    }
    if (player.playing) schedule();
    updateTransport();
  }

  function transport() {
    const button = h('button', { class: 'play', on: { click: toggle } }, 'Play');
    const range = h('input', { type: 'range', min: 0, max: 1, step: 0.01, value: 0, 'aria-label': 'position' });
    range.addEventListener('input', () => seek(Number(range.value)));
    const time = h('span', { class: 'time' }, '0.0 s');
    const ui = { button: button, range: range, time: time };
    player.ui.push(ui);
    return h('div', { class: 'bar transport' }, [button, range, time,
      h('span', { class: 'note' }, 'every visible video plays together; click one to hear it')]);
  }
  function updateTransport() {
    player.duration = viewDuration();
    const d = player.duration;
    const t = d > 0 ? Math.min(player.time(), d) : player.time();
    player.ui = player.ui.filter((ui) => ui.button.isConnected);
    for (const ui of player.ui) {
      ui.button.textContent = player.playing ? 'Pause' : 'Play';
      ui.range.max = String(d || 1);
      ui.range.value = String(Math.min(t, d || 1));
      ui.time.textContent = t.toFixed(1) + (d > 0 ? ' / ' + d.toFixed(1) : '') + ' s';
    }
  }

  // Clicking a video makes it the only one heard (all start muted).
  function soundToggle(event) {
    const v = event.currentTarget;
    const on = v.muted;
    for (const o of player.videos) { o.muted = true; o.classList.remove('sound'); }
    if (on) { v.muted = false; v.classList.add('sound'); }
  }

  // A clip shows its poster at once; before it plays, moving the pointer
  // across it scrubs its filmstrip. Both are named by the file's sha256, so
  // neither names a variant in a blind view.
  function video(job, blind) {
    const q = job.qc || {};
    const v = h('video', { class: 'clip', 'data-src': fileUrl(blind ? job.blind : job.file), 'data-job': blind ? null : job.job, 'data-duration': q.duration,
      poster: q.poster ? fileUrl(q.poster) : null, preload: 'none', playsinline: true, muted: true,
      title: blind ? null : 'click to hear this one' });
    v.muted = true;
    v.addEventListener('click', soundToggle);
    if (!q.strip) return v;
    const frames = 10;
    const strip = h('div', { class: 'strip', 'aria-hidden': 'true' });
    strip.style.backgroundImage = 'url("' + fileUrl(q.strip) + '")';
    const box = h('div', { class: 'clipbox' }, [v, strip]);
    box.addEventListener('mousemove', (e) => {
      if (player.playing) { strip.hidden = true; return; }
      const r = box.getBoundingClientRect();
      const i = Math.min(frames - 1, Math.max(0, Math.floor((e.clientX - r.left) / r.width * frames)));
      strip.style.backgroundPosition = (i * 100 / (frames - 1)) + '% 0';
      strip.dataset.frame = String(i);
      strip.hidden = false;
    });
    box.addEventListener('mouseleave', () => { strip.hidden = true; });
    strip.hidden = true;
    return box;
  }

  const flaggedOf = (job) => job && job.qc && (job.qc.flagged || job.qc.error);
  function badge(job) {
    const q = job.qc;
    if (!q || !(q.flagged || q.error)) return null;
    return h('div', { class: 'badge' + (q.error ? ' unchecked' : ''), title: q.error || q.reasons },
      q.error ? 'not checked' : q.flags.join(', '));
  }

  function paramsTable(params, differ) {
    const rows = Object.keys(params).sort().map((k) => h('tr', {}, [h('th', {}, k),
      h('td', { class: differ && differ.has(k) ? 'diff' : null }, valueKey(params[k]))]));
    return h('table', {}, h('tbody', {}, rows));
  }

  // A job that is not done, in words: its state, and its class when that
  // says more (a failure's cause, why it was skipped).
  const STATE_TEXT = { unknown: 'outcome unknown', submitting: 'outcome unknown', submitted: 'still rendering',
    succeeded: 'paid, not downloaded', new: 'not started' };
  const STATE_HINT = { unknown: 'it may have been charged; hh show lists it',
    submitting: 'sent without an answer: it may have been charged', submitted: 'hh run again collects it',
    succeeded: 'hh run again downloads it', new: 'hh run again starts it' };
  function outcome(job) {
    const what = STATE_TEXT[job.state] || job.state || 'no state';
    const cls = job.failure_class || job.class;
    return cls && cls !== job.state && !what.includes(cls) ? what + ': ' + cls : what;
  }

  // The prompt (a multi-shot clip's shots one after another), for reading
  // and searching.
  function promptOf(job) {
    const p = job.params || {};
    if (typeof p.prompt === 'string') return p.prompt;
    if (Array.isArray(p.multi_prompt)) return p.multi_prompt.map((x) => (x && x.prompt) || '').join(' / ');
    return '';
  }
  // Shown in the caption, a few lines of it (all of it on hover, or when
  // clicked); `marks` are the words to mark, from promptDiff.
  function promptLine(job, marks) {
    const text = promptOf(job);
    if (!text) return null;
    const parts = [];
    for (const t of marks || [{ text: text }]) {
      if (t.mark) parts.push(h('mark', {}, t.text));
      else parts.push(t.text);
    }
    const p = h('p', { class: 'prompt', title: text, tabindex: 0, 'aria-expanded': 'false' }, parts);
    const flip = () => p.setAttribute('aria-expanded', String(p.classList.toggle('open')));
    p.addEventListener('click', flip);
    p.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); flip(); } });
    return p;
  }

  // Word-level differences between prompts: for each, its words, spaces and
  // punctuation in runs, a run marked when it is not in the longest common
  // subsequence of words with some other prompt (what this one adds or
  // changes).
  const TOKEN = /\s+|[\p{L}\p{N}_'\u2019-]+|[^\s\p{L}\p{N}_]/gu;
  function commonWords(a, b) {
    const n = a.length, m = b.length, kept = new Set();
    if (n * m > 4e6) return kept;
    const L = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) L[i][j] = a[i] === b[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    }
    for (let i = 0, j = 0; i < n && j < m;) {
      if (a[i] === b[j]) { kept.add(i); i++; j++; } else if (L[i + 1][j] >= L[i][j + 1]) i++; else j++;
    }
    return kept;
  }
  function promptDiff(texts) {
    const tokens = texts.map((t) => t.match(TOKEN) || []);
    const words = tokens.map((list) => list.filter((t) => !/^\s/.test(t)));
    return tokens.map((list, a) => {
      const marked = new Array(words[a].length).fill(false);
      for (let b = 0; b < texts.length; b++) {
        if (b === a || texts[b] === texts[a]) continue;
        const kept = commonWords(words[a], words[b]);
        marked.forEach((_, i) => { if (!kept.has(i)) marked[i] = true; });
      }
      const out = [];
      let w = 0;
      list.forEach((t, i) => {
        const space = /^\s/.test(t);
        // A space is marked between two marked words.
        const mark = space ? w > 0 && marked[w - 1] && w < marked.length && marked[w] && i + 1 < list.length : marked[w++];
        const last = out[out.length - 1];
        if (last && last.mark === mark) last.text += t;
        else out.push({ text: t, mark: mark });
      });
      return out;
    });
  }

  // One clip with what is known of it; `blind` shows nothing that names it.
  function figure(entry, opts) {
    opts = opts || {};
    const job = entry && entry.job;
    const fig = h('figure', { class: 'cell', 'data-x': opts.x, 'data-y': opts.y, 'data-job': job && !opts.blind ? job.job : null,
      'data-state': job ? job.state : 'none' });
    if (!job) {
      fig.append(h('div', { class: 'novideo empty' }, 'no job'));
      return fig;
    }
    if (job.state === 'done' && job.file) fig.append(video(job, opts.blind));
    else {
      const what = outcome(job);
      // The reason, without what the headline says already.
      const err = job.error || '';
      const why = err.toLowerCase().startsWith(what.toLowerCase() + ':') ? err.slice(what.length + 1).trim() : err;
      fig.append(h('div', { class: 'novideo', title: job.error || null }, [h('b', {}, what), h('br'),
        h('span', { class: 'why' }, why || STATE_HINT[job.state] || (job.state === 'done' ? 'no file' : ''))]));
    }
    if (opts.blind) return fig;
    const b = badge(job);
    if (b) { fig.classList.add('flagged'); fig.append(b); }
    const cap = h('figcaption', {}, [opts.label ? h('b', {}, opts.label) : null, opts.label ? ' ' : null,
      (job.credits || 0) + ' credits, ' + seconds(job.seconds) + ', ' + (job.polls || 0) + ' polls',
      job.rerun_of ? ' (rerun ' + (entry.earlier.length) + ', rule ' + job.rerun_rule + ')' : null,
      promptLine(job, opts.marks)]);
    const details = h('details', {}, [h('summary', {}, 'parameters'), paramsTable(job.params, opts.differ),
      h('div', {}, [job.job, ' ', job.task_id || '', ' ', job.file ? h('a', { href: fileUrl(job.file) }, job.file) : null])]);
    for (const old of entry.earlier) {
      details.append(h('div', {}, ['earlier: ', old.job, ' ', outcome(old), ' ', old.error || '', ' ',
        old.file ? h('a', { href: fileUrl(old.file) }, old.file) : null]));
    }
    cap.append(details);
    fig.append(cap);
    return fig;
  }

  function select(label, options, value, onchange) {
    const s = h('select', { 'aria-label': label, on: { change: () => onchange(s.value) } },
      options.map((o) => h('option', { value: o.value }, o.label)));
    s.value = value;
    return h('label', {}, [label + ' ', s]);
  }

]==] .. require("hh.report_grid").js .. [==[
  // --- A/B: the variants of one cell and sample side by side
  const cells = uniq(entries.map((e) => e.job.cell));
  const firstOfCell = new Map();
  for (const e of entries) if (!firstOfCell.has(e.job.cell)) firstOfCell.set(e.job.cell, e.job);
  const samples = axis('sample').values;
  const ab = { cell: cells[0], sample: samples[0] };

  function renderAB() {
    const sec = $('#ab');
    sec.replaceChildren();
    sec.append(h('div', { class: 'bar' }, [
      select('cell', cells.map((c) => ({ value: c, label: cellLabel(firstOfCell.get(c)) })), ab.cell,
        (v) => { ab.cell = v; renderAB(); }),
      select('sample', samples.map((s) => ({ value: s, label: s })), ab.sample, (v) => { ab.sample = v; renderAB(); }),
    ]), transport());
    const shown = variants.map((v) => slots.get(slotKey(ab.cell, v, ab.sample))).filter(Boolean);
    const differ = new Set();
    for (const e of shown) {
      for (const k of Object.keys(e.job.params)) {
        if (shown.some((o) => valueKey(o.job.params[k]) !== valueKey(e.job.params[k]))) differ.add(k);
      }
    }
    const marks = promptDiff(shown.map((e) => promptOf(e.job)));
    const row = h('div', { class: 'side' }, shown.map((e, i) =>
      figure(e, { label: e.job.variant, differ: differ, x: e.job.variant, marks: marks[i] })));
    sec.append(row);
    if (shown.length < 2) sec.append(h('p', { class: 'note' }, 'This run has one variant: nothing to compare.'));
    else {
      sec.append(h('p', { class: 'note' }, 'Marked words are what a variant\'s prompt adds or changes; ' +
        'highlighted parameters differ between the variants.'));
    }
    attach([...row.querySelectorAll('video')]);
  }

]==] .. require("hh.report_judge").js .. [==[
]==] .. require("hh.report_image").js .. [==[
  // --- views, one at a time, named by the address's #fragment
  const VIEWS = { grid: renderGrid, ab: renderAB, judge: renderJudge, ranking: renderRanking, failures: () => attach([]) };
  let view = null;
  function show() {
    const name = location.hash.slice(1);
    view = VIEWS[name] ? name : 'grid';
    for (const sec of document.querySelectorAll('section.view')) sec.hidden = sec.id !== view;
    for (const a of document.querySelectorAll('#tabs a')) a.classList.toggle('current', a.hash === '#' + view);
    pause();
    VIEWS[view]();
  }
  window.addEventListener('hashchange', show);
]==] .. require("hh.report_live").js .. [==[
  show();
]==] .. require("hh.report_live").js_after .. [==[

  window.hhReport = { data: DATA, axes: axes, grid: grid, player: player, play: play, pause: pause, seek: seek,
    renderGrid: renderGrid, promptDiff: promptDiff, bradleyTerry: bradleyTerry, rank: rank, localVotes: localVotes, allVotes: allVotes,
    current: () => current, pairs: pairs, ranking: hhRank };
})();
]==]

return M
