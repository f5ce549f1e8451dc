/*
 * --flamegraph FILE.svg: a standalone interactive flame graph in the manner
 * of flamegraph.pl, drawn by lineprof itself: the root ("all") at the bottom,
 * callers below callees, each frame as wide as its samples, siblings in name
 * order. Hover shows a frame's numbers, a click zooms into it, "Search"
 * highlights frames by name (flamegraph.js, inline). From the recorded call
 * stacks with -g; without them, each sampled address's chain of inlined
 * functions (said on the graph and once on diag).
 *
 * Each frame carries its numbers as data: data-n its samples, data-x its
 * first sample (the frames of one depth tile [0, all)), data-d its depth, so
 * the drawing can be checked against the profile, and zooming is exact.
 * Frames narrower than 0.1 px are left out, as flamegraph.pl's --minwidth
 * does; their samples stay in their parents'.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "render_assets.h"
#include "rows.h"

#define FG_WIDTH 1200
#define FG_PAD 10
#define FG_FRAME 16
#define FG_FONT 12
#define FG_TOP 48       /* title, subtitle, controls */
#define FG_BOTTOM 34    /* the details line */
#define FG_MINWIDTH 0.1

/* XML text and attribute values: & < > " ' escaped; what XML cannot hold becomes U+FFFD. */
static void xml(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	while (*s) {
		int n = lp_utf8_len(s);

		if (*s == '&')
			fputs("&amp;", out);
		else if (*s == '<')
			fputs("&lt;", out);
		else if (*s == '>')
			fputs("&gt;", out);
		else if (*s == '"')
			fputs("&quot;", out);
		else if (*s == '\'')
			fputs("&apos;", out);
		else if (*s == '\t' || *s == '\n' || *s == '\r')
			fputc(' ', out);
		else if (n == 0 || *s < 0x20 || *s == 0x7f)
			fputs("\xef\xbf\xbd", out), n = 1;
		else if (n == 3 && s[0] == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf))
			fputs("\xef\xbf\xbd", out); /* U+FFFE, U+FFFF: not XML characters */
		else
			fwrite(s, 1, (size_t)n, out);
		s += n;
	}
}

/* flamegraph.pl's "hot" palette, keyed by the name so a function keeps its colour; inlined: aqua. */
static void color(const char *name, int inlined, char buf[48])
{
	uint32_t h = 2166136261u;

	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		h = (h ^ *c) * 16777619u;
	{
		double v1 = (double)(h & 0xff) / 255.0, v2 = (double)((h >> 8) & 0xff) / 255.0;
		double v3 = (double)((h >> 16) & 0xff) / 255.0;

		if (inlined)
			snprintf(buf, 48, "rgb(%d,%d,%d)", 50 + (int)(60 * v1), 165 + (int)(55 * v2),
				 165 + (int)(55 * v3));
		else
			snprintf(buf, 48, "rgb(%d,%d,%d)", 205 + (int)(50 * v3), (int)(230 * v1),
				 (int)(55 * v2));
	}
}

typedef struct lp_fg {
	const lp_flame *fl;
	FILE *out;
	double scale;           /* pixels per sample */
	int height;
	uint64_t shown;         /* frames drawn */
} lp_fg;

static void frame(lp_fg *g, uint32_t i, uint64_t x)
{
	const lp_flame_node *nd = &g->fl->nodes[i];
	double px = FG_PAD + (double)x * g->scale, pw = (double)nd->samples * g->scale;
	double y = g->height - FG_BOTTOM - (double)(nd->depth + 1) * FG_FRAME;
	const lp_flame_node *root = &g->fl->nodes[0];
	char fill[48];

	if (i && pw < FG_MINWIDTH)
		return;
	color(nd->name, nd->inlined, fill);
	fprintf(g->out, "<g class=\"f\" data-i=\"%" PRIu64 "\" data-x=\"%" PRIu64 "\" data-n=\"%" PRIu64
		"\" data-d=\"%u\" data-name=\"", g->shown++, x, nd->samples, nd->depth);
	xml(g->out, nd->name);
	fputs("\"><title>", g->out);
	xml(g->out, nd->name);
	fprintf(g->out, "%s (%" PRIu64 " sample%s, %.2f%%)</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%d\" fill=\"%s\" rx=\"2\" ry=\"2\"/><text x=\"%.1f\" y=\"%.1f\"></text></g>\n",
		nd->inlined ? " [inlined]" : "", nd->samples, nd->samples == 1 ? "" : "s",
		root->samples ? 100.0 * (double)nd->samples / (double)root->samples : 0.0,
		px, y, pw, FG_FRAME - 1, i ? fill : "rgb(230,230,230)", px + 3, y + FG_FRAME / 2.0 + 4);
	for (uint32_t c = nd->first; c != UINT32_MAX; c = g->fl->nodes[c].next) {
		frame(g, c, x);
		x += g->fl->nodes[c].samples;
	}
}

int lp_render_flamegraph(const lp_render_ctx *ctx, FILE *out, lp_error *err)
{
	const lp_report *rep = ctx->rep;
	const lp_profile *p = rep->prof;
	lp_fg g = { .out = out };
	lp_flame fl;
	int rc = lp_flame_build(rep, &fl, err);

	if (rc != LP_OK)
		return rc;
	if (!fl.from_stacks && ctx->opts->diag)
		fprintf(ctx->opts->diag, "lineprof: --flamegraph: no call stacks in this profile "
			"(record with -g): each stack is one sampled address's inlined frames\n");
	g.fl = &fl;
	g.height = FG_TOP + FG_BOTTOM + (int)(fl.depth + 1) * FG_FRAME;
	g.scale = fl.nodes[0].samples ? (double)(FG_WIDTH - 2 * FG_PAD) / (double)fl.nodes[0].samples : 0;
	fputs("<?xml version=\"1.0\" standalone=\"no\"?>\n", out);
	fprintf(out, "<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"xmlns=\"http://www.w3.org/2000/svg\" data-width=\"%d\" data-pad=\"%d\" data-font=\"%d\" "
		"data-samples=\"%" PRIu64 "\" data-profile-samples=\"%" PRIu64 "\">\n",
		FG_WIDTH, g.height, FG_WIDTH, g.height, FG_WIDTH, FG_PAD, FG_FONT, fl.nodes[0].samples,
		p->samples);
	fprintf(out, "<style>text { font-family: Verdana, \"DejaVu Sans\", sans-serif; font-size: %dpx; "
		"fill: #000; } #title { font-size: 17px; text-anchor: middle; } #subtitle { text-anchor: middle; "
		"fill: #555; } #unzoom, #search { cursor: pointer; } g.f { cursor: pointer; } "
		"g.f:hover rect { stroke: #000; stroke-width: 0.5; } g.f.match rect { fill: rgb(230,0,230); } "
		".hide { display: none; } .parent { opacity: 0.6; }</style>\n", FG_FONT);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#f8f8f8\"/>\n", FG_WIDTH,
		g.height);
	fprintf(out, "<text id=\"title\" x=\"%d\" y=\"22\">Flame Graph</text>\n", FG_WIDTH / 2);
	fprintf(out, "<text id=\"subtitle\" x=\"%d\" y=\"40\">", FG_WIDTH / 2);
	xml(out, p->command ? p->command : "");
	fprintf(out, "%s%" PRIu64 " samples of %s%s</text>\n", p->command ? " \xe2\x80\x94 " : "",
		fl.nodes[0].samples, p->nevents ? p->events[0].measured : "?",
		fl.from_stacks ? "" : "; no call stacks recorded: inlined frames only");
	fprintf(out, "<text id=\"unzoom\" class=\"hide\" x=\"%d\" y=\"22\">Reset Zoom</text>\n", FG_PAD);
	fprintf(out, "<text id=\"search\" x=\"%d\" y=\"22\" text-anchor=\"end\">Search</text>\n",
		FG_WIDTH - FG_PAD);
	fprintf(out, "<text id=\"matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"> </text>\n",
		FG_WIDTH - FG_PAD, g.height - 12);
	fprintf(out, "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n", FG_PAD, g.height - 12);
	fputs("<g id=\"frames\">\n", out);
	if (fl.nodes[0].samples)
		frame(&g, 0, 0);
	fputs("</g>\n", out);
	/* Last: the script finds the frames it works on already parsed. */
	fputs("<script type=\"text/ecmascript\"><![CDATA[\n", out);
	fputs(lp_asset_flamegraph_js, out);
	fputs("]]></script>\n</svg>\n", out);
	lp_flame_free(&fl);
	if (ferror(out))
		return lp_error_set(err, LP_EFAIL, "lineprof: cannot write the flame graph");
	return LP_OK;
}
