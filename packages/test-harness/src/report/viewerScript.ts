// The failing-history page's script, inlined into the HTML (no network, no library). It
// reads the JSON in #qk-data (historyData.ts) and draws an SVG time line of the visible time
// range only, so 1,500+ ops stay responsive: wheel / buttons / keys zoom around a point,
// dragging pans, the overview strip jumps, "jump to the violation" centres the concurrent
// window and dims every op outside it, tabs pick a key. Plain ES2017 in a string (the
// package builds for Node; the browser never sees TypeScript). No backticks or dollar-brace
// inside: it lives in a template literal.
export const VIEWER_SCRIPT = String.raw`(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var ROW = 22, LABEL = 96, AXIS = 24, RIGHT = 12, MIN_LABEL_PX = 46, DENSE = 2500;
  var data = JSON.parse(document.getElementById('qk-data').textContent);
  var tl = document.getElementById('qk-timeline');
  var ovBox = document.getElementById('qk-overview');
  var details = document.getElementById('qk-details');
  var rangeText = document.getElementById('qk-range');
  var focusBox = document.getElementById('qk-focus');
  var keySelect = document.getElementById('qk-keyselect');
  var tabs = document.getElementById('qk-tabs');
  var byId = {};
  data.ops.forEach(function (o) { byId[o.id] = o; });
  var minSpan = Math.max(1000, data.spanNs / 1e6);
  var maxSpan = data.spanNs * 1.04;
  var st = { key: data.initialKey, v0: -data.spanNs * 0.02, v1: data.spanNs * 1.02, focus: false, sel: null, rows: [], ops: [] };

  function svgEl(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function width() { return Math.max(600, tl.clientWidth || 1200); }
  function solidEnd(o) { return o.b === null ? o.a : o.b; }
  function fmtNs(ns, step) {
    var abs = Math.abs(step || ns);
    if (abs >= 1e9) return (ns / 1e9).toFixed(abs >= 1e10 ? 0 : 1) + ' s';
    if (abs >= 1e6) return (ns / 1e6).toFixed(abs >= 1e7 ? 0 : abs >= 1e6 * 2 ? 1 : 2) + ' ms';
    if (abs >= 1e3) return (ns / 1e3).toFixed(abs >= 1e4 ? 0 : 1) + ' \u00b5s';
    return Math.round(ns) + ' ns';
  }

  // Lanes: one row per process, more when that process's ops overlap (an unknown outcome
  // followed by a retry); unknown outcomes take their lane only up to when the client gave up.
  function layout() {
    var ops = data.ops.filter(function (o) { return st.key < 0 || o.k === st.key; });
    ops.sort(function (x, y) { return x.a - y.a || x.id - y.id; });
    var lanesOf = {};
    ops.forEach(function (o) {
      var lanes = lanesOf[o.p] || (lanesOf[o.p] = []);
      var i = 0;
      while (i < lanes.length && lanes[i] >= o.a) i++;
      lanes[i] = Math.max(solidEnd(o), o.a + 1);
      o.lane = i;
    });
    var rows = [], rowOf = {};
    data.processes.forEach(function (p) {
      var n = (lanesOf[p] || []).length;
      if (!n) return;
      rowOf[p] = rows.length;
      for (var i = 0; i < n; i++) rows.push({ p: p, lane: i });
    });
    ops.forEach(function (o) { o.row = rowOf[o.p] + o.lane; });
    st.ops = ops;
    st.rows = rows;
  }

  function niceStep(span) {
    var raw = span / 8, p = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10)), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  }

  function opClass(o) {
    var c = 'op ' + o.s;
    if (o.bad) c += ' bad'; else if (o.lin) c += ' lin';
    if (st.focus && data.window) c += o.cc || o.bad ? ' cc' : ' dim';
    if (st.sel === o.id) c += ' sel';
    return c;
  }
  function opLabel(o) {
    return (o.lin ? o.lin + ': ' : '') + o.f + '(' + o.in + ')' + (o.s !== 'ok' ? ' ' + o.s : o.out !== '' ? ' \u2192 ' + o.out : '');
  }

  function render() {
    var W = width(), span = st.v1 - st.v0, inner = W - LABEL - RIGHT;
    var x = function (t) { return LABEL + ((t - st.v0) / span) * inner; };
    var H = AXIS + st.rows.length * ROW + 6;
    var svg = svgEl('svg', { width: W, height: H, id: 'qk-svg', 'font-size': 11, 'font-family': 'system-ui,sans-serif' });
    if (data.window) {
      var wa = Math.max(LABEL, x(data.window.a)), wb = Math.min(W - RIGHT, x(data.window.b));
      if (wb > LABEL && wa < W - RIGHT) svg.appendChild(svgEl('rect', { x: wa, y: AXIS - 4, width: Math.max(2, wb - wa), height: H - AXIS + 4, 'class': 'window' }));
    }
    var step = niceStep(span);
    for (var t = Math.ceil(st.v0 / step) * step; t <= st.v1; t += step) {
      var tx = x(t);
      if (tx < LABEL) continue;
      svg.appendChild(svgEl('line', { x1: tx, x2: tx, y1: AXIS - 6, y2: H, 'class': 'tick' }));
      svg.appendChild(svgEl('text', { x: tx + 2, y: 12, 'class': 'axis' }, fmtNs(t, step)));
    }
    st.rows.forEach(function (r, i) {
      if (i % 2) svg.appendChild(svgEl('rect', { x: 0, y: AXIS + i * ROW, width: W, height: ROW, 'class': 'stripe' }));
    });
    var visible = st.ops.filter(function (o) {
      var open = o.s === 'info' || o.s === 'pending';
      return o.a <= st.v1 && (open ? Infinity : solidEnd(o)) >= st.v0;
    });
    // Thousands of bars at once: no hover titles (click shows the op), so zooming stays quick.
    var dense = visible.length > DENSE;
    var drawn = 0;
    visible.forEach(function (o) {
      var endT = solidEnd(o);
      var open = o.s === 'info' || o.s === 'pending';
      var x1 = Math.max(LABEL - 2, x(o.a)), x2 = Math.min(W, x(endT)), w = Math.max(3, x2 - x1);
      var y = AXIS + o.row * ROW + 2;
      var g = svgEl('g', { 'class': opClass(o), 'data-id': o.id });
      if (!dense) g.appendChild(svgEl('title', {}, o.d));
      g.appendChild(svgEl('rect', { x: x1, y: y, width: w, height: ROW - 4, rx: 2, 'data-id': o.id }));
      if (open) g.appendChild(svgEl('line', { x1: x1 + w, x2: W - RIGHT, y1: y + (ROW - 4) / 2, y2: y + (ROW - 4) / 2, 'class': 'tail', 'data-id': o.id }));
      if (w >= MIN_LABEL_PX) {
        var chars = Math.floor((w - 6) / 6);
        var label = opLabel(o);
        g.appendChild(svgEl('text', { x: x1 + 3, y: y + 13, 'data-id': o.id }, label.length > chars ? label.slice(0, Math.max(1, chars - 1)) + '\u2026' : label));
      }
      svg.appendChild(g);
      drawn++;
    });
    svg.appendChild(svgEl('rect', { x: 0, y: 0, width: LABEL - 4, height: H, 'class': 'gutter' }));
    st.rows.forEach(function (r, i) {
      if (r.lane === 0) svg.appendChild(svgEl('text', { x: 6, y: AXIS + i * ROW + 15, 'class': 'proc' }, 'p' + r.p));
    });
    clear(tl);
    tl.appendChild(svg);
    renderOverview();
    var zoom = maxSpan / span;
    rangeText.textContent = fmtNs(Math.max(0, st.v0), span) + ' \u2013 ' + fmtNs(Math.min(data.spanNs, st.v1), span) + ' of ' + fmtNs(data.spanNs) +
      ' (zoom \u00d7' + (zoom < 10 ? zoom.toFixed(1) : Math.round(zoom)) + ', ' + drawn + ' of ' + st.ops.length + ' ops drawn)';
    st.drawn = drawn;
  }

  function renderOverview() {
    var W = width(), inner = W - LABEL - RIGHT;
    var x = function (t) { return LABEL + (t / data.spanNs) * inner; };
    var svg = svgEl('svg', { width: W, height: 26, id: 'qk-ov-svg' });
    svg.appendChild(svgEl('rect', { x: LABEL, y: 4, width: inner, height: 18, 'class': 'ovbg' }));
    if (data.window) svg.appendChild(svgEl('rect', { x: x(data.window.a), y: 4, width: Math.max(2, x(data.window.b) - x(data.window.a)), height: 18, 'class': 'window' }));
    data.bad.forEach(function (id) {
      var o = byId[id];
      if (o) svg.appendChild(svgEl('line', { x1: x(o.a), x2: x(o.a), y1: 2, y2: 24, 'class': 'ovbad' }));
    });
    var va = x(Math.max(0, st.v0)), vb = x(Math.min(data.spanNs, st.v1));
    svg.appendChild(svgEl('rect', { x: va, y: 3, width: Math.max(2, vb - va), height: 20, 'class': 'ovview' }));
    svg.appendChild(svgEl('text', { x: 6, y: 17, 'class': 'axis' }, 'overview'));
    clear(ovBox);
    ovBox.appendChild(svg);
  }

  function setView(a, b) {
    var span = Math.min(maxSpan, Math.max(minSpan, b - a)), mid = (a + b) / 2;
    a = mid - span / 2;
    var lo = -data.spanNs * 0.02, hi = data.spanNs * 1.02;
    if (a < lo) a = lo;
    if (a + span > hi) a = Math.max(lo, hi - span);
    st.v0 = a;
    st.v1 = a + span;
    render();
  }
  function zoomAt(t, factor) { setView(t - (t - st.v0) / factor, t + (st.v1 - t) / factor); }
  function pan(fraction) { var d = (st.v1 - st.v0) * fraction; setView(st.v0 + d, st.v1 + d); }
  function fit() { setView(-data.spanNs * 0.02, data.spanNs * 1.02); }
  function timeAt(clientX) {
    var r = tl.getBoundingClientRect(), inner = width() - LABEL - RIGHT;
    return st.v0 + ((clientX - r.left - LABEL) / inner) * (st.v1 - st.v0);
  }

  function select(id) {
    st.sel = id;
    var o = byId[id];
    details.textContent = o ? o.d : 'Click an operation to see it here.';
  }

  function showKey(k) {
    st.key = k;
    var buttons = tabs.getElementsByTagName('button');
    for (var i = 0; i < buttons.length; i++) {
      var on = Number(buttons[i].getAttribute('data-key')) === k;
      buttons[i].className = 'tab' + (on ? ' active' : '') + (buttons[i].getAttribute('data-fail') ? ' failtab' : '');
    }
    if (keySelect) keySelect.value = String(k);
    layout();
    render();
  }

  function jumpToViolation() {
    if (!data.window) return;
    if (st.key >= 0 && st.key !== data.failKey) showKey(data.failKey);
    var a = data.window.a, b = data.window.b, pad = Math.max((b - a) * 1.5, data.spanNs / 400, minSpan);
    st.focus = true;
    if (focusBox) focusBox.checked = true;
    if (data.bad.length) select(data.bad[0]);
    setView(a - pad, b + pad);
  }

  var api = { render: render, setView: setView, zoomAt: zoomAt, pan: pan, fit: fit, showKey: showKey, jump: jumpToViolation, select: select, state: st };
  window.qkViewer = api;

  document.getElementById('qk-zoomin').addEventListener('click', function () { zoomAt((st.v0 + st.v1) / 2, 2); });
  document.getElementById('qk-zoomout').addEventListener('click', function () { zoomAt((st.v0 + st.v1) / 2, 0.5); });
  document.getElementById('qk-fit').addEventListener('click', fit);
  document.getElementById('qk-left').addEventListener('click', function () { pan(-0.4); });
  document.getElementById('qk-right').addEventListener('click', function () { pan(0.4); });
  var jumpButton = document.getElementById('qk-jump');
  if (jumpButton) jumpButton.addEventListener('click', jumpToViolation);
  if (focusBox) focusBox.addEventListener('change', function () { st.focus = !!focusBox.checked; render(); });
  var tabButtons = tabs.getElementsByTagName('button');
  for (var i = 0; i < tabButtons.length; i++) {
    tabButtons[i].addEventListener('click', function (ev) { showKey(Number(ev.currentTarget.getAttribute('data-key'))); });
  }
  if (keySelect) keySelect.addEventListener('change', function () { showKey(Number(keySelect.value)); });

  tl.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    if (ev.shiftKey) pan(ev.deltaY > 0 ? 0.15 : -0.15);
    else zoomAt(timeAt(ev.clientX), ev.deltaY < 0 ? 1.25 : 0.8);
  }, { passive: false });
  var drag = null;
  tl.addEventListener('mousedown', function (ev) { drag = { x: ev.clientX, v0: st.v0, v1: st.v1, moved: false }; ev.preventDefault(); });
  window.addEventListener('mousemove', function (ev) {
    if (!drag) return;
    var dx = ev.clientX - drag.x;
    if (Math.abs(dx) > 3) drag.moved = true;
    if (!drag.moved) return;
    var d = (dx / (width() - LABEL - RIGHT)) * (drag.v1 - drag.v0);
    setView(drag.v0 - d, drag.v1 - d);
  });
  window.addEventListener('mouseup', function (ev) {
    var was = drag;
    drag = null;
    if (!was || was.moved) return;
    var id = ev.target && ev.target.getAttribute ? ev.target.getAttribute('data-id') : null;
    if (id !== null && id !== undefined && id !== '') { select(Number(id)); render(); }
  });
  ovBox.addEventListener('click', function (ev) {
    var r = ovBox.getBoundingClientRect(), inner = width() - LABEL - RIGHT;
    var t = ((ev.clientX - r.left - LABEL) / inner) * data.spanNs, half = (st.v1 - st.v0) / 2;
    setView(t - half, t + half);
  });
  document.addEventListener('keydown', function (ev) {
    var tag = ev.target && ev.target.tagName ? String(ev.target.tagName).toLowerCase() : '';
    if (tag === 'input' || tag === 'select' || tag === 'textarea') return;
    var mid = (st.v0 + st.v1) / 2;
    if (ev.key === '+' || ev.key === '=') zoomAt(mid, 2);
    else if (ev.key === '-' || ev.key === '_') zoomAt(mid, 0.5);
    else if (ev.key === 'ArrowLeft') pan(-0.25);
    else if (ev.key === 'ArrowRight') pan(0.25);
    else if (ev.key === '0') fit();
    else if (ev.key === 'v' || ev.key === 'V') jumpToViolation();
    else return;
    ev.preventDefault();
  });
  window.addEventListener('resize', render);

  layout();
  showKey(st.key);
  if (data.window) jumpToViolation();
})();
`;
