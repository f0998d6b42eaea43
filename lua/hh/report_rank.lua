-- hh.report_rank: the ranking and the choice of the next pair, as one piece
-- of JavaScript with no DOM. report.html runs it inside its script (through
-- hh.report_judge); node loads it on its own for the benchmark and tests:
--   new Function(require("hh.report_rank").js + "\nreturn hhRank;")()
-- Bradley-Terry fitted by Hunter's MM algorithm, 95% intervals from the
-- curvature of the likelihood, the settled places, and the votes they need.

local M = {}

M.js = [==[
const hhRank = (function () {
  'use strict';
  const Z = 1.959964; // 95%, two-sided
  const WARMUP = 3; // votes every variant gets before any is preferred
  const WIDE = 1.5; // how much wider the intervals are when choosing a rival

  // A small seeded generator (the benchmark's simulated judges).
  function mulberry32(seed) {
    return function () {
      seed = (seed + 0x6D2B79F5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // W[i * k + j]: i's wins over j among the votes (a tie half each).
  function tallies(votes, names) {
    const k = names.length, index = new Map(names.map((n, i) => [n, i]));
    const W = new Float64Array(k * k);
    for (const v of votes) {
      const i = index.get(v.left), j = index.get(v.right);
      if (i === undefined || j === undefined || i === j) continue;
      const s = v.choice === 'left' ? 1 : v.choice === 'right' ? 0 : 0.5;
      W[i * k + j] += s; W[j * k + i] += 1 - s;
    }
    return W;
  }

  // Bradley-Terry, P(i beats j) = p_i / (p_i + p_j), fitted to W with
  // `prior` virtual ties between every pair by Hunter's MM algorithm:
  // log-strengths with mean 0.
  function fit(W, k, prior) {
    const n = new Float64Array(k * k), wins = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        if (i === j) continue;
        n[i * k + j] = W[i * k + j] + W[j * k + i] + prior;
        wins[i] += W[i * k + j] + prior / 2;
      }
    }
    const p = new Float64Array(k).fill(1), next = new Float64Array(k);
    for (let iter = 0; iter < 10000; iter++) {
      for (let i = 0; i < k; i++) {
        let d = 0;
        for (let j = 0; j < k; j++) if (j !== i && n[i * k + j] > 0) d += n[i * k + j] / (p[i] + p[j]);
        next[i] = d > 0 && wins[i] > 0 ? wins[i] / d : (d > 0 ? 1e-9 : 1);
      }
      let logmean = 0;
      for (let i = 0; i < k; i++) logmean += Math.log(next[i]) / k;
      let change = 0;
      for (let i = 0; i < k; i++) {
        const q = next[i] / Math.exp(logmean);
        change = Math.max(change, Math.abs(Math.log(q / p[i])));
        p[i] = q;
      }
      if (change < 1e-10) break;
    }
    return Array.from(p, Math.log);
  }

  function bradleyTerry(votes, names, prior) {
    return fit(tallies(votes, names), names.length, prior === undefined ? 1 : prior);
  }

  const win = (a, b) => 1 / (1 + Math.exp(b - a));

  // The model's uncertainty: the information matrix (votes and virtual ties
  // at the fitted strengths), its inverse C on scores that sum to 0, and
  // each variant's information (which weighs the reference, below).
  function curvature(W, k, theta, prior) {
    const A = [], info = new Float64Array(k);
    for (let i = 0; i < k; i++) A.push(new Float64Array(2 * k));
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        if (i === j) continue;
        const p = win(theta[i], theta[j]), f = (W[i * k + j] + W[j * k + i] + prior) * p * (1 - p);
        A[i][j] -= f; A[i][i] += f; info[i] += f;
      }
    }
    for (let i = 0; i < k; i++) { for (let j = 0; j < k; j++) A[i][j] += 1 / k; A[i][k + i] = 1; }
    for (let c = 0; c < k; c++) { // Gauss-Jordan: A = [F + 1/k | I] becomes [I | inverse]
      let top = c;
      for (let r = c + 1; r < k; r++) if (Math.abs(A[r][c]) > Math.abs(A[top][c])) top = r;
      [A[c], A[top]] = [A[top], A[c]];
      const d = A[c][c];
      for (let x = 0; x < 2 * k; x++) A[c][x] /= d;
      for (let r = 0; r < k; r++) {
        const f = A[r][c];
        if (r !== c && f) for (let x = 0; x < 2 * k; x++) A[r][x] -= f * A[c][x];
      }
    }
    return { k: k, theta: theta, info: info, C: A.map((row) => Array.from({ length: k }, (_, j) => row[k + j] - 1 / k)) };
  }

  // Standard errors of the scores, each against the reference sum w_j s_j
  // with w proportional to the information: variants judged often anchor
  // the scale, so one judged rarely does not blur the others' intervals.
  function errors(m) {
    const k = m.k, C = m.C, w = new Float64Array(k);
    let total = 0;
    for (let i = 0; i < k; i++) total += m.info[i];
    for (let i = 0; i < k; i++) w[i] = total > 0 ? m.info[i] / total : 1 / k;
    const Cw = C.map((row) => row.reduce((s, x, j) => s + x * w[j], 0));
    const wCw = Cw.reduce((s, x, j) => s + x * w[j], 0);
    return C.map((row, i) => Math.sqrt(Math.max(0, row[i] - 2 * Cw[i] + wCw)));
  }

  // m with `count` more votes between i and j (expected at the fitted odds).
  function addVotes(m, i, j, count) {
    const k = m.k, C = m.C, f = count * win(m.theta[i], m.theta[j]) * (1 - win(m.theta[i], m.theta[j]));
    const v = C.map((row) => row[i] - row[j]), a = f / (1 + f * (v[i] - v[j]));
    const info = Float64Array.from(m.info);
    info[i] += f; info[j] += f;
    return { k: k, theta: m.theta, info: info, C: C.map((row, x) => row.map((c, y) => c - a * v[x] * v[y])) };
  }

  const apart = (m, i, j) => {
    const se = errors(m);
    return Math.abs(m.theta[i] - m.theta[j]) > Z * (se[i] + se[j]);
  };

  // Votes between i and j (at the fitted odds) until their intervals part:
  // a number, or Infinity when the scores are too close to part within 10^6.
  function separate(m, i, j) {
    if (apart(m, i, j)) return 0;
    let hi = 1;
    while (!apart(addVotes(m, i, j, hi), i, j)) { hi *= 2; if (hi > 1e6) return Infinity; }
    let lo = hi / 2;
    while (hi - lo > 1) { const mid = Math.floor((lo + hi) / 2); if (apart(addVotes(m, i, j, mid), i, j)) hi = mid; else lo = mid; }
    return hi;
  }

  const overlap = (a, b) => a.low <= b.high && b.low <= a.high;
  const near = (x, y) => Math.abs(x - y) < 1e-9;

  // The ranking, best first. A row: variant, score (log-strength, mean 0),
  // low and high (the 95% interval), chance (of beating another variant),
  // wins, ties, losses, votes (comparisons it was in), versus (votes with
  // each other variant, by name), confident (its
  // interval clear of every other: its place is settled) and needed (an
  // estimate of the votes that would settle it; Infinity: too close; left
  // out with opts.needed false).
  function rank(votes, names, opts) {
    const k = names.length, W = tallies(votes, names);
    const theta = fit(W, k, 1), model = curvature(W, k, theta, 1), se = errors(model);
    const rows = names.map((name, i) => {
      let chance = 0.5;
      if (k > 1) { chance = 0; for (let j = 0; j < k; j++) if (j !== i) chance += win(theta[i], theta[j]) / (k - 1); }
      return { variant: name, index: i, score: theta[i], low: theta[i] - Z * se[i], high: theta[i] + Z * se[i],
        se: se[i], chance: chance, wins: 0, ties: 0, losses: 0, votes: 0 };
    });
    count(votes, rows);
    rows.sort((a, b) => b.score - a.score || a.index - b.index);
    for (const row of rows) {
      row.confident = rows.every((o) => o === row || !overlap(o, row));
      row.needed = 0;
      if (row.confident || (opts && opts.needed === false)) continue;
      // Rival by rival, the closest first, as the pair choice would go.
      let m = model;
      const rivals = rows.filter((o) => o !== row && overlap(o, row))
        .sort((a, b) => Math.abs(a.score - row.score) - Math.abs(b.score - row.score));
      for (const o of rivals) {
        const n = separate(m, row.index, o.index);
        row.needed += n;
        if (!isFinite(n)) break;
        m = addVotes(m, row.index, o.index, n);
      }
    }
    return rows;
  }

  // Each row's wins, ties, losses, votes, and votes with each other variant.
  function count(votes, rows) {
    const at = new Map(rows.map((r) => [r.variant, r]));
    for (const r of rows) { r.versus = {}; for (const o of rows) if (o !== r) r.versus[o.variant] = 0; }
    for (const v of votes) {
      const a = at.get(v.left), b = at.get(v.right);
      if (!a || !b || a === b) continue;
      a.votes++; b.votes++; a.versus[b.variant]++; b.versus[a.variant]++;
      if (v.choice === 'left') { a.wins++; b.losses++; } else if (v.choice === 'right') { b.wins++; a.losses++; } else { a.ties++; b.ties++; }
    }
  }

  // Before any vote: the votes that would part two of `count` variants if
  // one beat the other `odds` to 1: the first round (WARMUP votes each),
  // then votes between the two until their intervals part.
  function firstEstimate(count, odds) {
    const d = Math.log(odds || 2), theta = new Array(count).fill(0);
    theta[0] = d / 2; theta[1] = -d / 2;
    return Math.ceil(count * WARMUP / 2) + separate(curvature(new Float64Array(count * count), count, theta, 1), 0, 1);
  }

  // The pair of variants whose vote decides most, from rank()'s rows: two
  // names, or null. can(a, b) says whether a pair has clips to show; rand()
  // breaks ties.
  //  1. until every variant has WARMUP votes: the least judged pair;
  //  2. while a variant has met the leader fewer times than the square
  //     root of all votes: the leader against the one that met it least
  //     (so none is written off on a few unlucky votes);
  //  3. the first variant (best first) whose interval, widened WIDE times,
  //     overlaps another's so widened, against the rival whose widened
  //     interval reaches highest;
  //  4. every place settled: the least judged pair.
  function choose(rows, can, rand) {
    const ok = (a, b) => a !== b && (!can || can(a.variant, b.variant));
    const pick = (list) => list[Math.floor(rand() * list.length)];
    const pairs = [];
    for (let x = 0; x < rows.length; x++) for (let y = x + 1; y < rows.length; y++) if (ok(rows[x], rows[y])) pairs.push([rows[x], rows[y]]);
    if (!pairs.length) return null;
    const leastJudged = (list) => {
      const least = Math.min(...list.map(([a, b]) => a.votes + b.votes));
      const p = pick(list.filter(([a, b]) => a.votes + b.votes === least));
      return [p[0].variant, p[1].variant];
    };
    const fewest = Math.min(...rows.map((r) => r.votes));
    if (fewest < WARMUP) return leastJudged(pairs.filter(([a, b]) => a.votes === fewest || b.votes === fewest));
    const lead = rows.find((r) => pairs.some((p) => p.includes(r)));
    const floor = Math.sqrt(rows.reduce((s, r) => s + r.votes, 0) / 2), met = (r) => r.versus[lead.variant];
    const behind = rows.filter((r) => ok(lead, r) && met(r) < floor);
    if (behind.length) {
      const least = Math.min(...behind.map(met));
      return [lead.variant, pick(behind.filter((r) => met(r) === least)).variant];
    }
    const lo = (r) => r.score - WIDE * (r.score - r.low), hi = (r) => r.score + WIDE * (r.high - r.score);
    const rivalsOf = (a) => rows.filter((b) => ok(a, b) && lo(a) <= hi(b) && lo(b) <= hi(a));
    const open = rows.filter((a) => rivalsOf(a).length);
    if (!open.length) return leastJudged(pairs);
    // Equal scores (as with votes that say nothing yet) are drawn at random.
    const a = pick(open.filter((r) => near(r.score, open[0].score)));
    const rivals = rivalsOf(a), top = Math.max(...rivals.map(hi));
    return [a.variant, pick(rivals.filter((b) => near(hi(b), top))).variant];
  }

  // The next pair for one judge: the variants from choose(), shown on the
  // cell and sample where this judge has seen that pair least, then where
  // they have seen anything least (never the pair just shown, if there is
  // another), left and right drawn at random. slots: {cell, sample, a, b}
  // for each pair of clips there is (a pair whose only clips were just shown
  // waits a turn, so a skip moves on); seen: what this judge has judged or
  // skipped ({cell, sample, left, right}); current: the pair shown or null.
  const slotKey = (cell, sample) => cell + '\u0000' + sample;
  const pairKey = (cell, sample, a, b) => slotKey(cell, sample) + '\u0000' + [a, b].sort().join('\u0000');
  function nextPair(votes, names, slots, seen, current, rand) {
    if (!slots.length) return null;
    const key = (a, b) => [a, b].sort().join('\u0000');
    const shown = current && pairKey(current.cell, current.sample, current.left, current.right);
    // A pair of variants whose only clips are those just shown waits a turn.
    const only = current && slots.filter((s) => key(s.a, s.b) === key(current.left, current.right)).length === 1 &&
      slots.length > 1 ? key(current.left, current.right) : null;
    const can = new Set(slots.map((s) => key(s.a, s.b)).filter((k) => k !== only));
    const rows = rank(votes, names);
    const pair = choose(rows, (a, b) => can.has(key(a, b)), rand);
    const mine = new Map(), onSlot = new Map();
    for (const v of seen) {
      const p = pairKey(v.cell, v.sample, v.left, v.right), s = slotKey(v.cell, v.sample);
      mine.set(p, (mine.get(p) || 0) + 1); onSlot.set(s, (onSlot.get(s) || 0) + 1);
    }
    let options = slots.filter((s) => key(s.a, s.b) === key(pair[0], pair[1]));
    if (options.length > 1) options = options.filter((s) => pairKey(s.cell, s.sample, s.a, s.b) !== shown);
    const cost = (s) => [mine.get(pairKey(s.cell, s.sample, s.a, s.b)) || 0, onSlot.get(slotKey(s.cell, s.sample)) || 0];
    let best = [Infinity, Infinity];
    for (const s of options) { const c = cost(s); if (c[0] < best[0] || (c[0] === best[0] && c[1] < best[1])) best = c; }
    const at = options.filter((s) => cost(s)[0] === best[0] && cost(s)[1] === best[1]);
    const s = at[Math.floor(rand() * at.length)];
    const flip = rand() < 0.5;
    return { cell: s.cell, sample: s.sample, left: flip ? pair[1] : pair[0], right: flip ? pair[0] : pair[1] };
  }

  return { mulberry32: mulberry32, bradleyTerry: bradleyTerry, rank: rank, choose: choose, nextPair: nextPair,
    firstEstimate: firstEstimate, Z: Z, WARMUP: WARMUP, WIDE: WIDE };
})();
]==]

return M
