-- hh.report_judge: the part of report.html's script that judges: votes
-- (this browser's in localStorage, the run's from votes.jsonl), the
-- Bradley-Terry ranking with bootstrap intervals, and blind pairs. It is
-- inlined inside hh.report_assets' script and shares its scope (h, figure,
-- slots, variants, attach, transport).

local M = {}

M.js = [==[
  // --- votes: this browser's (localStorage) and the run's (votes.jsonl)
  // Keyed by the run directory's id: another run of the same recipe has the
  // same name and cells but other videos.
  const STORE = 'hh-report:' + (DATA.run.id || DATA.run.name) + ':votes';
  const JUDGE = 'hh-report:judge';
  function storage() { try { return window.localStorage; } catch (e) { return null; } }
  function localVotes() {
    const s = storage();
    try { return JSON.parse((s && s.getItem(STORE)) || '[]'); } catch (e) { return []; }
  }
  function saveLocal(list) { const s = storage(); if (s) s.setItem(STORE, JSON.stringify(list)); }
  function judgeId() {
    const s = storage();
    let id = s && s.getItem(JUDGE);
    if (!id) {
      id = 'judge-' + Math.random().toString(16).slice(2, 8);
      if (s) s.setItem(JUDGE, id);
    }
    return id;
  }
  const voteKey = (v) => [v.judge, v.time, v.cell, v.sample, v.left, v.right].join('\u0000');
  const thisRun = (v) => !v.run_id || !DATA.run.id || v.run_id === DATA.run.id;

  // Committed and local votes, each counted once, on variants of this run.
  function allVotes() {
    const seen = new Map();
    for (const v of DATA.votes.concat(localVotes().filter(thisRun))) if (!seen.has(voteKey(v))) seen.set(voteKey(v), v);
    return [...seen.values()].filter((v) => variants.includes(v.left) && variants.includes(v.right));
  }

  // --- Bradley-Terry: P(i beats j) = p_i / (p_i + p_j), fitted by Hunter's
  // MM algorithm; a tie is half a win each; one virtual tie between every
  // pair keeps strengths finite. Returns log-strengths with mean 0.
  function bradleyTerry(votes, names, prior) {
    const k = names.length, index = new Map(names.map((n, i) => [n, i]));
    const wins = new Float64Array(k), n = names.map(() => new Float64Array(k));
    const w = prior === undefined ? 1 : prior;
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) { n[i][j] += w; n[j][i] += w; wins[i] += w / 2; wins[j] += w / 2; }
    }
    for (const v of votes) {
      const i = index.get(v.left), j = index.get(v.right);
      if (i === undefined || j === undefined || i === j) continue;
      n[i][j] += 1; n[j][i] += 1;
      if (v.choice === 'left') wins[i] += 1;
      else if (v.choice === 'right') wins[j] += 1;
      else { wins[i] += 0.5; wins[j] += 0.5; }
    }
    let p = new Float64Array(k).fill(1);
    for (let iter = 0; iter < 1000; iter++) {
      const next = new Float64Array(k);
      for (let i = 0; i < k; i++) {
        let d = 0;
        for (let j = 0; j < k; j++) if (j !== i && n[i][j] > 0) d += n[i][j] / (p[i] + p[j]);
        next[i] = d > 0 && wins[i] > 0 ? wins[i] / d : (d > 0 ? 1e-9 : 1);
      }
      let logmean = 0;
      for (let i = 0; i < k; i++) logmean += Math.log(next[i]) / k;
      let change = 0;
      for (let i = 0; i < k; i++) {
        next[i] /= Math.exp(logmean);
        change = Math.max(change, Math.abs(Math.log(next[i] / p[i])));
      }
      p = next;
      if (change < 1e-10) break;
    }
    return Array.from(p, Math.log);
  }

  // A small seeded generator, so the same votes give the same intervals.
  function mulberry32(seed) {
    return function () {
      seed = (seed + 0x6D2B79F5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // Scores, 95% intervals (bootstrap over votes) and tallies, best first.
  function rank(votes, names, rounds) {
    const theta = bradleyTerry(votes, names);
    const B = rounds === undefined ? 200 : rounds;
    const boot = names.map(() => []);
    if (votes.length > 0) {
      const rand = mulberry32(votes.length * 7919 + names.length);
      for (let b = 0; b < B; b++) {
        const sample = [];
        for (let i = 0; i < votes.length; i++) sample.push(votes[Math.floor(rand() * votes.length)]);
        bradleyTerry(sample, names).forEach((t, i) => boot[i].push(t));
      }
    }
    const quantile = (list, q) => {
      const s = list.slice().sort((a, b) => a - b);
      return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
    };
    const rows = names.map((name, i) => {
      const tally = { wins: 0, ties: 0, losses: 0 };
      for (const v of votes) {
        if (v.left !== name && v.right !== name) continue;
        if (v.choice === 'tie') tally.ties++;
        else if ((v.choice === 'left') === (v.left === name)) tally.wins++;
        else tally.losses++;
      }
      let chance = 0;
      for (let j = 0; j < names.length; j++) {
        if (j !== i) chance += 1 / (1 + Math.exp(theta[j] - theta[i])) / (names.length - 1);
      }
      return Object.assign({ variant: name, score: theta[i], chance: names.length > 1 ? chance : 0.5,
        low: boot[i].length ? quantile(boot[i], 0.025) : theta[i],
        high: boot[i].length ? quantile(boot[i], 0.975) : theta[i] }, tally);
    });
    return rows.sort((a, b) => b.score - a.score);
  }

  // --- blind judging
  const pairs = [];
  for (const c of cells) {
    for (const s of samples) {
      const ok = variants.filter((v) => {
        const e = slots.get(slotKey(c, v, s));
        return e && e.job.state === 'done' && e.job.file;
      });
      for (let i = 0; i < ok.length; i++) {
        for (let j = i + 1; j < ok.length; j++) pairs.push({ cell: c, sample: Number(s), a: ok[i], b: ok[j] });
      }
    }
  }
  const pairKey = (cell, sample, a, b) => [cell, sample].concat([a, b].sort()).join('\u0000');
  let current = null;

  function nextPair() {
    if (!pairs.length) return null;
    const me = judgeId(), count = new Map();
    for (const v of localVotes()) {
      if (v.judge !== me) continue;
      const k = pairKey(v.cell, v.sample, v.left, v.right);
      count.set(k, (count.get(k) || 0) + 1);
    }
    const seen = (p) => count.get(pairKey(p.cell, p.sample, p.a, p.b)) || 0;
    let pool = pairs.filter((p) => !current || pairKey(p.cell, p.sample, p.a, p.b) !==
      pairKey(current.cell, current.sample, current.left, current.right));
    if (!pool.length) pool = pairs;
    const least = Math.min(...pool.map(seen));
    pool = pool.filter((p) => seen(p) === least);
    const p = pool[Math.floor(Math.random() * pool.length)];
    const flip = Math.random() < 0.5;
    return { cell: p.cell, sample: p.sample, left: flip ? p.b : p.a, right: flip ? p.a : p.b };
  }

  function vote(choice) {
    if (!current) return;
    if (choice !== 'skip') {
      const list = localVotes();
      list.push({ run: DATA.run.name, run_id: DATA.run.id, cell: current.cell, sample: current.sample, left: current.left,
        right: current.right, choice: choice, judge: judgeId(), time: new Date().toISOString() });
      saveLocal(list);
    }
    current = nextPair();
    renderJudge();
  }

  function exportVotes() {
    const list = localVotes();
    const text = list.map((v) => JSON.stringify(v)).join('\n') + (list.length ? '\n' : '');
    const a = h('a', { href: URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' })),
      download: (DATA.run.name + '-votes-' + judgeId()).replace(/[^\w.-]+/g, '_') + '.jsonl' });
    document.body.append(a);
    a.click();
    a.remove();
  }

  function rankingTable(rows) {
    const lo = Math.min(-1, ...rows.map((r) => r.low)), hi = Math.max(1, ...rows.map((r) => r.high));
    const pos = (x) => (100 * (x - lo) / (hi - lo)).toFixed(1) + '%';
    const body = rows.map((r, i) => {
      const ci = h('div', { class: 'ci', title: 'score ' + r.score.toFixed(2) + ', 95% interval ' +
        r.low.toFixed(2) + ' to ' + r.high.toFixed(2) });
      const span = h('span');
      span.style.left = pos(r.low); span.style.width = 'calc(' + pos(r.high) + ' - ' + pos(r.low) + ')';
      const dot = h('i');
      dot.style.left = pos(r.score);
      ci.append(span, dot);
      return h('tr', { 'data-variant': r.variant }, [h('td', { class: 'num' }, String(i + 1)), h('td', {}, r.variant),
        h('td', { class: 'num score' }, r.score.toFixed(2)),
        h('td', { class: 'num' }, r.low.toFixed(2) + ' to ' + r.high.toFixed(2)), h('td', {}, ci),
        h('td', { class: 'num' }, Math.round(100 * r.chance) + '%'),
        h('td', { class: 'num wins' }, String(r.wins)), h('td', { class: 'num ties' }, String(r.ties)),
        h('td', { class: 'num losses' }, String(r.losses))]);
    });
    return h('table', { class: 'ranking' }, [h('thead', {}, h('tr', {}, ['#', 'variant', 'score', '95% interval', '',
      'beats others', 'wins', 'ties', 'losses'].map((t) => h('th', {}, t)))), h('tbody', {}, body)]);
  }

  function renderJudge() {
    const sec = $('#judge');
    sec.replaceChildren();
    if (!pairs.length) {
      sec.append(h('p', {}, 'Blind judging needs two or more variants done for the same cell and sample; ' +
        'this run has ' + variants.length + ' variant' + (variants.length === 1 ? '' : 's') + '.'));
      attach([]);
      return;
    }
    if (!current) current = nextPair();
    const idInput = h('input', { value: judgeId(), size: 14, 'aria-label': 'judge' });
    idInput.addEventListener('change', () => {
      const s = storage();
      if (s && idInput.value.trim()) s.setItem(JUDGE, idInput.value.trim().slice(0, 100));
    });
    const mine = localVotes();
    const votes = allVotes();
    sec.append(h('div', { class: 'bar' }, [h('label', {}, ['judge ', idInput]),
      h('span', { class: 'counts' }, pairs.length + ' pairs; ' + mine.length + ' votes in this browser, ' +
        DATA.votes.length + ' in votes.jsonl, ' + votes.length + ' counted'),
      h('button', { class: 'export', on: { click: exportVotes } }, 'Export votes (JSON lines)')]));
    sec.append(transport());
    const sides = ['left', 'right'].map((side) => {
      const e = slots.get(slotKey(current.cell, current[side], current.sample));
      const fig = figure(e, { blind: true });
      fig.classList.add(side);
      fig.prepend(h('b', {}, side === 'left' ? 'Left' : 'Right'));
      return fig;
    });
    const pair = h('div', { class: 'pair', 'data-cell': current.cell, 'data-sample': current.sample }, sides);
    sec.append(pair, h('div', { class: 'bar choices' }, [
      h('button', { 'data-choice': 'left', on: { click: () => vote('left') } }, ['left is better ', h('kbd', {}, '\u2190')]),
      h('button', { 'data-choice': 'tie', on: { click: () => vote('tie') } }, ['tie ', h('kbd', {}, 't')]),
      h('button', { 'data-choice': 'skip', on: { click: () => vote('skip') } }, ['skip ', h('kbd', {}, 's')]),
      h('button', { 'data-choice': 'right', on: { click: () => vote('right') } }, ['right is better ', h('kbd', {}, '\u2192')]),
    ]));
    sec.append(h('h2', {}, 'Ranking (Bradley\u2013Terry)'), rankingTable(rank(votes, variants)),
      h('p', { class: 'note' }, 'Score: log-strength, 0 is average; a variant with score s beats one with ' +
        'score r with probability 1/(1+e^(r-s)). Ties count half a win each. Intervals: 95%, bootstrap over ' +
        'votes. The pair is chosen among those you judged least; left and right are drawn at random.'));
    attach([...pair.querySelectorAll('video')]);
  }

  document.addEventListener('keydown', (e) => {
    if (e.target.closest && e.target.closest('input, select, textarea')) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (view === 'judge') {
      const choice = { ArrowLeft: 'left', ArrowRight: 'right', t: 'tie', s: 'skip' }[e.key];
      if (choice) { e.preventDefault(); vote(choice); return; }
    }
    if (e.key === ' ' && view !== 'failures' && !(e.target.closest && e.target.closest('button'))) {
      e.preventDefault();
      toggle();
    }
  });

]==]

return M
