/*
 * lineprof's HTML report: draws the page from the JSON blocks beside this
 * script (see html.c). Every number it shows is lineprof's text (a cell
 * written as a bare number is printed back with its column's decimals); the
 * script only arranges them, sorts by them and draws bars. Listings are
 * built when opened, and a rank's or thread's block (deflated) is inflated
 * and parsed when it is chosen, so a large profile stays quick to load.
 */
(function () {
	'use strict';

	var SRC = JSON.parse(document.getElementById('lp-sources').textContent).files;
	var ALL = JSON.parse(document.querySelector('script.lp-context').textContent);
	var ALLF = {};          // function index -> its row of the whole block (names, places)
	ALL.funcs.forEach(function (f) { ALLF[f[0]] = f; });
	var C = null;           // the block shown: ALL, or a group's
	var FROW = {};          // function index (the report's) -> its entry of C.funcs
	var FILEROWS = {};      // file id -> its entry of C.files
	var built = {};         // file id -> its listing is in the DOM
	var main = document.getElementById('report');

	function esc(s) {
		return String(s).replace(/[&<>"']/g, function (c) {
			return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
		});
	}

	function el(tag, attrs, text) {
		var e = document.createElement(tag);
		for (var k in attrs || {})
			e.setAttribute(k, attrs[k]);
		if (text !== undefined && text !== null)
			e.textContent = text;
		return e;
	}

	function section(id, title) {
		var s = el('section', { id: id });
		s.appendChild(el('h2', null, title));
		main.appendChild(s);
		return s;
	}

	/* The heat bar: 5 % steps of the program's share; the numbers sit beside it. */
	function bar(share) {
		if (!(share > 0))
			return '';
		var w = Math.min(20, Math.round(share * 20));
		return '<span class="hb hb' + w + '"></span>';
	}

	/* The terminal's heat scale, as a background: an aid only, never the data. */
	function heatClass(share) {
		return share >= 0.2 ? ' heat4' : share >= 0.1 ? ' heat3' : share >= 0.05 ? ' heat2' :
			share >= 0.01 ? ' heat1' : '';
	}

	function srcName(fid) {
		return fid >= 0 && SRC[fid] ? SRC[fid].name : '(no line info)';
	}

	/* Where a link to (file, line) goes: its listing when the page has the file's lines or numbers. */
	function lineHref(fid, line) {
		if (fid < 0 || !SRC[fid])
			return null;
		return FILEROWS[fid] ? '#L' + fid + '-' + line : null;
	}

	function lineLink(fid, line, text) {
		var href = lineHref(fid, line);
		var t = esc(text !== undefined ? text : srcName(fid) + ':' + line);
		return href ? '<a href="' + href + '">' + t + '</a>' : t;
	}

	function funcLink(idx, name) {
		var f = FROW[idx];
		var n = esc(name !== undefined ? name : f ? f[1] : '?');
		return f ? '<a href="#fn-' + idx + '" title="' + esc(f[1]) + '">' + n + '</a>' : n;
	}

	/* A cell as lineprof printed it: a bare number with its column's decimals, a string, or empty. */
	function cellText(v, col) {
		if (v === null || v === undefined)
			return '';
		if (typeof v === 'number')
			return col && col[3] >= 0 ? v.toFixed(col[3]) : String(v);
		return v;
	}

	/* The number a cell shows, for sorting; 0 when it shows none. */
	function cellNum(v) {
		if (typeof v === 'number')
			return v;
		var x = parseFloat(v);
		return isNaN(x) ? 0 : x;
	}

	/* The share of the block's total a row's % column shows (the heat bar and colour). */
	function shareOf(cols, v) {
		for (var i = 0; i < cols.length; i++)
			if (cols[i][0] === 'percent')
				return cellNum(v[i]) / 100;
		return 0;
	}

	function headCells(cols, sortable) {
		return cols.map(function (c, i) {
			return '<th title="' + esc(c[2] || '') + '"' + (sortable ? ' class="sort" data-col="' + i + '"' : '') +
				'>' + esc(c[1]) + '</th>';
		}).join('');
	}

	/* A row's cells under cols; the row may leave its empty cells at the end out. */
	function cells(v, cols) {
		var out = '';
		for (var i = 0; i < cols.length; i++)
			out += '<td>' + esc(cellText(v[i], cols[i])) + '</td>';
		return out;
	}

	/* What the shares are of: the program, or the group shown. */
	function whose() {
		return C === ALL ? 'the program' : C.label + '\'s total';
	}

	/* ---- the run ---- */

	function drawSummary() {
		var s = section('summary', 'Run');
		var t = el('table', { 'class': 'kv' });
		C.header.forEach(function (kv) {
			var tr = el('tr');
			tr.appendChild(el('td', null, kv[0]));
			tr.appendChild(el('td', null, kv[1]));
			t.appendChild(tr);
		});
		s.appendChild(t);
		if (C.note)
			s.appendChild(el('p', { 'class': 'note groupnote', id: 'group-note' }, C.note));
		if (C.contexts)
			s.appendChild(el('pre', { 'class': 'contexts' }, C.contexts));
		if (C.nolines[0] > 0)
			s.appendChild(el('p', { 'class': 'note' }, 'Samples without line info: ' + C.nolines[0] +
				' (' + C.nolines[1] + ' % of ' + whose() + '): code without DWARF, named by symbol in the functions.'));
		if (!C.flame.stacks)
			s.appendChild(el('p', { 'class': 'note' }, 'No call stacks were recorded: totals, the call graph ' +
				'and the flame graph know inlining only (record with -g or --call-graph=dwarf).'));
	}

	/* ---- the -f tables ---- */

	function drawNamed() {
		if (!C.named.length)
			return;
		var s = section('named', 'Functions asked for (-f)');
		C.named.forEach(function (nf) {
			var box = el('div', { 'class': 'named' });
			if (!nf.found) {
				box.appendChild(el('h3', null, 'Function: ' + nf.name + ' (its table could not be built)'));
				s.appendChild(box);
				return;
			}
			box.appendChild(el('h3', null, 'Function: ' + nf.name + ' at line ' + nf.first));
			box.appendChild(el('p', { 'class': 'note' }, 'Total time: ' + nf.total + ' s \u00b7 File: ' +
				(nf.file >= 0 ? srcName(nf.file) : '(unknown)')));
			var inspan = {}, extra = [];
			nf.rows.forEach(function (r) {
				if (r[0] === nf.file && r[1] >= nf.first && r[1] <= nf.last)
					inspan[r[1]] = r;
				else
					extra.push(r);
			});
			var lines = nf.file >= 0 && SRC[nf.file] ? SRC[nf.file].lines : null;
			var html = ['<table class="src"><thead><tr><th>Line #</th>', headCells(nf.cols, false),
				'<th class="bar"></th><th class="t">Line Contents</th></tr></thead><tbody>'];
			var blank = '<td></td>'.repeat(nf.cols.length);
			for (var l = nf.first; nf.file >= 0 && l <= nf.last; l++) {
				var r = inspan[l], text = lines && l <= lines.length ? lines[l - 1] : '', d = r && r[2];
				html.push('<tr class="' + (d ? 'data' + heatClass(r[3]) : '') + '"><td class="ln">' +
					lineLink(nf.file, l, String(l)) + '</td>' + (d ? cells(r[2], nf.cols) : blank) +
					'<td class="bar">' + (d ? bar(r[3]) : '') + '</td><td class="code">' + esc(text) +
					(r ? noteHtml(r[4]) : '') + '</td></tr>');
			}
			extra.forEach(function (r) {
				html.push('<tr class="data' + heatClass(r[3]) + '"><td class="ln">' + r[1] + '</td>' +
					cells(r[2], nf.cols) + '<td class="bar">' + bar(r[3]) + '</td><td class="code">' +
					lineLink(r[0], r[1]) + '</td></tr>');
			});
			html.push('</tbody></table>');
			var d = el('div');
			d.innerHTML = html.join('');
			box.appendChild(d);
			s.appendChild(box);
		});
	}

	/* ---- the function profile ---- */

	var fsort = { col: -1, dir: -1 };   // -1: the report's order (self samples)

	function drawFunctions() {
		var s = section('functions', 'Functions');
		s.appendChild(el('p', { 'class': 'note' }, 'Self: the function\'s own code (Samples, Time, % Prog); ' +
			'Incl.: with the code it inlines and calls (cProfile\'s cumtime), ' +
			(C.flame.stacks ? 'from the recorded call stacks.' : 'from inlining only (no call stacks recorded).') +
			' Click a heading to sort.'));
		var ctl = el('div', { 'class': 'controls' });
		var q = el('input', { type: 'search', id: 'fn-filter', placeholder: 'filter by name (text or /regex/)', size: '32' });
		var mod = el('select', { id: 'fn-module' });
		mod.appendChild(el('option', { value: '' }, 'all modules'));
		var mods = {};
		C.funcs.forEach(function (f) { mods[f[2]] = 1; });
		Object.keys(mods).sort().forEach(function (m) { mod.appendChild(el('option', { value: m }, m)); });
		var count = el('span', { id: 'fn-count', 'class': 'note' });
		ctl.appendChild(q);
		ctl.appendChild(mod);
		ctl.appendChild(count);
		s.appendChild(ctl);
		var t = el('table', { 'class': 'grid', id: 'fn-table' });
		t.innerHTML = '<thead><tr>' + headCells(C.fcols, true) +
			'<th class="t sort" data-col="m">Module</th><th class="t sort" data-col="l">File:Line</th>' +
			'<th class="t sort" data-col="n">Function</th></tr></thead><tbody></tbody>';
		s.appendChild(t);
		var redraw = function () { fillFunctions(q.value, mod.value, count); };
		q.addEventListener('input', redraw);
		mod.addEventListener('change', redraw);
		t.querySelector('thead').addEventListener('click', function (ev) {
			var th = ev.target.closest('th.sort');
			if (!th)
				return;
			var col = th.getAttribute('data-col');
			col = /^\d+$/.test(col) ? +col : col;
			fsort.dir = fsort.col === col ? -fsort.dir : (typeof col === 'number' ? -1 : 1);
			fsort.col = col;
			t.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
			th.setAttribute('aria-sort', fsort.dir < 0 ? 'descending' : 'ascending');
			redraw();
		});
		redraw();
	}

	function matcher(text) {
		text = text.trim();
		if (!text)
			return null;
		var m = /^\/(.*)\/$/.exec(text);
		if (m) {
			try {
				var re = new RegExp(m[1], 'i');
				return function (s) { return re.test(s); };
			} catch (e) { /* not a regex: a plain text, below */ }
		}
		var low = text.toLowerCase();
		return function (s) { return s.toLowerCase().indexOf(low) >= 0; };
	}

	function fillFunctions(text, module, count) {
		var match = matcher(text);
		var rows = C.funcs.filter(function (f) {
			return (!module || f[2] === module) && (!match || match(f[1]));
		});
		var key = fsort.col, dir = fsort.dir;
		if (key !== -1) {
			rows = rows.slice().sort(function (a, b) {
				var x, y;
				if (typeof key === 'number') {
					x = cellNum(a[5][key]); y = cellNum(b[5][key]);
				} else if (key === 'm') {
					x = a[2]; y = b[2];
				} else if (key === 'l') {
					x = srcName(a[3]) + ':' + a[4]; y = srcName(b[3]) + ':' + b[4];
				} else {
					x = a[1]; y = b[1];
				}
				return x < y ? -dir : x > y ? dir : a[0] - b[0];
			});
		}
		var html = rows.map(function (f) {
			var loc = f[3] >= 0 ? lineLink(f[3], f[4]) : '?';
			return '<tr id="fn-' + f[0] + '">' + cells(f[5], C.fcols) + '<td class="t">' + esc(f[2]) + '</td><td class="t">' +
				loc + '</td><td class="t fn">' + esc(f[1]) + '</td></tr>';
		});
		document.querySelector('#fn-table tbody').innerHTML = html.join('');
		count.textContent = rows.length + ' of ' + C.funcs.length + ' functions with samples';
	}

	/* ---- the hottest lines ---- */

	function drawHot() {
		var s = section('hot', 'Hottest lines');
		if (!C.hot.length) {
			s.appendChild(el('p', { 'class': 'empty' }, 'No samples.'));
			return;
		}
		s.appendChild(el('p', { 'class': 'note' }, 'The ' + C.hot.length + ' hottest lines (by ' + C.hot_by +
			'), % Prog of ' + whose() + '; a line links to its place in the source.'));
		var t = el('table', { 'class': 'grid', id: 'hot-table' });
		var html = ['<thead><tr>', headCells(C.cols, false), '<th class="t">Line</th><th class="t">Function</th></tr></thead><tbody>'];
		C.hot.forEach(function (r) {
			var where = r[0] >= 0 ? lineLink(r[0], r[1]) : '(no line info)';
			html.push('<tr>' + cells(r[4], C.cols) + '<td class="t">' + where + '</td><td class="t fn">' +
				(r[2] >= 0 ? funcLink(r[2], r[3]) : esc(r[3])) + '</td></tr>');
		});
		html.push('</tbody>');
		t.innerHTML = html.join('');
		s.appendChild(t);
	}

	/* ---- the hottest loops, as --loops prints them ---- */

	function drawLoops() {
		var L = C.loops, s = section('loops', 'Hottest loops');
		if (L.unsupported)
			s.appendChild(el('p', { 'class': 'note warn' }, 'Loops are not supported yet on this architecture (' +
				L.unsupported + '): its code is not read.'));
		if (!L.rows.length) {
			s.appendChild(el('p', { 'class': 'empty' }, 'No loops with samples in code lineprof can read.'));
			return;
		}
		s.appendChild(el('p', { 'class': 'note' }, 'The ' + L.rows.length + ' of ' + L.with_samples +
			' loops with samples, hottest first. Total: with nested loops, inlined code' +
			(L.from_stacks ? ' and callees (call stacks)' : ' (no call stacks: callees not counted)') +
			'; Self: the loop\'s own instructions; % of ' + whose() + '. Its header line carries the same ' +
			'note in the listing.'));
		var t = el('table', { 'class': 'grid', id: 'loops-table' });
		var html = ['<thead><tr><th>#</th><th>Samples</th><th>Total %</th><th>Self %</th><th>Total s</th>' +
			'<th>Self s</th><th>Parent</th><th>Depth</th><th class="t">Lines</th><th>Header</th>' +
			'<th class="t">Function</th></tr></thead><tbody>'];
		L.rows.forEach(function (r, i) {
			var lines = r[0] >= 0 ? lineLink(r[0], r[1], srcName(r[0]) + ':' + r[1] + '-' + r[2]) : '?';
			html.push('<tr><td>' + (i + 1) + '</td><td>' + r[8] + '</td><td>' + esc(r[9]) + '</td><td>' +
				esc(r[10]) + '</td><td>' + esc(r[11]) + '</td><td>' + esc(r[12]) + '</td><td>' +
				(r[5] || '') + '</td><td>' + r[4] + '</td><td class="t">' + lines + '</td><td>' +
				(r[0] >= 0 ? lineLink(r[0], r[3], String(r[3])) : r[3]) + '</td><td class="t fn">' +
				(r[6] >= 0 ? funcLink(r[6], r[7]) : esc(r[7])) + '</td></tr>');
		});
		html.push('</tbody>');
		t.innerHTML = html.join('');
		s.appendChild(t);
	}

	/* ---- the call graph ---- */

	function drawGraph() {
		var s = section('callgraph', 'Call graph');
		if (!C.graph) {
			s.appendChild(el('p', { 'class': 'note warn', id: 'callgraph-note' }, C.graph_note ||
				'No call graph.'));
			return;
		}
		s.appendChild(el('p', { 'class': 'note' }, 'Drawn by Graphviz, as --svg draws it: a box per function ' +
			'(total %, self %, samples), coloured by self time; an edge per call. Click a box for its row.'));
		var box = el('div', { id: 'callgraph-box' });
		box.innerHTML = C.graph;
		box.addEventListener('click', function (ev) {
			var g = ev.target.closest('g.node');
			var title = g && g.querySelector('title');
			if (title && /^\d+$/.test(title.textContent))
				go('#fn-' + (+title.textContent - 1));
		});
		s.appendChild(box);
	}

	/* ---- the flame graph: an icicle, the root on top ---- */

	var F = null;

	function flameData() {
		var fl = C.flame, raw = fl.nodes, n = raw.length / 4;
		var d = {
			n: n, name: new Int32Array(n), count: new Float64Array(n), depth: new Int32Array(n),
			inl: new Uint8Array(n), parent: new Int32Array(n), x: new Float64Array(n), end: new Int32Array(n),
			names: fl.names, maxDepth: 0
		};
		var stack = [], next = [];
		for (var i = 0; i < n; i++) {
			d.name[i] = raw[4 * i];
			d.count[i] = raw[4 * i + 1];
			d.depth[i] = raw[4 * i + 2];
			d.inl[i] = raw[4 * i + 3];
			while (stack.length > d.depth[i]) {
				d.end[stack.pop()] = i;
				next.pop();
			}
			var p = stack.length ? stack[stack.length - 1] : -1;
			d.parent[i] = p;
			d.x[i] = p >= 0 ? next[next.length - 1] : 0;
			if (p >= 0)
				next[next.length - 1] += d.count[i];
			stack.push(i);
			next.push(d.x[i]);
			if (d.depth[i] > d.maxDepth)
				d.maxDepth = d.depth[i];
		}
		while (stack.length)
			d.end[stack.pop()] = n;
		return d;
	}

	function hue(name, inl) {
		var h = 0;
		for (var i = 0; i < name.length && i < 24; i++)
			h = (h * 31 + name.charCodeAt(i)) >>> 0;
		var v = (h % 1000) / 1000;
		if (inl)
			return 'rgb(' + Math.round(120 + 60 * v) + ',' + Math.round(190 + 40 * v) + ',230)';
		return 'rgb(' + Math.round(225 + 30 * v) + ',' + Math.round(110 + 110 * (1 - v)) + ',' + Math.round(50 * v) + ')';
	}

	function drawFlame() {
		var s = section('flame', 'Flame graph');
		if (!C.flame.nodes.length || !C.flame.nodes[1]) {
			s.appendChild(el('p', { 'class': 'empty' }, 'No samples.'));
			return;
		}
		s.appendChild(el('p', { 'class': 'note' }, 'The root on top, callees below, ' +
			(C.flame.stacks ? 'from the recorded call stacks' : 'from inlining only (no call stacks recorded)') +
			'; a frame\'s width is its samples; blue frames are inlined. Click a frame to zoom, the top one to zoom out.'));
		var ctl = el('div', { 'class': 'controls' });
		var q = el('input', { type: 'search', id: 'flame-search', placeholder: 'search (text or /regex/)', size: '28' });
		var reset = el('button', { type: 'button', id: 'flame-reset' }, 'Reset zoom');
		var found = el('span', { id: 'flame-match', 'class': 'note' });
		ctl.appendChild(q);
		ctl.appendChild(reset);
		ctl.appendChild(found);
		s.appendChild(ctl);
		s.appendChild(el('div', { 'class': 'crumbs', id: 'flame-crumbs' }));
		var box = el('div', { id: 'flame-box' });
		var canvas = el('canvas', { id: 'flame-canvas' });
		var tip = el('div', { id: 'flame-tip' });
		box.appendChild(canvas);
		box.appendChild(tip);
		s.appendChild(box);
		s.appendChild(el('p', { id: 'flame-info' }, 'Hover over a frame for its numbers.'));
		F = { d: flameData(), focus: 0, match: null, canvas: canvas, tip: tip, rows: [] };
		q.addEventListener('input', function () { flameSearch(q.value); });
		reset.addEventListener('click', function () { flameZoom(0); });
		canvas.addEventListener('mousemove', function (ev) { flameHover(ev); });
		canvas.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
		canvas.addEventListener('click', function (ev) {
			var i = flameAt(ev);
			if (i >= 0)
				flameZoom(i === F.focus ? Math.max(0, F.d.parent[i]) : i);
		});
		window.addEventListener('resize', flameDraw);
		flameZoom(0);
	}

	var RH = 18;

	function flameDraw() {
		if (!F)
			return;
		var d = F.d, c = F.canvas, dpr = window.devicePixelRatio || 1;
		var W = c.parentNode.clientWidth || 800, H = (d.maxDepth + 1) * RH;
		c.width = Math.round(W * dpr);
		c.height = Math.round(H * dpr);
		c.style.height = H + 'px';
		var g = c.getContext('2d');
		g.setTransform(dpr, 0, 0, dpr, 0, 0);
		g.clearRect(0, 0, W, H);
		g.font = '12px ui-monospace, "DejaVu Sans Mono", monospace';
		g.textBaseline = 'middle';
		var lo = d.x[F.focus], span = d.count[F.focus] || 1, drawn = 0;
		F.rows = [];
		for (var i = 0; i < d.n; i++) {
			var x0 = d.x[i], x1 = d.x[i] + d.count[i];
			if (i <= F.focus && F.focus < d.end[i]) {   // the focus and its callers: full width
				x0 = lo;
				x1 = lo + span;
			} else if (!(i > F.focus && i < d.end[F.focus])) {
				i = d.end[i] - 1;   // beside the focus: not drawn, nor its subtree
				continue;
			}
			var px = (x0 - lo) / span * W, pw = (x1 - x0) / span * W;
			if (pw < 0.3) {
				i = d.end[i] - 1;   // too thin to see, and so is everything below it
				continue;
			}
			var y = d.depth[i] * RH, nm = d.names[d.name[i]];
			var hit = F.match && F.match[i];
			g.fillStyle = hit ? 'rgb(230,0,230)' : i === 0 ? '#d6d9de' : hue(nm, d.inl[i]);
			g.fillRect(px, y + 1, Math.max(pw - 1, 0.5), RH - 2);
			if (hit) {
				g.strokeStyle = '#000';
				g.lineWidth = 2;
				g.strokeRect(px + 1, y + 2, Math.max(pw - 3, 0.5), RH - 4);
			}
			(F.rows[d.depth[i]] = F.rows[d.depth[i]] || []).push([px, px + pw, i]);
			drawn++;
			if (pw > 24) {
				var label = (i === 0 ? 'all' : nm) + (d.inl[i] ? ' (inlined)' : '');
				var room = pw - 6, t = label;
				if (g.measureText(t).width > room) {
					var k = Math.floor(room / g.measureText('m').width) - 1;
					t = k >= 2 ? label.slice(0, k) + '\u2026' : '';
				}
				if (t) {
					g.fillStyle = '#000';
					g.fillText(t, px + 3, y + RH / 2);
				}
			}
		}
		c.setAttribute('data-focus', String(F.focus));
		c.setAttribute('data-frames', String(drawn));
		c.setAttribute('data-total', String(d.count[0]));
	}

	function flameAt(ev) {
		var r = F.canvas.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
		var row = F.rows[Math.floor(y / RH)] || [];
		for (var k = 0; k < row.length; k++)
			if (x >= row[k][0] && x < row[k][1])
				return row[k][2];
		return -1;
	}

	function flameText(i) {
		var d = F.d, all = d.count[0] || 1, zoom = d.count[F.focus] || 1;
		var name = i === 0 ? 'all' : d.names[d.name[i]];
		var self = d.count[i];
		for (var c = i + 1; c < d.end[i]; c = d.end[c])
			self -= d.count[c];
		return name + (d.inl[i] ? ' (inlined)' : '') + ': ' + d.count[i] + ' samples, ' +
			(100 * d.count[i] / all).toFixed(2) + ' % of all' +
			(F.focus ? ', ' + (100 * d.count[i] / zoom).toFixed(2) + ' % of the zoomed frame' : '') +
			'; self ' + self;
	}

	function flameHover(ev) {
		var i = flameAt(ev), tip = F.tip;
		if (i < 0) {
			tip.style.display = 'none';
			return;
		}
		var text = flameText(i);
		tip.textContent = text;
		document.getElementById('flame-info').textContent = text;
		var r = F.canvas.getBoundingClientRect();
		tip.style.left = Math.min(ev.clientX - r.left + 12, r.width * 0.55) + 'px';
		tip.style.top = (ev.clientY - r.top + 14) + 'px';
		tip.style.display = 'block';
	}

	function flameZoom(i) {
		F.focus = i;
		var d = F.d, crumbs = document.getElementById('flame-crumbs'), path = [];
		for (var p = i; p >= 0; p = d.parent[p])
			path.unshift(p);
		crumbs.innerHTML = path.length > 1 ? 'Zoomed: ' + path.map(function (k) {
			return '<a href="#flame" data-node="' + k + '">' + esc(k === 0 ? 'all' : d.names[d.name[k]]) + '</a>';
		}).join(' \u203a ') : '';
		crumbs.querySelectorAll('a').forEach(function (a) {
			a.addEventListener('click', function (ev) {
				ev.preventDefault();
				flameZoom(+a.getAttribute('data-node'));
			});
		});
		document.getElementById('flame-info').textContent = flameText(i);
		flameDraw();
	}

	function flameSearch(text) {
		var m = matcher(text), d = F.d, out = document.getElementById('flame-match');
		if (!m) {
			F.match = null;
			out.textContent = '';
			flameDraw();
			return;
		}
		F.match = new Uint8Array(d.n);
		var total = 0, covered = -1;
		for (var i = 1; i < d.n; i++) {
			if (!m(d.names[d.name[i]]))
				continue;
			F.match[i] = 1;
			if (i >= covered) {   // not inside a frame already counted
				total += d.count[i];
				covered = d.end[i];
			}
		}
		out.textContent = 'Matched: ' + total + ' samples, ' + (100 * total / (d.count[0] || 1)).toFixed(2) + ' % of all';
		flameDraw();
	}

	/* ---- the sources ---- */

	function drawSources() {
		var s = section('sources', 'Source files');
		if (!C.files.length) {
			s.appendChild(el('p', { 'class': 'empty' }, 'No source lines with samples.'));
			return;
		}
		s.appendChild(el('p', { 'class': 'note' }, C.files.length + ' files with samples, hottest first. ' +
			'Open one for its annotated listing: the listing\'s columns per line, a bar for its share of ' + whose() + ', ' +
			'and under a line the inlined and called code that ran from it.'));
		C.files.forEach(function (f) {
			var d = el('details', { 'class': 'file', id: 'file-' + f[0] });
			var sum = el('summary');
			sum.appendChild(el('span', null, srcName(f[0])));
			sum.appendChild(el('span', { 'class': 'num' }, f[1] + ' samples, ' + f[2] + ' % of ' + whose() + ', ' + f[3] + ' s'));
			d.appendChild(sum);
			d.addEventListener('toggle', function () {
				if (d.open)
					buildListing(f[0]);
			});
			s.appendChild(d);
		});
	}

	/* A loop's note on its header line, as the terminal's listing prints it. */
	function noteHtml(note) {
		return note ? '<span class="loopnote">' + esc(note) + '</span>' : '';
	}

	function callsHtml(calls) {
		if (!calls)
			return '';
		return '<div class="calls">' + calls.map(function (c) {
			var f = FROW[c[0]], href = f && f[3] >= 0 ? lineHref(f[3], f[4]) : null;
			var name = esc(f ? f[1] : '?');
			return '\u2192 ' + (href ? '<a href="' + href + '">' + name + '</a>' : funcLink(c[0])) + ' ' + esc(c[1]) + ' %';
		}).join(' ') + '</div>';
	}

	/*
	 * A listing is built in blocks of BLOCK lines, each its own table with the
	 * same fixed column widths: a block is drawn when it comes near the
	 * viewport (or when a link needs one of its lines), so a file of 50,000
	 * lines opens as quickly as one of 50.
	 */
	var BLOCK = 500, ROWH = 17, LISTINGS = {};
	var seen = window.IntersectionObserver ? new IntersectionObserver(function (entries) {
		entries.forEach(function (e) {
			if (e.isIntersecting)
				renderBlock(LISTINGS[e.target.getAttribute('data-fid')], +e.target.getAttribute('data-block'));
		});
	}, { rootMargin: '1200px 0px' }) : null;

	function colgroup(L) {
		var g = document.createElement('colgroup');
		L.widths.forEach(function (w) {
			var c = document.createElement('col');
			c.style.width = w;   // CSSOM: allowed by the page's policy, unlike style attributes
			g.appendChild(c);
		});
		return g;
	}

	function buildListing(fid) {
		if (built[fid])
			return LISTINGS[fid];
		built[fid] = true;
		var f = FILEROWS[fid], d = document.getElementById('file-' + fid);
		var lines = SRC[fid].lines, rows = {}, shown = [], maxData = 0;
		f[4].forEach(function (r) {
			rows[r[0]] = r;
			maxData = Math.max(maxData, r[0]);
		});
		if (lines) {
			for (var l = 1; l <= Math.max(lines.length, maxData); l++)
				shown.push(l);
		} else {
			shown = f[4].map(function (r) { return r[0]; });
		}
		/* Widths in characters, from the longest cell of each column: the same in every block. */
		var w = C.cols.map(function (c) { return c[1].length; });
		f[4].forEach(function (r) {
			r[1].forEach(function (c, i) { w[i] = Math.max(w[i], cellText(c, C.cols[i]).length); });
		});
		var L = {
			fid: fid, rows: rows, lines: lines, shown: shown, done: [], blocks: [],
			widths: [Math.max(6, String(shown[shown.length - 1] || 0).length) + 2 + 'ch']
				.concat(w.map(function (x) { return x + 2 + 'ch'; })).concat(['68px', 'auto'])
		};
		LISTINGS[fid] = L;
		var box = el('div', { 'class': 'listing' });
		if (!lines)
			box.appendChild(el('p', { 'class': 'note' }, 'Source not found when the report was written: numbers only ' +
				'(lineprof annotate --source-dir DIR finds moved sources).'));
		var head = el('table', { 'class': 'src head' });
		head.appendChild(colgroup(L));
		head.insertAdjacentHTML('beforeend', '<thead><tr><th>Line #</th>' + headCells(C.cols, false) +
			'<th class="bar"></th><th class="t">Line Contents</th></tr></thead>');
		box.appendChild(head);
		for (var b = 0; b * BLOCK < shown.length; b++) {
			var blk = el('div', { 'class': 'blk', 'data-fid': String(fid), 'data-block': String(b) });
			blk.style.height = Math.min(BLOCK, shown.length - b * BLOCK) * ROWH + 'px';
			L.blocks.push(blk);
			box.appendChild(blk);
		}
		d.appendChild(box);
		L.blocks.forEach(function (blk, k) {
			if (seen)
				seen.observe(blk);
			else
				renderBlock(L, k);
		});
		if (L.blocks.length)
			renderBlock(L, 0);
		return L;
	}

	function renderBlock(L, b) {
		if (!L || L.done[b])
			return;
		L.done[b] = true;
		var blank = '<td></td>'.repeat(C.cols.length), html = [], fid = L.fid;
		var end = Math.min(L.shown.length, (b + 1) * BLOCK);
		for (var k = b * BLOCK; k < end; k++) {
			var l = L.shown[k], r = L.rows[l];
			if (!L.lines && k > 0 && l > L.shown[k - 1] + 1)
				html.push('<tr class="gap"><td>...</td></tr>');
			var text = L.lines && l <= L.lines.length ? esc(L.lines[l - 1]) : '';
			var share = r ? shareOf(C.cols, r[1]) : 0;
			html.push('<tr id="L' + fid + '-' + l + '"' + (r ? ' class="data' + heatClass(share) + '"' : '') +
				'><td class="ln"><a href="#L' + fid + '-' + l + '">' + l + '</a></td>' +
				(r ? cells(r[1], C.cols) : blank) + '<td class="bar">' + (r ? bar(share) : '') +
				'</td><td class="code">' + text + (r ? noteHtml(r[3]) + callsHtml(r[2]) : '') + '</td></tr>');
		}
		var t = el('table', { 'class': 'src' });
		t.appendChild(colgroup(L));
		var tb = document.createElement('tbody');
		tb.innerHTML = html.join('');
		t.appendChild(tb);
		var blk = L.blocks[b];
		blk.style.height = '';
		blk.appendChild(t);
		if (seen)
			seen.unobserve(blk);
	}

	/* The block that holds line l of listing L drawn, and the line's row. */
	function rowOf(L, l) {
		var lo = 0, hi = L.shown.length;
		while (lo < hi) {
			var mid = (lo + hi) >> 1;
			if (L.shown[mid] < l)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < L.shown.length && L.shown[lo] === l)
			renderBlock(L, Math.floor(lo / BLOCK));
		return document.getElementById('L' + L.fid + '-' + l);
	}

	/* ---- navigation: listings are built when a link needs them ---- */

	function go(hash) {
		if (location.hash === hash)
			reveal(hash);
		else
			location.hash = hash;
	}

	function reveal(hash) {
		var m = /^#L(\d+)-(\d+)$/.exec(hash), target = null;
		if (m && FILEROWS[+m[1]]) {
			var d = document.getElementById('file-' + m[1]);
			d.open = true;
			target = rowOf(buildListing(+m[1]), +m[2]);
		} else if (m) {
			target = null;
		} else if (/^#fn-\d+$/.test(hash)) {
			target = document.getElementById(hash.slice(1));
			if (!target) {   // filtered out: show every function again
				document.getElementById('fn-filter').value = '';
				document.getElementById('fn-module').value = '';
				fillFunctions('', '', document.getElementById('fn-count'));
				target = document.getElementById(hash.slice(1));
			}
		}
		document.querySelectorAll('.target, tr.sel').forEach(function (e) { e.classList.remove('target', 'sel'); });
		if (target) {
			target.classList.add(target.id.charAt(0) === 'L' ? 'target' : 'sel');
			target.scrollIntoView({ block: 'center' });
		}
	}

	/* ---- the whole page, for one block ---- */

	/* A file's rows give each line as its step from the previous row's (html.c write_files): made lines, once. */
	function lineNumbers(block) {
		if (block.lines_made)
			return;
		block.lines_made = true;
		block.files.forEach(function (f) {
			var line = 0;
			f[4].forEach(function (r) { r[0] = line += r[0]; });
		});
	}

	function draw(block) {
		C = block;
		FROW = {};
		FILEROWS = {};
		built = {};
		LISTINGS = {};
		F = null;
		C.funcs.forEach(function (f) { FROW[f[0]] = f; });
		C.files.forEach(function (f) { FILEROWS[f[0]] = f; });
		lineNumbers(C);
		main.textContent = '';
		drawSummary();
		drawNamed();
		drawFunctions();
		drawHot();
		drawLoops();
		drawGraph();
		drawFlame();
		drawSources();
		var nav = document.getElementById('nav');
		nav.innerHTML = '';
		main.querySelectorAll('section').forEach(function (s) {
			var a = el('a', { href: '#' + s.id }, s.querySelector('h2').textContent);
			nav.appendChild(a);
		});
		document.title = 'lineprof: ' + (C.header[0] ? C.header[0][1] : '') + (C === ALL ? '' : ' (' + C.label + ')');
		document.body.setAttribute('data-block', C.label);
		barHeight();
		if (location.hash)
			reveal(location.hash);
	}

	/* A group's block is its JSON deflated (zlib) in base64: inflated by the browser itself. */
	function inflate(text) {
		var bin = atob(text.trim()), bytes = new Uint8Array(bin.length);
		for (var i = 0; i < bin.length; i++)
			bytes[i] = bin.charCodeAt(i);
		var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
		return new Response(stream).text();
	}

	/*
	 * A group's block, read when chosen (only the last one is kept: 64 ranks
	 * clicked through hold one rank's data): its functions are the whole
	 * block's (names, modules, places) with its own cells.
	 */
	var LAST = { id: null, block: null };

	function groupBlock(level, k) {
		var id = 'lp-' + level + '-' + k;
		if (LAST.id === id)
			return Promise.resolve(LAST.block);
		if (!window.DecompressionStream)
			return Promise.reject(new Error('this browser cannot inflate the page\'s data (DecompressionStream: ' +
				'Chrome 80, Firefox 113, Safari 16.4 or later)'));
		return inflate(document.getElementById(id).textContent).then(function (text) {
			var b = JSON.parse(text);
			b.funcs = b.funcs.map(function (r) {
				var a = ALLF[r[0]];
				return [r[0], a ? a[1] : '?', a ? a[2] : '?', a ? a[3] : -1, a ? a[4] : 0, r[1]];
			});
			LAST.id = id;
			LAST.block = b;
			return b;
		});
	}

	var SEQ = 0;   // the latest choice: a block read late never replaces it

	function show(level, k) {
		var seq = ++SEQ;
		if (level === null) {
			draw(ALL);
			return;
		}
		document.body.setAttribute('data-busy', '1');
		groupBlock(level, k).then(function (b) {
			if (seq === SEQ)
				draw(b);
		}, function (e) {
			var p = el('p', { 'class': 'note warn', id: 'group-error' }, 'The ' + level + ' cannot be shown: ' + e.message);
			main.insertBefore(p, main.firstChild);
		}).then(function () {
			if (seq === SEQ)
				document.body.removeAttribute('data-busy');
		});
	}

	var PLURAL = { rank: 'ranks', process: 'processes', thread: 'threads' };

	/* A selector per level the profile has (rank, process, thread): all, or one of them; one choice at a time. */
	function pickers() {
		var box = document.getElementById('ctx-pick'), picks = [];
		(ALL.levels || []).forEach(function (lv) {
			var sel = el('select', { id: 'pick-' + lv.level, title: 'Show one ' + lv.level + '\'s numbers' });
			sel.appendChild(el('option', { value: '' }, 'all ' + PLURAL[lv.level]));
			lv.groups.forEach(function (g, k) {
				sel.appendChild(el('option', { value: String(k), 'data-label': g[0] }, g[1] + ' \u2014 ' + g[3] + ' %'));
			});
			if (lv.count > lv.groups.length) {
				var more = el('option', { value: '-', disabled: 'disabled' }, (lv.count - lv.groups.length) + ' more ' +
					PLURAL[lv.level] + ' with fewer samples: not in this page');
				sel.appendChild(more);
			}
			sel.addEventListener('change', function () {
				picks.forEach(function (o) {
					if (o !== sel)
						o.value = '';
				});
				show(sel.value === '' ? null : lv.level, sel.value);
			});
			var lab = el('label', { 'class': 'pick' }, lv.level[0].toUpperCase() + lv.level.slice(1) + ' ');
			lab.appendChild(sel);
			box.appendChild(lab);
			picks.push(sel);
		});
	}

	/* The sticky table headings sit under the page's bar, which the selectors may make taller. */
	function barHeight() {
		var bar = document.querySelector('header.top');
		document.documentElement.style.setProperty('--bar-h', (bar ? bar.offsetHeight : 34) + 'px');
	}

	pickers();
	window.addEventListener('resize', barHeight);
	window.addEventListener('hashchange', function () { reveal(location.hash); });
	draw(ALL);
	document.body.setAttribute('data-ready', '1');
}());
