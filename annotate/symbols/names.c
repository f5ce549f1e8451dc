/*
 * Names: demangling through libiberty (never by hand), the normal form
 * names are compared in, -f patterns and suggestions.
 *
 * A qualified name is cut into components at the "::" that are not inside
 * <>, (), [] or {} (template arguments, lambda and Rust impl names, ABI
 * tags); "operator()" and friends are one token, so their brackets open
 * nothing. A parameter list is the first top-level '(' after a component
 * has begun: "(anonymous namespace)" at the start of one is a name.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libiberty/demangle.h>

#include "dwarf_file.h"
#include "names.h"

#define LP_COMPS_MAX 64

char *lp_demangle(const char *linkage, int params)
{
	int opts = DMGL_ANSI | DMGL_AUTO | (params ? DMGL_PARAMS : 0);

	/* DMGL_AUTO tries Rust (legacy and v0), then the Itanium C++ ABI; DMGL_RUST alone would skip C++. */
	if (!linkage || linkage[0] != '_' || (linkage[1] != 'Z' && linkage[1] != 'R'))
		return NULL;
	return cplus_demangle(linkage, opts);
}

char *lp_fortran_symbol(const char *sym)
{
	const char *mod;
	size_t mlen;
	char *out;

	if (!sym || strncmp(sym, "__", 2) != 0 || !(mod = strstr(sym + 2, "_MOD_")) ||
	    mod == sym + 2 || !mod[5])
		return NULL;
	mlen = (size_t)(mod - (sym + 2));
	out = malloc(mlen + 2 + strlen(mod + 5) + 1);
	if (!out)
		return NULL;
	memcpy(out, sym + 2, mlen);
	strcpy(out + mlen, "::");
	strcpy(out + mlen + 2, mod + 5);
	return out;
}

/* Length of one clone part at s (".part.12", ".cold"), 0 if none. */
static size_t clone_part(const char *s)
{
	static const char *const numbered[] = { ".part.", ".isra.", ".constprop.", ".lto_priv.",
						".clone.", ".specialized." };
	static const char *const plain[] = { ".cold", ".localalias", ".hot" };

	for (size_t i = 0; i < sizeof(numbered) / sizeof(numbered[0]); i++) {
		size_t n = strlen(numbered[i]), d = 0;

		if (strncmp(s, numbered[i], n) != 0)
			continue;
		while (isdigit((unsigned char)s[n + d]))
			d++;
		if (d)
			return n + d;
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		size_t n = strlen(plain[i]);

		if (strncmp(s, plain[i], n) == 0 && (s[n] == '\0' || s[n] == '.'))
			return n;
	}
	return 0;
}

size_t lp_clone_base(const char *sym)
{
	for (const char *dot = sym ? strchr(sym, '.') : NULL; dot; dot = strchr(dot + 1, '.')) {
		const char *s = dot;
		size_t n;

		if (dot == sym)
			continue;
		while ((n = clone_part(s)) > 0)
			s += n;
		if (*s == '\0' && s != dot)
			return (size_t)(dot - sym);
	}
	return 0;
}

static int is_ident(int c)
{
	return isalnum(c) || c == '_' || c == '$';
}

char *lp_name_normalize(const char *in, char *buf, size_t size)
{
	size_t n = 0;
	int blank = 0;

	if (!in || size == 0)
		return NULL;
	for (const char *s = in; *s; s++) {
		if (isspace((unsigned char)*s)) {
			blank = 1;
			continue;
		}
		if (blank && n > 0 && is_ident((unsigned char)buf[n - 1]) && is_ident((unsigned char)*s)) {
			if (n + 1 >= size)
				return NULL;
			buf[n++] = ' ';
		}
		blank = 0;
		/* Rust's turbofish: total::<u8> is total<u8>. */
		if (*s == '<' && n >= 2 && buf[n - 1] == ':' && buf[n - 2] == ':')
			n -= 2;
		if (n + 1 >= size)
			return NULL;
		buf[n++] = *s;
	}
	buf[n] = '\0';
	return buf;
}

static char *normalized_copy(const char *s)
{
	size_t size = strlen(s) + 1;
	char *buf = malloc(size);

	if (buf && !lp_name_normalize(s, buf, size)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* One component of a qualified name: s[0..len), template arguments from s[tmpl] (tmpl == len: none). */
typedef struct lp_comp {
	const char *s;
	size_t len, tmpl;
} lp_comp;

/* Length of the operator name at p ("operator()", "operator<<", "operator new[]"), p at "operator". */
static size_t operator_len(const char *p)
{
	const char *q = p + 8;

	if (*q == ' ') {
		for (q++; is_ident((unsigned char)*q); q++)
			;
		if (q[0] == '[' && q[1] == ']')
			q += 2;
		return (size_t)(q - p);
	}
	if ((q[0] == '(' && q[1] == ')') || (q[0] == '[' && q[1] == ']'))
		return 10;
	if (q[0] == '"' && q[1] == '"') {
		for (q += 2; is_ident((unsigned char)*q); q++)
			;
		return (size_t)(q - p);
	}
	while (*q && strchr("+-*/%^&|~!=<>,", *q) && q - p < 11)
		q++;
	return (size_t)(q - p);
}

static int operator_at(const char *start, const char *p)
{
	return strncmp(p, "operator", 8) == 0 && (p == start || !is_ident((unsigned char)p[-1])) &&
	       (p[8] == ' ' || !is_ident((unsigned char)p[8]));
}

/*
 * Cuts a normalised name into components; *params: where a trailing
 * parameter list starts, NULL if none. The number of components (>= 1),
 * or -1 when there are more than max.
 */
static int parse_comps(const char *s, lp_comp *out, int max, const char **params)
{
	const char *start = s, *p = s, *tmpl = NULL;
	int n = 0, depth = 0;

	*params = NULL;
	while (*p) {
		if (depth == 0 && p[0] == ':' && p[1] == ':') {
			if (n == max)
				return -1;
			out[n++] = (lp_comp){ start, (size_t)(p - start),
					      tmpl ? (size_t)(tmpl - start) : (size_t)(p - start) };
			start = p += 2;
			tmpl = NULL;
			continue;
		}
		if (depth == 0 && operator_at(start, p)) {
			p += operator_len(p);
			continue;
		}
		switch (*p) {
		case '<':
			if (depth == 0 && p > start && !tmpl)
				tmpl = p;
			depth++;
			break;
		case '(':
			if (depth == 0 && p > start) {
				*params = p;
				goto done;
			}
			depth++;
			break;
		case '[':
		case '{':
			depth++;
			break;
		case '>':
		case ')':
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		p++;
	}
done:
	if (n == max)
		return -1;
	out[n++] = (lp_comp){ start, (size_t)(p - start),
			      tmpl ? (size_t)(tmpl - start) : (size_t)(p - start) };
	return n;
}

static int region_parse(lp_fnpat *p, const char *text)
{
	const char *colon = strrchr(text, ':');
	char *end;
	long first, last;

	if (!colon || colon == text || colon[-1] == ':' || strstr(text, "::") ||
	    strchr(text, '[') || !isdigit((unsigned char)colon[1]))
		return 0;
	first = strtol(colon + 1, &end, 10);
	last = first;
	if (*end == '-') {
		if (!isdigit((unsigned char)end[1]))
			return 0;
		last = strtol(end + 1, &end, 10);
	}
	if (*end || first <= 0 || last < first || last > 10000000)
		return 0;
	p->file = strndup(text, (size_t)(colon - text));
	if (!p->file)
		return -1;
	p->region = 1;
	p->first = (int)first;
	p->last = (int)last;
	return 1;
}

int lp_fnpat_parse(lp_fnpat *p, const char *text)
{
	const char *open = NULL, *params;
	size_t len = strlen(text);
	char *bare = NULL;
	lp_comp comps[LP_COMPS_MAX];
	int rc;

	memset(p, 0, sizeof(*p));
	if (!(p->text = strdup(text)))
		return -1;
	if ((rc = region_parse(p, text)) != 0)
		return rc < 0 ? -1 : 0;
	p->linkage_like = (text[0] == '_' && (text[1] == 'Z' || text[1] == 'R')) ||
			  (strncmp(text, "__", 2) == 0 && strstr(text, "_MOD_"));
	/* "NAME [qualifier]", as lineprof prints names that collide. */
	if (len > 3 && text[len - 1] == ']' && (open = strstr(text, " [")) != NULL) {
		while (strstr(open + 1, " ["))
			open = strstr(open + 1, " [");
		if (!(p->qual = strndup(open + 2, (size_t)(text + len - 1 - (open + 2)))))
			goto nomem;
		len = (size_t)(open - text);
	}
	if (!(bare = strndup(text, len)))
		goto nomem;
	if (strpbrk(bare, "*?[") && !(p->glob = strdup(bare)))
		goto nomem;
	if (!(p->name = normalized_copy(bare)))
		goto nomem;
	free(bare);
	bare = NULL;
	rc = parse_comps(p->name, comps, LP_COMPS_MAX, &params);
	if (rc > 0 && params) {
		if (!(p->params = strdup(params)))
			goto nomem;
		p->name[params - p->name] = '\0';
	}
	if (!(p->leaf = rc > 0 ? strndup(comps[rc - 1].s, comps[rc - 1].tmpl) : strdup("")))
		goto nomem;
	return 0;
nomem:
	free(bare);
	lp_fnpat_free(p);
	return -1;
}

void lp_fnpat_free(lp_fnpat *p)
{
	free(p->text);
	free(p->file);
	free(p->name);
	free(p->params);
	free(p->qual);
	free(p->glob);
	free(p->leaf);
	memset(p, 0, sizeof(*p));
}

static int str_eq(const char *a, size_t la, const char *b, size_t lb, int fold)
{
	return la == lb && (fold ? strncasecmp(a, b, la) == 0 : strncmp(a, b, la) == 0);
}

/* Pattern component pc stands for name component nc. */
static int comp_match(const lp_comp *pc, const lp_comp *nc, int fold)
{
	if (str_eq(pc->s, pc->len, nc->s, nc->len, fold))
		return 1;
	/* "Cloud" for "Cloud<double>": every instance of the template. */
	return pc->tmpl == pc->len && nc->tmpl < nc->len &&
	       str_eq(pc->s, pc->len, nc->s, nc->tmpl, fold);
}

/* Replaces every find in buf (of capacity size) with repl; repl is no longer than find. */
static void replace_all(char *buf, const char *find, const char *repl)
{
	size_t lf = strlen(find), lr = strlen(repl);

	for (char *at = strstr(buf, find); at; at = strstr(at + lr, find)) {
		memmove(at + lr, at + lf, strlen(at + lf) + 1);
		memcpy(at, repl, lr);
	}
}

/* Drops ",std::allocator<...>" where it is a template's last argument (its default). */
static void drop_allocators(char *buf)
{
	for (char *at = strstr(buf, ",std::allocator<"); at; at = strstr(at + 1, ",std::allocator<")) {
		char *p = at + strlen(",std::allocator<");
		int depth = 1;

		for (; *p && depth > 0; p++)
			depth += *p == '<' ? 1 : *p == '>' ? -1 : 0;
		if (depth == 0 && *p == '>')
			memmove(at, p, strlen(p) + 1);
	}
}

/*
 * A normalised parameter list in the form spellings of one type share:
 * "std::string" for its basic_string, default allocators dropped, "const
 * T&" as "T const&" (the demangler's order), then no blanks at all.
 * malloc'd.
 */
static char *params_canon(const char *norm)
{
	size_t len = strlen(norm);
	char *buf = malloc(2 * len + 16), *out;
	size_t n = 0;
	int depth = 0;

	if (!buf)
		return NULL;
	strcpy(buf, norm);
	replace_all(buf, "std::__cxx11::basic_string<char,std::char_traits<char>,std::allocator<char>>",
		    "std::string");
	replace_all(buf, "std::basic_string<char,std::char_traits<char>,std::allocator<char>>",
		    "std::string");
	replace_all(buf, "std::__cxx11::string", "std::string");
	drop_allocators(buf);
	if (!(out = malloc(2 * strlen(buf) + 16))) {
		free(buf);
		return NULL;
	}
	/* East const, per parameter: "const X**&" -> "X const**&". */
	for (const char *p = buf; *p;) {
		if (p > buf && (p[-1] == '(' || p[-1] == ',') && depth == 1 &&
		    strncmp(p, "const ", 6) == 0) {
			const char *q = p + 6, *end = q, *stars;
			int d = 0;

			while (*end && !(d == 0 && (*end == ',' || *end == ')'))) {
				d += (*end == '<' || *end == '(') ? 1 : (*end == '>' || *end == ')') ? -1 : 0;
				end++;
			}
			for (stars = end; stars > q && (stars[-1] == '*' || stars[-1] == '&'); stars--)
				;
			memcpy(out + n, q, (size_t)(stars - q));
			n += (size_t)(stars - q);
			memcpy(out + n, "const", 5);
			n += 5;
			memcpy(out + n, stars, (size_t)(end - stars));
			n += (size_t)(end - stars);
			p = end;
			continue;
		}
		depth += (*p == '(' || *p == '<') ? 1 : (*p == ')' || *p == '>') ? -1 : 0;
		if (*p != ' ')
			out[n++] = *p;
		p++;
	}
	out[n] = '\0';
	free(buf);
	return out;
}

/* The typed list equals the signature's, or is a prefix ending at ')' that only qualifiers follow. */
static int params_match(const char *typed, const char *signature)
{
	char *norm = normalized_copy(signature);
	char *want = params_canon(typed), *have = NULL;
	lp_comp comps[LP_COMPS_MAX];
	const char *list = NULL;
	size_t n = want ? strlen(want) : 0;
	int ok = 0;

	if (norm && want && parse_comps(norm, comps, LP_COMPS_MAX, &list) > 0 && list &&
	    (have = params_canon(list)) != NULL) {
		ok = strcmp(have, want) == 0;
		if (!ok && n > 0 && want[n - 1] == ')' && strncmp(have, want, n) == 0) {
			const char *rest = have + n;

			ok = strspn(rest, "constvolatile&noexcept") == strlen(rest);
		}
	}
	free(norm);
	free(want);
	free(have);
	return ok;
}

/* path ends with file at a '/' (or is it). */
static int path_suffix(const char *path, const char *file)
{
	size_t lp = strlen(path), lf = strlen(file);

	if (lf > lp)
		return 0;
	return strcmp(path + lp - lf, file) == 0 && (lf == lp || path[lp - lf - 1] == '/');
}

/* One part of a qualifier: "file.c:12", "module+0x1f0" or "module". */
static int qual_part_match(const char *part, size_t len, const lp_fncand *c)
{
	char buf[1024];
	const char *colon, *plus;

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, part, len);
	buf[len] = '\0';
	colon = strrchr(buf, ':');
	if (colon && isdigit((unsigned char)colon[1]) && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
		buf[colon - buf] = '\0';
		return c->decl_file && c->decl_line == atoi(colon + 1) && path_suffix(c->decl_file, buf);
	}
	plus = strstr(buf, "+0x");
	if (plus) {
		buf[plus - buf] = '\0';
		return c->module && strcmp(c->module, buf) == 0 &&
		       c->entry == strtoull(plus + 3, NULL, 16);
	}
	return c->module && strcmp(c->module, buf) == 0;
}

static int qual_match(const char *qual, const lp_fncand *c)
{
	const char *s = qual;

	while (*s) {
		size_t len;

		while (*s == ' ' || *s == ',')
			s++;
		len = strcspn(s, ",");
		while (len > 0 && s[len - 1] == ' ')
			len--;
		if (len && !qual_part_match(s, len, c))
			return 0;
		s += len;
		while (*s && *s != ',')
			s++;
	}
	return 1;
}

static int name_match(const lp_fnpat *p, const lp_fncand *c)
{
	lp_comp pc[LP_COMPS_MAX], nc[LP_COMPS_MAX];
	const char *pparams, *nparams;
	char *norm;
	int np, nn, ok = 1;

	if (!p->name[0] || !c->name)
		return 0;
	np = parse_comps(p->name, pc, LP_COMPS_MAX, &pparams);
	if (np <= 0)
		return 0;
	if (!(norm = normalized_copy(c->name)))
		return 0;
	nn = parse_comps(norm, nc, LP_COMPS_MAX, &nparams);
	if (nn < np)
		ok = 0;
	for (int i = 1; ok && i <= np; i++)
		ok = comp_match(&pc[np - i], &nc[nn - i], c->fortran);
	free(norm);
	if (ok && p->params && c->signature)
		ok = params_match(p->params, c->signature);
	return ok;
}

int lp_fnpat_match(const lp_fnpat *p, const lp_fncand *c, enum lp_match_mode mode)
{
	int ok = 0;

	if (p->region)
		return 0;
	if (mode == LP_MATCH_GLOB) {
		int flags = c->fortran ? FNM_CASEFOLD : 0;
		const char *spell[] = { c->name, c->signature, c->linkage, c->base };

		if (!p->glob)
			return 0;
		for (size_t i = 0; !ok && i < sizeof(spell) / sizeof(spell[0]); i++)
			ok = spell[i] && fnmatch(p->glob, spell[i], flags) == 0;
		for (int i = 0; !ok && i < c->naliases; i++)
			ok = fnmatch(p->glob, c->aliases[i], flags) == 0;
	} else {
		/* A linkage name or an ELF alias, exactly as typed. */
		ok = c->linkage && strcmp(p->text, c->linkage) == 0;
		for (int i = 0; !ok && i < c->naliases; i++)
			ok = strcmp(p->text, c->aliases[i]) == 0;
		if (ok)
			return 1;
		if (p->linkage_like && !strchr(p->text, ':'))
			return 0;
		ok = name_match(p, c);
	}
	return ok && (!p->qual || qual_match(p->qual, c));
}

int lp_fnpat_maybe(const lp_fnpat *p, const char *base, int dwarf_name, int fortran)
{
	if (p->region)
		return 0;
	if (!base || !p->leaf || !p->leaf[0] || p->linkage_like)
		return 1;
	/* A DWARF name is the last component: its identifier part must be the pattern's. */
	if (dwarf_name && !(base[0] == '_' && (base[1] == 'Z' || base[1] == 'R'))) {
		size_t pl = 0, bl = 0;

		while (is_ident((unsigned char)p->leaf[pl]))
			pl++;
		while (is_ident((unsigned char)base[bl]))
			bl++;
		return pl == 0 || (pl == bl && (fortran ? strncasecmp(base, p->leaf, pl) == 0
							: strncmp(base, p->leaf, pl) == 0));
	}
	/* A symbol holds a plain identifier's letters, mangled or not (operators are coded). */
	for (const char *c = p->leaf; *c; c++)
		if (!is_ident((unsigned char)*c))
			return 1;
	return strcasestr(base, p->leaf) != NULL;
}

int lp_fnpat_file(const lp_fnpat *p, const char *path)
{
	const char *file = p->file;
	char buf[4096], cwd[4096];

	if (!p->region || !path || !file)
		return 0;
	while (strncmp(file, "./", 2) == 0)
		file += 2;
	/* "../src/x.c" or "/abs/x.c": the file itself, as this directory sees it. */
	if (file[0] == '/' || strncmp(file, "../", 3) == 0) {
		const char *abs = file[0] == '/' ? lp_path_normalize(NULL, file, buf, sizeof(buf))
			: getcwd(cwd, sizeof(cwd)) ? lp_path_normalize(cwd, file, buf, sizeof(buf)) : NULL;

		return abs && strcmp(abs, path) == 0;
	}
	return path_suffix(path, file);
}

/* ---- suggestions ---- */

/* Levenshtein distance, ignoring case: "hotwork" is one edit from "hot_work". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = malloc((lb + 1) * sizeof(*row));
	size_t d;

	if (!row)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t sub = diag + (tolower((unsigned char)a[i - 1]) !=
					     tolower((unsigned char)b[j - 1]));

			row[j] = sub;
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	d = row[lb];
	free(row);
	return d;
}

void lp_closest_init(lp_closest *c, const char *want)
{
	memset(c, 0, sizeof(*c));
	c->want = strdup(want ? want : "");
}

/* a ranks before b: nearer, then shorter, then alphabetical (stable output). */
static int closest_before(const char *a, size_t da, const char *b, size_t db)
{
	size_t la = strlen(a), lb = strlen(b);

	if (da != db)
		return da < db;
	if (la != lb)
		return la < lb;
	return strcmp(a, b) < 0;
}

/* Distance of name to want: the least over name and each of its "::" suffixes. */
static size_t name_distance(const char *want, const char *name)
{
	size_t best = (size_t)-1, wlen = strlen(want);
	int depth = 0;

	for (const char *s = name, *start = name; ; s++) {
		if (start && strlen(start) <= 4 * wlen + 64) {
			size_t d = edit_distance(want, start);

			best = d < best ? d : best;
		}
		start = NULL;
		if (!*s)
			break;
		if (*s == '<' || *s == '(' || *s == '[' || *s == '{')
			depth++;
		else if ((*s == '>' || *s == ')' || *s == ']' || *s == '}') && depth > 0)
			depth--;
		else if (depth == 0 && s[0] == ':' && s[1] == ':')
			start = s + 2, s++;
	}
	return best;
}

void lp_closest_offer(lp_closest *c, const char *name)
{
	size_t d;
	char *copy;
	int i;

	if (!c->want || !name || !*name)
		return;
	for (i = 0; i < c->n; i++)
		if (strcmp(c->name[i], name) == 0)
			return;
	d = name_distance(c->want, name);
	if (d == (size_t)-1)
		return;
	if (c->n == LP_CLOSEST && !closest_before(name, d, c->name[c->n - 1], c->dist[c->n - 1]))
		return;
	if (!(copy = strdup(name)))
		return;
	if (c->n < LP_CLOSEST) {
		i = c->n++;
	} else {
		i = c->n - 1;
		free(c->name[i]);
	}
	for (; i > 0 && closest_before(name, d, c->name[i - 1], c->dist[i - 1]); i--) {
		c->name[i] = c->name[i - 1];
		c->dist[i] = c->dist[i - 1];
	}
	c->name[i] = copy;
	c->dist[i] = d;
}

int lp_closest_format(const lp_closest *c, char *buf, size_t size)
{
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (int i = 0; i < c->n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", c->name[i]);
	return c->n;
}

void lp_closest_free(lp_closest *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->name[i]);
	free(c->want);
	memset(c, 0, sizeof(*c));
}
