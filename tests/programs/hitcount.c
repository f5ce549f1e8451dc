/*
 * Test program for --hits: small shapes whose per-line execution counts are
 * compared with gcov's. Built twice at test time, at -O0: with -g for
 * lineprof --hits, with --coverage for gcov. The shapes are the ones where
 * lineprof's Hits and gcov's line counts agree (see lineprof(1), HITS AND
 * GCOV); the marker comments name them for the tests. Counts come from
 * argv so both builds do exactly the same work.
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int square(int x)
{
	int y = x * x; /* CALLED */
	return y;
}

__attribute__((noinline)) long loops(int n)
{
	long s = 0;
	int i, j;

	for (i = 0; i < n; i++) /* FOR_HEAD */
		s += square(i); /* FOR_BODY */
	for (i = 0; i < n; i++) s += i; /* FOR_ONE_LINE */
	i = 0;
	while (i < n) { /* WHILE_HEAD */
		s += i;
		i++;
	}
	for (i = 0; i < n; i++) /* NESTED_OUTER */
		for (j = 0; j < i; j++) /* NESTED_INNER */
			s += j; /* NESTED_BODY */
	i = 0;
	do {
		s += 2; /* DO_BODY */
	} while (++i < n); /* DO_TEST */
	return s;
}

__attribute__((noinline)) long branches(int n)
{
	long s = 0;

	for (int i = 0; i < n; i++) {
		if (i % 3 == 0) /* IF_TEST */
			s += 1; /* IF_THEN */
		else
			s -= 1; /* IF_ELSE */
		if (i % 2 == 0 && i % 5 == 0) /* AND_TEST */
			s += 10; /* AND_THEN */
		if (i % 3 == 1 || i % 5 == 1) /* OR_TEST */
			s += 20; /* OR_THEN */
		s += i % 7 == 0 ? 100 : 1; /* TERNARY */
		if (i % 6 == 5)
			continue; /* CONTINUE */
		switch (i % 4) { /* SWITCH */
		case 0:
			s += 3; /* CASE0 */
			break;
		case 1:
			s -= 3; /* CASE1 */
			break;
		default:
			s++; /* DEFAULT */
		}
	}
	return s;
}

__attribute__((noinline)) long jumps(int n)
{
	long s = 0;
	int i = 0;

again:
	s += i; /* AFTER_LABEL */
	if (++i < n)
		goto again; /* GOTO */
	return s;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;

	printf("%ld %ld %ld\n", loops(n), branches(n), jumps(n));
	return 0;
}
