// live.test.js - a report opened from disk while its run goes on: the page
// reloads itself when hh run has rewritten it with new results, keeping the
// grid's choices, the judge's pair, the scroll position and the votes; it
// says when the run is over. Run by tests/t0600-report-browser.sh while
// `hh run` works on LIVE_DIR. Environment: LIVE_DIR, HH_CHROMIUM, SCRATCH.
'use strict';

const { ok, launch, run } = require('./lib');
const path = require('path');

const LIVE_DIR = path.resolve(process.env.LIVE_DIR);


async function main() {
  const context = await launch('live', { viewport: { width: 1000, height: 500 } });
  const page = context.pages()[0] || await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  let loads = 0;
  page.on('load', () => { loads++; });
  await page.goto('file://' + path.join(LIVE_DIR, 'report.html'));
  await page.waitForSelector('#grid');
  const first = await page.evaluate(() => ({ live: window.hhReport.data.run.live, stamp: window.hhReport.data.run.stamp,
    done: window.hhReport.data.jobs.filter((j) => j.state === 'done').length, jobs: window.hhReport.data.jobs.length }));
  ok(first.live === true && first.done < 8, 'a page opened during the run says it is live, with some results to come', first);
  ok(/^live/.test(await page.$eval('header .live', (n) => n.textContent)), 'the header says the run is going on');

  // The reader's choices: columns and rows swapped, a vote in this browser, scrolled.
  const x0 = await page.evaluate(() => window.hhReport.grid.x);
  const y0 = await page.evaluate(() => window.hhReport.grid.y);
  await page.selectOption('#grid select[aria-label="columns"]', y0);
  const chosen = await page.evaluate(() => ({ x: window.hhReport.grid.x, y: window.hhReport.grid.y }));
  ok(chosen.x === y0 && chosen.y === x0, 'the reader swaps the axes', chosen);
  const key = await page.evaluate(() => {
    const k = Object.keys(localStorage).find((n) => /:votes$/.test(n)) ||
      ('hh-report:' + (window.hhReport.data.run.id || window.hhReport.data.run.name) + ':votes');
    localStorage.setItem(k, JSON.stringify([{ left: 'calm', right: 'storm', choice: 'left', cell: 'c', sample: 1, judge: 'j', at: 1 }]));
    return k;
  });

  // hh run rewrites the page as results land: it reloads with more of them.
  const later = await page.waitForFunction((s) => window.hhReport && window.hhReport.data.run.stamp > s &&
    { stamp: window.hhReport.data.run.stamp, done: window.hhReport.data.jobs.filter((j) => j.state === 'done').length },
  first.stamp || 0, { timeout: 60000, polling: 200 }).then((h) => h.jsonValue(), () => null);
  ok(later && later.done > first.done, 'new results arrive without the reader doing anything', { first, later });
  const kept = await page.evaluate(() => ({ x: window.hhReport.grid.x, y: window.hhReport.grid.y }));
  ok(kept.x === chosen.x && kept.y === chosen.y, 'the grid keeps the reader\'s axes across the reload', { kept, chosen });
  const votes = await page.evaluate((k) => localStorage.getItem(k), key);
  ok(votes && JSON.parse(votes).length === 1, 'and the votes in this browser', votes);

  // The judge's pair survives a reload too.
  await page.evaluate(() => { location.hash = '#judge'; });
  await page.waitForSelector('#judge .pair', { timeout: 20000 }).catch(() => null);
  const pair = await page.evaluate(() => window.hhReport.current());
  const end = await page.waitForFunction(() => window.hhReport && window.hhReport.data.run.live === false,
    null, { timeout: 90000, polling: 250 }).then(() => true, () => false);
  ok(end, 'the page learns that the run is over');
  const pairAfter = await page.evaluate(() => window.hhReport.current());
  ok(!pair || (pairAfter && pairAfter.cell === pair.cell && pairAfter.sample === pair.sample),
    'the judge is shown the same pair after the reload', { pair, pairAfter });
  ok(await page.evaluate(() => location.hash) === '#judge', 'on the same view');
  const done = await page.evaluate(() => window.hhReport.data.jobs.filter((j) => j.state === 'done').length);
  ok(done === 8, 'with every result', done);
  ok(loads >= 2, 'the page reloaded itself ' + loads + ' times', loads);
  await page.waitForTimeout(3500);
  const quiet = loads;
  await page.waitForTimeout(3500);
  ok(loads === quiet, 'once the run is over it stops asking', { quiet, loads });
  ok(errors.length === 0, 'no script errors', errors);
  await context.close();
}

run(main);
