-- hh.report_image: the part of report.html's script behind the grid's
-- "Grid image" button: the grid now shown (its columns, rows and page)
-- drawn on a canvas as one picture, posters and labels, laid out as hh
-- report --grid-image lays it out (hh.grid_image), and downloaded as a PNG.
-- A page opened from a file taints a canvas with the run's images in
-- Chromium; then the page says which hh report command makes the picture.
-- Inlined in hh.report_assets' script, sharing its scope (h, fileUrl, DATA,
-- grid, axis, axes (each with of(job) and valueLabel(v)), entries).

local M = {}

M.js = [==[
  // --- grid image: the grid in view as one picture
  const IMG = { cell: 320, maxWidth: 3840, maxColumns: 16, maxRows: 16, gap: 8, title: 40, head: 28,
    font: 'DejaVu Sans, Verdana, sans-serif' };

  // Text as hh prints it: control characters made visible (\n, \e, \x07,
  // \u{202e}), so a value cannot hide or reorder what the picture says.
  function visibleText(s) {
    const t = String(s).replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => {
      const n = c.charCodeAt(0);
      if (c === '\n') return '\\n';
      if (c === '\t') return '\\t';
      if (c === '\r') return '\\r';
      if (n === 27) return '\\e';
      return n < 0x80 ? '\\x' + n.toString(16).padStart(2, '0') : '\\u{' + n.toString(16) + '}';
    });
    return t === '' ? '""' : t;
  }
  // The text cut with an ellipsis to fit width pixels in the context's font.
  function fitText(ctx, s, width) {
    if (ctx.measureText(s).width <= width) return s;
    const cps = [...s];
    let lo = 0, hi = cps.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (ctx.measureText(cps.slice(0, mid).join('') + '\u2026').width <= width) lo = mid; else hi = mid - 1;
    }
    return cps.slice(0, lo).join('') + '\u2026';
  }
  function wrapText(ctx, s, width, lines) {
    const words = s.split(/\s+/).filter(Boolean);
    const out = [];
    let i = 0;
    while (i < words.length && out.length < lines - 1) {
      let line = words[i++];
      while (i < words.length && ctx.measureText(line + ' ' + words[i]).width <= width) line += ' ' + words[i++];
      out.push(line);
    }
    if (i < words.length) out.push(words.slice(i).join(' '));
    return out.map((l) => fitText(ctx, l, width));
  }

  // The grid in view: its axes, the page's fixed values, the cells.
  function gridImagePlan() {
    const X = axis(grid.x), Y = axis(grid.y);
    const pageAxes = axes.filter((a) => a !== X && a !== Y && a.values.length > 1);
    const fixed = axes.filter((a) => a !== X && a !== Y).map((a) => [a.name, grid.page[a.name] || a.values[0]]);
    const at = new Map();
    for (const e of entries) {
      if (!fixed.every(([n, v]) => axis(n).of(e.job) === v)) continue;
      const k = X.of(e.job) + '\u0000' + Y.of(e.job);
      if (!at.has(k)) at.set(k, e);
    }
    return { X: X, Y: Y, pageAxes: pageAxes, at: at,
      columns: X.values.slice(0, IMG.maxColumns), rows: Y.values.slice(0, IMG.maxRows) };
  }

  // The hh command that makes the same picture (the run directory filled in
  // when the page was opened from it).
  const shellQuote = (s) => (/^[\w./=:,@%+-]+$/.test(s) ? s : "'" + String(s).replace(/'/g, "'\\''") + "'");
  function gridImageCommand(plan) {
    let dir = 'DIR';
    if (location.protocol === 'file:') {
      const p = decodeURIComponent(location.pathname);
      dir = p.slice(0, p.lastIndexOf('/')) || '/';
    }
    const parts = ['hh', 'report', shellQuote(dir), '--grid-image', '--columns', shellQuote(plan.X.name),
      '--rows', shellQuote(plan.Y.name)];
    for (const a of plan.pageAxes) {
      parts.push('--page', shellQuote(a.name + '=' + (grid.page[a.name] || a.values[0])));
    }
    return parts.join(' ');
  }

  function loadImage(url) {
    return new Promise((resolve) => {
      const img = new Image();
      img.onload = () => resolve(img);
      img.onerror = () => resolve(null);
      img.src = url;
    });
  }

  // Draws the plan on a new canvas; resolves to it.
  async function drawGridImage(plan) {
    const g = IMG.gap;
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d');
    const font = (size, bold) => (bold ? 'bold ' : '') + size + 'px ' + IMG.font;
    const cells = [];
    for (const y of plan.rows) for (const x of plan.columns) cells.push(plan.at.get(x + '\u0000' + y));
    ctx.font = font(15, true);
    let widest = Math.max(0, ...plan.rows.map((r) => ctx.measureText(visibleText(plan.Y.valueLabel(r))).width));
    ctx.font = font(13);
    widest = Math.max(widest, ctx.measureText(visibleText(plan.Y.name + ' \\ ' + plan.X.name)).width);
    const lw = Math.min(240, Math.max(80, Math.ceil((widest + 16) / 40) * 40));
    const even = (n) => Math.max(2, Math.floor(n / 2) * 2);
    const ncol = plan.columns.length, nrow = plan.rows.length;
    const cw = even(Math.min(IMG.cell, Math.floor((IMG.maxWidth - 2 * g - lw - ncol * g) / ncol)));
    const shapes = new Map();
    let shape = 9 / 16, most = 0;
    for (const e of cells) {
      const q = e && e.job.qc;
      if (!q || !(q.width > 0) || !(q.height > 0)) continue;
      const k = q.height / q.width;
      shapes.set(k, (shapes.get(k) || 0) + 1);
      if (shapes.get(k) > most) { shape = k; most = shapes.get(k); }
    }
    const ch = even(cw * shape + 0.5);
    canvas.width = 2 * g + lw + ncol * (cw + g);
    canvas.height = IMG.title + IMG.head + g + nrow * (ch + g);
    const posters = new Map();
    for (const e of cells) {
      const q = e && e.job.state === 'done' && e.job.present && e.job.qc;
      if (q && q.poster && !posters.has(q.poster)) posters.set(q.poster, loadImage(fileUrl(q.poster)));
    }
    for (const [k, p] of posters) posters.set(k, await p);

    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.textBaseline = 'middle';
    // text clipped to its box, left-aligned or centred
    function text(s, x, y, w, h, size, colour, opts) {
      opts = opts || {};
      ctx.save();
      ctx.beginPath(); ctx.rect(x, y, w, h); ctx.clip();
      ctx.font = font(size, opts.bold);
      ctx.fillStyle = colour;
      const t = fitText(ctx, visibleText(s), w - 8);
      const tw = ctx.measureText(t).width;
      ctx.fillText(t, opts.centre ? x + Math.max(4, (w - tw) / 2) : x + 4, opts.y !== undefined ? y + opts.y : y + h / 2);
      ctx.restore();
    }
    const page = plan.pageAxes.map((a) => a.name + '=' + (grid.page[a.name] || a.values[0])).join(' \u00b7 ');
    const cut = [];
    if (plan.X.values.length > ncol) cut.push('columns 1-' + ncol + ' of ' + plan.X.values.length);
    if (plan.Y.values.length > nrow) cut.push('rows 1-' + nrow + ' of ' + plan.Y.values.length);
    const title = [String(DATA.run.name)].concat(page ? [page] : [], cut.length ? ['(' + cut.join(', ') + ')'] : []);
    text(title.join('  \u2014  '), g, 4, canvas.width - 2 * g, IMG.title - 8, 20, '#1d1f21', { bold: true });
    text(plan.Y.name + ' \\ ' + plan.X.name, g, IMG.title, lw, IMG.head, 13, '#6b7075');
    const top = IMG.title + IMG.head + g;
    plan.columns.forEach((c, i) => text(plan.X.valueLabel(c), 2 * g + lw + i * (cw + g), IMG.title, cw, IMG.head, 15, '#1d1f21',
      { bold: true, centre: true }));
    plan.rows.forEach((r, j) => {
      const y = top + j * (ch + g);
      text(plan.Y.valueLabel(r), g, y, lw, ch, 15, '#1d1f21', { bold: true });
      plan.columns.forEach((c, i) => {
        const x = 2 * g + lw + i * (cw + g);
        const e = plan.at.get(c + '\u0000' + r);
        const job = e && e.job;
        const img = job && job.state === 'done' && job.present && job.qc && job.qc.poster && posters.get(job.qc.poster);
        if (img) {
          ctx.fillStyle = '#111';
          ctx.fillRect(x, y, cw, ch);
          const s = Math.min(cw / img.naturalWidth, ch / img.naturalHeight);
          const w = img.naturalWidth * s, ph = img.naturalHeight * s;
          ctx.drawImage(img, x + (cw - w) / 2, y + (ch - ph) / 2, w, ph);
          const q = job.qc;
          const flag = q.error ? 'not checked' : q.flagged ? (q.flags || []).join(', ') : '';
          if (flag) {
            ctx.font = font(13);
            const t = fitText(ctx, visibleText(flag), cw - 24);
            const fw = Math.min(cw - 12, Math.ceil(ctx.measureText(t).width) + 12);
            ctx.fillStyle = q.error ? '#6b7075' : '#b3261e';
            ctx.fillRect(x + 6, y + 6, fw, 20);
            text(t, x + 6, y + 6, fw, 20, 13, '#fff');
          }
          return;
        }
        let what, why;
        if (!job) { what = 'no job'; why = ''; }
        else if (job.state !== 'done') {
          what = job.state;
          why = [job.failure_class || job.class, job.error].filter(Boolean).join(': ');
        } else if (!job.present) { what = 'file missing'; why = job.file || ''; }
        else { what = 'no poster'; why = (job.qc && job.qc.error) || 'not checked (hh qc DIR)'; }
        ctx.fillStyle = '#f4f5f6';
        ctx.fillRect(x, y, cw, ch);
        ctx.font = font(13);
        const lines = why ? wrapText(ctx, visibleText(why), cw - 16, Math.max(1, Math.min(3, Math.floor((ch - 30) / 18)))) : [];
        const y0 = Math.floor((ch - 21 - lines.length * 18) / 2);
        text(what, x, y, cw, ch, 15, job ? '#b3261e' : '#6b7075', { bold: true, y: y0 + 8 });
        lines.forEach((l, k) => text(l, x, y, cw, ch, 13, '#1d1f21', { y: y0 + 21 + k * 18 + 7 }));
      });
    });
    return canvas;
  }

  // The button: draws, then downloads; where the canvas may not be read
  // (a page opened from a file), says how to get the picture instead.
  function gridImageButton() {
    const note = h('span', { class: 'note grid-image-note' });
    const button = h('button', { class: 'grid-image', title: 'the grid in view as one PNG picture', on: { click: async () => {
      const plan = gridImagePlan();
      button.disabled = true;
      note.replaceChildren('drawing\u2026');
      try {
        const canvas = await drawGridImage(plan);
        let blob;
        try {
          blob = await new Promise((resolve, reject) => {
            try { canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('no picture'))), 'image/png'); } catch (e) { reject(e); }
          });
        } catch (e) {
          const code = h('code', { class: 'grid-image-command' }, gridImageCommand(plan));
          code.style.userSelect = 'all'; // one click selects the whole command
          note.replaceChildren('This browser will not export a picture made from the files of a page opened from disk. '
            + 'Serve the run directory over http, or make the picture with: ', code);
          return;
        }
        const name = (DATA.run.name + '-grid-' + plan.X.name + '-' + plan.Y.name).replace(/[^\w.-]+/g, '_') + '.png';
        const a = h('a', { href: URL.createObjectURL(blob), download: name });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 60000);
        note.replaceChildren(name + ' (' + canvas.width + '\u00d7' + canvas.height + ')');
      } finally {
        button.disabled = false;
      }
    } } }, 'Grid image');
    return h('span', { class: 'grid-image-tool' }, [button, ' ', note]);
  }
  window.hhGridImage = { plan: gridImagePlan, draw: drawGridImage, command: gridImageCommand };

]==]

return M
