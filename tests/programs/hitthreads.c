/*
 * Test program for --hits across threads and processes: work() runs
 * CALLS times in each of 4 threads, in a forked child, and in the main
 * thread (6 x CALLS in all); the main thread's own share is CALLS. A target
 * whose pthread_create() or fork() fails exits with status 1, so a probe
 * mechanism that breaks them (an inherited uprobe PMU counter: EFAULT) is
 * seen. Prints the number of calls made in this process.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define CALLS 1000

static volatile long sink;

__attribute__((noinline)) void work(long k)
{
	sink += k; /* WORK */
}

static void *run(void *arg)
{
	for (long i = 0; i < CALLS; i++)
		work(i);
	return arg;
}

int main(void)
{
	pthread_t t[4];
	int status;
	pid_t child;

	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, run, NULL) != 0) {
			perror("pthread_create");
			return 1;
		}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		run(NULL);
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 1;
	run(NULL);
	printf("%d calls\n", 5 * CALLS);
	return 0;
}
