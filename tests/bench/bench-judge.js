// bench-judge.js - `make bench`, blind judging: how many votes the report's
// pair choice needs before the best variant's 95% interval is clear of every
// other's, against pairs in random order. Eight variants with known
// strengths; a simulated judge answers each pair by Bradley-Terry with those
// strengths (no ties). Both orders run through the page's own ranking
// (hh.report_rank, loaded from the hh binary) and stop on the same rule,
// checked after every vote. Usage: node bench-judge.js HH [--seeds N]
// (default 200); prints the figures, then one `result` line.
'use strict';

const { execFileSync } = require('child_process');

const args = process.argv.slice(2);
const HH = args[0];
if (!HH) { console.error('usage: node bench-judge.js HH [--seeds N]'); process.exit(2); }
const at = args.indexOf('--seeds');
const SEEDS = at > 0 ? Number(args[at + 1]) : 200;
const rank = new Function(execFileSync(HH, ['-e', 'io.write(require("hh.report_rank").js)'], { encoding: 'utf8' }) +
  '\nreturn hhRank;')();

// Log-strengths. The main case: the best beats the second 2 to 1 (a gap of
// ln 2), the rest are 0.35 apart below it. The second: wider apart, the best
// far above most (it beats the last 55 to 1), the second 2 to 1 below it.
const CASES = [
  { name: 'main', theta: [Math.log(2), 0, -0.35, -0.7, -1.05, -1.4, -1.75, -2.1] },
  { name: 'spread', theta: [2, 1.3, 1, 0.5, 0, -0.5, -1, -2] },
];
const NAMES = CASES[0].theta.map((_, i) => 'v' + (i + 1));
const CAP = 20000; // votes; a run that reaches it counts as not finished
const PROBE = 40; // votes after which the page's own estimate is compared with what it took
let THETA = CASES[0].theta;

function run(order, seed) {
  const rand = rank.mulberry32(seed * 1000003 + (order === 'random' ? 17 : 29));
  const votes = [];
  let rows = rank.rank(votes, NAMES), estimate = null;
  while (votes.length < CAP) {
    let a, b;
    if (order === 'random') {
      const i = Math.floor(rand() * NAMES.length);
      let j = Math.floor(rand() * (NAMES.length - 1));
      if (j >= i) j++;
      a = NAMES[i]; b = NAMES[j];
    } else {
      [a, b] = rank.choose(rows, null, rand);
      if (rand() < 0.5) [a, b] = [b, a];
    }
    const p = 1 / (1 + Math.exp(THETA[NAMES.indexOf(b)] - THETA[NAMES.indexOf(a)]));
    votes.push({ left: a, right: b, choice: rand() < p ? 'left' : 'right' });
    rows = rank.rank(votes, NAMES, { needed: votes.length === PROBE });
    if (votes.length === PROBE) estimate = rows[0].confident ? 0 : rows[0].needed;
    if (rows[0].confident) break;
  }
  return { votes: votes.length, finished: rows[0].confident, right: rows[0].confident && rows[0].variant === NAMES[0],
    estimate: estimate };
}

const quantile = (list, q) => {
  const s = list.slice().sort((x, y) => x - y), at2 = q * (s.length - 1), lo = Math.floor(at2);
  return lo + 1 < s.length ? s[lo] + (s[lo + 1] - s[lo]) * (at2 - lo) : s[lo];
};

console.log('== blind judging: votes until the best variant\'s 95% interval is clear of every other\'s');
console.log(`  8 variants; a simulated judge answers by Bradley-Terry (no ties); ${SEEDS} seeds each`);
let main = null;
for (const c of CASES) {
  THETA = c.theta;
  console.log(`  ${c.name}: log-strengths ${THETA.map((t) => t.toFixed(2)).join(' ')}`);
  const result = {};
  for (const order of ['active', 'random']) {
    const t0 = Date.now();
    const runs = [];
    for (let s = 1; s <= SEEDS; s++) runs.push(run(order, s));
    const n = runs.map((r) => r.votes);
    result[order] = { median: quantile(n, 0.5), right: runs.filter((r) => r.right).length,
      unfinished: runs.filter((r) => !r.finished).length, runs: runs };
    console.log(`    ${order === 'active' ? 'active pair choice' : 'random order      '}: median ${quantile(n, 0.5)} votes ` +
      `(quartiles ${quantile(n, 0.25)}, ${quantile(n, 0.75)}; max ${Math.max(...n)}), right winner ${result[order].right}/${SEEDS}` +
      (result[order].unfinished ? `, ${result[order].unfinished} not finished in ${CAP}` : '') +
      ` [${((Date.now() - t0) / 1000).toFixed(1)} s]`);
  }
  const ratio = result.active.median / result.random.median;
  console.log(`    active / random: ${ratio.toFixed(3)} of the votes (goal: at most 1/3, as many right winners)`);
  const probed = result.active.runs.filter((r) => r.estimate !== null && isFinite(r.estimate));
  if (probed.length) {
    console.log(`    after ${PROBE} votes the page said 1st place needed a median ${quantile(probed.map((r) => r.estimate), 0.5)} more; ` +
      `it took a median ${quantile(probed.map((r) => r.votes - PROBE), 0.5)} (${probed.length} runs still open then)`);
  }
  if (!main) main = { result: result, ratio: ratio };
}
console.log(`  with no votes the page estimates ${rank.firstEstimate(NAMES.length, 2)} votes to part the first two (at 2 to 1)`);
console.log(`result seeds=${SEEDS} active_median=${main.result.active.median} random_median=${main.result.random.median} ` +
  `active_right=${main.result.active.right} random_right=${main.result.random.right} ratio=${main.ratio.toFixed(3)}`);
