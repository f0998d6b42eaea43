-- hh.report_assets: the style sheet and script that hh.report inlines into
-- report.html. Plain CSS and JavaScript, no libraries, no build step; the
-- script reads the run from <script id="hh-data">, builds every element with
-- textContent (never innerHTML), and keeps votes in localStorage. Exposes
-- window.hhReport for the browser tests.

local M = {}

M.css = [==[
:root { --fg: #1d1f21; --muted: #6b7075; --line: #d8dadc; --bg: #fff; --panel: #f4f5f6;
  --accent: #2a62c9; --bad: #b3261e; --good: #1e7b34; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); }
body { margin: 0; background: var(--bg); }
header { display: flex; align-items: baseline; gap: 2em; padding: .6em 1em; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.3em; margin: 0; }
h1 small, #facts small { color: var(--muted); font-weight: normal; }
h2 { font-size: 1.1em; }
nav a { margin-right: 1em; color: var(--accent); text-decoration: none; }
nav a.current { font-weight: bold; border-bottom: 2px solid var(--accent); }
main { padding: 0 1em 2em; }
footer { color: var(--muted); font-size: .85em; padding: 1em; }
#facts { display: flex; flex-wrap: wrap; gap: .2em 1.5em; margin: .6em 0; }
#facts dt { color: var(--muted); }
#facts dd { margin: 0 0 0 -1.2em; }
.state { padding: 0 .4em; border-radius: 3px; background: var(--panel); }
.state.done { color: var(--good); }
.state.failed, .state.unknown { color: var(--bad); }
table { border-collapse: collapse; }
th, td { text-align: left; padding: .25em .6em; border-bottom: 1px solid var(--line); vertical-align: top; }
.bar { display: flex; flex-wrap: wrap; align-items: center; gap: .5em 1em; margin: .6em 0;
  padding: .5em; background: var(--panel); border-radius: 4px; }
.bar label { white-space: nowrap; }
.transport input[type=range] { width: 18em; }
.transport .time { font-variant-numeric: tabular-nums; min-width: 7em; }
button { font: inherit; padding: .2em .8em; }
.grid { display: grid; gap: 8px; align-items: start; overflow-x: auto; }
.grid .head { font-weight: bold; padding: .2em; }
.grid .rowhead { align-self: center; }
.cell { margin: 0; min-width: 0; }
.cell video, .cell .novideo { width: 100%; aspect-ratio: 16 / 9; background: #111; display: block; border-radius: 3px; }
.cell video.sound { outline: 3px solid var(--accent); }
.cell .novideo { background: var(--panel); color: var(--bad); padding: .5em; box-sizing: border-box; overflow: auto; }
.cell .novideo.empty { color: var(--muted); }
.cell figcaption { font-size: .85em; color: var(--muted); margin-top: .2em; overflow-wrap: anywhere; }
.cell figcaption b { color: var(--fg); }
.cell details table { font-size: .95em; }
.cell td.diff { background: #fff3c4; }
.side { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; max-width: 1100px; }
.choices button { min-width: 9em; }
kbd { border: 1px solid var(--line); border-radius: 3px; padding: 0 .3em; background: var(--panel); }
.ranking td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ci { position: relative; width: 180px; height: 12px; background: var(--panel); border-radius: 6px; }
.ci span { position: absolute; top: 5px; height: 2px; background: var(--accent); }
.ci i { position: absolute; top: 2px; width: 8px; height: 8px; margin-left: -4px; border-radius: 50%; background: var(--accent); }
.note { color: var(--muted); }
.clipbox { position: relative; }
.clipbox .strip { position: absolute; inset: 0; background-size: 1000% 100%; background-repeat: no-repeat;
  border-radius: 3px; pointer-events: none; }
.cell { position: relative; }
.cell .badge { position: absolute; top: 6px; left: 6px; background: var(--bad); color: #fff; font-size: .8em;
  padding: 0 .4em; border-radius: 3px; max-width: 90%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.cell .badge.unchecked { background: var(--muted); }
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

  const axisNames = uniq(entries.flatMap((e) => Object.keys(e.job.cell_values))).sort()
    .filter((n) => n !== 'variant' && n !== 'sample');
  function axisValue(job, name) {
    if (name === 'variant') return job.variant;
    if (name === 'sample') return String(job.sample);
    return valueKey(job.cell_values[name]);
  }
  const axes = axisNames.concat(['variant', 'sample']).map((name) => ({
    name: name, values: uniq(entries.map((e) => axisValue(e.job, name))),
  }));
  const axis = (name) => axes.find((a) => a.name === name);
  const variants = axis('variant').values;
  const cellLabel = (job) => Object.keys(job.cell_values).sort()
    .map((k) => k + '=' + valueKey(job.cell_values[k])).join(', ') || job.cell;

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
  function schedule() {
    if (!player.frame) player.frame = requestAnimationFrame(() => { player.frame = 0; tick(); });
  }

  function tick() {
    const now = performance.now();
    const active = activeVideos();
    player.duration = Math.max(0, ...active.map((v) => (isFinite(v.duration) ? v.duration : 0)));
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
    const t = player.time();
    for (const ui of player.ui) {
      if (!ui.button.isConnected) continue;
      ui.button.textContent = player.playing ? 'Pause' : 'Play';
      ui.range.max = String(player.duration || 1);
      ui.range.value = String(Math.min(t, player.duration || 1));
      ui.time.textContent = t.toFixed(1) + ' / ' + (player.duration || 0).toFixed(1) + ' s';
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
    const v = h('video', { class: 'clip', 'data-src': fileUrl(blind ? job.blind : job.file), 'data-job': blind ? null : job.job,
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
      fig.append(h('div', { class: 'novideo' }, [h('b', {}, job.state), ' ',
        job.failure_class || job.class || '', h('br'), job.error || (job.state === 'done' ? 'no file' : '')]));
    }
    if (opts.blind) return fig;
    const b = badge(job);
    if (b) { fig.classList.add('flagged'); fig.append(b); }
    const cap = h('figcaption', {}, [opts.label ? h('b', {}, opts.label) : null, opts.label ? ' ' : null,
      (job.credits || 0) + ' credits, ' + seconds(job.seconds) + ', ' + (job.polls || 0) + ' polls',
      job.rerun_of ? ' (rerun ' + (entry.earlier.length) + ', rule ' + job.rerun_rule + ')' : null]);
    const details = h('details', {}, [h('summary', {}, 'parameters'), paramsTable(job.params, opts.differ),
      h('div', {}, [job.job, ' ', job.task_id || '', ' ', job.file ? h('a', { href: fileUrl(job.file) }, job.file) : null])]);
    for (const old of entry.earlier) {
      details.append(h('div', {}, ['earlier: ', old.job, ' ', old.state, ' ', old.error || '', ' ',
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

  // --- grid: two axes laid out, the others as pages
  const grid = { x: null, y: null, page: {} };
  (function chooseAxes() {
    const many = axes.filter((a) => a.values.length > 1);
    const cellAxes = many.filter((a) => a.name !== 'variant' && a.name !== 'sample');
    if (variants.length > 1) { grid.x = 'variant'; grid.y = (cellAxes[0] || axis('sample')).name; }
    else {
      grid.x = (cellAxes[0] || axis('sample')).name;
      grid.y = (cellAxes[1] || axes.find((a) => a.name !== grid.x && a.values.length > 1) ||
        axes.find((a) => a.name !== grid.x)).name;
    }
  })();

  function renderGrid() {
    const sec = $('#grid');
    sec.replaceChildren();
    const axisOptions = axes.map((a) => ({ value: a.name, label: a.name + ' (' + a.values.length + ')' }));
    const setAxis = (which, other) => (name) => {
      if (grid[other] === name) grid[other] = grid[which];
      grid[which] = name;
      renderGrid();
    };
    const X = axis(grid.x), Y = axis(grid.y);
    const pageAxes = axes.filter((a) => a !== X && a !== Y && a.values.length > 1);
    const controls = h('div', { class: 'bar' }, [
      select('columns', axisOptions, grid.x, setAxis('x', 'y')),
      select('rows', axisOptions, grid.y, setAxis('y', 'x'))]);
    for (const a of pageAxes) {
      if (!a.values.includes(grid.page[a.name])) grid.page[a.name] = a.values[0];
      controls.append(select(a.name, a.values.map((v) => ({ value: v, label: v })), grid.page[a.name],
        (v) => { grid.page[a.name] = v; renderGrid(); }));
    }
    const nflagged = entries.filter((e) => flaggedOf(e.job)).length;
    controls.append(h('label', {}, [h('input', { type: 'checkbox', class: 'flagged-only', checked: grid.flaggedOnly,
      on: { change: (e) => { grid.flaggedOnly = e.target.checked; renderGrid(); } } }),
      ' flagged only (' + nflagged + ')']));
    const pages = pageAxes.reduce((n, a) => n * a.values.length, 1);
    controls.append(h('span', { class: 'note' }, pages > 1 ? pages + ' pages' : 'one page'));
    sec.append(controls, transport());

    const fixed = axes.filter((a) => a !== X && a !== Y).map((a) => [a.name, grid.page[a.name] || a.values[0]]);
    const at = new Map();
    for (const e of entries) {
      if (fixed.every(([n, v]) => axisValue(e.job, n) === v)) {
        const k = axisValue(e.job, X.name) + '\u0000' + axisValue(e.job, Y.name);
        if (!at.has(k)) at.set(k, e);
      }
    }
    const table = h('div', { class: 'grid' });
    table.style.gridTemplateColumns = 'max-content repeat(' + X.values.length + ', minmax(200px, 320px))';
    table.append(h('div', { class: 'head' }, Y.name + ' \\ ' + X.name));
    for (const x of X.values) table.append(h('div', { class: 'head colhead' }, x));
    for (const y of Y.values) {
      table.append(h('div', { class: 'head rowhead' }, y));
      for (const x of X.values) {
        const e = at.get(x + '\u0000' + y);
        if (grid.flaggedOnly && !(e && flaggedOf(e.job))) {
          table.append(h('div', { class: 'cell hidden-cell', 'data-x': x, 'data-y': y }));
        } else table.append(figure(e, { x: x, y: y }));
      }
    }
    sec.append(table);
    attach([...table.querySelectorAll('video')]);
  }

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
    const row = h('div', { class: 'side' }, shown.map((e) =>
      figure(e, { label: e.job.variant, differ: differ, x: e.job.variant })));
    sec.append(row);
    if (shown.length < 2) sec.append(h('p', { class: 'note' }, 'This run has one variant: nothing to compare.'));
    else sec.append(h('p', { class: 'note' }, 'Highlighted parameters differ between the variants.'));
    attach([...row.querySelectorAll('video')]);
  }

]==] .. require("hh.report_judge").js .. [==[
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
  show();

  window.hhReport = { data: DATA, axes: axes, grid: grid, player: player, play: play, pause: pause, seek: seek,
    renderGrid: renderGrid, bradleyTerry: bradleyTerry, rank: rank, localVotes: localVotes, allVotes: allVotes,
    current: () => current, pairs: pairs, ranking: hhRank };
})();
]==]

return M
