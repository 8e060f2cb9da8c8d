// One-thread dgemm rate of the linked OpenBLAS with the kernels it selects (or OPENBLAS_CORETYPE
// names), at the shapes the package uses: the fit's (1,024 x 252)(252 x 1,020), the default
// model's prediction block (256 x 147)(147 x 1,000) and GAP-18's (256 x 715)(715 x 4,000), plus a
// square 1,024 product. Fastest of 10.
//   gcc -O2 -I/usr/include/x86_64-linux-gnu/openblas-pthread openblas_kernel_rates.c -o kernel_rates -lopenblas
//   for c in "" Prescott Haswell SkylakeX; do OPENBLAS_CORETYPE=$c ./kernel_rates; done
// (OPENBLAS_CORETYPE="" is OpenBLAS's own detection.)
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cblas.h>

char *openblas_get_corename(void);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double rate(int m, int n, int k) {
    double *a = malloc(sizeof(double) * m * k), *b = malloc(sizeof(double) * k * n), *c = malloc(sizeof(double) * m * n);
    for (long i = 0; i < (long)m * k; i++) a[i] = (i % 7) * 0.1;
    for (long i = 0; i < (long)k * n; i++) b[i] = (i % 5) * 0.2;
    double best = 1e30;
    for (int r = 0; r < 10; r++) {
        double start = now();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0, a, k, b, k, 0.0, c, n);
        double s = now() - start;
        if (s < best) best = s;
    }
    free(a); free(b); free(c);
    return 2.0 * m * n * k / best / 1e9;
}

int main(void) {
    openblas_set_num_threads(1);
    printf("%-9s fit %.1f  default-block %.1f  gap18-block %.1f  square-1024 %.1f GFLOP/s\n", openblas_get_corename(),
           rate(1024, 1020, 252), rate(256, 1000, 147), rate(256, 4000, 715), rate(1024, 1024, 1024));
    return 0;
}
