// CBLAS and LAPACKE from Debian's libopenblas-dev and liblapacke-dev.
#ifndef CLAPACK_SHIM_H
#define CLAPACK_SHIM_H
#include <cblas.h>
#include <lapacke.h>
#endif
