/*
 * uprobes as counters. The uprobe PMU takes the file path as a pointer in
 * config1 (the kernel copies the string at open) and the file offset in
 * config2; the breakpoint lives on the inode, so it can be placed before the
 * target has even mapped the file.
 *
 * Not inherited, on purpose: the kernel re-runs the PMU's init for every
 * inherited copy, which reads config1 again as a user pointer, in the
 * address space of the target that is forking. There it is garbage, and
 * fork() and pthread_create() fail with EFAULT (seen on Linux 6.18). So a
 * probe counts the target's main thread only; the caller says so when the
 * target had other threads or processes.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

#define UPROBE_TYPE "/sys/bus/event_source/devices/uprobe/type"

int lp_probe_open(const lp_probe *probes, size_t n, pid_t pid, int *fds, const lp_opener *op,
		  lp_error *err)
{
	struct perf_event_attr attr;
	unsigned type;
	FILE *f;
	int ok;

	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
	if (n == 0)
		return LP_OK;
	f = fopen(UPROBE_TYPE, "r");
	ok = f && fscanf(f, "%u", &type) == 1;
	if (f)
		fclose(f);
	if (!ok)
		return lp_error_set(err, LP_EFAIL,
			"lineprof: uprobes are not available on this kernel "
			"(no /sys/bus/event_source/devices/uprobe): --hits needs CONFIG_UPROBE_EVENTS");
	for (size_t i = 0; i < n; i++) {
		memset(&attr, 0, sizeof(attr));
		attr.size = sizeof(attr);
		attr.type = type;
		attr.config1 = (uint64_t)(uintptr_t)probes[i].path;
		attr.config2 = probes[i].offset;
		attr.disabled = 1;
		attr.enable_on_exec = 1;
		attr.inherit = 0; /* see above: inheriting breaks the target's fork() */
		attr.exclude_kernel = 1; /* still counts: the probe hits in user mode */
		attr.exclude_hv = 1;
		fds[i] = op->open(&attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC, op->ctx);
		if (fds[i] < 0) {
			int e = errno;

			for (size_t j = 0; j < i; j++) {
				close(fds[j]);
				fds[j] = -1;
			}
			if (e == EACCES || e == EPERM)
				return lp_events_open_error(err, e, "uprobe", -1);
			return lp_error_set(err, LP_EFAIL,
				"lineprof: cannot place a uprobe at %s+0x%llx: %s%s", probes[i].path,
				(unsigned long long)probes[i].offset, strerror(e),
				e == EINVAL ? " (offset outside the file's code?)" : "");
		}
	}
	return LP_OK;
}

/* The profile's module for a probed file: the sampled one if any, by path. */
static int64_t probe_module(lp_profile *prof, const char *path)
{
	char real[PATH_MAX];
	const char *canon = realpath(path, real) ? real : path;

	/* Mappings carry the kernel's canonical path; build-ids may differ in length. */
	for (size_t i = 0; i < prof->nmodules; i++)
		if (strcmp(prof->modules[i].path, canon) == 0 ||
		    strcmp(prof->modules[i].path, path) == 0)
			return (int64_t)i;
	return lp_profile_module(prof, canon, NULL, 0);
}

int lp_probe_collect(const lp_probe *probes, size_t n, const int *fds, lp_profile *prof,
		     lp_error *err)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t count = 0;
		int64_t mod;
		lp_loc loc;

		if (fds[i] < 0)
			continue;
		if (read(fds[i], &count, sizeof(count)) != (ssize_t)sizeof(count))
			return lp_error_set(err, LP_EFAIL, "lineprof: cannot read the uprobe at %s+0x%llx: %s",
					    probes[i].path, (unsigned long long)probes[i].offset,
					    strerror(errno));
		mod = probe_module(prof, probes[i].path);
		if (mod < 0)
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
		memset(&loc, 0, sizeof(loc));
		loc.module = (uint32_t)mod;
		loc.offset = probes[i].offset;
		/* A probe never hit is a fact too: the line ran 0 times. */
		if (lp_profile_add_hits(prof, loc, count))
			return lp_error_set(err, LP_EFAIL, "lineprof: out of memory");
	}
	return LP_OK;
}
