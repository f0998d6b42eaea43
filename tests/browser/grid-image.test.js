// grid-image.test.js - the grid's "Grid image" button in Debian's headless
// Chromium through playwright-core. Over http: the button downloads a PNG of
// the grid in view, sized as the layout says, posters in the cells and a red
// label on each flagged clip, with the same cells as hh report --grid-image.
// Opened from a file (where Chromium will not let a page read back a canvas
// with the run's images): the page says which hh report command makes it,
// the current axes and page filled in, and that command works in a shell.
// Run by tests/t0600-report-browser.sh. Environment: HH, QC_DIR (a run of one
// axis n with two variants where some clips are black), RUN_DIR (an A/B run
// of a 2x2 sweep time x weather, 2 samples), SWEEP_DIR (a run of
// recipes/sweep.yaml, for its zip group), HH_CHROMIUM, SCRATCH.
'use strict';

const { ok, launch, run, serve } = require('./lib');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const HH = process.env.HH;
const QC_DIR = path.resolve(process.env.QC_DIR);
const RUN_DIR = path.resolve(process.env.RUN_DIR);
const SCRATCH = process.env.SCRATCH;


// A static server for a run directory (what the button needs: the page

// Width and height from a PNG's header.
function pngSize(buf) {
  if (buf.length < 24 || buf.toString('latin1', 1, 4) !== 'PNG') return null;
  return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
}

// The colours of a PNG at points, read in the page from a data: URL.
function pixels(page, buf, points) {
  return page.evaluate(async ([b64, pts]) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    return pts.map(([x, y]) => [...ctx.getImageData(x, y, 1, 1).data.slice(0, 3)]);
  }, [buf.toString('base64'), points]);
}

// The command the Grid image button gives on a page opened from a file.
async function commandOf(page) {
  await page.click('#grid button.grid-image');
  await page.waitForSelector('#grid .grid-image-command', { timeout: 15000 }).catch(() => null);
  return page.$eval('#grid .grid-image-command', (n) => n.textContent).catch(() => '');
}

// Runs such a command in a shell with this build's hh: '' when it succeeds,
// else what it said.
function runCommand(command) {
  try {
    execFileSync('bash', ['-c', command.replace(/^hh /, "'" + HH + "' ") + ' 2>&1'], { stdio: 'pipe' });
    return '';
  } catch (e) {
    return String(e.stdout || e.stderr || e);
  }
}

async function main() {
  const context = await launch('gridimg', { acceptDownloads: true, args: ['--disable-background-networking'] });
  const page = context.pages()[0] || await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const server = await serve(QC_DIR);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const elsewhere = [];
  page.on('request', (r) => { if (!r.url().startsWith(origin + '/') && !/^(blob|data|file):/.test(r.url())) elsewhere.push(r.url()); });

  await page.goto(origin + '/report.html');
  await page.waitForSelector('#grid figure.cell');
  await page.selectOption('#grid select[aria-label="columns"]', 'variant');
  await page.selectOption('#grid select[aria-label="rows"]', 'n');
  ok(await page.$('#grid button.grid-image') !== null, 'the grid has a Grid image button');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#grid button.grid-image')]);
  const saved = path.join(SCRATCH, 'button.png');
  await download.saveAs(saved);
  ok(/^qc-report-grid-variant-n\.png$/.test(download.suggestedFilename()), 'the picture is named after the run and axes',
    download.suggestedFilename());
  const png = fs.readFileSync(saved);
  const size = pngSize(png);
  const plan = await page.evaluate(() => {
    const p = window.hhGridImage.plan();
    const cells = [];
    p.rows.forEach((y, j) => p.columns.forEach((x, i) => {
      const e = p.at.get(x + '\u0000' + y);
      cells.push({ i, j, flagged: !!(e && e.job.qc && e.job.qc.flagged) });
    }));
    return { columns: p.columns.length, rows: p.rows.length, cells };
  });
  ok(plan.columns === 2 && plan.rows === 4, 'the plan is the grid in view: 2 variants across, 4 values of n down', plan);
  // width = 8 + row labels + 8 + columns x (320 + 8); height = 40 + 28 + 8 + rows x (180 + 8)
  const labels = size && size[0] - 16 - plan.columns * 328;
  ok(size && labels >= 80 && labels <= 240 && labels % 40 === 0 && size[1] === 76 + plan.rows * 188,
    'the PNG is columns x 320 px cells plus the label margins, rows x 180 px plus the title and heads', { size, labels });
  const note = await page.$eval('#grid .grid-image-note', (n) => n.textContent);
  ok(size && note === `qc-report-grid-variant-n.png (${size[0]}\u00d7${size[1]})`, 'the page says what it saved', note);

  const flagged = plan.cells.filter((c) => c.flagged);
  ok(flagged.length > 0 && flagged.length < plan.cells.length, 'some clips of the run are flagged, not all', flagged.length);
  const at = (c, dx, dy) => [16 + labels + c.i * 328 + dx, 76 + c.j * 188 + dy];
  const colours = await pixels(page, png, plan.cells.map((c) => at(c, 8, 8)).concat(plan.cells.map((c) => at(c, 160, 150))));
  const red = ([r, g, b]) => r > 150 && g < 80 && b < 80;
  const corner = colours.slice(0, plan.cells.length);
  ok(plan.cells.every((c, k) => red(corner[k]) === c.flagged), 'a red label on each flagged clip, on no other', { corner, plan });
  const inside = colours.slice(plan.cells.length);
  ok(inside.every(([r, g, b]) => !(r > 240 && g > 240 && b > 240)), 'every cell has its poster (no white cell)', inside);
  const [cr, cg, cb] = (await pixels(page, png, [[4, 4]]))[0];
  ok(cr === 255 && cg === 255 && cb === 255, 'the margins are white', [cr, cg, cb]);

  // The command line draws the same cells.
  const cli = path.join(SCRATCH, 'cli.png');
  execFileSync(HH, ['report', QC_DIR, '--grid-image', cli, '--columns', 'variant', '--rows', 'n'], { stdio: 'pipe' });
  const cliSize = pngSize(fs.readFileSync(cli));
  ok(cliSize && size && cliSize[1] === size[1] && (cliSize[0] - size[0]) % 40 === 0,
    'hh report --grid-image makes the same grid (same cells, label margins in steps of 40 px)', { cliSize, size });
  ok(elsewhere.length === 0, 'the button sends nothing anywhere', elsewhere);
  server.close();

  // Opened from a file: the canvas cannot be read; the page says how instead.
  await page.goto('file://' + path.join(RUN_DIR, 'report.html'));
  await page.waitForSelector('#grid figure.cell');
  await page.selectOption('#grid select[aria-label="columns"]', 'time');
  await page.selectOption('#grid select[aria-label="rows"]', 'weather');
  await page.selectOption('#grid select[aria-label="variant"]', 'film');
  await page.selectOption('#grid select[aria-label="sample"]', '2');
  const command = await commandOf(page);
  const told = await page.$eval('#grid .grid-image-note', (n) => n.textContent);
  ok(/opened from disk/.test(told), 'from a file, the page says the picture cannot be exported from there', told);
  const want = `hh report ${RUN_DIR} --grid-image --columns time --rows weather --page variant=film --page sample=2`;
  ok(command === want, 'and gives the command with the run directory, the axes and the page', { command, want });
  const out = path.join(RUN_DIR, 'grid.png');
  const failed = runCommand(command);
  if (failed) ok(false, 'the command runs', failed);
  const ran = !failed;
  ok(ran && pngSize(fs.readFileSync(out)) !== null, 'that command, pasted in a shell, writes the picture', out);

  // A zip group on the page: the command names its value as hh report does.
  await page.goto('file://' + path.join(process.env.SWEEP_DIR, 'report.html'));
  await page.waitForSelector('#grid figure.cell');
  await page.selectOption('#grid select[aria-label="columns"]', 'time');
  await page.selectOption('#grid select[aria-label="rows"]', 'rows');
  const zipCommand = await commandOf(page);
  ok(zipCommand.includes("--page 'look=style=documentary, grade=natural'"),
    'a zip group is paged by member=value, as hh report --grid-image takes it', zipCommand);
  const zipRan = runCommand(zipCommand);
  ok(zipRan === '' && pngSize(fs.readFileSync(path.join(process.env.SWEEP_DIR, 'grid.png'))) !== null,
    'and that command writes the picture', zipRan);

  // The rows block on the page (its own row, apart from the grid): the command
  // pages it by the row's tuple, and hh report --grid-image takes it.
  await page.selectOption('#grid select[aria-label="columns"]', 'time');
  await page.selectOption('#grid select[aria-label="rows"]', 'weather');
  await page.selectOption('#grid select[aria-label^="rows block"]', { label: 'monochrome \u00b7 noir \u00b7 night \u00b7 fog' });
  const rowsCommand = await commandOf(page);
  ok(rowsCommand.includes("--page 'rows=grade=monochrome, style=noir, time=night, weather=fog'"),
    'the rows block is paged by its row, as hh report --grid-image takes it', rowsCommand);
  const rowsRan = runCommand(rowsCommand);
  ok(rowsRan === '', 'and that command writes the picture of that page', rowsRan);
  ok(errors.length === 0, 'no script errors', errors);
  await context.close();
}

run(main);
