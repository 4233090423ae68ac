// heaptrail HTML report: renders the JSON document embedded in the page
// (see analyzer/html/report_data.h) with plain DOM and SVG, no libraries.
// Sections: summary cards, timeline with selectable moments and their diff,
// flame graph (zoom, search, flame/icicle, inverted, tooltips), site tables.
'use strict';
(function () {
  const data = JSON.parse(document.getElementById('heaptrail-data').textContent);
  const frames = data.frames;  // [function, file, line, module]
  const $ = (id) => document.getElementById(id);

  // ---- Formatting ---------------------------------------------------------
  const exact = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  function human(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let value = Math.abs(n), unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; ++unit; }
    const text = unit === 0 ? String(value)
        : value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0);
    return (n < 0 ? '-' : '') + text + ' ' + units[unit];
  }
  const bytesText = (n) => n < 1024 ? exact(n) + ' B' : human(n) + ' (' + exact(n) + ' B)';
  const signed = (n) => (n > 0 ? '+' : '') + human(n);
  const seconds = (s) => s < 1 ? (s * 1000).toFixed(1) + ' ms' : s.toFixed(2) + ' s';
  const baseName = (path) => path.slice(path.lastIndexOf('/') + 1);
  function fileLine(file, line) {
    if (!file) return '';
    return baseName(file) + (line ? ':' + line : '');
  }
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // ---- Tooltip ------------------------------------------------------------
  const tooltip = $('tooltip');
  function showTooltip(event, lines) {
    tooltip.replaceChildren();
    lines.forEach(([text, cls]) => tooltip.appendChild(el('div', cls ? {class: cls} : {}, text)));
    tooltip.hidden = false;
    const x = Math.min(event.clientX + 14, window.innerWidth - tooltip.offsetWidth - 8);
    const y = event.clientY + 16 + tooltip.offsetHeight > window.innerHeight
        ? event.clientY - tooltip.offsetHeight - 8 : event.clientY + 16;
    tooltip.style.left = Math.max(0, x) + 'px';
    tooltip.style.top = Math.max(0, y) + 'px';
  }
  const hideTooltip = () => { tooltip.hidden = true; };

  // ---- Summary ------------------------------------------------------------
  function renderSummary() {
    const s = data.summary;
    $('command').textContent = s.command || s.executable;
    const cards = [
      ['Peak heap', s.peak_bytes, 'bytes', 'at ' + seconds(s.peak_time_s) + ', ' + exact(s.peak_blocks) + ' blocks'],
      ['Leaked', s.leaked_bytes, 'bytes', exact(s.leaked_blocks) + ' blocks live at the end'],
      ['Allocated in all', s.allocated_bytes, 'bytes', exact(s.allocations) + ' allocations'],
      ['Frees', s.frees, 'count', ''],
      ['Temporary allocations', s.temporary_allocations, 'count', 'freed right after allocating'],
      ['Duration', s.duration_s, 'seconds', exact(s.threads) + (s.threads === 1 ? ' thread' : ' threads') + ', pid ' + s.pid],
      ['Snapshots', s.snapshots, 'count', ''],
      ['Mismatched frees', s.mismatched_frees, 'count', 'e.g. new[] released by free'],
    ];
    const box = $('summary');
    for (const [label, value, kind, note] of cards) {
      const card = el('div', {class: 'card'});
      card.appendChild(el('div', {class: 'label'}, label));
      const shown = kind === 'bytes' ? human(value) : kind === 'seconds' ? seconds(value) : exact(value);
      card.appendChild(el('div', {class: 'value'}, shown));
      const sub = kind === 'bytes' && value >= 1024 ? exact(value) + ' B. ' + note : note;
      card.appendChild(el('div', {class: 'exact'}, sub));
      box.appendChild(card);
    }
    if (s.truncated) {
      const card = el('div', {class: 'card'});
      card.appendChild(el('div', {class: 'label'}, 'Warning'));
      card.appendChild(el('div', {class: 'exact'}, 'The trace was cut short: this covers what was written.'));
      box.appendChild(card);
    }
  }

  // ---- Timeline and moments -----------------------------------------------
  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  const moments = [{id: 'start', label: 'start', time_s: 0, live_bytes: 0, live_blocks: 0}]
      .concat(data.moments);
  const momentById = new Map(moments.map((m) => [m.id, m]));
  let nextPick = 'from';

  function renderTimeline() {
    const box = $('timeline');
    box.replaceChildren();
    const width = Math.max(box.clientWidth, 300), height = box.clientHeight || 240;
    const left = 70, right = 16, top = 22, bottom = 22;
    const tl = data.timeline;
    const tMax = Math.max(data.summary.duration_s, tl.t[tl.t.length - 1] || 0,
        tl.rss_t.length ? tl.rss_t[tl.rss_t.length - 1] : 0) || 1;
    const yMax = Math.max(data.summary.peak_bytes, ...tl.heap, ...(tl.rss.length ? tl.rss : [0])) || 1;
    const X = (t) => left + (width - left - right) * t / tMax;
    const Y = (v) => top + (height - top - bottom) * (1 - v / yMax);
    const root = svg('svg', {viewBox: `0 0 ${width} ${height}`, role: 'img',
      'aria-label': 'heap and RSS over time'});
    for (let i = 0; i <= 4; ++i) {
      const v = yMax * i / 4;
      root.appendChild(svg('line', {class: 'axis', x1: left, x2: width - right, y1: Y(v), y2: Y(v)}));
      const label = svg('text', {x: left - 6, y: Y(v) + 4, 'text-anchor': 'end'});
      label.textContent = human(Math.round(v));
      root.appendChild(label);
    }
    for (let i = 0; i <= 4; ++i) {
      const label = svg('text', {x: X(tMax * i / 4), y: height - 6, 'text-anchor': 'middle'});
      label.textContent = seconds(tMax * i / 4);
      root.appendChild(label);
    }
    // The heap holds its value until the next point: a step line.
    let path = '';
    for (let i = 0; i < tl.t.length; ++i) {
      path += (i ? ` H${X(tl.t[i])} V${Y(tl.heap[i])}` : `M${X(tl.t[i])} ${Y(tl.heap[i])}`);
    }
    path += ` H${X(tMax)}`;
    root.appendChild(svg('path', {class: 'heap-area', d: path + ` V${Y(0)} H${X(0)} Z`}));
    root.appendChild(svg('path', {class: 'heap', d: path}));
    if (tl.rss.length) {
      const points = tl.rss_t.map((t, i) => `${X(t)},${Y(tl.rss[i])}`).join(' ');
      root.appendChild(svg('polyline', {class: 'rss', points}));
    }
    const legend = svg('text', {x: left + 4, y: 14});
    legend.textContent = 'heap (orange)' + (tl.rss.length ? ', RSS (blue, dashed)' : '') +
        '; markers: peak (red), snapshots, end';
    root.appendChild(legend);
    for (const m of data.moments) {
      const g = svg('g', {class: 'marker' + (m.id === 'peak' ? ' peak' : ''), 'data-moment': m.id});
      g.appendChild(svg('line', {x1: X(m.time_s), x2: X(m.time_s), y1: top, y2: Y(0)}));
      g.appendChild(svg('circle', {cx: X(m.time_s), cy: Y(m.live_bytes), r: 5}));
      g.addEventListener('click', () => pickMoment(m.id));
      g.addEventListener('mousemove', (e) => showTooltip(e, [
        [m.label], [bytesText(m.live_bytes) + ' live in ' + exact(m.live_blocks) + ' blocks'],
        ['at ' + seconds(m.time_s), 'where'], ['click to compare', 'where']]));
      g.addEventListener('mouseleave', hideTooltip);
      root.appendChild(g);
    }
    box.appendChild(root);
    markSelected();
  }

  function markSelected() {
    const chosen = [$('diff-from').value, $('diff-to').value];
    document.querySelectorAll('#timeline .marker').forEach((g) =>
      g.classList.toggle('selected', chosen.includes(g.dataset.moment)));
  }

  function pickMoment(id) {
    $(nextPick === 'from' ? 'diff-from' : 'diff-to').value = id;
    nextPick = nextPick === 'from' ? 'to' : 'from';
    renderDiff();
  }

  function initDiff() {
    for (const select of [$('diff-from'), $('diff-to')]) {
      for (const m of moments) {
        select.appendChild(el('option', {value: m.id},
            m.label + ' — ' + seconds(m.time_s) + ', ' + human(m.live_bytes)));
      }
      select.addEventListener('change', renderDiff);
    }
    const snapshots = data.moments.filter((m) => m.id !== 'peak' && m.id !== 'end');
    $('diff-from').value = snapshots.length >= 2 ? snapshots[0].id : 'start';
    $('diff-to').value = snapshots.length >= 2 ? snapshots[snapshots.length - 1].id : 'end';
  }

  function renderDiff() {
    const from = $('diff-from').value, to = $('diff-to').value;
    const sizes = new Map();  // site -> [from bytes, from blocks, to bytes, to blocks]
    const add = (id, offset) => {
      for (const [site, bytes, blocks] of data.at[id] || []) {
        const row = sizes.get(site) || [0, 0, 0, 0];
        row[offset] = bytes; row[offset + 1] = blocks;
        sizes.set(site, row);
      }
    };
    add(from, 0);
    add(to, 2);
    const rows = [...sizes].map(([site, v]) => ({site, v, diff: v[2] - v[0], cdiff: v[3] - v[1]}))
        .filter((r) => r.diff !== 0 || r.cdiff !== 0)
        .sort((a, b) => Math.abs(b.diff) - Math.abs(a.diff) || b.v[2] - a.v[2]);
    const total = momentById.get(to).live_bytes - momentById.get(from).live_bytes;
    $('diff-status').textContent = `${momentById.get(from).label} → ${momentById.get(to).label}: ` +
        `${signed(total)} (${total > 0 ? '+' : ''}${exact(total)} B), ${rows.length} lines changed`;
    const table = $('diff');
    table.replaceChildren();
    const head = el('tr');
    for (const h of ['Location', 'Size before', 'Size after', 'Size diff', 'Blocks after', 'Blocks diff']) {
      head.appendChild(el('th', h === 'Location' ? {class: 'loc'} : {}, h));
    }
    table.appendChild(head);
    for (const r of rows.slice(0, 200)) {
      const s = data.sites[r.site];
      const tr = el('tr');
      tr.appendChild(locationCell(s.function, s.file, s.line, s.module));
      tr.appendChild(el('td', {}, exact(r.v[0])));
      tr.appendChild(el('td', {}, exact(r.v[2])));
      tr.appendChild(el('td', {class: r.diff > 0 ? 'grow' : r.diff < 0 ? 'shrink' : ''},
          (r.diff > 0 ? '+' : '') + exact(r.diff) + ' B'));
      tr.appendChild(el('td', {}, exact(r.v[3])));
      tr.appendChild(el('td', {}, (r.cdiff > 0 ? '+' : '') + exact(r.cdiff)));
      table.appendChild(tr);
    }
    markSelected();
  }

  function locationCell(fn, file, line, module) {
    const td = el('td', {class: 'loc'});
    td.appendChild(el('div', {}, fn || '[unknown]'));
    const where = file ? fileLine(file, line) : baseName(module || '');
    td.appendChild(el('div', {class: 'where', title: file || module || ''}, where));
    return td;
  }

  // ---- Flame graph --------------------------------------------------------
  const ROW = 18;
  const flame = {view: 'peak', icicle: false, inverted: false, zoom: null, search: '',
                 trees: {}};

  // [frame, value, count, children] arrays -> linked nodes.
  function toNodes(array, parent, depth) {
    const node = {frame: array[0], value: array[1], count: array[2], parent, depth, children: []};
    for (const child of array[3]) node.children.push(toNodes(child, node, depth + 1));
    return node;
  }
  // Callers of each allocation site: every node's own value (what its
  // children do not account for) hangs from its frame up to the root.
  function invert(root) {
    const top = {frame: -1, value: 0, count: 0, parent: null, depth: 0, children: [], index: new Map()};
    const visit = (node) => {
      let selfValue = node.value, selfCount = node.count;
      for (const c of node.children) { selfValue -= c.value; selfCount -= c.count; visit(c); }
      if (node === root || selfValue <= 0) return;
      let at = top;
      at.value += selfValue; at.count += selfCount;
      for (let n = node; n !== root; n = n.parent) {
        let next = at.index.get(n.frame);
        if (!next) {
          next = {frame: n.frame, value: 0, count: 0, parent: at, depth: at.depth + 1, children: [], index: new Map()};
          at.index.set(n.frame, next);
          at.children.push(next);
        }
        next.value += selfValue; next.count += n.frame === -2 ? 0 : selfCount;
        at = next;
      }
    };
    visit(root);
    const sort = (n) => { n.children.sort((a, b) => b.value - a.value); n.children.forEach(sort); };
    sort(top);
    return top;
  }
  function tree() {
    const key = flame.view + (flame.inverted ? '/inverted' : '');
    if (!flame.trees[key]) {
      const base = flame.trees[flame.view] || (flame.trees[flame.view] = toNodes(data.flames[flame.view], null, 0));
      flame.trees[key] = flame.inverted ? invert(base) : base;
    }
    return flame.trees[key];
  }
  const unit = () => flame.view === 'temporary' ? 'allocations' : 'bytes';
  const valueText = (v) => unit() === 'bytes' ? bytesText(v) : exact(v) + ' allocations';
  function nodeName(node) {
    if (node.frame === -1) return 'all';
    if (node.frame === -2) return `[${exact(node.count)} smaller]`;
    return frames[node.frame][0];
  }
  function hue(name) {
    let h = 0;
    for (let i = 0; i < name.length; ++i) h = (h * 31 + name.charCodeAt(i)) | 0;
    return h;
  }
  function color(name) {
    const h = hue(name);
    return `hsl(${15 + (Math.abs(h) % 35)}, ${70 + (Math.abs(h >> 8) % 20)}%, ${62 + (Math.abs(h >> 16) % 14)}%)`;
  }
  function matches(node) {
    if (!flame.search || node.frame < 0) return false;
    const f = frames[node.frame];
    return f[0].toLowerCase().includes(flame.search) || f[1].toLowerCase().includes(flame.search);
  }

  function renderFlame() {
    const box = $('flame');
    const root = tree();
    const zoom = flame.zoom || root;
    const width = box.clientWidth || 800;
    const items = [];
    let maxDepth = zoom.depth;
    let matched = 0;
    // Ancestors of the zoomed node span the whole width.
    for (let a = zoom.parent; a; a = a.parent) items.push({node: a, x: 0, w: width, ancestor: true});
    const scale = zoom.value > 0 ? width / zoom.value : 0;
    const walk = (node, x, inMatch) => {
      const w = node.value * scale;
      if (w < 0.5) return;
      const isMatch = matches(node);
      if (isMatch && !inMatch) matched += node.value;
      items.push({node, x, w, match: isMatch});
      maxDepth = Math.max(maxDepth, node.depth);
      let cx = x;
      for (const c of node.children) { walk(c, cx, inMatch || isMatch); cx += c.value * scale; }
    };
    walk(zoom, 0, false);
    box.replaceChildren();
    box.style.height = (maxDepth + 1) * ROW + 4 + 'px';
    const fragment = document.createDocumentFragment();
    for (const item of items) {
      const node = item.node, name = nodeName(node);
      const y = flame.icicle ? node.depth * ROW : (maxDepth - node.depth) * ROW;
      const div = el('div', {class: 'fnode' + (node.frame === -2 ? ' merged' : '') +
          (item.ancestor ? ' ancestor' : '') + (item.match ? ' match' : '') +
          (flame.search && !item.match ? ' dim' : '')});
      div.style.left = item.x + 'px';
      div.style.top = y + 'px';
      div.style.width = Math.max(item.w, 1) + 'px';
      div.style.background = color(name);
      if (item.w > 30) {
        const where = node.frame >= 0 ? fileLine(frames[node.frame][1], frames[node.frame][2]) : '';
        div.textContent = where ? name + '  ' + where : name;
      }
      div.dataset.name = name;
      div.dataset.value = node.value;
      div._node = node;
      fragment.appendChild(div);
    }
    box.appendChild(fragment);
    const total = root.value;
    let status = `${valueText(zoom.value)} shown`;
    if (zoom !== root) status += ` (${(100 * zoom.value / (total || 1)).toFixed(1)}% of ${valueText(total)})`;
    if (flame.search) status += `; matched: ${valueText(matched)} (${(100 * matched / (zoom.value || 1)).toFixed(1)}%)`;
    $('flame-status').textContent = status;
  }

  function flameTooltip(event, node) {
    const total = tree().value || 1;
    const lines = [[nodeName(node)]];
    if (node.frame >= 0) {
      const [, file, line, module] = frames[node.frame];
      if (file) lines.push([file + (line ? ':' + line : ''), 'where']);
      if (module) lines.push([module, 'where']);
    }
    lines.push([valueText(node.value) + ' — ' + (100 * node.value / total).toFixed(2) + '% of ' +
        (flame.view === 'peak' ? 'the peak' : flame.view === 'leaked' ? 'the leaks' : 'the total')]);
    if (unit() === 'bytes' && node.frame !== -2) lines.push([exact(node.count) + ' blocks']);
    if (node.frame === -2) lines.push([exact(node.count) + ' nodes too small to draw, merged']);
    showTooltip(event, lines);
  }

  function initFlame() {
    const box = $('flame');
    box.addEventListener('click', (e) => {
      const node = e.target._node;
      if (!node) return;
      flame.zoom = node.frame === -1 ? null : node;
      renderFlame();
    });
    box.addEventListener('mousemove', (e) => {
      if (e.target._node) flameTooltip(e, e.target._node); else hideTooltip();
    });
    box.addEventListener('mouseleave', hideTooltip);
    $('flame-view').addEventListener('change', (e) => { flame.view = e.target.value; flame.zoom = null; renderFlame(); });
    $('flame-icicle').addEventListener('change', (e) => { flame.icicle = e.target.checked; renderFlame(); });
    $('flame-inverted').addEventListener('change', (e) => { flame.inverted = e.target.checked; flame.zoom = null; renderFlame(); });
    $('flame-search').addEventListener('input', (e) => { flame.search = e.target.value.trim().toLowerCase(); renderFlame(); });
    $('flame-reset').addEventListener('click', () => { flame.zoom = null; renderFlame(); });
  }

  // ---- Site tables --------------------------------------------------------
  const COLUMNS = [
    ['Location', null], ['Peak', 4], ['Peak blocks', 5], ['Leaked', 6], ['Leaked blocks', 7],
    ['Allocated', 8], ['Allocations', 9], ['Temporary', 10]];
  const BYTE_COLUMNS = new Set([4, 6, 8]);
  const table = {group: 'line', column: 4, ascending: false};
  function renderSites() {
    const rows = data.tables[table.group].slice();
    const c = table.column;
    rows.sort(c === null
        ? (a, b) => (a[0] + a[1]).localeCompare(b[0] + b[1]) || a[2] - b[2]
        : (a, b) => (a[c] - b[c]) || (a[8] - b[8]));
    if (!table.ascending) rows.reverse();
    const box = $('sites');
    box.replaceChildren();
    const head = el('tr');
    COLUMNS.forEach(([title, index]) => {
      const th = el('th', {class: (index === null ? 'loc' : '') + (index === c ? ' sorted' + (table.ascending ? ' asc' : '') : '')}, title);
      th.addEventListener('click', () => {
        table.ascending = table.column === index ? !table.ascending : index === null;
        table.column = index;
        renderSites();
      });
      head.appendChild(th);
    });
    box.appendChild(head);
    for (const row of rows.slice(0, 500)) {
      const tr = el('tr');
      tr.appendChild(locationCell(row[0], row[1], table.group === 'line' ? row[2] : 0, row[3]));
      for (let i = 4; i <= 10; ++i) {
        const td = el('td', {}, BYTE_COLUMNS.has(i) ? exact(row[i]) + ' B' : exact(row[i]));
        if (BYTE_COLUMNS.has(i) && row[i] >= 1024) td.title = human(row[i]);
        tr.appendChild(td);
      }
      box.appendChild(tr);
    }
  }
  function initSites() {
    document.querySelectorAll('input[name=group]').forEach((radio) =>
      radio.addEventListener('change', (e) => { table.group = e.target.value; renderSites(); }));
  }

  // ---- Start --------------------------------------------------------------
  renderSummary();
  initDiff();
  renderTimeline();
  renderDiff();
  initFlame();
  renderFlame();
  initSites();
  renderSites();
  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { renderTimeline(); renderFlame(); }, 100);
  });
  // For tests and measurements: the report is interactive from here.
  window.heaptrailReadyMs = performance.now();
  document.body.dataset.ready = 'true';
})();
