/*
 * The function index of one file: one walk over its DWARF (keeping the
 * chain of namespaces, classes and modules around each DIE, which libdw
 * cannot give from a DIE alone), then its ELF symbols and PLT.
 *
 * Names are made lazily: demangling every function of a large library
 * costs more than the walk, and most are never shown or matched.
 */
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "containers.h"
#include "fnindex.h"

#define LP_FN_WALK_DEPTH 256

/* key -> value, open addressing; value 0 means empty, so values are stored + 1. */
typedef struct lp_u64map {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, n;
} lp_u64map;

static uint64_t mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	return k ^ (k >> 33);
}

static int u64map_put(lp_u64map *m, uint64_t key, uint32_t val);

static int u64map_grow(lp_u64map *m)
{
	lp_u64map bigger = { .cap = m->cap ? 2 * m->cap : 256 };

	bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
	bigger.vals = calloc(bigger.cap, sizeof(*bigger.vals));
	if (!bigger.keys || !bigger.vals) {
		free(bigger.keys);
		free(bigger.vals);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->vals[i])
			u64map_put(&bigger, m->keys[i], m->vals[i] - 1);
	free(m->keys);
	free(m->vals);
	*m = bigger;
	return 0;
}

static int u64map_put(lp_u64map *m, uint64_t key, uint32_t val)
{
	size_t i;

	if (2 * (m->n + 1) > m->cap && u64map_grow(m) != 0)
		return -1;
	for (i = mix64(key) & (m->cap - 1); m->vals[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key) {
			m->vals[i] = val + 1;
			return 0;
		}
	m->keys[i] = key;
	m->vals[i] = val + 1;
	m->n++;
	return 0;
}

/* The value of key, or -1. */
static int64_t u64map_get(const lp_u64map *m, uint64_t key)
{
	if (!m->cap)
		return -1;
	for (size_t i = mix64(key) & (m->cap - 1); m->vals[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key)
			return (int64_t)m->vals[i] - 1;
	return -1;
}

static void u64map_free(lp_u64map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/*
 * A namespace, class or module around functions. A lambda's closure type
 * is named as the demangler names it, "{lambda(int, int)#1}", and stands
 * for its enclosing function too (fn: whose display name comes first).
 */
typedef struct lp_scope {
	const char *name;
	int32_t parent;
	int64_t fn;
} lp_scope;

/* A call that passes a code address (the OpenMP runtime gets a region's code so). */
typedef struct lp_callsite {
	uint64_t target;     /* Dwfl address passed */
	uint64_t ret;        /* Dwfl address the call returns to */
	Dwarf_Die cu;
} lp_callsite;

/* An address range of a symbol-keyed (or symbol-covered) function. */
typedef struct lp_symrange {
	uint64_t lo, hi;
	uint32_t fn;
} lp_symrange;

typedef struct lp_alias {
	uint32_t fn;
	const char *name;
} lp_alias;

struct lp_fnindex {
	lp_dwfile *file;
	Dwarf *dw;
	Dwarf_Addr dwbias;
	lp_fn *fns;
	size_t n, cap;
	lp_u64map bykey;
	lp_scope *scopes;
	size_t nscopes, capscopes;
	char **owned;             /* strings the index made (lambda scope names) */
	size_t nowned;
	lp_u64map declscope;      /* a declaration's key -> its scope */
	lp_callsite *calls;
	size_t ncalls, capcalls;
	Dwarf_Die *region_cus;    /* one per outlined function: its region's unit */
	lp_dieindex dies;
	lp_symrange *syms;
	size_t nsyms, capsyms;
	lp_alias *aliases;        /* sorted by fn */
	size_t naliases, capaliases;
	const char **alias_names; /* scratch for lp_fnindex_aliases */
	size_t alias_cap;
	int oom;
};

size_t lp_fnindex_count(const lp_fnindex *ix)
{
	return ix->n;
}

lp_fn *lp_fnindex_at(const lp_fnindex *ix, size_t i)
{
	return i < ix->n ? &ix->fns[i] : NULL;
}

lp_fn *lp_fnindex_get(const lp_fnindex *ix, uint64_t key)
{
	int64_t i = u64map_get(&ix->bykey, key);

	return i < 0 ? NULL : &ix->fns[i];
}

const lp_dieindex *lp_fnindex_dies(const lp_fnindex *ix)
{
	return &ix->dies;
}

uint64_t lp_fnindex_dwbias(const lp_fnindex *ix)
{
	return ix->dwbias;
}

Dwarf *lp_fnindex_dwarf(const lp_fnindex *ix)
{
	return ix->dw;
}

/* The function of key, added if new; -1 when out of memory. */
static int64_t fn_get(lp_fnindex *ix, uint64_t key, int *added)
{
	int64_t i = u64map_get(&ix->bykey, key);

	*added = 0;
	if (i >= 0)
		return i;
	if (LP_GROW(ix->fns, ix->n, ix->cap) != 0 ||
	    u64map_put(&ix->bykey, key, (uint32_t)ix->n) != 0) {
		ix->oom = 1;
		return -1;
	}
	memset(&ix->fns[ix->n], 0, sizeof(ix->fns[0]));
	ix->fns[ix->n].key = ix->fns[ix->n].owner = key;
	ix->fns[ix->n].entry = UINT64_MAX;
	ix->fns[ix->n].scope = -1;
	*added = 1;
	return (int64_t)ix->n++;
}

static int die_flag(Dwarf_Die *die, unsigned int at, int integrate)
{
	Dwarf_Attribute attr;
	bool flag = false;

	if (!(integrate ? dwarf_attr_integrate(die, at, &attr) : dwarf_attr(die, at, &attr)))
		return 0;
	return dwarf_formflag(&attr, &flag) == 0 && flag;
}

static int die_lang(Dwarf_Die *die)
{
	Dwarf_Die cu;

	return dwarf_diecu(die, &cu, NULL, NULL) ? dwarf_srclang(&cu) : -1;
}

static int lang_fortran(int lang)
{
	return lang == DW_LANG_Fortran77 || lang == DW_LANG_Fortran90 || lang == DW_LANG_Fortran95 ||
	       lang == DW_LANG_Fortran03 || lang == DW_LANG_Fortran08;
}

/* The DIE every copy of die leads to, through abstract origins and specifications. */
static void die_canon(Dwarf_Die *die, Dwarf_Die *out)
{
	*out = *die;
	for (int i = 0; i < 16; i++) {
		Dwarf_Attribute attr;
		Dwarf_Die next;

		if (!dwarf_attr(out, DW_AT_abstract_origin, &attr) &&
		    !dwarf_attr(out, DW_AT_specification, &attr))
			return;
		if (!dwarf_formref_die(&attr, &next))
			return;
		*out = next;
	}
}

static uint64_t die_offset_key(const lp_fnindex *ix, Dwarf_Die *die)
{
	int alt = ix->dw && dwarf_cu_getdwarf(die->cu) != ix->dw;

	return LP_KEY_DIE | (alt ? 1ULL << 61 : 0) | (dwarf_dieoffset(die) & ((1ULL << 61) - 1));
}

/* The canonical DIE has no origin or specification: its own attributes are all it has. */
static const char *canon_linkage(Dwarf_Die *canon)
{
	Dwarf_Attribute attr;

	if (dwarf_attr(canon, DW_AT_linkage_name, &attr) ||
	    dwarf_attr(canon, DW_AT_MIPS_linkage_name, &attr))
		return dwarf_formstring(&attr);
	return NULL;
}

uint64_t lp_fnindex_die_key(const lp_fnindex *ix, Dwarf_Die *die, Dwarf_Die *canon)
{
	Dwarf_Die mem;
	const char *link;

	if (!canon)
		canon = &mem;
	die_canon(die, canon);
	link = canon_linkage(canon);
	/* One definition (C++'s ODR, Rust's unique symbols): one function, whichever unit emitted it. */
	if (link && (strncmp(link, "_R", 2) == 0 || die_flag(canon, DW_AT_external, 0) ||
		     die_lang(canon) == DW_LANG_Rust))
		return LP_KEY_LINKAGE | (str_hash(link) & ((1ULL << 62) - 1));
	return die_offset_key(ix, canon);
}

/* Lowest address of die's code (DWARF address), or UINT64_MAX. */
static uint64_t die_low(Dwarf_Die *die)
{
	Dwarf_Addr base, lo, hi, best = UINT64_MAX;
	ptrdiff_t off = 0;

	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0)
		if (hi > lo && lo < best)
			best = lo;
	return best;
}

typedef struct lp_fnwalk {
	lp_fnindex *ix;
	int calls_only;      /* the second walk: call sites, nothing else */
	Dwarf_Die cu;
	int lang;
	int32_t scope;       /* innermost namespace/class/module */
	int64_t fn;          /* innermost enclosing subprogram */
	int lambdas;         /* closure types seen in it so far */
	Dwarf_Die cls;       /* innermost class (has_cls): where its members are declared */
	int has_cls;
} lp_fnwalk;

static int32_t scope_push(lp_fnindex *ix, const char *name, int32_t parent, int64_t fn)
{
	if (LP_GROW(ix->scopes, ix->nscopes, ix->capscopes) != 0) {
		ix->oom = 1;
		return parent;
	}
	ix->scopes[ix->nscopes] = (lp_scope){ name, parent, fn };
	return (int32_t)ix->nscopes++;
}

/* DWARF's names of base types as the demangler spells them. */
static const char *base_spelling(const char *name)
{
	static const char *const map[][2] = {
		{ "long int", "long" }, { "long unsigned int", "unsigned long" },
		{ "short int", "short" }, { "short unsigned int", "unsigned short" },
		{ "long long int", "long long" }, { "long long unsigned int", "unsigned long long" },
		{ "__int128 unsigned", "unsigned __int128" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(name, map[i][0]) == 0)
			return map[i][1];
	return name;
}

static int buf_put(char *buf, size_t size, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 > size)
		return -1;
	memcpy(buf + *len, s, n + 1);
	*len += n;
	return 0;
}

/*
 * A parameter's type as the demangler prints it ("std::vector<int,
 * std::allocator<int> >&", "char const*"): typedefs resolved, classes
 * qualified by their namespaces. -1 for what this does not know.
 */
static int type_print(Dwarf_Die *type, char *buf, size_t size, size_t *len, int depth)
{
	Dwarf_Attribute attr;
	Dwarf_Die inner, *scopes = NULL;
	const char *suffix = NULL, *name;
	int tag = dwarf_tag(type), n, rc = 0;

	if (depth > 16)
		return -1;
	switch (tag) {
	case DW_TAG_base_type:
		return (name = lp_die_name(type)) ? buf_put(buf, size, len, base_spelling(name)) : -1;
	case DW_TAG_typedef:
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		suffix = tag == DW_TAG_const_type ? " const" : tag == DW_TAG_volatile_type ? " volatile"
			: tag == DW_TAG_pointer_type ? "*" : tag == DW_TAG_reference_type ? "&"
			: tag == DW_TAG_rvalue_reference_type ? "&&" : "";
		if (!dwarf_attr(type, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &inner))
			rc = tag == DW_TAG_pointer_type ? buf_put(buf, size, len, "void") : -1;
		else
			rc = type_print(&inner, buf, size, len, depth + 1);
		return rc == 0 ? buf_put(buf, size, len, suffix) : -1;
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
	case DW_TAG_union_type:
	case DW_TAG_enumeration_type:
		if (!(name = lp_die_name(type)))
			return -1;
		/* Its namespaces and classes, outermost first (scopes[0] is the type itself). */
		n = dwarf_getscopes_die(type, &scopes);
		for (int i = n - 2; i >= 1 && rc == 0; i--) {
			const char *s = lp_die_name(&scopes[i]);
			int t = dwarf_tag(&scopes[i]);

			if (t == DW_TAG_namespace && !s)
				s = "(anonymous namespace)";
			if ((t == DW_TAG_namespace || t == DW_TAG_class_type ||
			     t == DW_TAG_structure_type || t == DW_TAG_union_type) && s)
				rc = buf_put(buf, size, len, s) || buf_put(buf, size, len, "::");
		}
		free(scopes);
		return rc == 0 ? buf_put(buf, size, len, name) : -1;
	default:
		return -1;
	}
}

/*
 * "{lambda(int, int)#N}" for a closure type: the parameters of its
 * operator(); "{lambda#N}" where a type is beyond type_print. NULL if cls
 * is no closure type (no operator()).
 */
static char *lambda_name(Dwarf_Die *cls, int number)
{
	char buf[2048];
	size_t len = 0;
	Dwarf_Die child, param;
	int found = 0, rc = 0, first = 1;

	if (dwarf_child(cls, &child) != 0)
		return NULL;
	do {
		const char *name = lp_die_name(&child);

		found = dwarf_tag(&child) == DW_TAG_subprogram && name && strcmp(name, "operator()") == 0;
	} while (!found && dwarf_siblingof(&child, &child) == 0);
	if (!found)
		return NULL;
	rc = buf_put(buf, sizeof(buf), &len, "{lambda(");
	if (rc == 0 && dwarf_child(&child, &param) == 0) {
		do {
			Dwarf_Attribute attr;
			Dwarf_Die type;

			if (dwarf_tag(&param) != DW_TAG_formal_parameter ||
			    die_flag(&param, DW_AT_artificial, 1))
				continue;
			if (!first)
				rc = buf_put(buf, sizeof(buf), &len, ", ");
			first = 0;
			if (rc == 0 && dwarf_attr_integrate(&param, DW_AT_type, &attr) &&
			    dwarf_formref_die(&attr, &type))
				rc = type_print(&type, buf, sizeof(buf), &len, 0);
			else
				rc = -1;
		} while (rc == 0 && dwarf_siblingof(&param, &param) == 0);
	}
	if (rc == 0)
		rc = buf_put(buf, sizeof(buf), &len, ")");
	if (rc != 0)
		snprintf(buf, sizeof(buf), "{lambda#%d}", number);
	else
		snprintf(buf + len, sizeof(buf) - len, "#%d}", number);
	return strdup(buf);
}

static void walk_children(lp_fnwalk *w, Dwarf_Die *parent, int depth);

/* Names come from the scope chain only where no linkage name demangles. */
static int mangled(const char *link)
{
	return link && link[0] == '_' && (link[1] == 'Z' || link[1] == 'R');
}

/* Fills fn's name and declaration from die (a definition, or an inlined copy if nothing better). */
static void fn_describe(lp_fnwalk *w, lp_fn *fn, Dwarf_Die *die)
{
	int line = 0;

	fn->die = *die;
	fn->has_die = 1;
	fn->base = lp_die_name(die);
	fn->linkage = lp_die_linkage_name(die);
	fn->decl_file = lp_die_decl_file(die);
	fn->decl_line = dwarf_decl_line(die, &line) == 0 ? line : 0;
	/* A lambda's operator() is declared nowhere: its closure type is, on the lambda's line. */
	if (!fn->decl_file && w->has_cls) {
		fn->decl_file = lp_die_decl_file(&w->cls);
		fn->decl_line = dwarf_decl_line(&w->cls, &line) == 0 ? line : 0;
	}
	fn->fortran = lang_fortran(w->lang);
	fn->rust = w->lang == DW_LANG_Rust;
}

static void walk_subprogram(lp_fnwalk *w, Dwarf_Die *die, int depth)
{
	lp_fnindex *ix = w->ix;
	Dwarf_Die canon;
	uint64_t key, low;
	int64_t i, saved;
	int added, outlined, saved_lambdas, code;
	lp_fn *fn;
	const char *name;

	if (die_flag(die, DW_AT_declaration, 0)) {
		/* Where a definition elsewhere (DW_AT_specification) gets its scope. */
		if (w->scope >= 0 && !mangled(lp_die_linkage_name(die)) &&
		    u64map_put(&ix->declscope, die_offset_key(ix, die), (uint32_t)w->scope) != 0)
			ix->oom = 1;
		return;
	}
	if (!lp_die_is_function(die))
		return;
	if (w->calls_only) {
		walk_children(w, die, depth + 1);
		return;
	}
	key = lp_fnindex_die_key(ix, die, &canon);
	if ((i = fn_get(ix, key, &added)) < 0)
		return;
	fn = &ix->fns[i];
	code = lp_die_has_code(die);
	if (added)
		fn->canon = die_offset_key(ix, &canon);
	if (!fn->has_die || (code && !lp_die_has_code(&fn->die)))
		fn_describe(w, fn, die);
	if (w->scope >= 0 && fn->canon == die_offset_key(ix, die))
		fn->scope = w->scope;
	if (code) {
		low = die_low(die);
		if (low != UINT64_MAX && low + ix->dwbias < fn->entry)
			fn->entry = low + ix->dwbias;
		if (lp_dieindex_add_die(&ix->dies, die) != 0)
			ix->oom = 1;
	}
	/*
	 * Outlined code: gcc's f._omp_fn.N is artificial and nested in f;
	 * clang's .omp_outlined. and friends start with '.', which no source
	 * identifier can (their owner is found after the walk). Decided at the
	 * first subprogram DIE of the function: where it sits is what tells.
	 */
	if (!fn->sub_seen) {
		fn->sub_seen = 1;
		name = fn->base ? fn->base : fn->linkage;   /* clang's .omp.reduction.reduction_func */
		outlined = (name && name[0] == '.') ||
			   (w->fn >= 0 && die_flag(die, DW_AT_artificial, 1));
		if (outlined) {
			fn->outlined = 1;
			if (w->fn >= 0 && ix->fns[w->fn].key != key)
				fn->owner = ix->fns[w->fn].owner;
		}
	}
	saved = w->fn;
	saved_lambdas = w->lambdas;
	w->fn = i;
	w->lambdas = 0;
	walk_children(w, die, depth + 1);
	w->fn = saved;
	w->lambdas = saved_lambdas;
}

static void walk_inlined(lp_fnwalk *w, Dwarf_Die *die, int depth)
{
	lp_fnindex *ix = w->ix;
	Dwarf_Die canon;
	uint64_t key, low;
	int added;
	int64_t i;

	if (w->calls_only) {
		walk_children(w, die, depth + 1);
		return;
	}
	key = lp_fnindex_die_key(ix, die, &canon);
	i = fn_get(ix, key, &added);
	if (i >= 0) {
		lp_fn *fn = &ix->fns[i];

		if (!fn->has_die) {
			fn_describe(w, fn, die);
			fn->canon = die_offset_key(ix, &canon);
		}
		low = die_low(die);
		if (low != UINT64_MAX && low + ix->dwbias < fn->entry)
			fn->entry = low + ix->dwbias;
	}
	walk_children(w, die, depth + 1);
}

/* A call passing a code address: DW_OP_addr (or addrx) as a parameter's value. */
static void walk_call_site(lp_fnwalk *w, Dwarf_Die *die)
{
	lp_fnindex *ix = w->ix;
	Dwarf_Attribute attr;
	Dwarf_Addr ret;
	Dwarf_Die param;

	if (!(dwarf_attr(die, DW_AT_call_return_pc, &attr) || dwarf_attr(die, DW_AT_low_pc, &attr)) ||
	    dwarf_formaddr(&attr, &ret) != 0 || dwarf_child(die, &param) != 0)
		return;
	do {
		Dwarf_Op *ops;
		size_t nops;
		Dwarf_Addr target;
		Dwarf_Attribute result;

		if ((dwarf_tag(&param) != DW_TAG_call_site_parameter &&
		     dwarf_tag(&param) != DW_TAG_GNU_call_site_parameter) ||
		    !(dwarf_attr(&param, DW_AT_call_value, &attr) ||
		      dwarf_attr(&param, DW_AT_GNU_call_site_value, &attr)) ||
		    dwarf_getlocation(&attr, &ops, &nops) != 0 || nops != 1)
			continue;
		if (ops[0].atom == DW_OP_addr)
			target = ops[0].number;
		else if ((ops[0].atom == DW_OP_addrx || ops[0].atom == DW_OP_GNU_addr_index) &&
			 dwarf_getlocation_attr(&attr, &ops[0], &result) == 0 &&
			 dwarf_formaddr(&result, &target) == 0)
			;
		else
			continue;
		if (LP_GROW(ix->calls, ix->ncalls, ix->capcalls) != 0) {
			ix->oom = 1;
			return;
		}
		ix->calls[ix->ncalls++] = (lp_callsite){ target + ix->dwbias, ret + ix->dwbias, w->cu };
	} while (dwarf_siblingof(&param, &param) == 0);
}

static void walk_die(lp_fnwalk *w, Dwarf_Die *die, int depth)
{
	int32_t saved;
	int64_t saved_fn;
	Dwarf_Die saved_cls;
	int saved_has_cls;
	const char *name;
	char *lambda;

	switch (dwarf_tag(die)) {
	case DW_TAG_namespace:
	case DW_TAG_module:
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_interface_type:
		saved = w->scope;
		saved_fn = w->fn;
		saved_cls = w->cls;
		saved_has_cls = w->has_cls;
		name = lp_die_name(die);
		if (!name && dwarf_tag(die) == DW_TAG_namespace)
			name = "(anonymous namespace)";
		if (w->calls_only) {
			;   /* no scopes: call sites are all this walk wants */
		} else if (name) {
			w->scope = scope_push(w->ix, name, saved, -1);
		} else if (w->fn >= 0 && dwarf_tag(die) != DW_TAG_namespace &&
			   (lambda = lambda_name(die, w->lambdas + 1)) != NULL) {
			/* An unnamed class with an operator() in a function: a lambda's closure. */
			char **owned = realloc(w->ix->owned, (w->ix->nowned + 1) * sizeof(*owned));

			w->lambdas++;
			if (!owned) {
				free(lambda);
				w->ix->oom = 1;
			} else {
				w->ix->owned = owned;
				owned[w->ix->nowned++] = lambda;
				w->scope = scope_push(w->ix, lambda, saved, w->fn);
			}
		}
		/* A local class's members are its own, not code outlined from the function around it. */
		if (dwarf_tag(die) != DW_TAG_namespace && dwarf_tag(die) != DW_TAG_module) {
			w->fn = -1;
			w->cls = *die;
			w->has_cls = 1;
		}
		walk_children(w, die, depth + 1);
		w->scope = saved;
		w->fn = saved_fn;
		w->cls = saved_cls;
		w->has_cls = saved_has_cls;
		break;
	case DW_TAG_subprogram:
		walk_subprogram(w, die, depth);
		break;
	case DW_TAG_inlined_subroutine:
		walk_inlined(w, die, depth);
		break;
	case DW_TAG_lexical_block:
	case DW_TAG_try_block:
	case DW_TAG_catch_block:
		walk_children(w, die, depth + 1);
		break;
	case DW_TAG_call_site:
	case DW_TAG_GNU_call_site:
		if (w->calls_only)
			walk_call_site(w, die);
		break;
	default:
		break;
	}
}

static void walk_children(lp_fnwalk *w, Dwarf_Die *parent, int depth)
{
	Dwarf_Die child;

	if (depth > LP_FN_WALK_DEPTH || dwarf_child(parent, &child) != 0)
		return;
	do
		walk_die(w, &child, depth);
	while (!w->ix->oom && dwarf_siblingof(&child, &child) == 0);
}

static void walk_dwarf(lp_fnindex *ix, int calls_only)
{
	Dwarf_CU *cu = NULL, *next;
	Dwarf_Half version;
	uint8_t type;
	Dwarf_Die cudie, subdie;

	while (!ix->oom && dwarf_get_units(ix->dw, cu, &next, &version, &type, &cudie, &subdie) == 0) {
		lp_fnwalk w = { .ix = ix, .calls_only = calls_only, .scope = -1, .fn = -1 };

		cu = next;
		w.cu = type == DW_UT_skeleton ? subdie : cudie;
		if ((type != DW_UT_compile && type != DW_UT_partial && type != DW_UT_skeleton) ||
		    dwarf_tag(&w.cu) <= 0)
			continue;
		w.lang = dwarf_srclang(&w.cu);
		walk_children(&w, &w.cu, 0);
	}
}

/* clang puts outlined regions after their function at the unit's top level: the function declared last before them owns them. */
static void find_owners(lp_fnindex *ix)
{
	for (size_t i = 0; i < ix->n; i++) {
		lp_fn *o = &ix->fns[i];
		Dwarf_Die ocu, cu;
		int64_t best = -1;

		if (!o->outlined || o->owner != o->key || !o->has_die || !o->decl_file || !o->decl_line ||
		    !dwarf_diecu(&o->die, &ocu, NULL, NULL))
			continue;
		for (size_t j = 0; j < ix->n; j++) {
			lp_fn *f = &ix->fns[j];

			if (f->outlined || !f->has_die || !f->base || !f->decl_file ||
			    f->decl_line > o->decl_line ||
			    (best >= 0 && f->decl_line <= ix->fns[best].decl_line) ||
			    strcmp(f->decl_file, o->decl_file) != 0 || !dwarf_diecu(&f->die, &cu, NULL, NULL) ||
			    dwarf_dieoffset(&cu) != dwarf_dieoffset(&ocu))
				continue;
			best = (int64_t)j;
		}
		if (best >= 0)
			o->owner = ix->fns[best].key;
	}
}

/* The line of Dwfl address addr in unit cu: 0 and *file, or -1. */
static int line_at(lp_fnindex *ix, Dwarf_Die *cu, uint64_t addr, const char **file, int *line)
{
	Dwarf_Line *row = dwarf_getsrc_die(cu, addr - ix->dwbias);

	if (!row || dwarf_lineno(row, line) != 0 || *line <= 0 ||
	    !(*file = dwarf_linesrc(row, NULL, NULL)))
		return -1;
	return 0;
}

/*
 * Where each outlined region is in its owner: see fnindex.h. The call
 * sites are collected by a second walk, only in files that have outlined
 * code (most have none, and reading every call's parameters costs).
 */
static void find_regions(lp_fnindex *ix)
{
	size_t n = 0, r = 0;

	for (size_t i = 0; i < ix->n; i++) {
		if (ix->fns[i].outlined && ix->fns[i].owner == ix->fns[i].key)
			ix->fns[i].outlined = 0;   /* nobody to count it for: a function of its own */
		n += ix->fns[i].outlined;
	}
	if (n == 0 || !(ix->region_cus = calloc(n, sizeof(*ix->region_cus)))) {
		ix->oom |= n != 0;
		return;
	}
	walk_dwarf(ix, 1);
	for (size_t i = 0; i < ix->n; i++) {
		lp_fn *o = &ix->fns[i];
		Dwarf_Die cu;

		if (!o->outlined)
			continue;
		o->region_cu = &ix->region_cus[r++];
		for (size_t c = 0; c < ix->ncalls && !o->region_line; c++) {
			if (ix->calls[c].target != o->entry ||
			    line_at(ix, &ix->calls[c].cu, ix->calls[c].ret - 1, &o->region_file,
				    &o->region_line) != 0)
				continue;
			*o->region_cu = ix->calls[c].cu;
		}
		if (o->region_line || !o->has_die || !dwarf_diecu(&o->die, &cu, NULL, NULL))
			continue;
		*o->region_cu = cu;
		if (o->decl_file && o->decl_line) {
			o->region_file = o->decl_file;
			o->region_line = o->decl_line;
		} else if (o->entry != UINT64_MAX && line_at(ix, &cu, o->entry, &o->region_file,
							      &o->region_line) != 0) {
			o->region_line = 0;
			o->region_file = NULL;
		}
	}
}

/* ---- ELF symbols ---- */

typedef struct lp_elfsym {
	uint64_t addr, size;
	const char *name;
	int rank;            /* which of the names at one address leads: lower first */
	int64_t fn;
} lp_elfsym;

static int sym_rank(const char *name, int bind)
{
	int r = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;

	/* __GI_memcpy and _IO_puts are glibc's inner names for memcpy and puts. */
	return 4 * r + (strncmp(name, "__GI_", 5) == 0) + (name[0] == '_');
}

static int cmp_sym(const void *pa, const void *pb)
{
	const lp_elfsym *a = pa, *b = pb;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int cmp_range(const void *pa, const void *pb)
{
	const lp_symrange *a = pa, *b = pb;

	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

static int cmp_alias(const void *pa, const void *pb)
{
	const lp_alias *a = pa, *b = pb;

	if (a->fn != b->fn)
		return a->fn < b->fn ? -1 : 1;
	return strcmp(a->name, b->name);
}

static void range_add(lp_fnindex *ix, uint64_t lo, uint64_t hi, int64_t fn)
{
	if (fn < 0 || hi <= lo)
		return;
	if (LP_GROW(ix->syms, ix->nsyms, ix->capsyms) != 0) {
		ix->oom = 1;
		return;
	}
	ix->syms[ix->nsyms++] = (lp_symrange){ lo, hi, (uint32_t)fn };
}

static void alias_add(lp_fnindex *ix, int64_t fn, const char *name)
{
	const lp_fn *f = &ix->fns[fn];

	if ((f->linkage && strcmp(f->linkage, name) == 0) || (f->base && strcmp(f->base, name) == 0))
		return;
	if (LP_GROW(ix->aliases, ix->naliases, ix->capaliases) != 0) {
		ix->oom = 1;
		return;
	}
	ix->aliases[ix->naliases++] = (lp_alias){ (uint32_t)fn, name };
}

/* The DWARF function whose code holds Dwfl address a, or -1. */
static int64_t dwarf_fn_at(lp_fnindex *ix, uint64_t a)
{
	const Dwarf_Die *die = lp_dieindex_find(&ix->dies, a - ix->dwbias);
	Dwarf_Die copy;

	if (!die)
		return -1;
	copy = *die;
	return u64map_get(&ix->bykey, lp_fnindex_die_key(ix, &copy, NULL));
}

/* The symbol-keyed function of name, among syms[0..n) already placed; -1. */
static int64_t sym_named(const lp_elfsym *syms, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (syms[i].fn >= 0 && strncmp(syms[i].name, name, len) == 0 && syms[i].name[len] == '\0')
			return syms[i].fn;
	return -1;
}

static void index_symbols(lp_fnindex *ix)
{
	Dwfl_Module *mod = ix->file->mod;
	int count = dwfl_module_getsymtab(mod);
	lp_elfsym *syms = count > 0 ? calloc((size_t)count, sizeof(*syms)) : NULL;
	size_t n = 0;

	if (count > 0 && !syms) {
		ix->oom = 1;
		return;
	}
	for (int i = 1; i < count; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		Elf *elf;
		Dwarf_Addr bias;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, &elf, &bias);
		int type = GELF_ST_TYPE(sym.st_info);

		if (!name || !*name || (type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    sym.st_shndx == SHN_UNDEF || addr == 0)
			continue;
		syms[n++] = (lp_elfsym){ addr, sym.st_size, name, sym_rank(name, GELF_ST_BIND(sym.st_info)),
					 -1 };
	}
	if (n)
		qsort(syms, n, sizeof(*syms), cmp_sym);
	/* Two passes: functions first, then their clones ("f.cold") joining them. */
	for (int pass = 0; pass < 2 && !ix->oom; pass++) {
		for (size_t i = 0, j; i < n && !ix->oom; i = j) {
			size_t lead = i, clone;
			uint64_t hi, size = 0;
			lp_elfsym *s;
			int added;

			/* One address, one function: led by a name that is not a clone's if there is one. */
			for (j = i; j < n && syms[j].addr == syms[i].addr; j++) {
				if (lp_clone_base(syms[lead].name) && !lp_clone_base(syms[j].name))
					lead = j;
				size = syms[j].size > size ? syms[j].size : size;
			}
			s = &syms[lead];
			clone = lp_clone_base(s->name);
			if ((pass == 0) != (clone == 0))
				continue;
			/* No size (assembly): up to the next symbol. */
			hi = size ? s->addr + size : j < n ? syms[j].addr : s->addr + 1;
			s->fn = dwarf_fn_at(ix, s->addr);
			if (s->fn < 0 && clone)
				s->fn = sym_named(syms, n, s->name, clone);
			if (s->fn < 0 && (s->fn = fn_get(ix, LP_KEY_SYMBOL | s->addr, &added)) >= 0) {
				lp_fn *fn = &ix->fns[s->fn];

				fn->base = fn->linkage = s->name;
				fn->entry = s->addr;
			}
			range_add(ix, s->addr, hi, s->fn);
			for (size_t k = i; k < j && s->fn >= 0; k++) {
				syms[k].fn = s->fn;
				alias_add(ix, s->fn, syms[k].name);
			}
		}
	}
	free(syms);
}

static Elf_Scn *section_named(Elf *elf, const char *want, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		const char *name;

		if (gelf_getshdr(scn, sh) && (name = elf_strptr(elf, shstrndx, sh->sh_name)) &&
		    strcmp(name, want) == 0)
			return scn;
	}
	return NULL;
}

/*
 * PLT stubs, "name@plt": entry i of .plt.sec (IBT) or of .plt after its
 * header is the i-th relocation of .rela.plt (x86-64: 16-byte entries and
 * header; AArch64: 16-byte entries after a 32-byte header).
 */
static void index_plt(lp_fnindex *ix)
{
	Elf *elf = ix->file->elf;
	GElf_Ehdr eh;
	GElf_Shdr rsh, psh, dsh;
	Elf_Scn *rela = section_named(elf, ".rela.plt", &rsh), *plt, *dynsym;
	Elf_Data *rdata, *ddata;
	uint64_t start, entsize = 16;

	if (!rela || !gelf_getehdr(elf, &eh) || rsh.sh_entsize == 0)
		return;
	if ((plt = section_named(elf, ".plt.sec", &psh)) != NULL)
		start = psh.sh_addr;
	else if ((plt = section_named(elf, ".plt", &psh)) != NULL)
		start = psh.sh_addr + (eh.e_machine == EM_AARCH64 ? 32 : 16);
	else
		return;
	if ((eh.e_machine != EM_X86_64 && eh.e_machine != EM_AARCH64) ||
	    !(dynsym = elf_getscn(elf, rsh.sh_link)) || !gelf_getshdr(dynsym, &dsh) ||
	    !(rdata = elf_getdata(rela, NULL)) || !(ddata = elf_getdata(dynsym, NULL)))
		return;
	for (size_t i = 0; i < rsh.sh_size / rsh.sh_entsize && !ix->oom; i++) {
		GElf_Rela r;
		GElf_Sym sym;
		const char *name;
		uint64_t addr = start + i * entsize + ix->file->bias;
		int added;
		int64_t f;
		size_t len;
		char *label;

		if (!gelf_getrela(rdata, (int)i, &r) || GELF_R_SYM(r.r_info) == 0 ||
		    !gelf_getsym(ddata, (int)GELF_R_SYM(r.r_info), &sym) ||
		    !(name = elf_strptr(elf, dsh.sh_link, sym.st_name)) || !*name)
			continue;
		if (addr + entsize > psh.sh_addr + psh.sh_size + ix->file->bias)
			break;
		if ((f = fn_get(ix, LP_KEY_SYMBOL | addr, &added)) < 0 || !added)
			continue;
		len = strlen(name);
		label = malloc(len + 5);
		if (!label) {
			ix->oom = 1;
			return;
		}
		memcpy(label, name, len + 1);
		ix->fns[f].base = ix->fns[f].linkage = name;
		ix->fns[f].plt = 1;
		ix->fns[f].entry = addr;
		/* The name is made now: "@plt" follows the demangled name. */
		{
			char *d = lp_demangle(name, 0);

			if (d) {
				free(label);
				len = strlen(d);
				label = realloc(d, len + 5);
				if (!label) {
					free(d);
					ix->oom = 1;
					return;
				}
			}
			strcpy(label + len, "@plt");
		}
		ix->fns[f].name = label;
		range_add(ix, addr, addr + entsize, f);
	}
}

lp_fnindex *lp_fnindex_build(lp_dwfile *f)
{
	lp_fnindex *ix = calloc(1, sizeof(*ix));

	if (!ix)
		return NULL;
	ix->file = f;
	ix->dw = f->mod ? dwfl_module_getdwarf(f->mod, &ix->dwbias) : NULL;
	if (ix->dw) {
		walk_dwarf(ix, 0);
		lp_dieindex_finish(&ix->dies);
		find_owners(ix);
		find_regions(ix);
	}
	if (!ix->oom && f->mod)
		index_symbols(ix);
	if (!ix->oom && f->elf)
		index_plt(ix);
	if (ix->nsyms)
		qsort(ix->syms, ix->nsyms, sizeof(*ix->syms), cmp_range);
	if (ix->naliases)
		qsort(ix->aliases, ix->naliases, sizeof(*ix->aliases), cmp_alias);
	if (ix->oom) {
		lp_fnindex_free(ix);
		return NULL;
	}
	return ix;
}

void lp_fnindex_free(lp_fnindex *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->n; i++) {
		free(ix->fns[i].name);
		free(ix->fns[i].signature);
	}
	free(ix->fns);
	u64map_free(&ix->bykey);
	u64map_free(&ix->declscope);
	free(ix->scopes);
	for (size_t i = 0; i < ix->nowned; i++)
		free(ix->owned[i]);
	free(ix->owned);
	free(ix->calls);
	free(ix->region_cus);
	lp_dieindex_free(&ix->dies);
	free(ix->syms);
	free(ix->aliases);
	free(ix->alias_names);
	free(ix);
}

lp_fn *lp_fnindex_symbol_at(const lp_fnindex *ix, uint64_t addr)
{
	size_t l = 0, u = ix->nsyms;

	while (l < u) {
		size_t mid = l + (u - l) / 2;

		if (ix->syms[mid].lo <= addr)
			l = mid + 1;
		else
			u = mid;
	}
	/* The last range starting at or before addr, or one just before it (nested sizes). */
	for (size_t i = l; i > 0 && l - i < 4; i--)
		if (addr >= ix->syms[i - 1].lo && addr < ix->syms[i - 1].hi)
			return &ix->fns[ix->syms[i - 1].fn];
	return NULL;
}

/*
 * The scope chain joined by "::" before base, malloc'd. A lambda's scope
 * ends the chain with its enclosing function's display name.
 */
static char *scoped_name(lp_fnindex *ix, int32_t scope, const char *base)
{
	size_t len = strlen(base) + 1, at;
	const char *outer = NULL;
	int32_t s;
	int d;
	char *out;

	for (s = scope, d = 0; s >= 0 && d < 64; s = ix->scopes[s].parent, d++) {
		len += strlen(ix->scopes[s].name) + 2;
		if (ix->scopes[s].fn >= 0) {
			outer = lp_fnindex_name(ix, &ix->fns[ix->scopes[s].fn]);
			len += outer ? strlen(outer) + 2 : 0;
			break;
		}
	}
	if (!(out = malloc(len)))
		return NULL;
	at = len - 1 - strlen(base);
	memcpy(out + at, base, strlen(base) + 1);
	for (s = scope, d = 0; s >= 0 && d < 64; s = ix->scopes[s].parent, d++) {
		size_t n = strlen(ix->scopes[s].name);

		at -= 2;
		memcpy(out + at, "::", 2);
		at -= n;
		memcpy(out + at, ix->scopes[s].name, n);
		if (ix->scopes[s].fn >= 0)
			break;
	}
	if (outer) {
		at -= 2;
		memcpy(out + at, "::", 2);
		at -= strlen(outer);
		memcpy(out + at, outer, strlen(outer));
	}
	return out;
}

const char *lp_fnindex_name(lp_fnindex *ix, lp_fn *fn)
{
	char *d = NULL;
	int32_t scope = fn->scope;

	if (fn->name)
		return fn->name;
	if (fn->linkage)
		d = lp_demangle(fn->linkage, 0);
	/* Rust's legacy symbols drop generic arguments: total<u32> and total<u8> would be one name. */
	if (d && fn->rust && strncmp(fn->linkage, "_ZN", 3) == 0 && fn->base &&
	    strchr(fn->base, '<') && d[strlen(d) - 1] != '>') {
		const char *args = strchr(fn->base, '<');
		char *more = realloc(d, strlen(d) + strlen(args) + 1);

		if (more)
			d = strcat(more, args);
	}
	if (!d && fn->linkage && !fn->has_die)
		d = lp_fortran_symbol(fn->linkage);
	if (!d && fn->has_die && fn->base) {
		if (scope < 0 && fn->canon != die_offset_key(ix, &fn->die)) {
			int64_t s = u64map_get(&ix->declscope, fn->canon);

			scope = s >= 0 ? (int32_t)s : -1;
		}
		d = scoped_name(ix, scope, fn->base);
	}
	if (!d && fn->base)
		d = strdup(strncmp(fn->base, "__GI_", 5) == 0 && fn->base[5] ? fn->base + 5 : fn->base);
	fn->name = d;
	return d;
}

const char *lp_fnindex_signature(lp_fnindex *ix, lp_fn *fn)
{
	(void)ix;
	if (!fn->signature) {
		char *d = fn->linkage && strncmp(fn->linkage, "_Z", 2) == 0 ? lp_demangle(fn->linkage, 1)
									      : NULL;

		fn->signature = d ? d : strdup("");
	}
	return fn->signature && fn->signature[0] ? fn->signature : NULL;
}

int lp_fnindex_aliases(const lp_fnindex *ix, const lp_fn *fn, const char *const **aliases)
{
	uint32_t want = (uint32_t)(fn - ix->fns);
	size_t l = 0, u = ix->naliases, n = 0;
	lp_fnindex *mix = (lp_fnindex *)ix;

	while (l < u) {
		size_t mid = l + (u - l) / 2;

		if (ix->aliases[mid].fn < want)
			l = mid + 1;
		else
			u = mid;
	}
	while (l + n < ix->naliases && ix->aliases[l + n].fn == want)
		n++;
	if (n > mix->alias_cap) {
		const char **names = realloc(mix->alias_names, n * sizeof(*names));

		if (!names)
			n = mix->alias_cap;
		else
			mix->alias_names = names, mix->alias_cap = n;
	}
	for (size_t i = 0; i < n; i++)
		mix->alias_names[i] = ix->aliases[l + i].name;
	*aliases = mix->alias_names;
	return (int)n;
}

void lp_fnindex_cand(lp_fnindex *ix, lp_fn *fn, lp_fncand *c)
{
	memset(c, 0, sizeof(*c));
	c->name = lp_fnindex_name(ix, fn);
	c->signature = lp_fnindex_signature(ix, fn);
	c->linkage = fn->linkage;
	c->base = fn->has_die ? fn->base : NULL;
	c->naliases = lp_fnindex_aliases(ix, fn, &c->aliases);
	c->decl_file = fn->decl_file;
	c->decl_line = fn->decl_line;
	c->entry = fn->entry;
	c->fortran = fn->fortran;
}

void lp_fnindex_files(const lp_fnindex *ix, void (*fn)(Dwarf_Die *cu, const char *raw, void *arg),
		      void *arg)
{
	Dwarf_CU *cu = NULL, *next;
	Dwarf_Half version;
	uint8_t type;
	Dwarf_Die cudie, subdie;

	while (ix->dw && dwarf_get_units(ix->dw, cu, &next, &version, &type, &cudie, &subdie) == 0) {
		Dwarf_Die *root = type == DW_UT_skeleton ? &subdie : &cudie;
		Dwarf_Files *files;
		size_t nfiles;

		cu = next;
		if (dwarf_tag(root) <= 0 || dwarf_getsrcfiles(root, &files, &nfiles) != 0)
			continue;
		for (size_t i = 0; i < nfiles; i++) {
			const char *raw = dwarf_filesrc(files, i, NULL, NULL);

			if (raw)
				fn(root, raw, arg);
		}
	}
}
