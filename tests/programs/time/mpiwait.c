/*
 * Two MPI ranks: rank 0 computes for about 1.5 s of wall time (COMPUTE)
 * and then sends rank 1 a message that rank 1 has been waiting for since
 * the start (RECV). In Open MPI's yield mode rank 1 spins in the library
 * (polling, sched_yield): its wait is user, system and off-CPU time inside
 * libmpi, and with call stacks all of it is the RECV line's inclusive time.
 */
#include <mpi.h>
#include <stdio.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	int rank, size;
	double x = 0.5, end, t0 = 0, waited = 0;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	MPI_Barrier(MPI_COMM_WORLD);
	if (rank == 0) {
		end = now() + 1.5;
		while (now() < end) for (long i = 0; i < 100000; i++) x = x * 0.9999999 + 1e-7; /* COMPUTE */
		MPI_Send(&x, 1, MPI_DOUBLE, 1, 7, MPI_COMM_WORLD);
	} else if (rank == 1) {
		t0 = now();
		MPI_Recv(&x, 1, MPI_DOUBLE, 0, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE); /* RECV */
		waited = now() - t0;
	}
	MPI_Finalize();
	if (rank == 1)
		printf("received %g of %d ranks after waiting %.6f s\n", x, size, waited);
	return 0;
}
