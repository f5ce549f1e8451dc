/*
 * --call-graph=dwarf: unwinding sampled user stacks with libdwfl.
 *
 * Per sample the recorder hands over the user registers and a copy of the
 * top of the user stack; the code's CFI (.eh_frame, else .debug_frame)
 * comes from the ELF files on disk, so functions built without frame
 * pointers (Debian's libm) still give their callers.
 *
 * One Dwfl per process, attached (dwfl_attach_state) to callbacks that
 * serve the sample in flight: set_initial_registers gives its registers,
 * memory_read reads its stack copy (and, rarely asked, read-only file
 * data). Modules are reported lazily as frames land in them, at the load
 * bias of their mapping, and stay for the following samples: libdwfl keeps
 * each module's ELF, its parsed CFI and the FDEs it found, so a sample
 * costs a CFI lookup per frame and no file access. A process's Dwfl goes
 * when the recorder says its address space did (exec, exit).
 *
 * Nothing here knows perf_event: registers come in psABI DWARF numbering
 * (lineprof/record.h) and mappings through the recorder's lookup.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>

#include "lineprof/annotate.h"
#include "containers.h"
#include "dwarf_file.h"
#include "input.h"

/* A mapping already looked at: reported as mod, or unusable (mod NULL). */
typedef struct lp_uwmod {
	uint64_t start, end, pgoff;
	Dwfl_Module *mod;
} lp_uwmod;

typedef struct lp_unwind lp_unwind;

typedef struct lp_uwproc {
	int pid;
	lp_unwind *uw;
	Dwfl *dwfl;
	lp_uwmod *mods;   /* sorted by start, never overlapping */
	size_t nmods, capmods;
	int stale;        /* a mapping changed under a module: start afresh after this sample */
} lp_uwproc;

struct lp_unwind {
	lp_unwinder pub;
	lp_uwproc **procs;
	size_t nprocs, capprocs;
	Elf *arch;                    /* an x86-64 ELF header: dwfl_attach_state's architecture */
	unsigned char ehdr[sizeof(Elf64_Ehdr)];
	const lp_unwind_sample *s;    /* the sample being unwound */
	uint64_t *ips;
	int nips, maxips;
	int rd_fd;                    /* the file last read outside the stack */
	char *rd_path;
};

/* The Elf64_Ehdr of an empty x86-64 ELF file: all libdwfl needs to pick its backend. */
static Elf *arch_elf(lp_unwind *u)
{
	Elf64_Ehdr eh;

	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	memcpy(u->ehdr, &eh, sizeof(eh));
	return elf_memory((char *)u->ehdr, sizeof(u->ehdr));
}

/* ---- the sample's state, for libdwfl ---- */

static pid_t uw_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	lp_uwproc *p = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = p;
	return p->uw->s->tid;
}

static bool uw_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	(void)tid;
	*thread_argp = arg;
	return true;
}

/* A word of a file mapping, from the file: read-only data a CFI expression may point at. */
static bool read_file_word(lp_unwind *u, const lp_mapping *m, uint64_t addr, Dwarf_Word *out)
{
	if (!u->rd_path || strcmp(u->rd_path, m->path) != 0) {
		if (u->rd_fd >= 0)
			close(u->rd_fd);
		free(u->rd_path);
		u->rd_path = strdup(m->path);
		u->rd_fd = u->rd_path ? lp_input_open(m->path, NULL, NULL) : -1;
	}
	return u->rd_fd >= 0 &&
	       pread(u->rd_fd, out, sizeof(*out), (off_t)(addr - m->start + m->pgoff)) ==
		       (ssize_t)sizeof(*out);
}

static bool uw_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	lp_uwproc *p = arg;
	const lp_unwind_sample *s = p->uw->s;
	uint64_t sp = s->regs[LP_REG_RSP];
	lp_mapping m;

	(void)dwfl;
	if (addr >= sp && s->stack_size >= sizeof(*result) &&
	    addr - sp <= s->stack_size - sizeof(*result)) {
		memcpy(result, s->stack + (addr - sp), sizeof(*result));
		return true;
	}
	/* Past the copy: the stack goes on, but what it held is lost. */
	if (s->find_mapping(s->find_ctx, s->pid, addr, &m) == 0 && addr + sizeof(*result) <= m.end)
		return read_file_word(p->uw, &m, addr, result);
	return false;
}

static bool uw_set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	lp_uwproc *p = arg;
	Dwarf_Word regs[LP_NREGS];

	for (int i = 0; i < LP_NREGS; i++)
		regs[i] = p->uw->s->regs[i];
	return dwfl_thread_state_registers(thread, 0, LP_NREGS, regs);
}

static const Dwfl_Thread_Callbacks lp_uw_callbacks = {
	.next_thread = uw_next_thread,
	.get_thread = uw_get_thread,
	.memory_read = uw_memory_read,
	.set_initial_registers = uw_set_initial_registers,
};

/* ---- processes and their modules ---- */

static void proc_reset(lp_uwproc *p)
{
	if (p->dwfl)
		dwfl_end(p->dwfl);
	p->dwfl = NULL;
	p->nmods = 0;
}

static int proc_start(lp_uwproc *p)
{
	p->dwfl = dwfl_begin(lp_dwfile_callbacks());
	if (!p->dwfl)
		return -1;
	if (!dwfl_attach_state(p->dwfl, p->uw->arch, p->pid, &lp_uw_callbacks, p)) {
		proc_reset(p);
		return -1;
	}
	return 0;
}

static lp_uwproc *proc_get(lp_unwind *u, int pid)
{
	lp_uwproc *p;

	for (size_t i = 0; i < u->nprocs; i++)
		if (u->procs[i]->pid == pid)
			return u->procs[i];
	if (LP_GROW(u->procs, u->nprocs, u->capprocs))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->uw = u;
	u->procs[u->nprocs++] = p;
	return p;
}

static void proc_free(lp_uwproc *p)
{
	proc_reset(p);
	free(p->mods);
	free(p);
}

/* Index of the first module entry ending above addr (entries are sorted and disjoint). */
static size_t mod_pos(const lp_uwproc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nmods;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->mods[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The load bias of the file behind mapping m: runtime address = ELF
 * p_vaddr + bias. The mapping holds the file from page pgoff on, which
 * lies in one PT_LOAD: bias = start - pgoff - (p_vaddr - p_offset).
 */
static int mapping_bias(Elf *elf, const lp_mapping *m, GElf_Addr *bias)
{
	GElf_Ehdr eh;
	size_t n;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	int found = 0;

	if (!gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &n) != 0)
		return -1;
	if (eh.e_type == ET_EXEC) {
		*bias = 0;
		return 0;
	}
	if (eh.e_type != ET_DYN)
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if ((ph.p_offset & ~(page - 1)) <= m->pgoff && m->pgoff < ph.p_offset + ph.p_filesz &&
		    (!found || (ph.p_flags & PF_X))) {
			*bias = m->start - m->pgoff - (ph.p_vaddr - ph.p_offset);
			found = 1;
		}
	}
	return found ? 0 : -1;
}

/* Opens m's file, checks its build-id, reports it at its bias; NULL if unusable. */
static Dwfl_Module *report_file(lp_uwproc *p, const lp_mapping *m)
{
	int fd = lp_input_open(m->path, NULL, NULL);
	Elf *elf;
	GElf_Addr bias = 0;
	const void *id = NULL;
	ssize_t idlen;
	int ok;
	Dwfl_Module *mod;

	if (fd < 0)
		return NULL;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	ok = elf && elf_kind(elf) == ELF_K_ELF && mapping_bias(elf, m, &bias) == 0;
	if (ok && m->build_id_len) {
		/* A file rebuilt since it was mapped: its CFI would mislead. */
		idlen = dwelf_elf_gnu_build_id(elf, &id);
		ok = idlen <= 0 || ((size_t)idlen == m->build_id_len &&
				    memcmp(id, m->build_id, m->build_id_len) == 0);
	}
	elf_end(elf);
	if (!ok) {
		close(fd);
		return NULL;
	}
	/* On success the module owns fd. */
	mod = dwfl_report_elf(p->dwfl, m->path, m->path, fd, bias, true);
	if (!mod)
		close(fd);
	return mod;
}

/*
 * Makes sure the module holding addr (a pc, or a return address - 1) is
 * reported, so that the next unwinding step finds its CFI. 0, or -1 if
 * there is none to report (the step then falls back on frame pointers).
 */
static int report(lp_uwproc *p, uint64_t addr)
{
	const lp_unwind_sample *s = p->uw->s;
	lp_mapping m;
	size_t i = mod_pos(p, addr), k;
	lp_uwmod *e;

	if (i < p->nmods && p->mods[i].start <= addr)
		return p->mods[i].mod ? 0 : -1;
	if (s->find_mapping(s->find_ctx, s->pid, addr, &m) != 0)
		return -1;
	/*
	 * A new mapping over one seen before (dlclose, dlopen): libdwfl has
	 * the old module there. This walk stops; the next sample starts afresh.
	 */
	for (k = 0; k < p->nmods; k++)
		if (p->mods[k].start < m.end && m.start < p->mods[k].end) {
			p->stale = 1;
			return -1;
		}
	if (LP_GROW(p->mods, p->nmods, p->capmods))
		return -1;
	memmove(&p->mods[i + 1], &p->mods[i], (p->nmods - i) * sizeof(*p->mods));
	p->nmods++;
	e = &p->mods[i];
	e->start = m.start;
	e->end = m.end;
	e->pgoff = m.pgoff;
	e->mod = report_file(p, &m);
	/* Another module already claims the range (two mappings of one file): use it. */
	if (!e->mod)
		e->mod = dwfl_addrmodule(p->dwfl, addr);
	return e->mod ? 0 : -1;
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	lp_uwproc *p = arg;
	lp_unwind *u = p->uw;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, NULL))
		return DWARF_CB_ABORT;
	/* A return address follows its call: the caller's code is at pc - 1. */
	report(p, u->nips == 0 || pc == 0 ? pc : pc - 1);
	if (p->stale)
		return DWARF_CB_ABORT;
	/* (This unwinds one step further, now that the module is known.) */
	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	/*
	 * Callers are stored as return addresses, looked up at - 1. An
	 * interrupted frame (a signal handler's caller) is at pc itself.
	 */
	u->ips[u->nips] = u->nips > 0 && activation ? pc + 1 : pc;
	u->nips++;
	return u->nips < u->maxips ? DWARF_CB_OK : DWARF_CB_ABORT;
}

static int uw_unwind(void *ctx, const lp_unwind_sample *s, uint64_t *ips, int max_ips)
{
	lp_unwind *u = ctx;
	lp_uwproc *p;

	if (!s->have_regs || max_ips < 1)
		return 0;
	p = proc_get(u, s->pid);
	if (!p || (!p->dwfl && proc_start(p)))
		return 0;
	u->s = s;
	u->ips = ips;
	u->nips = 0;
	u->maxips = max_ips;
	/* The end of a stack and a failed step look alike here: both stop the walk. */
	dwfl_getthread_frames(p->dwfl, s->tid, frame_cb, p);
	u->s = NULL;
	if (p->stale) {
		proc_reset(p);
		p->stale = 0;
	}
	return u->nips;
}

static void uw_forget(void *ctx, int pid)
{
	lp_unwind *u = ctx;

	for (size_t i = 0; i < u->nprocs; i++) {
		if (u->procs[i]->pid != pid)
			continue;
		proc_free(u->procs[i]);
		u->procs[i] = u->procs[--u->nprocs];
		return;
	}
}

lp_unwinder *lp_unwinder_new(lp_error *err)
{
	lp_unwind *u = calloc(1, sizeof(*u));

	elf_version(EV_CURRENT);
	if (!u || !(u->arch = arch_elf(u))) {
		free(u);
		lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		return NULL;
	}
	u->rd_fd = -1;
	u->pub.unwind = uw_unwind;
	u->pub.forget = uw_forget;
	u->pub.ctx = u;
	return &u->pub;
}

void lp_unwinder_free(lp_unwinder *pub)
{
	lp_unwind *u = pub ? pub->ctx : NULL;

	if (!u)
		return;
	for (size_t i = 0; i < u->nprocs; i++)
		proc_free(u->procs[i]);
	free(u->procs);
	if (u->rd_fd >= 0)
		close(u->rd_fd);
	free(u->rd_path);
	elf_end(u->arch);
	free(u);
}
