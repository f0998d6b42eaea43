// report.test.js - drives a run's report.html in Debian's headless Chromium
// through playwright-core (it never downloads a browser). Run by
// tests/t0600-report-browser.sh, which makes the run; prints "ok - ..." and
// "not ok - ..." lines that the wrapper turns into TAP. Serves the run
// directory itself (with Range requests, as a static host would) on a free
// loopback port. Environment: HH (the hh binary), RUN_DIR (an A/B run of a
// 2x2 sweep time x weather, 2 samples, output {time}-{weather}-{variant}-{sample}.mp4),
// FAILED_DIR (a run of one variant whose jobs and reruns all failed),
// SCRATCH (a directory for profiles and downloads), HH_SCREENSHOTS (a
// directory to save report-grid.png, report-ab.png, report-judge.png in).
'use strict';

const { ok, launch, run, serve } = require('./lib');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const HH = process.env.HH;
const RUN_DIR = process.env.RUN_DIR;
const FAILED_DIR = process.env.FAILED_DIR;
const SCRATCH = process.env.SCRATCH;
const SHOTS = process.env.HH_SCREENSHOTS || '';
const FLAGS = ['--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const diag = (text) => console.log('# ' + text);


async function browserContext(name) {
  return launch(name, { acceptDownloads: true, args: FLAGS });
}

// Polls fn in the page until it returns a truthy value; that value, or null.
async function until(page, fn, arg, timeout) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout: timeout || 15000, polling: 50 });
    return await handle.jsonValue();
  } catch (e) {
    return null;
  }
}

const gridCells = (page) => page.$$eval('#grid figure.cell', (figs) => figs.map((f) => {
  const v = f.querySelector('video');
  return { x: f.dataset.x, y: f.dataset.y, src: v ? v.dataset.src : null };
}));

async function chooseSelect(page, label, value) {
  await page.selectOption(`#grid select[aria-label="${label}"]`, value);
}

const visibleTimes = (page, sel) => page.$$eval(sel, (vs) => vs.map((v) => v.currentTime));

async function main() {
  const server = await serve(path.resolve(RUN_DIR));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const url = origin + '/report.html';
  let context = await browserContext('a');
  let page = context.pages()[0] || await context.newPage();
  const elsewhere = [];
  const errors = [];
  page.on('request', (r) => { if (!r.url().startsWith(origin + '/') && !/^(blob|data):/.test(r.url())) elsewhere.push(r.url()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text() + ' ' + JSON.stringify(m.location())); });
  context.on('response', (r) => { if (r.status() >= 400) errors.push(r.status() + ' ' + r.url()); });

  await page.goto(url);
  await page.waitForSelector('#grid figure.cell');
  ok(await page.title() === 'film-grid-ab \u2014 hh report', 'the page is titled with the run name', await page.title());

  // The grid on time x weather; variant and sample are pages.
  await chooseSelect(page, 'columns', 'time');
  await chooseSelect(page, 'rows', 'weather');
  await chooseSelect(page, 'variant', 'film');
  await chooseSelect(page, 'sample', '2');
  let cells = await gridCells(page);
  const want = [];
  for (const y of ['clear', 'rain']) for (const x of ['dawn', 'dusk']) want.push({ x, y, src: `${x}-${y}-film-2.mp4` });
  ok(JSON.stringify(cells) === JSON.stringify(want), 'grid time x weather, page film/2: the right clip in each cell',
    { got: cells, want });
  const heads = await page.$$eval('#grid .colhead', (hs) => hs.map((h) => h.textContent));
  ok(JSON.stringify(heads) === '["dawn","dusk"]', 'the columns are the values of time', heads);
  const pages = await page.$eval('#grid .bar .note', (n) => n.textContent);
  ok(pages === '4 pages', 'variant x sample make 4 pages', pages);

  // A video actually plays, and every visible cell plays in step.
  const sel = '#grid video';
  const loaded = await until(page, (s) => [...document.querySelectorAll(s)].every((v) => v.dataset.visible === '1' && v.getAttribute('src')), sel);
  ok(loaded, 'the four visible videos are given their files (lazily, once in view)');
  await page.click('#grid button.play');
  const started = await until(page, (s) => {
    const vs = [...document.querySelectorAll(s)];
    return vs.every((v) => !v.paused && v.currentTime > 1.0) && vs.map((v) => v.currentTime);
  }, sel, 20000);
  ok(started, 'after Play every visible video is playing and past 1 s', await visibleTimes(page, sel));
  const frames = await page.$$eval(sel, (vs) => vs.map((v) => [v.videoWidth, v.getVideoPlaybackQuality().totalVideoFrames]));
  ok(frames.every(([w, n]) => w > 0 && n > 10), 'the videos are decoded (width and frames)', frames);
  const t1 = await page.$eval(sel, (v) => v.currentTime);
  await page.waitForTimeout(600);
  const t2 = await page.$eval(sel, (v) => v.currentTime);
  ok(t2 > t1 + 0.2 || t2 < t1, 'currentTime advances while playing', { t1, t2 });
  let spread = 0;
  const seen = [];
  for (let i = 0; i < 6; i++) {
    const times = await visibleTimes(page, sel);
    seen.push(times.map((t) => t.toFixed(2)).join(' '));
    // A loop back to 0 can fall between two reads; compare within one loop.
    if (Math.max(...times) - Math.min(...times) < 4) spread = Math.max(spread, Math.max(...times) - Math.min(...times));
    await page.waitForTimeout(250);
  }
  ok(spread < 0.35, 'synchronised: the visible videos stay within 0.35 s of each other', seen.join(' | '));
  await page.click('#grid button.play');
  const paused = await until(page, (s) => [...document.querySelectorAll(s)].every((v) => v.paused), sel);
  ok(paused, 'Pause pauses every visible video');
  await page.$eval('#grid input[type=range]', (r) => { r.value = '2.5'; r.dispatchEvent(new Event('input')); });
  const scrubbed = await until(page, (s) => {
    const vs = [...document.querySelectorAll(s)];
    return vs.every((v) => !v.seeking && Math.abs(v.currentTime - 2.5) < 0.05) && vs.map((v) => v.currentTime);
  }, sel);
  ok(scrubbed, 'scrubbing moves every visible video to the same time', await visibleTimes(page, sel));
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'report-grid.png') });

  // Other axes re-lay the grid; page selectors choose the rest. Variants
  // come in the recipe's order (hh sorts them by name).
  await chooseSelect(page, 'columns', 'variant');
  await chooseSelect(page, 'rows', 'sample');
  await chooseSelect(page, 'time', 'dusk');
  await chooseSelect(page, 'weather', 'rain');
  cells = await gridCells(page);
  want.length = 0;
  for (const y of ['1', '2']) for (const x of ['film', 'plain']) want.push({ x, y, src: `dusk-rain-${x}-${y}.mp4` });
  ok(JSON.stringify(cells) === JSON.stringify(want), 'grid variant x sample, page dusk/rain', { got: cells, want });
  await chooseSelect(page, 'weather', 'clear');
  cells = await gridCells(page);
  ok(cells.length === 4 && cells.every((c) => c.src === `dusk-clear-${c.x}-${c.y}.mp4`), 'another page: dusk/clear', cells);
  await chooseSelect(page, 'rows', 'variant');
  const swapped = await page.$$eval('#grid select', (s) => s.slice(0, 2).map((e) => e.value));
  ok(JSON.stringify(swapped) === '["sample","variant"]', 'choosing the other axis swaps columns and rows', swapped);

  // A/B: the variants of one cell and sample side by side.
  await page.goto(url + '#ab');
  await page.waitForSelector('#ab figure.cell');
  const ab = await page.$$eval('#ab figure.cell', (fs) => fs.map((f) => [f.querySelector('figcaption b').textContent, f.querySelector('video').dataset.src]));
  ok(JSON.stringify(ab) === JSON.stringify([['film', 'dawn-clear-film-1.mp4'], ['plain', 'dawn-clear-plain-1.mp4']]),
    'A/B shows the variants of the first cell and sample', ab);
  const diff = await page.$$eval('#ab td.diff', (tds) => tds.length);
  ok(diff === 2, 'the differing parameter (the prompt) is highlighted in both', diff);
  if (SHOTS) {
    await page.click('#ab button.play');
    await page.waitForTimeout(1500);
    await page.click('#ab button.play');
    await page.$$eval('#ab details', (ds) => ds.forEach((d) => { d.open = true; }));
    await page.screenshot({ path: path.join(SHOTS, 'report-ab.png') });
  }

  // Blind judging with the keyboard; the ranking follows each vote.
  await page.goto(url + '#judge');
  await page.waitForSelector('#judge .pair video');
  const labels = await page.$eval('#judge .pair', (p) => p.textContent);
  ok(!/plain|film/.test(labels), 'the pair is shown without variant names', labels);
  const pair = await page.evaluate(() => window.hhReport.current());
  await page.keyboard.press('ArrowLeft');
  let votes = await page.evaluate(() => window.hhReport.localVotes());
  ok(votes.length === 1 && votes[0].choice === 'left' && votes[0].left === pair.left && votes[0].cell === pair.cell &&
    votes[0].run === 'film-grid-ab' && votes[0].sample === pair.sample && /^\d{4}-/.test(votes[0].time) && votes[0].judge,
  'the left arrow records a vote for the left clip', { votes, pair });
  const runId = await page.evaluate(() => window.hhReport.data.run.id);
  const stored = await page.evaluate((id) => JSON.parse(window.localStorage.getItem('hh-report:' + id + ':votes') || '[]'), runId);
  ok(/^[0-9a-f]{16}$/.test(runId) && votes[0].run_id === runId && stored.length === 1,
    'the vote carries the run directory\'s id, and the browser keeps it under that id', { runId, vote: votes[0] });
  // The ranking is a view of its own (the judging view names no variant).
  const ranking = async () => {
    await page.evaluate(() => { location.hash = '#ranking'; });
    await page.waitForSelector('#ranking table.ranking');
    const list = await page.$$eval('#ranking table.ranking tbody tr', (rs) => rs.map((r) => ({
      variant: r.dataset.variant, score: Number(r.querySelector('.score').textContent),
      wins: Number(r.querySelector('.wins').textContent), ties: Number(r.querySelector('.ties').textContent),
      losses: Number(r.querySelector('.losses').textContent) })));
    await page.evaluate(() => { location.hash = '#judge'; });
    await page.waitForSelector('#judge .pair video');
    return list;
  };
  let rows = await ranking();
  ok(rows[0].variant === pair.left && rows[0].wins === 1 && rows[0].score > 0 && rows[1].losses === 1,
    'the ranking puts the winner first', rows);
  const pair2 = await page.evaluate(() => window.hhReport.current());
  await page.keyboard.press('t');
  await page.keyboard.press('s');
  votes = await page.evaluate(() => window.hhReport.localVotes());
  ok(votes.length === 2 && votes[1].choice === 'tie' && votes[1].left === pair2.left, '"t" records a tie, "s" skips', votes);
  rows = await ranking();
  ok(rows.every((r) => r.ties === 1), 'the tie counts for both', rows);
  const bt = await page.evaluate(() => {
    const v = (choice) => ({ left: 'a', right: 'b', choice });
    const t = window.hhReport.bradleyTerry([v('left'), v('left'), v('left')], ['a', 'b']);
    const t3 = window.hhReport.bradleyTerry([{ left: 'a', right: 'b', choice: 'left' }, { left: 'b', right: 'c', choice: 'left' },
      { left: 'a', right: 'c', choice: 'tie' }], ['a', 'b', 'c']);
    const r = window.hhReport.rank([v('left'), v('left'), v('right'), v('tie')], ['a', 'b']);
    return { d: t[0] - t[1], t3, r };
  });
  ok(Math.abs(bt.d - Math.log(7)) < 1e-6, 'Bradley-Terry: 3 wins and a virtual tie give odds of 3.5 to 0.5', bt.d);
  ok(bt.t3[0] > bt.t3[1] && bt.t3[1] > bt.t3[2] - 1e-9 && Math.abs(bt.t3[0] + bt.t3[1] + bt.t3[2]) < 1e-9,
    'Bradley-Terry: three variants, scores ordered and centred', bt.t3);
  ok(bt.r[0].variant === 'a' && bt.r[0].low <= bt.r[0].score && bt.r[0].score <= bt.r[0].high && bt.r[0].low < bt.r[0].high,
    'bootstrap intervals contain the score', bt.r);

  // Export, import with hh votes import, regenerate: the committed votes count.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#judge button.export')]);
  const exported = path.join(SCRATCH, 'exported-votes.jsonl');
  await download.saveAs(exported);
  const lines = fs.readFileSync(exported, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  ok(lines.length === 2 && lines[0].choice === 'left' && lines[1].choice === 'tie', 'the export is one JSON vote a line', lines);
  ok(/^film-grid-ab-votes-.*\.jsonl$/.test(download.suggestedFilename()), 'the export is named after the run', download.suggestedFilename());
  let out = execFileSync(HH, ['votes', 'import', RUN_DIR, exported], { encoding: 'utf8' });
  ok(/2 new votes, 0 already there; 2 in all/.test(out), 'hh votes import merges them', out);
  out = execFileSync(HH, ['votes', 'import', RUN_DIR, exported], { encoding: 'utf8' });
  ok(/0 new votes, 2 already there; 2 in all/.test(out), 'importing again adds nothing', out);
  execFileSync(HH, ['report', RUN_DIR], { encoding: 'utf8' });
  ok(elsewhere.length === 0, 'the page asked for nothing outside the run directory', elsewhere);
  ok(errors.length === 0, 'no script errors', errors);
  await context.close();

  // Another browser (no local votes): the ranking has the committed votes.
  context = await browserContext('b');
  page = context.pages()[0] || await context.newPage();
  await page.goto(url + '#judge');
  await page.waitForSelector('#judge .counts');
  const local = await page.evaluate(() => window.hhReport.localVotes().length);
  rows = await ranking();
  const counts = await page.$eval('#judge .counts', (c) => c.textContent);
  ok(local === 0 && /0 votes in this browser, 2 in votes.jsonl, 2 counted/.test(counts), 'a fresh browser counts the 2 committed votes', counts);
  ok(rows[0].variant === pair.left && rows[0].wins === 1 && rows.every((r) => r.ties === 1), 'the ranking shows them', rows);
  await page.keyboard.press('ArrowRight');
  const after = await page.$eval('#judge .counts', (c) => c.textContent);
  ok(/1 votes in this browser, 2 in votes.jsonl, 3 counted/.test(after), 'a new local vote adds to the committed ones', after);
  if (SHOTS) {
    for (const key of ['ArrowLeft', 'ArrowRight', 'ArrowLeft', 't', 'ArrowLeft']) await page.keyboard.press(key);
    await page.click('#judge button.play');
    await page.waitForTimeout(1500);
    await page.click('#judge button.play');
    await page.screenshot({ path: path.join(SHOTS, 'report-judge.png'), fullPage: true });
  }
  await context.close();

  // Opened from disk (file://): still a working page.
  context = await browserContext('c');
  page = context.pages()[0] || await context.newPage();
  await page.goto('file://' + path.resolve(RUN_DIR, 'report.html'));
  await page.waitForSelector('#grid figure.cell video');
  const meta = await until(page, () => [...document.querySelectorAll('#grid video')].every((v) => v.readyState >= 1));
  ok(meta, 'opened as a file, the grid loads its videos by relative paths');

  // Failures and reruns: each cell says why; judging needs two variants.
  errors.length = 0;
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('file://' + path.resolve(FAILED_DIR, 'report.html'));
  await page.waitForSelector('#grid figure.cell');
  const failed = await page.$$eval('#grid figure.cell', (fs) => fs.map((f) => [f.dataset.x, f.dataset.state,
    f.querySelector('.novideo').textContent, f.querySelector('figcaption').textContent]));
  ok(failed.length === 2 && failed.every(([x, st, why, cap]) => st === 'failed' &&
    /policy.*prompt rejected by content policy/.test(why) && /rerun 1, rule 1/.test(cap) && /earlier: j\w+ failed/.test(cap)),
  'failed cells show the reason, the rerun and the earlier attempt', failed);
  await page.goto('file://' + path.resolve(FAILED_DIR, 'report.html') + '#judge');
  const judge = await page.$eval('#judge', (s) => s.textContent);
  ok(/needs two or more variants.*this run has 1 variant\./.test(judge), 'with one variant there is nothing to judge', judge);
  await page.goto('file://' + path.resolve(FAILED_DIR, 'report.html') + '#failures');
  const rowsFailed = await page.$$eval('#failures tbody tr', (rs) => rs.length);
  ok(rowsFailed === 4, 'the failures view lists the four failed jobs', rowsFailed);
  ok(errors.length === 0, 'no script errors there either', errors);
  await context.close();
  server.close();
}

run(main);
