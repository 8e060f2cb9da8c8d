// ScaLAPACK and BLACS (Debian's libscalapack-openmpi-dev ships no C header): the prototypes of
// the routines the distributed least-squares factor calls. Fortran routines take every argument
// by address, and character arguments are followed by their hidden lengths at the end.
// Built only with the package trait MPI.
#ifndef SWIFTGAP_CSCALAPACK_SHIM_H
#define SWIFTGAP_CSCALAPACK_SHIM_H
#include <stddef.h>

void Cblacs_pinfo(int *mypnum, int *nprocs);
void Cblacs_get(int icontxt, int what, int *val);
void Cblacs_gridinit(int *icontxt, const char *order, int nprow, int npcol);
void Cblacs_gridinfo(int icontxt, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int icontxt);

int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb, const int *irsrc,
               const int *icsrc, const int *ictxt, const int *lld, int *info);
void Cpdgemr2d(int m, int n, double *a, int ia, int ja, int *desca, double *b, int ib, int jb, int *descb, int gcontext);
void pdgeqrf_(const int *m, const int *n, double *a, const int *ia, const int *ja, const int *desca,
              double *tau, double *work, const int *lwork, int *info);
void pdpotrf_(const char *uplo, const int *n, double *a, const int *ia, const int *ja, const int *desca, int *info,
              size_t uplo_length);
void pdlaset_(const char *uplo, const int *m, const int *n, const double *alpha, const double *beta,
              double *a, const int *ia, const int *ja, const int *desca, size_t uplo_length);
void pdtrtrs_(const char *uplo, const char *trans, const char *diag, const int *n, const int *nrhs,
              const double *a, const int *ia, const int *ja, const int *desca,
              double *b, const int *ib, const int *jb, const int *descb, int *info,
              size_t uplo_length, size_t trans_length, size_t diag_length);
void pdtrcon_(const char *norm, const char *uplo, const char *diag, const int *n,
              const double *a, const int *ia, const int *ja, const int *desca, double *rcond,
              double *work, const int *lwork, int *iwork, const int *liwork, int *info,
              size_t norm_length, size_t uplo_length, size_t diag_length);
#endif
