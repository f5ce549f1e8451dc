/*
 * Replays fuzz inputs without libFuzzer: every regular file of the
 * directories named on the command line goes through the harness it is
 * linked with (LLVMFuzzerTestOneInput), which aborts on a broken invariant;
 * under the sanitizer build, ASan and UBSan watch it too. This is how the
 * corpus and every crash the fuzzers ever found stay tests.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		perror(path);
		return -1;
	}
	do {
		if (len == cap) {
			unsigned char *nb = realloc(buf, cap = cap ? 2 * cap : 4096);

			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	/* Exactly the input's bytes: a copy of its size, so ASan sees any overread. */
	{
		unsigned char *exact = malloc(len ? len : 1);

		if (!exact) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	int total = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		char **names = NULL;
		size_t n = 0, cap = 0;

		if (!d) {
			perror(argv[i]);
			return 1;
		}
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			if (n == cap) {
				char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));

				if (!nn)
					return 1;
				names = nn;
			}
			names[n] = strdup(e->d_name);
			if (!names[n++])
				return 1;
		}
		closedir(d);
		if (n)
			qsort(names, n, sizeof(*names), by_name);
		for (size_t k = 0; k < n; k++) {
			char path[4096];
			struct stat st;

			snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				printf("%s\n", path);
				fflush(stdout);
				if (replay_file(path) != 0)
					return 1;
				total++;
			}
			free(names[k]);
		}
		free(names);
	}
	printf("%d inputs replayed\n", total);
	return total > 0 ? 0 : 1;
}
