/*
 * An imbalanced MPI job: in each round rank r does r + 1 units of work on the
 * WORK line, then all ranks meet in MPI_Allreduce, where the faster ranks
 * wait. So the per-rank times of WORK are 1:2:3:4 (with 4 ranks), and the
 * share of time in MPI falls with the rank. argv[1]: rounds (8).
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define UNIT 6000000L

static double work(long units)
{
	double x = 0.0;

	for (long i = 0; i < units * UNIT; i++)
		x += (double)(i % 7) * 0.5; /* WORK */
	return x;
}

int main(int argc, char **argv)
{
	int rank, size, rounds = argc > 1 ? atoi(argv[1]) : 8;
	double sum = 0.0, all = 0.0;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	for (int r = 0; r < rounds; r++) {
		double part = work(rank + 1);

		MPI_Allreduce(&part, &all, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD); /* REDUCE */
		sum += all;
	}
	if (rank == 0)
		printf("mpiwork: %d ranks, checksum %.1f\n", size, sum);
	MPI_Finalize();
	return 0;
}
