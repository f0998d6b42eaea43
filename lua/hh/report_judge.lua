-- hh.report_judge: the part of report.html's script that judges: votes
-- (this browser's in localStorage, the run's from votes.jsonl), blind pairs
-- chosen where a vote decides most, and the ranking (its own view, the only
-- one that names the variants). The statistics are hh.report_rank's, put in
-- front; it is inlined inside hh.report_assets' script and shares its scope
-- (h, figure, slots, entries, variants, attach, transport; it gives it rank,
-- bradleyTerry, allVotes).

local M = {}

M.js = require("hh.report_rank").js .. [==[
  const bradleyTerry = hhRank.bradleyTerry, rank = hhRank.rank;

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

  // --- blind judging: the pairs of clips there are, each clip by its
  // blind name (blind/<sha256>.mp4, from hh.report_blind).
  const pairs = [];
  for (const c of cells) {
    for (const s of samples) {
      const ok = variants.filter((v) => {
        const e = slots.get(slotKey(c, v, s));
        return e && e.job.state === 'done' && e.job.file && e.job.blind;
      });
      for (let i = 0; i < ok.length; i++) {
        for (let j = i + 1; j < ok.length; j++) pairs.push({ cell: c, sample: Number(s), a: ok[i], b: ok[j] });
      }
    }
  }
  const unlinked = entries.filter((e) => e.job.state === 'done' && e.job.file && !e.job.blind).length;
  const skipped = []; // pairs skipped in this page, seen for the balance
  let current = null;

  // What this judge has seen: their votes in this browser and their skips.
  function seenByMe() {
    const me = judgeId();
    return localVotes().filter((v) => v.judge === me).concat(skipped.filter((v) => v.judge === me));
  }
  function nextPair() {
    return hhRank.nextPair(allVotes(), variants, pairs, seenByMe(), current, Math.random);
  }

  function vote(choice) {
    if (!current) return;
    const v = { run: DATA.run.name, run_id: DATA.run.id, cell: current.cell, sample: current.sample, left: current.left,
      right: current.right, choice: choice, judge: judgeId(), time: new Date().toISOString() };
    if (choice === 'skip') skipped.push(v);
    else { const list = localVotes(); list.push(v); saveLocal(list); }
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

  const ordinal = (n) => n + (n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] || 'th');
  const votesText = (n) => (n === 1 ? '1 vote' : n + ' votes');
  const moreVotes = (n) => (n === 1 ? '1 more vote' : n + ' more votes');
  // What a row's place still needs, in words.
  function toSettle(row) {
    if (row.confident) return 'settled';
    if (!isFinite(row.needed) || row.needed > 100000) return 'too close to call';
    return 'about ' + moreVotes(row.needed);
  }
  // Before any vote: the estimate for the first two places.
  function firstWords() {
    return 'No votes yet: about ' + votesText(hhRank.firstEstimate(variants.length, 2)) + ' would part the first ' +
      'two if one beat the other 2 times in 3.';
  }

  function rankingTable(rows, none) {
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
      return h('tr', { 'data-variant': r.variant, class: r.confident ? 'settled' : null }, [
        h('td', { class: 'num place' }, none ? '\u2013' : ordinal(i + 1)), h('td', {}, r.variant),
        h('td', { class: 'num score' }, r.score.toFixed(2)),
        h('td', { class: 'num' }, r.low.toFixed(2) + ' to ' + r.high.toFixed(2)), h('td', {}, ci),
        h('td', { class: 'num' }, Math.round(100 * r.chance) + '%'),
        h('td', { class: 'num wins' }, String(r.wins)), h('td', { class: 'num ties' }, String(r.ties)),
        h('td', { class: 'num losses' }, String(r.losses)),
        h('td', { class: 'needed' }, none ? 'no votes yet' : toSettle(r))]);
    });
    return h('table', { class: 'ranking' }, [h('thead', {}, h('tr', {}, ['place', 'variant', 'score', '95% interval', '',
      'beats others', 'wins', 'ties', 'losses', 'to settle its place'].map((t) => h('th', {}, t)))), h('tbody', {}, body)]);
  }

  // --- the ranking, with the variants' names: a view of its own, so the
  // judging view names none.
  function renderRanking() {
    const sec = $('#ranking');
    sec.replaceChildren();
    attach([]);
    const votes = allVotes();
    const rows = rank(votes, variants);
    sec.append(h('h2', {}, 'Ranking (Bradley\u2013Terry)'),
      h('p', { class: 'summary' }, votes.length ? votesText(votes.length) + ' counted (' + DATA.votes.length +
        ' in votes.jsonl, ' + localVotes().length + ' in this browser).' : firstWords() +
        ' The order below is the recipe\u2019s, not a ranking.'),
      rankingTable(rows, !votes.length),
      h('p', { class: 'note' }, 'Score: log-strength, 0 is average; a variant with score s beats one with ' +
        'score r with probability 1/(1+e^(r-s)). Ties count half a win each. Intervals: 95%, from the curvature ' +
        'of the likelihood. A place is settled when its interval is clear of every other; the votes it still ' +
        'needs are an estimate, at the odds seen so far.'));
  }

  function renderJudge() {
    const sec = $('#judge');
    sec.replaceChildren();
    if (!pairs.length) {
      sec.append(h('p', {}, 'Blind judging needs two or more variants done for the same cell and sample; ' +
        'this run has ' + variants.length + ' variant' + (variants.length === 1 ? '' : 's') + '.'));
      if (unlinked) sec.append(h('p', { class: 'note' }, unlinked + ' clips have no blind name (see what hh report said).'));
      attach([]);
      return;
    }
    if (!current) current = nextPair();
    const idInput = h('input', { value: judgeId(), size: 14, 'aria-label': 'judge' });
    idInput.addEventListener('change', () => {
      const s = storage();
      if (s && idInput.value.trim()) s.setItem(JUDGE, idInput.value.trim().slice(0, 100));
      current = nextPair();
      renderJudge();
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
    const pair = h('div', { class: 'pair' }, sides);
    sec.append(pair, h('div', { class: 'bar choices' }, [
      h('button', { 'data-choice': 'left', on: { click: () => vote('left') } }, ['left is better ', h('kbd', {}, '\u2190')]),
      h('button', { 'data-choice': 'tie', on: { click: () => vote('tie') } }, ['tie ', h('kbd', {}, 't')]),
      h('button', { 'data-choice': 'skip', on: { click: () => vote('skip') } }, ['skip ', h('kbd', {}, 's')]),
      h('button', { 'data-choice': 'right', on: { click: () => vote('right') } }, ['right is better ', h('kbd', {}, '\u2192')]),
    ]));
    const top = rank(votes, variants)[0];
    sec.append(h('p', { class: 'progress' }, !votes.length ? firstWords() : top.confident
      ? '1st place is settled; the votes now go to the places below it.'
      : isFinite(top.needed) && top.needed <= 100000 ? '1st place: about ' + moreVotes(top.needed) + ' to settle it.'
        : '1st place: too close to call yet.'),
      h('p', { class: 'note' }, 'Each pair is the one whose vote decides most: the leader against the rival ' +
        'that could still pass it, shown on the cell and sample you have seen least, its sides drawn at random. ' +
        'The names and the ranking are under Ranking.'));
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
