/*
 * lineprof --flamegraph: hover for a frame's numbers, click to zoom into it,
 * "Search" (or Ctrl-F) to highlight frames by name, "Reset Zoom" (or Escape)
 * to see everything again. Each frame is a <g class="f"> whose data-x and
 * data-n are its first sample and its samples, data-d its depth: the
 * drawing is recomputed from them, so zooming never loses precision.
 */
(function () {
	'use strict';
	var svg = document.documentElement;
	var W = +svg.getAttribute('data-width'), PAD = +svg.getAttribute('data-pad');
	var FONT = +svg.getAttribute('data-font'), CHAR = FONT * 0.59;
	var total = +svg.getAttribute('data-samples');
	var frames = Array.prototype.slice.call(document.querySelectorAll('g.f'));
	var details = document.getElementById('details'), unzoom = document.getElementById('unzoom');
	var matched = document.getElementById('matched');
	var zoomed = null, searching = null;

	function info(g) {
		return g.querySelector('title').textContent;
	}

	/* A label that fits the frame, as flamegraph.pl cuts it: whole, shortened with "..", or none. */
	function fit(g, w) {
		var t = g.querySelector('text'), name = g.getAttribute('data-name');
		var room = Math.floor((w - 6) / CHAR);
		t.textContent = room < 3 ? '' : name.length <= room ? name : name.slice(0, room - 2) + '..';
	}

	function place(g, x, w) {
		var r = g.querySelector('rect'), t = g.querySelector('text');
		r.setAttribute('x', x.toFixed(1));
		r.setAttribute('width', Math.max(w, 0).toFixed(1));
		t.setAttribute('x', (x + 3).toFixed(1));
		fit(g, w);
	}

	function zoom(g) {
		var x0 = +g.getAttribute('data-x'), n = +g.getAttribute('data-n'), d = +g.getAttribute('data-d');
		var scale = (W - 2 * PAD) / n;
		frames.forEach(function (f) {
			var fx = +f.getAttribute('data-x'), fn = +f.getAttribute('data-n'), fd = +f.getAttribute('data-d');
			if (fd <= d && fx <= x0 && fx + fn >= x0 + n) {   // g and its callers: the whole width
				f.classList.remove('hide');
				f.classList.add('parent');
				place(f, PAD, W - 2 * PAD);
			} else if (fd > d && fx >= x0 && fx + fn <= x0 + n) {   // g's callees
				f.classList.remove('hide', 'parent');
				place(f, PAD + (fx - x0) * scale, fn * scale);
			} else {
				f.classList.add('hide');
			}
		});
		zoomed = g.getAttribute('data-i') === '0' ? null : g;
		unzoom.classList.toggle('hide', !zoomed);
		svg.setAttribute('data-zoom', zoomed ? g.getAttribute('data-i') : '');
		if (searching)
			search(searching);
	}

	function reset() {
		zoom(frames[0]);
		frames.forEach(function (f) { f.classList.remove('parent'); });
	}

	function search(term) {
		var re;
		try {
			re = new RegExp(term);
		} catch (e) {
			re = new RegExp(term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
		}
		searching = term;
		var sum = 0, coveredUntil = -1, coveredDepth = -1;
		var base = zoomed ? +zoomed.getAttribute('data-n') : total;
		frames.forEach(function (f) {
			var on = f.getAttribute('data-i') !== '0' && re.test(f.getAttribute('data-name'));
			f.classList.toggle('match', on);
			var x = +f.getAttribute('data-x'), n = +f.getAttribute('data-n'), d = +f.getAttribute('data-d');
			if (on && !f.classList.contains('hide') && !(x < coveredUntil && d > coveredDepth)) {
				sum += n;   // not inside a frame already counted
				coveredUntil = x + n;
				coveredDepth = d;
			}
		});
		matched.textContent = 'Matched: ' + (100 * sum / (base || 1)).toFixed(1) + '%';
		svg.setAttribute('data-matched', String(sum));
	}

	function clearSearch() {
		searching = null;
		frames.forEach(function (f) { f.classList.remove('match'); });
		matched.textContent = ' ';
		svg.removeAttribute('data-matched');
	}

	document.getElementById('frames').addEventListener('click', function (ev) {
		var g = ev.target.closest('g.f');
		if (g)
			zoom(g);
	});
	document.getElementById('frames').addEventListener('mouseover', function (ev) {
		var g = ev.target.closest('g.f');
		if (g)
			details.textContent = info(g);
	});
	document.getElementById('frames').addEventListener('mouseout', function () {
		details.textContent = ' ';
	});
	unzoom.addEventListener('click', reset);
	document.getElementById('search').addEventListener('click', function () {
		if (searching) {
			clearSearch();
			return;
		}
		var term = window.prompt('Search for (a regular expression, e.g. ^compute)', '');
		if (term)
			search(term);
	});
	window.addEventListener('keydown', function (ev) {
		if (ev.key === 'Escape') {
			reset();
			clearSearch();
		} else if ((ev.ctrlKey || ev.metaKey) && ev.key === 'f') {
			ev.preventDefault();
			document.getElementById('search').dispatchEvent(new MouseEvent('click'));
		}
	});
	/* For scripts and tests: the same actions without a mouse. */
	svg.lpZoom = function (i) { zoom(frames[i]); };
	svg.lpSearch = search;
	svg.lpReset = function () { reset(); clearSearch(); };
	frames.forEach(function (f) { fit(f, +f.querySelector('rect').getAttribute('width')); });
}());
