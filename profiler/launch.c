/*
 * fork now, exec later.
 *
 * The child blocks on a socket until the parent has opened every event on
 * its pid with enable_on_exec, so counting starts exactly at exec and none of
 * lineprof's own code is sampled. A socket and not a pipe: if the child died
 * meanwhile, send(MSG_NOSIGNAL) fails with EPIPE instead of killing lineprof
 * with SIGPIPE. A failed exec is reported back through a close-on-exec pipe:
 * EOF means the exec happened, four bytes are its errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "procfs.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* What a shell says, and the exit status it uses (127 not found, 126 other). */
static int exec_error(lp_error *err, const char *argv0, int e)
{
	struct stat st;

	if (e == EACCES && strchr(argv0, '/') && stat(argv0, &st) == 0 && S_ISDIR(st.st_mode))
		e = EISDIR; /* execve says EACCES; the shell's word is clearer */
	if (e == ENOENT && !strchr(argv0, '/'))
		return lp_error_set(err, LP_ENOTFOUND, "lineprof: %s: command not found", argv0);
	if (e == ENOENT || e == ENOTDIR)
		return lp_error_set(err, LP_ENOTFOUND, "lineprof: %s: %s", argv0, strerror(e));
	return lp_error_set(err, LP_ENOEXEC, "lineprof: %s: not executable (%s)", argv0,
			    strerror(e));
}

int lp_launch_start(lp_child *c, char *const argv[], const sigset_t *mask, lp_error *err)
{
	pid_t parent = getpid();
	int go[2], ep[2];

	c->pid = -1;
	c->go_fd = c->err_fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) < 0)
		return lp_error_set(err, LP_EFAIL, "lineprof: socketpair: %s", strerror(errno));
	if (pipe2(ep, O_CLOEXEC) < 0) {
		close(go[0]);
		close(go[1]);
		return lp_error_set(err, LP_EFAIL, "lineprof: pipe: %s", strerror(errno));
	}
	c->pid = fork();
	if (c->pid == 0) {
		char b;
		ssize_t n;
		int e;

		/* Only async-signal-safe calls from here to exec. */
		close(go[0]);
		close(ep[0]);
		/*
		 * A lineprof killed by SIGKILL must not leave the target running
		 * unprofiled. The parent may have died before prctl: then we are
		 * an orphan already and never get the signal, so check.
		 */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			_exit(127);
		do
			n = read(go[1], &b, 1);
		while (n < 0 && errno == EINTR);
		if (n != 1)
			_exit(127);
		sigprocmask(SIG_SETMASK, mask, NULL);
		execvp(argv[0], argv);
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[1]);
	close(ep[1]);
	if (c->pid < 0) {
		close(go[0]);
		close(ep[0]);
		return lp_error_set(err, LP_EFAIL, "lineprof: fork: %s", strerror(errno));
	}
	c->go_fd = go[0];
	c->err_fd = ep[0];
	return LP_OK;
}

static void reap(pid_t pid, int *status)
{
	int st = -1;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (status)
		*status = st;
}

int lp_launch_release(lp_child *c, const char *argv0, int *status, lp_error *err)
{
	ssize_t n;
	int e = 0;

	if (send(c->go_fd, "x", 1, MSG_NOSIGNAL) != 1) {
		e = errno;
		close_fd(&c->go_fd);
		close_fd(&c->err_fd);
		reap(c->pid, status);
		return lp_error_set(err, LP_EFAIL, "lineprof: the target died before it could start: %s",
				    strerror(e));
	}
	close_fd(&c->go_fd);
	do
		n = read(c->err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close_fd(&c->err_fd);
	if (n == 0)
		return LP_OK;
	reap(c->pid, status);
	if (n != (ssize_t)sizeof(e))
		return lp_error_set(err, LP_EFAIL, "lineprof: lost track of the target's exec");
	return exec_error(err, argv0, e);
}

void lp_launch_abort(lp_child *c)
{
	if (c->pid <= 0)
		return;
	close_fd(&c->go_fd); /* EOF: the child quits without exec */
	close_fd(&c->err_fd);
	reap(c->pid, NULL);
	c->pid = -1;
}

/* 0: runnable; else the errno execve would give. */
static int check_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EACCES; /* what execve says */
	if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		return EACCES;
	return 0;
}

static int copy_out(char *out, size_t outlen, const char *path, lp_error *err)
{
	if (strlen(path) >= outlen)
		return lp_error_set(err, LP_EFAIL, "lineprof: path too long: %.64s...", path);
	strcpy(out, path);
	return LP_OK;
}

int lp_launch_resolve(const char *argv0, char *out, size_t outlen, lp_error *err)
{
	const char *path, *p, *end;
	char cand[4096], def[256];
	int seen_eacces = 0, e;

	if (!argv0 || !*argv0)
		return lp_error_set(err, LP_ENOTFOUND, "lineprof: '': command not found");
	if (strchr(argv0, '/')) {
		e = check_file(argv0);
		if (e)
			return exec_error(err, argv0, e);
		return copy_out(out, outlen, argv0, err);
	}
	path = getenv("PATH");
	if (!path) {
		/* execvp's default when PATH is unset. */
		if (confstr(_CS_PATH, def, sizeof(def)) == 0 || strlen(def) >= sizeof(def))
			strcpy(def, "/bin:/usr/bin");
		path = def;
	}
	for (p = path;; p = end + 1) {
		size_t dlen;

		end = strchrnul(p, ':');
		dlen = (size_t)(end - p);
		/* An empty PATH entry is the current directory. */
		if (snprintf(cand, sizeof(cand), "%.*s/%s", (int)(dlen ? dlen : 1), dlen ? p : ".",
			     argv0) < (int)sizeof(cand)) {
			e = check_file(cand);
			if (e == 0)
				return copy_out(out, outlen, cand, err);
			if (e == EACCES)
				seen_eacces = 1;
		}
		if (!*end)
			break;
	}
	return exec_error(err, argv0, seen_eacces ? EACCES : ENOENT);
}

/*
 * The sentinel: a process in lineprof's process group that blocks every
 * signal it can and never takes one. A signal sent to lineprof alone leaves
 * it alone; one sent to the group (the terminal's ^C, kill(-pgrp, sig),
 * kill(-1, sig)) stays pending there, in ShdPnd of /proc/PID/status.
 */
int lp_sentinel_start(lp_sentinel *s)
{
	sigset_t all, old;
	pid_t parent = getpid();

	s->pid = -1;
	sigfillset(&all);
	/* Blocked before the fork: a group signal must not kill it before it blocks them itself. */
	if (sigprocmask(SIG_BLOCK, &all, &old) != 0)
		return -1;
	s->pid = fork();
	if (s->pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			_exit(0);
		/* Holds none of lineprof's files: nobody waits on a pipe because of it. */
		for (int fd = 0; fd < 1024; fd++)
			close(fd);
		for (;;)
			pause();
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return s->pid > 0 ? 0 : -1;
}

void lp_sentinel_stop(lp_sentinel *s)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, SIGKILL);
	reap(s->pid, NULL);
	s->pid = -1;
}

/* The shared pending set of pid, from /proc/PID/status; 0, or -1 if unreadable. */
static int shared_pending(pid_t pid, unsigned long long *set)
{
	char buf[16384]; /* past a long Groups: line */
	const char *p = lp_proc_status((int)pid, "ShdPnd", buf, sizeof(buf));

	return p && sscanf(p, "%llx", set) == 1 ? 0 : -1;
}

int lp_sentinel_got(lp_sentinel *s, int signo)
{
	unsigned long long set;
	lp_sentinel fresh;

	if (s->pid <= 0 || signo < 1 || signo > 64)
		return -1;
	/*
	 * A group signal is delivered to the members one after the other, with
	 * the kernel's tasklist lock held for reading; setpgid() takes it for
	 * writing, so once it returns, a signal that reached lineprof has
	 * reached every member. (A no-op: the sentinel is in our group already.)
	 */
	(void)setpgid(s->pid, getpgrp());
	if (shared_pending(s->pid, &set) != 0)
		return -1;
	if (!(set & (1ULL << (signo - 1))))
		return 0;
	/* It stays pending for good: a fresh sentinel for the next signal, then the old one goes. */
	if (lp_sentinel_start(&fresh) == 0) {
		lp_sentinel_stop(s);
		*s = fresh;
	}
	return 1;
}
