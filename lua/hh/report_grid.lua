-- hh.report_grid: the part of report.html's script that lays out the grid
-- on the axes hh.report_axes chose (DATA.grid): the filters (state,
-- flagged by checks, text in the prompt), the sorts, and the grid and list
-- layouts. It is inlined inside hh.report_assets' script and shares its scope
-- (h, figure, entries, attach, transport, select; rank and allVotes of
-- hh.report_judge).

local M = {}

M.js = [==[
  // --- the axes a grid lays out, as hh.report_axes made them (DATA.grid):
  // the recipe's as written (a zip group or the rows block is one axis, its
  // values keyed "a=1, b=x"; the rows block's value is "sweep" for the grid's
  // own cells), then variant and sample. Each job has the index of its value
  // on every axis (job.ax).
  const DOT = ' \u00b7 ';
  const axes = DATA.grid.axes.map((a, i) => {
    const labels = new Map(a.values.map((v, j) => [v, a.labels[j]]));
    return { name: a.name, kind: a.kind, label: a.label, members: a.members, rows: !!a.rows, values: a.values.slice(),
      of: (job) => a.values[job.ax[i]], valueLabel: (k) => (labels.has(k) ? labels.get(k) : k) };
  });
  const axis = (name) => axes.find((a) => a.name === name);
  const variants = axis('variant').values;
  const recipeAxes = axes.filter((a) => a.kind === 'recipe');
  // A job, or its cell, named by the values of the axes that vary (the rows
  // block's but for a rows-only recipe: its cells have values on the others).
  const named = (list, job) => list.filter((a) => a.values.length > 1 && !(a.rows && recipeAxes.length > 1))
    .map((a) => a.name + ' ' + a.valueLabel(a.of(job))).join(', ');
  const describe = (job) => named(axes, job);
  const cellLabel = (job) => named(recipeAxes, job) || job.cell;

  // --- which axes the grid opens on
  const grid = { x: null, y: null, page: {}, state: '', flaggedOnly: false, text: '', sort: '', desc: true, layout: 'grid' };
  [grid.x, grid.y] = [DATA.grid.x, DATA.grid.y];
  const pageKey = (job, pageAxes) => pageAxes.map((a) => a.of(job)).join('\u0000');

  // --- filters and sorts
  const filtering = () => !!(grid.state || grid.flaggedOnly || grid.text.trim());
  function matches(e) {
    const job = e.job;
    if (grid.state === '!done' ? job.state === 'done' : grid.state && job.state !== grid.state) return false;
    if (grid.flaggedOnly && !flaggedOf(job)) return false;
    const words = grid.text.toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length) {
      const t = promptOf(job).toLowerCase();
      if (!words.every((w) => t.includes(w))) return false;
    }
    return true;
  }
  const paramNames = uniq(entries.flatMap((e) => Object.keys(e.job.params).concat(Object.keys(e.job.cell_values)))).sort();
  const SORTS = [{ id: '', label: 'recipe order' }, { id: 'credits', label: 'credits', desc: true },
    { id: 'seconds', label: 'render time (s)', desc: true }]
    .concat(variants.length > 1 ? [{ id: 'rank', label: 'rank (Bradley\u2013Terry)', desc: true }] : [])
    .concat(paramNames.map((k) => ({ id: 'param:' + k, label: k, desc: false })));
  const sortOf = (id) => SORTS.find((s) => s.id === id) || SORTS[0];
  function paramOf(job, k) {
    const v = k in job.params ? job.params[k] : job.cell_values[k];
    return v === undefined || v === null ? undefined : typeof v === 'object' ? JSON.stringify(v) : v;
  }
  // The sort key of a job, or null for the recipe's order.
  function sortKey() {
    const id = grid.sort;
    if (!id) return null;
    if (id === 'credits') return (job) => job.credits;
    if (id === 'seconds') return (job) => job.seconds;
    if (id === 'rank') {
      const score = new Map(rank(allVotes(), variants, 0).map((r) => [r.variant, r.score]));
      return (job) => score.get(job.variant);
    }
    const k = id.slice(6);
    return (job) => paramOf(job, k);
  }
  const missing = (v) => v === undefined || v === null || (typeof v === 'number' && isNaN(v));
  // Missing values last whichever the direction.
  function compareKeys(a, b) {
    if (missing(a) || missing(b)) return missing(a) === missing(b) ? 0 : missing(a) ? 1 : -1;
    const c = typeof a === 'number' && typeof b === 'number' ? a - b
      : String(a).localeCompare(String(b), undefined, { numeric: true });
    return grid.desc ? -c : c;
  }
  // A row's or column's key: the mean of its jobs' keys when they are numbers,
  // else the one that sorts first.
  function lineKey(list, key) {
    const vals = list.map((e) => key(e.job)).filter((v) => !missing(v));
    if (!vals.length) return undefined;
    if (vals.every((v) => typeof v === 'number')) return vals.reduce((s, v) => s + v, 0) / vals.length;
    return vals.sort(compareKeys)[0];
  }
  function orderLines(values, groups, key) {
    if (!key) return values;
    const k = new Map(values.map((v) => [v, lineKey(groups.get(v) || [], key)]));
    return values.map((v, i) => [v, i]).sort((a, b) => compareKeys(k.get(a[0]), k.get(b[0])) || a[1] - b[1]).map((p) => p[0]);
  }

  // --- the grid: two axes laid out, the others as pages; or a list
  const pageAxesOf = () => axes.filter((a) => a.name !== grid.x && a.name !== grid.y && a.values.length > 1);
  const onPage = (e, pageAxes) => pageAxes.every((a) => a.of(e.job) === grid.page[a.name]);
  // A page with jobs on it: the chosen one, else the first with the value
  // just chosen, else the first.
  function settlePage(pageAxes, changed) {
    for (const a of pageAxes) if (!a.values.includes(grid.page[a.name])) grid.page[a.name] = a.values[0];
    if (entries.some((e) => onPage(e, pageAxes))) return;
    const e = entries.find((x) => !changed || changed.of(x.job) === grid.page[changed.name]) || entries[0];
    if (e) for (const a of pageAxes) grid.page[a.name] = a.of(e.job);
  }

  function renderGrid(changed) {
    const sec = $('#grid');
    sec.replaceChildren();
    const axisOptions = axes.map((a) => ({ value: a.name, label: a.label + DOT + a.values.length }));
    const setAxis = (which, other) => (name) => {
      if (grid[other] === name) grid[other] = grid[which];
      grid[which] = name;
      renderGrid();
    };
    const pageAxes = pageAxesOf();
    settlePage(pageAxes, changed);
    const layoutBar = h('div', { class: 'bar axes', hidden: grid.layout === 'list' }, [
      select('columns', axisOptions, grid.x, setAxis('x', 'y')),
      select('rows', axisOptions, grid.y, setAxis('y', 'x'))]);
    // A page axis lists its values in the sort's order too (the variants
    // best first when sorted by rank).
    const key = sortKey(), matching = entries.filter(matches);
    for (const a of pageAxes) {
      const groups = new Map();
      for (const e of matching) {
        const v = a.of(e.job);
        if (!groups.has(v)) groups.set(v, []);
        groups.get(v).push(e);
      }
      layoutBar.append(select(a.label, orderLines(a.values, groups, key).map((v) => ({ value: v, label: a.valueLabel(v) })),
        grid.page[a.name], (v) => { grid.page[a.name] = v; renderGrid(a); }));
    }
    const pages = new Set(entries.map((e) => pageKey(e.job, pageAxes))).size;
    layoutBar.append(h('span', { class: 'note' }, pages > 1 ? pages + ' pages' : 'one page'));
    layoutBar.append(gridImageButton());

    const states = new Map();
    for (const e of entries) states.set(e.job.state, (states.get(e.job.state) || 0) + 1);
    const notDone = entries.length - (states.get('done') || 0);
    const stateOptions = [{ value: '', label: 'every state (' + entries.length + ')' }]
      .concat([...states].map(([s, n]) => ({ value: s, label: s + ' (' + n + ')' })))
      .concat(notDone && states.size > 2 ? [{ value: '!done', label: 'not done (' + notDone + ')' }] : []);
    const nflagged = entries.filter((e) => flaggedOf(e.job)).length;
    const search = h('input', { type: 'search', class: 'search', value: grid.text, placeholder: 'text in the prompt',
      'aria-label': 'search prompts', size: 18 });
    // Re-laid a moment after the last key, not at every key of a word.
    search.addEventListener('input', () => {
      clearTimeout(grid.typing);
      grid.typing = setTimeout(() => { grid.text = search.value; renderBody(); }, 150);
    });
    const sort = sortOf(grid.sort);
    const words = textual(sort);
    const filterBar = h('div', { class: 'bar filters' }, [
      select('show', stateOptions, grid.state, (v) => { grid.state = v; renderGrid(); }),
      h('label', { title: 'clips the media checks flagged, or could not check' }, [h('input', { type: 'checkbox',
        class: 'flagged-only', checked: grid.flaggedOnly,
        on: { change: (e) => { grid.flaggedOnly = e.target.checked; renderGrid(); } } }), ' flagged only (' + nflagged + ')']),
      h('label', {}, ['find ', search]),
      select('sort', SORTS.map((s) => ({ value: s.id, label: s.label })), grid.sort,
        (v) => { grid.sort = v; grid.desc = sortOf(v).desc; renderGrid(); }),
      sort.id ? select('order', [{ value: 'desc', label: words ? 'Z to A' : 'highest first' },
        { value: 'asc', label: words ? 'A to Z' : 'lowest first' }], grid.desc ? 'desc' : 'asc',
      (v) => { grid.desc = v === 'desc'; renderGrid(); }) : null,
      select('layout', [{ value: 'grid', label: 'grid' }, { value: 'list', label: 'list (every page)' }], grid.layout,
        (v) => { grid.layout = v; renderGrid(); }),
      h('span', { class: 'note matches' })]);
    sec.append(layoutBar, filterBar, transport(), h('div', { class: 'body' }));
    renderBody();
  }

  function renderBody() {
    const body = $('#grid .body');
    body.replaceChildren();
    body.dataset.find = grid.text;
    const key = sortKey();
    const sort = sortOf(grid.sort);
    const order = !key ? '' : textual(sort) ? (grid.desc ? ', Z to A' : ', A to Z') : (grid.desc ? ', highest first' : ', lowest first');
    const matching = entries.filter(matches);
    $('#grid .matches').textContent = filtering() ? matching.length + ' of ' + entries.length + ' jobs match' : '';
    if (grid.layout === 'list') {
      const list = key ? matching.map((e, i) => [e, i]).sort((a, b) => compareKeys(key(a[0].job), key(b[0].job)) || a[1] - b[1])
        .map((p) => p[0]) : matching;
      if (key) body.append(h('p', { class: 'note' }, 'Every page, ordered by ' + sort.label + order + '.'));
      const box = h('div', { class: 'list' }, list.map((e) => figure(e, { label: describe(e.job) })));
      body.append(box);
      if (!list.length) body.append(h('p', { class: 'note' }, 'No job matches.'));
      attach([...box.querySelectorAll('video')]);
      return;
    }
    const X = axis(grid.x), Y = axis(grid.y), pageAxes = pageAxesOf();
    const page = entries.filter((e) => onPage(e, pageAxes));
    const at = new Map(), byX = new Map(), byY = new Map();
    for (const e of page) {
      const x = X.of(e.job), y = Y.of(e.job), k = x + '\u0000' + y;
      if (!at.has(k)) at.set(k, e);
      if (filtering() && !matches(e)) continue;
      if (!byX.has(x)) byX.set(x, []);
      if (!byY.has(y)) byY.set(y, []);
      byX.get(x).push(e); byY.get(y).push(e);
    }
    // The values with a job on this page (with a filter, with a match).
    const present = (A, by) => A.values.filter((v) => (filtering() ? by.has(v) : page.some((e) => A.of(e.job) === v)));
    const xs = orderLines(present(X, byX), byX, key), ys = orderLines(present(Y, byY), byY, key);
    if (key) {
      const unvoted = sort.id === 'rank' && !allVotes().length ? ' (no votes yet: every variant scores 0)' : '';
      body.append(h('p', { class: 'note sorted' }, 'Columns and rows ordered by ' + (sort.id === 'rank' ? 'the rank of their variants'
        : textual(sort) ? sort.label + ' (the first of their jobs)' : 'the mean ' + sort.label + ' of their jobs') + order + unvoted + '.'));
    }
    if (!xs.length || !ys.length) {
      const elsewhere = matching.length;
      body.append(h('p', { class: 'note nothing' }, [elsewhere ? 'Nothing on this page matches; ' + elsewhere +
        ' on other pages. ' : 'No job matches. ', elsewhere ? h('button', { class: 'as-list', on: { click: () => {
        grid.layout = 'list'; renderGrid(); } } }, 'Show them as a list') : null]));
      attach([]);
      return;
    }
    const table = h('div', { class: 'grid' });
    table.style.gridTemplateColumns = 'minmax(min-content, max-content) repeat(' + xs.length + ', minmax(var(--cell-min), 320px))';
    table.append(h('div', { class: 'head corner' }, Y.label + ' \\ ' + X.label));
    for (const x of xs) table.append(h('div', { class: 'head colhead' }, X.valueLabel(x)));
    for (const y of ys) {
      table.append(h('div', { class: 'head rowhead' }, Y.valueLabel(y)));
      for (const x of xs) {
        const e = at.get(x + '\u0000' + y);
        if (filtering() && !(e && matches(e))) table.append(h('div', { class: 'cell hidden-cell', 'data-x': x, 'data-y': y }));
        else table.append(figure(e, { x: x, y: y }));
      }
    }
    body.append(scroller(table));
    attach([...table.querySelectorAll('video')]);
  }
  const textual = (sort) => sort.id.startsWith('param:') &&
    !entries.every((e) => missing(paramOf(e.job, sort.id.slice(6))) || typeof paramOf(e.job, sort.id.slice(6)) === 'number');

  // A grid wider than the page scrolls sideways: the row names stay put, a
  // line above it and a shade on an edge say there is more.
  function scroller(table) {
    const pane = h('div', { class: 'gridscroll', tabindex: 0, 'aria-label': 'grid' }, table);
    const hint = h('p', { class: 'note scrollhint', hidden: true }, 'More columns: scroll sideways \u2192');
    const box = h('div', { class: 'gridbox' }, [pane, h('div', { class: 'shade left' }), h('div', { class: 'shade right' })]);
    const update = () => {
      const more = pane.scrollWidth - pane.clientWidth > 1;
      box.classList.toggle('more-left', more && pane.scrollLeft > 1);
      box.classList.toggle('more-right', more && pane.scrollLeft + pane.clientWidth < pane.scrollWidth - 1);
      hint.hidden = !more;
    };
    pane.addEventListener('scroll', update, { passive: true });
    if (scroller.pane) resized.unobserve(scroller.pane);
    scroller.pane = pane;
    scroller.update = update;
    resized.observe(pane);
    return h('div', {}, [hint, box]);
  }
  const resized = new ResizeObserver(() => { if (scroller.update) scroller.update(); });

]==]

return M
