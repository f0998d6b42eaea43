// judge.test.js - blind judging in a run's report.html, in Debian's headless
// Chromium through playwright-core: with no votes the ranking says so and
// estimates the votes that would part the first two; the judging view
// shows nothing that names a variant (no text, attribute, tooltip, video
// address or download name: the clips play from blind/<sha256>.mp4, hard
// links to the clips); a judge's pairs are spread over the cells and
// samples; after votes that make one variant clearly best the next pairs
// are between the others; the votes each place still needs. Run by
// tests/t0600-report-browser.sh. Environment: JUDGE_DIR (a run of 4
// variants amber, cobalt, dune, ember over 2 cells and 2 samples, output
// {place}-{variant}-{sample}.mp4), HH_CHROMIUM, SCRATCH, HH_SCREENSHOTS (a
// directory to save report-ranking.png in).
'use strict';

const { ok, launch, run } = require('./lib');
const fs = require('fs');
const path = require('path');

const DIR = path.resolve(process.env.JUDGE_DIR);
const VARIANTS = ['amber', 'cobalt', 'dune', 'ember'];


// Everything of #judge a judge can see or reach without developer tools:
// its text, every attribute (titles, sources, posters, styles), each
// video's address and the name a "save video as" would give it.
const judgeSurface = (page) => page.evaluate(() => {
  const sec = document.querySelector('#judge');
  const parts = [sec.innerText, sec.textContent];
  for (const el of [sec, ...sec.querySelectorAll('*')]) {
    for (const a of el.attributes) parts.push(a.name + '=' + a.value);
    if (el.value !== undefined) parts.push(String(el.value));
  }
  const videos = [...sec.querySelectorAll('video')].map((v) => ({ src: v.currentSrc || v.src, poster: v.poster }));
  for (const v of videos) parts.push(v.src, v.src.split('/').pop(), v.poster);
  return { text: parts.join('\n'), videos: videos };
});

async function main() {
  const data = JSON.parse(/<script type="application\/json" id="hh-data">(.*?)<\/script>/s
    .exec(fs.readFileSync(path.join(DIR, 'report.html'), 'utf8'))[1]);
  const files = data.jobs.filter((j) => j.file).map((j) => j.file);
  const names = VARIANTS.concat(files, files.map((f) => path.basename(f)), files.map((f) => path.basename(f, '.mp4')));
  const jobIds = data.jobs.map((j) => j.job);

  // The blind names: a hard link per clip, named by its sha256 (clips of
  // the same bytes share one, a link to the first of them).
  const inodes = new Map();
  for (const j of data.jobs) {
    const st = fs.statSync(path.join(DIR, j.file));
    inodes.set(j.sha256, (inodes.get(j.sha256) || []).concat(st.dev + ':' + st.ino));
  }
  const linked = data.jobs.filter((j) => j.state === 'done').every((j) => {
    const b = fs.lstatSync(path.join(DIR, j.blind));
    return j.blind === 'blind/' + j.sha256 + '.mp4' && b.isFile() && inodes.get(j.sha256).includes(b.dev + ':' + b.ino);
  });
  ok(linked && data.jobs.length === 16 && inodes.size > 4, 'every clip has a blind name, blind/<sha256>.mp4, a hard link to it',
    data.jobs.map((j) => [j.file, j.blind]));
  ok(fs.readdirSync(path.join(DIR, 'blind')).length === inodes.size, 'blind/ holds one name per distinct clip, no more',
    fs.readdirSync(path.join(DIR, 'blind')));

  const context = await launch('judge', { args: ['--allow-file-access-from-files'] });
  const page = context.pages()[0] || await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const url = 'file://' + path.join(DIR, 'report.html');
  const storeKey = 'hh-report:' + data.run.id + ':votes';
  const setVotes = (list) => page.evaluate(([k, l]) => { localStorage.setItem(k, JSON.stringify(l)); }, [storeKey, list]);
  const open = async (view) => { // a fresh load, with the votes now stored
    await page.goto('about:blank');
    await page.goto(url + '#' + view);
    await page.waitForSelector(view === 'judge' ? '#judge .pair video' : '#ranking table.ranking');
  };

  // No votes: no places, and an estimate of what would part the first two.
  await open('ranking');
  const none = await page.evaluate(() => ({
    summary: document.querySelector('#ranking .summary').textContent,
    places: [...document.querySelectorAll('#ranking tbody .place')].map((t) => t.textContent),
    needed: [...document.querySelectorAll('#ranking tbody .needed')].map((t) => t.textContent),
    estimate: window.hhReport.ranking.firstEstimate(4, 2) }));
  ok(/^No votes yet: about (\d+) votes would part the first two if one beat the other 2 times in 3\./.test(none.summary) &&
    none.summary.includes('about ' + none.estimate + ' votes') && none.estimate > 10,
  'with no votes the ranking says "no votes yet" and estimates the votes that would part the first two', none);
  ok(none.places.every((p) => p === '\u2013') && none.needed.every((n) => n === 'no votes yet') && none.places.length === 4,
    'and ranks no variant first or second', none);
  await open('judge');
  const progress0 = await page.$eval('#judge .progress', (p) => p.textContent);
  ok(/^No votes yet: about \d+ votes would part the first two/.test(progress0), 'the judging view says so too', progress0);

  // Blind: nothing in the judging view names a variant or a clip, pair after pair.
  const leaks = [], sources = [];
  for (let i = 0; i < 24; i++) {
    await page.waitForFunction(() => [...document.querySelectorAll('#judge .pair video')]
      .every((v) => v.getAttribute('src') && v.currentSrc), null, { timeout: 15000 });
    const seen = await judgeSurface(page);
    for (const n of names.concat(jobIds)) if (seen.text.toLowerCase().includes(n.toLowerCase())) leaks.push([i, n]);
    sources.push(...seen.videos);
    await page.keyboard.press(i % 3 === 0 ? 'ArrowRight' : i % 3 === 1 ? 'ArrowLeft' : 't');
  }
  ok(leaks.length === 0, 'the judging view (text, attributes, tooltips, video addresses) names no variant and no clip', leaks);
  ok(sources.length === 48 && sources.every((v) => /\/blind\/[0-9a-f]{64}\.mp4$/.test(v.src) && /\/posters\/[0-9a-f]{64}\.jpg$/.test(v.poster)),
    'its videos play from blind/<sha256>.mp4 (so "save video as" names no variant), their posters by sha256',
    sources.slice(0, 4));

  // Balance: each pair of variants spread over the cells and samples.
  const mine = await page.evaluate(() => window.hhReport.localVotes());
  // For each pair of variants, its votes on each of the 4 cell and sample slots.
  const spread = {};
  for (const v of mine) {
    const pair = [v.left, v.right].sort().join('/'), at = v.cell + ' ' + v.sample;
    spread[pair] = spread[pair] || {};
    spread[pair][at] = (spread[pair][at] || 0) + 1;
  }
  const balanced = Object.values(spread).every((on) => {
    const n = Object.values(on).concat(new Array(4 - Object.keys(on).length).fill(0));
    return Math.max(...n) - Math.min(...n) <= 1;
  });
  const cellsSeen = new Map();
  for (const v of mine) cellsSeen.set(v.cell + ' ' + v.sample, (cellsSeen.get(v.cell + ' ' + v.sample) || 0) + 1);
  ok(mine.length === 24 && balanced && cellsSeen.size === 4 && Math.max(...cellsSeen.values()) - Math.min(...cellsSeen.values()) <= 2,
    'a pair of variants is shown on the cell and sample this judge has seen it least: 24 votes, spread evenly',
    { spread, cells: [...cellsSeen] });
  const firstLeft = mine.filter((v) => v.left < v.right).length;
  ok(firstLeft >= 4 && firstLeft <= 20, 'left and right are drawn at random', { firstLeft, of: mine.length });

  // Votes that make cobalt clearly best: the next pairs are between the others.
  const cell = data.jobs[0].cell, judge = 'someone-else';
  const votes = [];
  let t = Date.parse('2026-01-02T10:00:00Z');
  const add = (left, right, choice, n) => {
    for (let i = 0; i < n; i++) {
      votes.push({ run: data.run.name, run_id: data.run.id, cell, sample: 1, left, right, choice, judge,
        time: new Date(t += 1000).toISOString() });
    }
  };
  for (const o of ['amber', 'dune', 'ember']) { add('cobalt', o, 'left', 20); add('cobalt', o, 'right', 4); }
  add('amber', 'dune', 'left', 4); add('amber', 'dune', 'right', 4);
  add('amber', 'ember', 'left', 4); add('amber', 'ember', 'right', 4);
  add('dune', 'ember', 'left', 4); add('dune', 'ember', 'right', 4);
  await setVotes(votes);
  await open('judge');
  const next = [];
  for (let i = 0; i < 12; i++) {
    next.push(await page.evaluate(() => { const c = window.hhReport.current(); return [c.left, c.right]; }));
    await page.keyboard.press('s');
  }
  ok(next.every((p) => !p.includes('cobalt')) && new Set(next.map((p) => p.slice().sort().join('/'))).size >= 2,
    'after votes that settle cobalt first, the next pairs are between the variants still unsettled', next);
  const progress = await page.$eval('#judge .progress', (p) => p.textContent);
  ok(/^1st place is settled/.test(progress), 'the judging view says 1st place is settled, naming nothing', progress);
  await open('ranking');
  const rows = await page.$$eval('#ranking tbody tr', (rs) => rs.map((r) => [r.dataset.variant,
    r.querySelector('.place').textContent, r.querySelector('.needed').textContent]));
  ok(rows[0][0] === 'cobalt' && rows[0][1] === '1st' && rows[0][2] === 'settled' &&
    rows.slice(1).every((r) => /^(too close to call|about \d+ more votes?)$/.test(r[2])),
  'the ranking: cobalt 1st and settled, the others with what their places still need', rows);

  // A close race: the votes each place needs, as the model estimates them.
  votes.length = 0;
  add('cobalt', 'amber', 'left', 7); add('cobalt', 'amber', 'right', 3);
  add('dune', 'ember', 'left', 8); add('dune', 'ember', 'right', 2);
  add('cobalt', 'dune', 'left', 6); add('cobalt', 'dune', 'right', 4);
  add('amber', 'ember', 'left', 6); add('amber', 'ember', 'right', 4);
  await setVotes(votes);
  await open('ranking');
  const close = await page.evaluate(() => {
    const want = window.hhReport.rank(window.hhReport.allVotes(), ['amber', 'cobalt', 'dune', 'ember']);
    return { want: want.map((r) => [r.variant, r.needed]), shown: [...document.querySelectorAll('#ranking tbody tr')]
      .map((r) => [r.dataset.variant, r.querySelector('.needed').textContent]) };
  });
  ok(close.shown.every(([v, text], i) => v === close.want[i][0] &&
    text === 'about ' + close.want[i][1] + ' more votes' && close.want[i][1] > 0),
  'with 40 votes and no place settled, each place shows the votes it still needs', close);
  if (process.env.HH_SCREENSHOTS) {
    await page.screenshot({ path: path.join(process.env.HH_SCREENSHOTS, 'report-ranking.png'), fullPage: true });
  }
  await open('judge');
  const progress2 = await page.$eval('#judge .progress', (p) => p.textContent);
  ok(progress2 === '1st place: about ' + close.want[0][1] + ' more votes to settle it.', 'and the judging view the 1st place\'s', progress2);

  // One cell and sample of three variants: a skip still moves on.
  const skips = await page.evaluate(() => {
    const R = window.hhReport.ranking, pairs = [['x', 'y'], ['x', 'z'], ['y', 'z']].map(([a, b]) => ({ cell: 'c', sample: 1, a, b }));
    const seq = [];
    let cur = null;
    for (let i = 0; i < 8; i++) {
      cur = R.nextPair([], ['x', 'y', 'z'], pairs, seq.map((p) => Object.assign({}, p)), cur, Math.random);
      seq.push(cur);
    }
    return seq.map((p) => [p.left, p.right].sort().join(''));
  });
  ok(skips.every((p, i) => i === 0 || p !== skips[i - 1]), 'with one cell and sample, a skip moves on to another pair', skips);

  ok(errors.length === 0, 'no script errors', errors);
  await context.close();
}

run(main, 'the judging test ran to its end');
