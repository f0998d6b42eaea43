// tests/browser/lib.js - what the browser tests share: ok() printing
// "ok - ..." lines for tests/t0600-report-browser.sh to turn into TAP, a
// Chromium context (Debian's /usr/bin/chromium through playwright-core,
// which never downloads a browser), a static server for a run directory
// with byte ranges (video seeking), and the ending that counts a crash as
// a failed check.
const { chromium } = require('playwright-core');
const http = require('http');
const fs = require('fs');
const path = require('path');

const CHROMIUM = process.env.HH_CHROMIUM || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'];

let failures = 0;

// One check: "ok - name" or "not ok - name" and what was seen.
function ok(cond, name, detail) {
  console.log((cond ? 'ok - ' : 'not ok - ') + name);
  if (!cond) {
    failures++;
    if (detail !== undefined) {
      const text = String(typeof detail === 'string' ? detail : JSON.stringify(detail)).slice(0, 3000);
      console.log('#   ' + text.split('\n').join('\n#   '));
    }
  }
  return cond;
}

// A fresh browser profile in SCRATCH (named by prefix) and its context;
// options go to launchPersistentContext, options.args after the common flags.
function launch(prefix, options = {}) {
  const profile = fs.mkdtempSync(path.join(process.env.SCRATCH, 'chromium-' + prefix + '-'));
  const { args = [], ...rest } = options;
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 1000 }, ...rest,
    args: FLAGS.concat(args),
  });
}

// A static server for the directory root on a free loopback port.
function serve(root) {
  const types = { '.html': 'text/html; charset=utf-8', '.mp4': 'video/mp4', '.jpg': 'image/jpeg',
    '.png': 'image/png', '.jsonl': 'application/x-ndjson' };
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = path.join(root, path.normalize(rel));
    if (!file.startsWith(root + path.sep)) { res.writeHead(403).end(); return; }
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) { res.writeHead(404).end(); return; }
      const type = types[path.extname(file)] || 'application/octet-stream';
      const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range || '');
      if (range && (range[1] || range[2])) {
        let start = range[1] ? Number(range[1]) : st.size - Number(range[2]);
        const end = range[1] && range[2] ? Math.min(Number(range[2]), st.size - 1) : st.size - 1;
        if (start < 0) start = 0;
        if (start > end) { res.writeHead(416, { 'Content-Range': 'bytes */' + st.size }).end(); return; }
        res.writeHead(206, { 'Content-Type': type, 'Accept-Ranges': 'bytes', 'Content-Length': end - start + 1,
          'Content-Range': `bytes ${start}-${end}/${st.size}` });
        fs.createReadStream(file, { start, end }).pipe(res);
      } else {
        res.writeHead(200, { 'Content-Type': type, 'Accept-Ranges': 'bytes', 'Content-Length': st.size });
        fs.createReadStream(file).pipe(res);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// Runs the test: exit 0 when every check passed; a crash is one more failure.
function run(main, what = 'the browser test ran to its end') {
  main().catch((e) => {
    console.log('not ok - ' + what);
    console.log('#   ' + String((e && e.stack) || e).split('\n').join('\n#   '));
    process.exit(1);
  }).then(() => process.exit(failures ? 1 : 0));
}

module.exports = { ok, launch, serve, run, CHROMIUM };
