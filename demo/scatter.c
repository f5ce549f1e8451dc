/*
 * scatter.c - lineprof's demo workload.
 *
 * A C port of the "scatter" program from a Python profiling tutorial: a plane
 * wave hits a 2-D obstacle and the scattered field is evaluated on a grid of
 * observer points with a boundary-integral style sum over contour segments.
 * It is used here because its cost is concentrated in a handful of short,
 * distinct lines (Hankel function calls, a point-in-polygon test), which makes
 * per-line profiles easy to read and to check against intuition.
 *
 * The physics is only approximate; what matters is that the work is genuine,
 * deterministic and spread over recognisable lines.  Every statement sits on
 * its own line on purpose, so that the profiler can attribute costs to it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* j0/j1/y0/y1 are XSI extensions, hidden by -std=c11 */
#endif

#include <complex.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not relying on M_PI: it is not part of ISO C. */
static const double TWO_PI = 6.283185307179586476925286766559;

/* Defaults tuned so that a plain run takes about 2 s at -O2 on a small VM. */
enum { DEFAULT_NX = 256, DEFAULT_NY = 256, DEFAULT_NC = 128 };
static const double DEFAULT_LAMBDA = 0.5;

/* Grid bounds; the obstacle spans roughly [-1,1] x [-0.6,0.6]. */
static const double XMIN = -2.0;
static const double XMAX = 2.0;
static const double YMIN = -2.0;
static const double YMAX = 2.0;

static double complex hankel0(double z)
{
    return j0(z) + I * y0(z);
}

static double complex hankel1(double z)
{
    return j1(z) + I * y1(z);
}

/*
 * The contour is convex, so a point is inside exactly when it sees every
 * segment turning the same way (the tutorial's "all areas positive" test,
 * here accepting either orientation).  All segments are examined, with no
 * early exit, so the cost per point is uniform as in the tutorial.
 */
static int isInsideContour(const double *p, const double *xc, const double *yc, int n)
{
    int npos = 0;
    int nneg = 0;
    for (int i = 0; i < n; i++) {
        double ax = xc[i] - p[0];
        double ay = yc[i] - p[1];
        double bx = xc[i + 1] - p[0];
        double by = yc[i + 1] - p[1];
        double cross = ax * by - ay * bx;
        npos += (cross > 0.0);
        nneg += (cross < 0.0);
    }
    return npos == n || nneg == n;
}

/*
 * Contribution of one contour segment [p0,p1] to the scattered field at
 * `point`, using the segment midpoint as the single quadrature node.
 */
static double complex computeScatteredWaveElement(const double *kvec, const double *p0,
                                                  const double *p1, const double *point)
{
    double xmid = 0.5 * (p0[0] + p1[0]);
    double ymid = 0.5 * (p0[1] + p1[1]);
    double dx = p1[0] - p0[0];
    double dy = p1[1] - p0[1];
    double ds = sqrt(dx * dx + dy * dy);
    /* Counter-clockwise traversal: (dy, -dx) points outwards. */
    double nx = dy / ds;
    double ny = -dx / ds;
    double kdotx = kvec[0] * xmid + kvec[1] * ymid;
    double complex uinc = cexp(I * kdotx);
    double kdotn = kvec[0] * nx + kvec[1] * ny;
    double complex duincdn = I * kdotn * uinc;
    double rx = point[0] - xmid;
    double ry = point[1] - ymid;
    double r = sqrt(rx * rx + ry * ry);
    /* The kernel is singular on the node itself; its weight is negligible. */
    if (r < 1e-12) {
        return 0.0;
    }
    double kmod = sqrt(kvec[0] * kvec[0] + kvec[1] * kvec[1]);
    double kr = kmod * r;
    double complex g = 0.25 * I * hankel0(kr);
    double rdotn = (rx * nx + ry * ny) / r;
    double complex dgdn = -0.25 * I * kmod * hankel1(kr) * rdotn;
    return 0.25 * I * (dgdn * uinc - g * duincdn) * ds;
}

static double complex computeScatteredWave(const double *kvec, int nc, const double *xc,
                                           const double *yc, const double *point)
{
    double complex res = 0.0;
    for (int i = 0; i < nc; i++) {
        double p0[2] = {xc[i], yc[i]};
        double p1[2] = {xc[i + 1], yc[i + 1]};
        res += computeScatteredWaveElement(kvec, p0, p1, point);
    }
    return res;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: scatter [-nx N] [-ny N] [-nc N] [-lambda L] [-h]\n"
            "  -nx N       observer points along x (default %d)\n"
            "  -ny N       observer points along y (default %d)\n"
            "  -nc N       obstacle contour segments (default %d)\n"
            "  -lambda L   incident wavelength (default %g)\n"
            "  -h          show this help\n",
            DEFAULT_NX, DEFAULT_NY, DEFAULT_NC, DEFAULT_LAMBDA);
}

static int parse_int(const char *opt, const char *s, int lo, int hi, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || v < lo || v > hi) {
        fprintf(stderr, "scatter: %s expects an integer in [%d, %d], got '%s'\n", opt, lo, hi,
                s);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int parse_positive_double(const char *opt, const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !isfinite(v) || v <= 0.0) {
        fprintf(stderr, "scatter: %s expects a positive number, got '%s'\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    int nx = DEFAULT_NX;
    int ny = DEFAULT_NY;
    int nc = DEFAULT_NC;
    double lambda = DEFAULT_LAMBDA;

    for (int a = 1; a < argc; a++) {
        const char *opt = argv[a];
        if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        int is_nx = strcmp(opt, "-nx") == 0;
        int is_ny = strcmp(opt, "-ny") == 0;
        int is_nc = strcmp(opt, "-nc") == 0;
        int is_lambda = strcmp(opt, "-lambda") == 0;
        if (!is_nx && !is_ny && !is_nc && !is_lambda) {
            fprintf(stderr, "scatter: unknown option '%s' (try -h)\n", opt);
            return 2;
        }
        if (a + 1 >= argc) {
            fprintf(stderr, "scatter: option %s needs a value\n", opt);
            return 2;
        }
        const char *val = argv[++a];
        int rc;
        if (is_nx) {
            rc = parse_int(opt, val, 2, 100000, &nx);
        } else if (is_ny) {
            rc = parse_int(opt, val, 2, 100000, &ny);
        } else if (is_nc) {
            rc = parse_int(opt, val, 3, 1000000, &nc);
        } else {
            rc = parse_positive_double(opt, val, &lambda);
        }
        if (rc != 0) {
            return 2;
        }
    }

    /* Incident plane wave travelling along +x. */
    double kvec[2] = {TWO_PI / lambda, 0.0};

    double *xc = malloc(((size_t)nc + 1) * sizeof *xc);
    double *yc = malloc(((size_t)nc + 1) * sizeof *yc);
    double complex *field = malloc((size_t)nx * (size_t)ny * sizeof *field);
    if (xc == NULL || yc == NULL || field == NULL) {
        fprintf(stderr, "scatter: out of memory\n");
        free(xc);
        free(yc);
        free(field);
        return 1;
    }

    /*
     * A slightly egg-shaped ellipse; the perturbation is small enough to keep
     * the curve convex, which isInsideContour relies on.
     */
    const double a_axis = 1.0;
    const double b_axis = 0.6;
    const double bump = 0.05;
    for (int i = 0; i < nc; i++) {
        double t = TWO_PI * i / nc;
        xc[i] = a_axis * cos(t) + bump * cos(2.0 * t);
        yc[i] = b_axis * sin(t);
    }
    xc[nc] = xc[0];
    yc[nc] = yc[0];

    double hx = (XMAX - XMIN) / (nx - 1);
    double hy = (YMAX - YMIN) / (ny - 1);
    for (int j = 0; j < ny; j++) {
        double y = YMIN + hy * j;
        for (int i = 0; i < nx; i++) {
            double point[2] = {XMIN + hx * i, y};
            size_t idx = (size_t)j * (size_t)nx + (size_t)i;
            if (isInsideContour(point, xc, yc, nc)) {
                field[idx] = 0.0;
                continue;
            }
            field[idx] = computeScatteredWave(kvec, nc, xc, yc, point);
        }
    }

    double checksum = 0.0;
    for (size_t idx = 0; idx < (size_t)nx * (size_t)ny; idx++) {
        checksum += cabs(field[idx]);
    }
    printf("checksum: %.10g (nx=%d ny=%d nc=%d)\n", checksum, nx, ny, nc);

    free(field);
    free(yc);
    free(xc);
    return 0;
}
