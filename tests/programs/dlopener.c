/*
 * Test program for lineprof: loads the library named by argv[1] with
 * dlopen() (by path, after the run started), calls its lp_plugin_work and
 * unloads it before exiting. Nothing of it is known before the run.
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	void *lib;
	double (*work)(double);
	double r;

	if (argc != 2) {
		fprintf(stderr, "usage: dlopener LIBRARY.so\n");
		return 2;
	}
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "dlopener: %s\n", dlerror());
		return 1;
	}
	*(void **)&work = dlsym(lib, "lp_plugin_work");
	if (!work) {
		fprintf(stderr, "dlopener: %s\n", dlerror());
		return 1;
	}
	r = work(0.5);
	dlclose(lib);
	printf("%g\n", r);
	return 0;
}
