// layout.test.js - how report.html lays runs out, in Debian's headless
// Chromium through playwright-core: the axes the grid opens on for
// recipes/sweep.yaml (its zip group as one axis, its extra row apart),
// recipes/ab.yaml (variants across) and a recipe of rows only; prompts in the
// captions and the words that differ in A/B; the transport's readout in every
// view; failed and unknown cells; dark mode (colours through CSS variables,
// text readable); a 390 px wide screen; the filters and the sorts. Checks
// layout and computed styles, not pixels. Run by tests/t0600-report-browser.sh.
// Environment: SWEEP_DIR, AB_DIR, ROWS_DIR, MIXED_DIR (runs of those
// recipes; MIXED_DIR a 4x3 sweep animal x place with done, failed, unknown
// and black clips), HH_CHROMIUM, SCRATCH, HH_SCREENSHOTS (a directory for
// report-sweep.png, report-list.png, report-dark.png, report-narrow.png).
'use strict';

const { ok, launch, run } = require('./lib');
const fs = require('fs');
const path = require('path');

const DIRS = { sweep: process.env.SWEEP_DIR, ab: process.env.AB_DIR, rows: process.env.ROWS_DIR, mixed: process.env.MIXED_DIR };
const SHOTS = process.env.HH_SCREENSHOTS || '';
const DOT = ' \u00b7 ';

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const reportUrl = (name, hash) => 'file://' + path.resolve(DIRS[name], 'report.html') + (hash || '');

async function until(page, fn, arg, timeout) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout: timeout || 15000, polling: 50 });
    return await handle.jsonValue();
  } catch (e) {
    return null;
  }
}

// What the grid shows: its axes, headings, cells.
const layout = (page) => page.evaluate(() => ({
  x: document.querySelector('#grid select[aria-label="columns"]').value,
  y: document.querySelector('#grid select[aria-label="rows"]').value,
  cols: [...document.querySelectorAll('#grid .colhead')].map((c) => c.textContent),
  rows: [...document.querySelectorAll('#grid .rowhead')].map((c) => c.textContent),
  empty: document.querySelectorAll('#grid .novideo.empty').length,
  figures: [...document.querySelectorAll('#grid figure.cell')].map((f) => f.dataset.job || null),
  videos: document.querySelectorAll('#grid figure.cell video').length,
  pages: document.querySelector('#grid .bar .note').textContent,
}));
const gridSelect = (page, label, value) => page.selectOption(`#grid select[aria-label="${label}"]`, value);
const readout = (page, view) => page.$eval(`#${view} .transport .time`, (t) => t.textContent);

// In the page: the contrast of an element's text with what is behind it
// (WCAG 2 ratio), walking up to the first ancestor with a background.
function contrastOf(sel) {
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p[3] === undefined ? 1 : p[3] };
  };
  const over = (top, under) => ({ r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a), a: 1 });
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    const layers = [];
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const bg = parse(getComputedStyle(n).backgroundColor);
      if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
    }
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (const l of layers.reverse()) bg = over(l, bg);
    const fg = over(parse(getComputedStyle(el).color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    out.push({ sel: sel, text: el.textContent.slice(0, 30), ratio: (hi + 0.05) / (lo + 0.05),
      fg: getComputedStyle(el).color, bg: bg });
  }
  return out;
}
const READABLE = ['h1', 'h1 small', 'nav a', '#facts dt', '#facts dd', '.state.done', '.state.failed', '.state.unknown',
  '.bar label', '.note', '.cell figcaption', '.cell .prompt', '.cell .badge', '.cell .novideo b', '.cell .novideo .why',
  '.cell details a', 'footer'];

async function main() {
  const context = await launch('layout', { args: ['--allow-file-access-from-files'] });
  const page = context.pages()[0] || await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  // --- recipes/sweep.yaml: time x weather, the zip group "look" as pages
  await page.goto(reportUrl('sweep'));
  await page.waitForSelector('#grid figure.cell');
  let g = await layout(page);
  ok(g.x === 'time' && g.y === 'weather', 'sweep.yaml opens on its first two sweep axes: time across, weather down', g);
  ok(same(g.cols, ['dawn', 'dusk']) && same(g.rows, ['clear sky', 'storm']) && g.empty === 0 && g.videos === 4,
    'sweep.yaml: a 2x2 grid with a clip in every cell, no empty one', g);
  const look = await page.$eval('#grid select[aria-label="look (style, grade)"]', (s) => [...s.options].map((o) => o.textContent));
  ok(same(look, ['documentary' + DOT + 'natural', 'painterly' + DOT + 'teal and orange', 'noir' + DOT + 'monochrome']),
    'the zip group is one axis, "look (style, grade)", its values the members\' tuples', look);
  ok(g.pages === '3 pages', 'three pages: the two looks of the grid and the extra row', g.pages);
  const options = await page.$eval('#grid select[aria-label="columns"]', (s) => [...s.options].map((o) => o.textContent));
  ok(options.includes('look (style, grade)' + DOT + '3') && !options.some((o) => /^(style|grade)\b/.test(o)),
    'the axes offered are the recipe\'s: the group, not its members', options);
  const prompts = await page.evaluate(() => [...document.querySelectorAll('#grid figure.cell')].map((f) => {
    const p = f.querySelector('.prompt');
    const job = window.hhReport.data.jobs.find((j) => j.job === f.dataset.job);
    return { shown: p && p.textContent, title: p && p.title, want: job.params.prompt, clamp: p && getComputedStyle(p).webkitLineClamp };
  }));
  ok(prompts.every((p) => p.shown === p.want && p.title === p.want && p.clamp === '3'),
    'each cell shows its prompt in the caption (at most 3 lines, all of it on hover)', prompts);
  if (SHOTS) {
    await until(page, () => [...document.querySelectorAll('#grid video')].every((v) => v.readyState >= 1));
    await page.screenshot({ path: path.join(SHOTS, 'report-sweep.png') });
  }
  await page.selectOption('#grid select[aria-label="look (style, grade)"]', { label: 'painterly' + DOT + 'teal and orange' });
  g = await layout(page);
  ok(g.videos === 3 && g.empty === 1, 'the painterly look: three clips, and "no job" where the recipe excludes dawn in a storm', g);
  await page.selectOption('#grid select[aria-label="look (style, grade)"]', { label: 'noir' + DOT + 'monochrome' });
  g = await layout(page);
  const block = await page.$eval('#grid select[aria-label^="rows block"]', (s) => [s.getAttribute('aria-label'), s.selectedOptions[0].textContent]);
  ok(same(g.cols, ['night']) && same(g.rows, ['fog']) && g.videos === 1 && g.empty === 0 &&
    block[0] === 'rows block (grade, style, time, weather)' && block[1] === 'monochrome' + DOT + 'noir' + DOT + 'night' + DOT + 'fog',
  'the cell added by rows: its own page (the rows block chosen with it), night x fog, no empty cell', { g, block });

  // Narrow: at 390 px the prompt is cut to three lines and opens when clicked.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.selectOption('#grid select[aria-label="look (style, grade)"]', { label: 'documentary' + DOT + 'natural' });
  const clamp = async () => page.$eval('#grid .prompt', (p) => ({ open: p.classList.contains('open'), scroll: p.scrollHeight,
    client: p.clientHeight, lines: Math.round(p.clientHeight / parseFloat(getComputedStyle(p).lineHeight)) }));
  const shut = await clamp();
  await page.click('#grid .prompt');
  const opened = await clamp();
  ok(shut.scroll > shut.client + 2 && shut.lines <= 3 && opened.open && opened.scroll <= opened.client + 1,
    'a long prompt is clamped to three lines, and shown whole when clicked', { shut, opened });
  const fits = await page.evaluate(() => {
    const pane = document.querySelector('#grid .gridscroll');
    return { page: document.documentElement.scrollWidth, pane: pane.scrollWidth - pane.clientWidth,
      hint: document.querySelector('#grid .scrollhint').hidden };
  });
  ok(fits.page <= 390 && fits.pane <= 1 && fits.hint, 'at 390 px the 2x2 grid fits: no scrolling, no hint', fits);
  await page.setViewportSize({ width: 1400, height: 1000 });

  // --- recipes/ab.yaml: variants across, time down, samples as pages
  await page.goto(reportUrl('ab'));
  await page.waitForSelector('#grid figure.cell');
  g = await layout(page);
  ok(g.x === 'variant' && g.y === 'time' && same(g.cols, ['film', 'plain']) && same(g.rows, ['morning', 'night']) &&
    g.empty === 0 && g.videos === 4 && g.pages === '2 pages', 'ab.yaml opens with the variants across, time down, no empty cell', g);

  // The readout: the view's length in every view, and the same position.
  const loaded = (view) => until(page, (v) => {
    const vs = [...document.querySelectorAll('#' + v + ' video')].filter((x) => x.dataset.visible === '1');
    return vs.length > 0 && vs.every((x) => x.readyState >= 1) && Math.max(...vs.map((x) => x.duration));
  }, view);
  let length = await loaded('grid');
  let text = await readout(page, 'grid');
  ok(length > 1 && text === '0.0 / ' + length.toFixed(1) + ' s', 'grid: the readout gives the clips\' length', { text, length });
  await page.$eval('#grid input[type=range]', (r) => { r.value = '2.7'; r.dispatchEvent(new Event('input')); });
  text = await readout(page, 'grid');
  ok(text === '2.7 / ' + length.toFixed(1) + ' s', 'grid: after scrubbing, position and length', text);
  for (const view of ['ab', 'judge']) {
    await page.evaluate((v) => { location.hash = '#' + v; }, view);
    await page.waitForSelector('#' + view + ' .transport');
    const early = await readout(page, view);
    length = await loaded(view);
    text = await readout(page, view);
    ok(early === '2.7 / 5.0 s' && text === '2.7 / ' + length.toFixed(1) + ' s',
      view + ': the readout knows the length at once (from the media checks), then from the videos', { early, text, length });
  }

  // A/B: only the words that differ are marked.
  await page.evaluate(() => { location.hash = '#ab'; });
  const ab = await page.$$eval('#ab figure.cell', (fs) => fs.map((f) => ({
    variant: f.querySelector('figcaption b').textContent, prompt: f.querySelector('.prompt').textContent,
    marks: [...f.querySelectorAll('.prompt mark')].map((m) => m.textContent) })));
  ok(ab.length === 2 && ab[0].variant === 'film' && same(ab[0].marks, [', shot on 35mm film, shallow depth of field, grain']) &&
    ab[1].variant === 'plain' && ab[1].marks.length === 0 && ab[0].prompt.startsWith(ab[1].prompt),
  'A/B marks the words film adds to the prompt, and nothing of plain\'s', ab);
  const diff = await page.evaluate(() => window.hhReport.promptDiff(['a red fox runs home', 'a blue fox runs home fast', 'a red fox runs home'])
    .map((parts) => parts.filter((p) => p.mark).map((p) => p.text)));
  ok(same(diff, [['red'], ['blue', 'fast'], ['red']]), 'the diff is by word: a changed word and an added one', diff);

  // Sort by rank: the variant the votes prefer comes first.
  const runId = await page.evaluate(() => window.hhReport.data.run.id);
  const cell = await page.evaluate(() => window.hhReport.data.jobs[0].cell);
  await page.evaluate(([id, c]) => {
    const votes = [1, 2, 3].map((i) => ({ run: 'film-look-ab', run_id: id, cell: c, sample: 1, left: 'plain', right: 'film',
      choice: 'left', judge: 'ann', time: '2026-01-02T10:00:0' + i + '.000Z' }));
    localStorage.setItem('hh-report:' + id + ':votes', JSON.stringify(votes));
  }, [runId, cell]);
  await page.goto(reportUrl('ab'));
  await page.waitForSelector('#grid figure.cell');
  await gridSelect(page, 'sort', 'rank');
  g = await layout(page);
  const note = await page.$eval('#grid .sorted', (n) => n.textContent);
  ok(same(g.cols, ['plain', 'film']) && /rank of their variants, highest first/.test(note),
    'sorted by rank, the variant the votes prefer (plain) comes first', { g, note });
  await gridSelect(page, 'order', 'asc');
  g = await layout(page);
  ok(same(g.cols, ['film', 'plain']), 'lowest first puts it last', g.cols);
  await gridSelect(page, 'order', 'desc');
  await gridSelect(page, 'columns', 'time');
  await gridSelect(page, 'rows', 'sample');
  const pagesInOrder = await page.$eval('#grid select[aria-label="variant"]', (s) => [...s.options].map((o) => o.value));
  ok(same(pagesInOrder, ['plain', 'film']), 'with the variants as pages, their dropdown lists them best first', pagesInOrder);
  await page.evaluate(() => localStorage.clear());

  // --- a recipe of rows only: variants across, its rows down
  await page.goto(reportUrl('rows'));
  await page.waitForSelector('#grid figure.cell');
  g = await layout(page);
  ok(g.x === 'variant' && g.y === 'rows' && same(g.cols, ['bold', 'plain']) &&
    same(g.rows, ['noir' + DOT + 'cup', 'pastel' + DOT + 'bowl', 'noir' + DOT + 'vase']) && g.empty === 0,
  'rows only: the rows block is one axis, down, each row named by its values', g);

  // --- failed and unknown cells, filters, sorts
  await page.goto(reportUrl('mixed'));
  await page.waitForSelector('#grid figure.cell');
  const jobs = await page.evaluate(() => window.hhReport.data.jobs);
  const byJob = Object.fromEntries(jobs.map((j) => [j.job, j]));
  g = await layout(page);
  ok(g.x === 'animal' && g.y === 'place' && g.figures.length === 12, 'the mixed run: animal x place, twelve cells', g);
  const heads = await page.$$eval('#grid figure.cell', (fs) => fs.filter((f) => f.dataset.state !== 'done')
    .map((f) => ({ state: f.dataset.state, what: f.querySelector('.novideo b').textContent, why: f.querySelector('.novideo .why').textContent })));
  ok(heads.length >= 2 && heads.every((c) => !/\b(\w+)\b.*\b\1\b/.test(c.what) && !c.why.toLowerCase().startsWith(c.what.toLowerCase()) &&
    (c.state === 'failed' ? /^failed: [a-z_]+$/.test(c.what) : c.state !== 'unknown' || c.what === 'outcome unknown')),
  'a cell that is not done says its state and class once ("failed: policy", "outcome unknown"), then why', heads);

  const count = (pred) => jobs.filter(pred).length;
  const shownJobs = async () => (await layout(page)).figures.map((j) => byJob[j]);
  const matchNote = () => page.$eval('#grid .matches', (n) => n.textContent);
  // Typing re-lays the grid a moment after the last key.
  const find = async (text) => {
    await page.fill('#grid input.search', text);
    await until(page, (t) => document.querySelector('#grid .body').dataset.find === t, text);
  };
  await gridSelect(page, 'show', 'failed');
  let shown = await shownJobs();
  ok(shown.length === count((j) => j.state === 'failed') && shown.every((j) => j.state === 'failed') &&
    await matchNote() === shown.length + ' of 12 jobs match', 'show: failed leaves the failed jobs', shown.map((j) => j.state));
  await gridSelect(page, 'show', '!done');
  shown = await shownJobs();
  ok(shown.length === count((j) => j.state !== 'done') && shown.every((j) => j.state !== 'done'), 'show: not done', shown.map((j) => j.state));
  await gridSelect(page, 'show', '');
  await page.click('#grid input.flagged-only');
  shown = await shownJobs();
  ok(shown.length === count((j) => j.qc && j.qc.flagged) && shown.every((j) => j.qc.flagged), 'flagged only, in the filter bar', shown.length);
  await page.click('#grid input.flagged-only');
  await find('owl');
  g = await layout(page);
  ok(same(g.cols, ['owl']) && g.figures.length === 3 && g.figures.every((j) => byJob[j].params.prompt.includes('owl')),
    'a search for "owl" leaves the owl\'s column', g);
  await find('MEADOW owl');
  g = await layout(page);
  const focused = await page.evaluate(() => document.activeElement.classList.contains('search'));
  ok(g.figures.length === 1 && byJob[g.figures[0]].params.prompt === 'a owl in a meadow, soft light' && focused,
    'every word must be in the prompt, in any case; typing keeps the focus in the box', { g, focused });
  await find('zebra');
  const none = await page.$eval('#grid .nothing', (n) => n.textContent);
  ok(/No job matches/.test(none), 'a search that finds nothing says so', none);
  await find('');
  ok((await layout(page)).figures.length === 12, 'and emptied, every cell is back');

  // Sorts: the grid's columns and rows by the mean of their jobs, a list by job.
  const mean = (list) => {
    const v = list.filter((x) => typeof x === 'number');
    return v.length ? v.reduce((s, x) => s + x, 0) / v.length : undefined;
  };
  const ordered = (names, of, desc) => names.map((n, i) => [n, of(n), i]).sort((a, b) => {
    if (a[1] === undefined || b[1] === undefined) return (a[1] === undefined) - (b[1] === undefined) || a[2] - b[2];
    return (desc ? b[1] - a[1] : a[1] - b[1]) || a[2] - b[2];
  }).map((p) => p[0]);
  const animals = ['fox', 'owl', 'hare', 'deer'], places = ['forest', 'meadow', 'snowfield'];
  await gridSelect(page, 'sort', 'seconds');
  g = await layout(page);
  const wantCols = ordered(animals, (a) => mean(jobs.filter((j) => j.cell_values.animal === a).map((j) => j.seconds)), true);
  const wantRows = ordered(places, (p) => mean(jobs.filter((j) => j.cell_values.place === p).map((j) => j.seconds)), true);
  ok(same(g.cols, wantCols) && same(g.rows, wantRows), 'sorted by render time: the slowest column and row first', { g, wantCols, wantRows });
  await gridSelect(page, 'layout', 'list');
  const listed = async () => page.$$eval('#grid .list figure.cell', (fs) => fs.map((f) => f.dataset.job));
  let list = (await listed()).map((j) => byJob[j]);
  const secs = list.map((j) => j.seconds);
  const known = secs.filter((s) => typeof s === 'number');
  ok(list.length === 12 && known.every((s, i) => i === 0 || s <= known[i - 1]) && same(secs.slice(0, known.length), known),
    'the list: every job, slowest first, those without a time last', secs);
  const labels = await page.$$eval('#grid .list figcaption > b', (bs) => bs.map((b) => b.textContent));
  ok(labels.length === 12 && labels.every((l) => /^animal \w+, place \w+$/.test(l)), 'each item of the list is named by its values', labels);
  await gridSelect(page, 'order', 'asc');
  list = (await listed()).map((j) => byJob[j].seconds).filter((s) => typeof s === 'number');
  ok(list.every((s, i) => i === 0 || s >= list[i - 1]), 'lowest first', list);
  await gridSelect(page, 'sort', 'credits');
  list = await listed();
  ok(same(list, jobs.map((j) => j.job)), 'equal credits keep the recipe\'s order', list);
  await gridSelect(page, 'sort', 'param:prompt');
  list = (await listed()).map((j) => byJob[j].params.prompt);
  ok(same(list, list.slice().sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))), 'by a parameter: the prompts A to Z', list);
  await gridSelect(page, 'show', 'failed');
  list = await listed();
  ok(list.length === count((j) => j.state === 'failed'), 'filters apply to the list too', list);
  if (SHOTS) {
    await gridSelect(page, 'show', '');
    await gridSelect(page, 'sort', 'seconds');
    await page.screenshot({ path: path.join(SHOTS, 'report-list.png') });
  }
  await gridSelect(page, 'show', '');
  await gridSelect(page, 'layout', 'grid');
  await gridSelect(page, 'sort', 'param:animal');
  g = await layout(page);
  ok(same(g.cols, ['deer', 'fox', 'hare', 'owl']), 'sorted by a sweep value, the columns go A to Z', g.cols);
  await gridSelect(page, 'sort', '');

  // --- dark mode: other colours, all through variables, all readable
  const colours = () => page.evaluate(() => ({ bg: getComputedStyle(document.body).backgroundColor,
    fg: getComputedStyle(document.body).color, panel: getComputedStyle(document.querySelector('.bar')).backgroundColor }));
  const light = await colours();
  const readable = async () => {
    const out = [];
    for (const s of READABLE) out.push(...await page.evaluate(`(${contrastOf.toString()})(${JSON.stringify(s)})`));
    return out;
  };
  const checkReadable = async (scheme) => {
    const all = await readable();
    const missing = READABLE.filter((s) => !all.some((r) => r.sel === s));
    const poor = all.filter((r) => r.ratio < 4.5);
    ok(missing.length === 0 && poor.length === 0, scheme + ': every kind of text has a contrast of 4.5 or more', { missing, poor });
  };
  await checkReadable('light');
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = await colours();
  const lum = (c) => { const p = c.match(/\d+/g).map(Number); return (p[0] + p[1] + p[2]) / 765; };
  ok(dark.bg !== light.bg && dark.fg !== light.fg && dark.panel !== light.panel && lum(dark.bg) < 0.15 && lum(light.bg) > 0.9,
    'prefers-color-scheme: dark gives a dark page with light text', { light, dark });
  await checkReadable('dark');
  const literal = await page.evaluate(() => {
    const found = [];
    const walk = (rules) => {
      for (const r of rules) {
        if (r.cssRules) walk(r.cssRules);
        if (!r.style) continue;
        for (let i = 0; i < r.style.length; i++) {
          const p = r.style[i];
          if (p.startsWith('--')) continue;
          const v = r.style.getPropertyValue(p);
          if (/#[0-9a-f]{3,8}\b|rgba?\(|hsla?\(|\b(white|black)\b/i.test(v)) found.push(r.selectorText + ' ' + p + ': ' + v);
        }
      }
    };
    for (const s of document.styleSheets) walk(s.cssRules);
    return found;
  });
  ok(literal.length === 0, 'every colour of the style sheet is a CSS variable', literal);
  await page.evaluate(() => { location.hash = '#ab'; });
  await page.waitForSelector('#ab figure.cell');
  if (SHOTS) {
    await page.evaluate(() => { location.hash = '#grid'; window.scrollTo(0, 0); });
    await until(page, () => [...document.querySelectorAll('#grid video')].every((v) => v.dataset.visible !== '1' || v.readyState >= 1));
    await page.screenshot({ path: path.join(SHOTS, 'report-dark.png') });
  }
  await page.emulateMedia({ colorScheme: 'light' });

  // --- 390 px: nothing clipped, the grid scrolls sideways and says so
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(reportUrl('mixed'));
  await page.waitForSelector('#grid figure.cell');
  const narrow = await page.evaluate(() => {
    const W = document.documentElement.clientWidth;
    const out = { width: W, page: document.documentElement.scrollWidth, outside: [] };
    const facts = document.querySelector('#facts');
    out.facts = facts.scrollWidth - facts.clientWidth;
    for (const el of document.querySelectorAll('header *, #facts *, #grid .bar *')) {
      for (const r of el.getClientRects()) {
        if (r.width && (r.left < -0.5 || r.right > W + 0.5)) out.outside.push(el.tagName + '.' + el.className + ' ' + el.textContent.slice(0, 20));
      }
    }
    const pane = document.querySelector('#grid .gridscroll');
    const box = pane.getBoundingClientRect();
    out.pane = { overflow: getComputedStyle(pane).overflowX, scroll: pane.scrollWidth, client: pane.clientWidth,
      left: box.left, right: box.right };
    out.hint = !document.querySelector('#grid .scrollhint').hidden;
    out.more = document.querySelector('#grid .gridbox').className;
    return out;
  });
  ok(narrow.page <= narrow.width && narrow.facts <= 0 && narrow.outside.length === 0,
    '390 px: the facts line wraps, nothing in the header, facts or bars leaves the screen', narrow);
  ok(narrow.pane.overflow === 'auto' && narrow.pane.scroll > narrow.pane.client && narrow.pane.left >= 0 &&
    narrow.pane.right <= narrow.width + 0.5 && narrow.hint && /more-right/.test(narrow.more) && !/more-left/.test(narrow.more),
  '390 px: the four columns scroll sideways inside the page, with a hint and a shade on the right', narrow);
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'report-narrow.png') });
  await page.$eval('#grid .gridscroll', (p) => { p.scrollLeft = p.scrollWidth; });
  const scrolled = await until(page, () => {
    const box = document.querySelector('#grid .gridbox');
    const pane = document.querySelector('#grid .gridscroll');
    const head = document.querySelector('#grid .rowhead').getBoundingClientRect();
    return /more-left/.test(box.className) && !/more-right/.test(box.className) &&
      { head: head.left, pane: pane.getBoundingClientRect().left };
  });
  ok(scrolled && Math.abs(scrolled.head - scrolled.pane) < 1, 'scrolled to the end: the shade moves left and the row names stay in view', scrolled);

  ok(errors.length === 0, 'no script errors', errors);
  await context.close();
}

run(main);
