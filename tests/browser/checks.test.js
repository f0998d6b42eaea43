// checks.test.js - the media checks in a run's report.html, in Debian's
// headless Chromium through playwright-core: posters shown at once (none
// black for a clean clip), the filmstrip scrubbed on hover, a badge with the
// reason on each flagged clip and none on the others, the "flagged only"
// filter, and posters that name no variant in the judging view. Run by
// tests/t0600-report-browser.sh. Environment: QC_DIR (a run of one axis n
// with two variants where some clips are black), HH_CHROMIUM, SCRATCH.
'use strict';

const { ok, launch, run } = require('./lib');
const path = require('path');

const QC_DIR = path.resolve(process.env.QC_DIR);


async function main() {
  const context = await launch('qc', { args: ['--allow-file-access-from-files'] });
  const page = context.pages()[0] || await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('file://' + path.join(QC_DIR, 'report.html'));
  await page.waitForSelector('#grid figure.cell');
  await page.selectOption('#grid select[aria-label="columns"]', 'n');
  await page.selectOption('#grid select[aria-label="rows"]', 'variant');

  // Posters: every clip has one, loaded before anything plays.
  const posters = await page.$$eval('#grid video', (vs) => vs.map((v) => ({ job: v.dataset.job, poster: v.getAttribute('poster') })));
  ok(posters.length > 0 && posters.every((p) => p.poster && /^posters\/[0-9a-f]{64}\.jpg$/.test(p.poster)),
    'every clip in the grid has a poster named by its sha256', posters);
  const shades = await page.evaluate(async () => {
    const out = {};
    for (const v of document.querySelectorAll('#grid video')) {
      const img = new Image();
      img.src = v.poster;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = 32; c.height = 18;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0, 32, 18);
      const d = g.getImageData(0, 0, 32, 18).data;
      let sum = 0;
      for (let i = 0; i < d.length; i += 4) sum += (d[i] + d[i + 1] + d[i + 2]) / 3;
      out[v.dataset.job] = sum / (d.length / 4);
    }
    return out;
  });
  const jobs = await page.evaluate(() => window.hhReport.data.jobs.filter((j) => j.state === 'done'));
  const flagged = jobs.filter((j) => j.qc && j.qc.flagged);
  const clean = jobs.filter((j) => j.qc && !j.qc.flagged);
  ok(flagged.length > 0 && clean.length > 0, 'the run has flagged and clean clips', { flagged: flagged.length, clean: clean.length });
  ok(clean.every((j) => shades[j.job] > 40), 'a clean clip\'s poster is a picture, not a black cell', shades);
  ok(flagged.every((j) => j.qc.flags.join() !== 'black' || shades[j.job] < 30), 'a black clip\'s poster is black (mean level under 30 of 255)', shades);
  const paused = await page.$$eval('#grid video', (vs) => vs.every((v) => v.paused));
  ok(paused, 'posters show with nothing playing');

  // The filmstrip follows the pointer before playing.
  const box = await page.$('#grid .clipbox');
  const r = await box.boundingBox();
  await page.mouse.move(r.x + r.width * 0.02, r.y + r.height / 2);
  const first = await page.$eval('#grid .clipbox .strip', (s) => ({ hidden: s.hidden, frame: s.dataset.frame, pos: s.style.backgroundPosition }));
  await page.mouse.move(r.x + r.width * 0.98, r.y + r.height / 2);
  const last = await page.$eval('#grid .clipbox .strip', (s) => ({ hidden: s.hidden, frame: s.dataset.frame, pos: s.style.backgroundPosition }));
  ok(!first.hidden && first.frame === '0' && last.frame === '9' && last.pos.startsWith('100%'),
    'hovering scrubs the filmstrip: first frame at the left edge, last at the right', { first, last });
  const stripImage = await page.$eval('#grid .clipbox .strip', (s) => s.style.backgroundImage);
  ok(/posters\/[0-9a-f]{64}-strip\.jpg/.test(stripImage), 'the filmstrip is the clip\'s strip image', stripImage);
  await page.mouse.move(r.x + r.width / 2, r.y - 40);
  ok(await page.$eval('#grid .clipbox .strip', (s) => s.hidden), 'leaving the clip hides the filmstrip');

  // Badges: on each flagged clip, with its flags and reasons; on no other.
  const badges = await page.$$eval('#grid figure.cell', (figs) => figs.map((f) => {
    const b = f.querySelector('.badge');
    return { job: f.dataset.job, text: b ? b.textContent : null, title: b ? b.title : null };
  }));
  const byJob = Object.fromEntries(jobs.map((j) => [j.job, j]));
  ok(badges.every((b) => {
    const j = byJob[b.job];
    if (!j) return true;
    return j.qc.flagged ? b.text === j.qc.flags.join(', ') && b.title === j.qc.reasons : b.text === null;
  }), 'a badge names the flags of each flagged clip (its reason in the tooltip), and only those', badges);
  ok(badges.some((b) => b.text === 'black'), 'a black clip is badged "black"', badges);

  // The filter.
  const label = await page.$eval('#grid input.flagged-only', (i) => i.parentNode.textContent);
  ok(label.includes('(' + flagged.length + ')'), 'the filter says how many clips are flagged', label);
  await page.click('#grid input.flagged-only');
  const shown = await page.$$eval('#grid figure.cell', (figs) => figs.map((f) => f.dataset.job));
  ok(shown.length === flagged.length && shown.every((j) => byJob[j] && byJob[j].qc.flagged),
    '"flagged only" leaves only the flagged clips', { shown, flagged: flagged.map((j) => j.job) });
  await page.click('#grid input.flagged-only');
  ok((await page.$$('#grid figure.cell')).length === badges.length, 'and unticked shows them all again');

  // Judging: posters there too, and nothing in them names a variant.
  await page.goto('file://' + path.join(QC_DIR, 'report.html') + '#judge');
  await page.waitForSelector('#judge .pair video');
  const judged = await page.$$eval('#judge .pair figure', (figs) => figs.map((f) => ({
    poster: (f.querySelector('video') || {}).poster || '', badge: !!f.querySelector('.badge') })));
  ok(judged.length === 2 && judged.every((j) => /posters\/[0-9a-f]{64}\.jpg$/.test(j.poster) && !/plain|film/.test(j.poster)),
    'the judging view shows posters whose names say nothing of the variant', judged);
  ok(judged.every((j) => !j.badge), 'and no badges (they would sway the judge)', judged);

  ok(errors.length === 0, 'no script errors', errors);
  await context.close();
}

run(main);
