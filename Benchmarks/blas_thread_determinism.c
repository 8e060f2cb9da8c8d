// Does OpenBLAS give bit-identical results with different thread counts?
// Hashes the bytes of dgemm, dsyrk, dgemv, dgeqrf, dtpqrt, dpotrf and dtrsm outputs.
//   gcc -O2 -I/usr/include/x86_64-linux-gnu/openblas-pthread blas_thread_determinism.c -o blas_det -lopenblas -llapacke
//   for t in 1 2 4; do ./blas_det $t | sed 's/ t=.*//' > out$t.txt; done; diff out1.txt out2.txt
// (an argument sets openblas_set_num_threads; without one OPENBLAS_NUM_THREADS or the core count applies)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <cblas.h>
#include <lapacke.h>
#include <time.h>
static uint64_t s=88172645463325252ULL;
static double rnd(){ s^=s<<13; s^=s>>7; s^=s<<17; return (double)(s>>11)/9007199254740992.0*2-1; }
static uint64_t hash(double*a,size_t n){uint64_t h=1469598103934665603ULL; for(size_t i=0;i<n;i++){uint64_t v; memcpy(&v,a+i,8); h=(h^v)*1099511628211ULL;} return h;}
static double now(){struct timespec t; clock_gettime(CLOCK_MONOTONIC,&t); return t.tv_sec+1e-9*t.tv_nsec;}
int main(int argc,char**argv){
  int nt = argc>1? atoi(argv[1]) : -1;
  if(nt>0) openblas_set_num_threads(nt);
  printf("threads=%d core=%s config=%s\n", openblas_get_num_threads(), openblas_get_corename(), openblas_get_config());
  int sizes[][3]={{7,5,3},{64,64,64},{200,150,100},{1000,1000,1000},{3000,500,700},{5000,1000,50}};
  for(int z=0;z<6;z++){
    int m=sizes[z][0], n=sizes[z][1], k=sizes[z][2];
    s=12345+z;
    double *A=malloc(sizeof(double)*m*k),*B=malloc(sizeof(double)*k*n),*C=calloc((size_t)m*n,8);
    for(size_t i=0;i<(size_t)m*k;i++) A[i]=rnd();
    for(size_t i=0;i<(size_t)k*n;i++) B[i]=rnd();
    double t0=now();
    cblas_dgemm(CblasColMajor,CblasNoTrans,CblasNoTrans,m,n,k,1.0,A,m,B,k,0.0,C,m);
    double t1=now();
    printf("dgemm %dx%dx%d hash=%016llx t=%.3f\n",m,n,k,(unsigned long long)hash(C,(size_t)m*n),t1-t0);
    // gemm A^T A style (TN), long K
    double *G=calloc((size_t)k*k,8);
    cblas_dgemm(CblasColMajor,CblasTrans,CblasNoTrans,k,k,m,1.0,A,m,A,m,0.0,G,k);
    printf("dgemm_TN %dx%dx%d hash=%016llx\n",k,k,m,(unsigned long long)hash(G,(size_t)k*k));
    memset(G,0,(size_t)k*k*8);
    cblas_dsyrk(CblasColMajor,CblasUpper,CblasTrans,k,m,1.0,A,m,0.0,G,k);
    printf("dsyrk %dx%d hash=%016llx\n",k,m,(unsigned long long)hash(G,(size_t)k*k));
    double *x=malloc(8*(size_t)k),*y=calloc(m,8),*y2=calloc(k,8);
    for(int i=0;i<k;i++)x[i]=rnd();
    cblas_dgemv(CblasColMajor,CblasNoTrans,m,k,1.0,A,m,x,1,0.0,y,1);
    cblas_dgemv(CblasColMajor,CblasTrans,m,k,1.0,A,m,y,1,0.0,y2,1);
    printf("dgemv N hash=%016llx  T hash=%016llx\n",(unsigned long long)hash(y,m),(unsigned long long)hash(y2,k));
    if(m>=k){
      double *Q=malloc(sizeof(double)*m*k); memcpy(Q,A,sizeof(double)*m*k); double*tau=malloc(8*(size_t)k);
      t0=now(); int info=LAPACKE_dgeqrf(LAPACK_COL_MAJOR,m,k,Q,m,tau); t1=now();
      printf("dgeqrf %dx%d info=%d hash=%016llx tau=%016llx t=%.3f\n",m,k,info,(unsigned long long)hash(Q,(size_t)m*k),(unsigned long long)hash(tau,k),t1-t0);
      // tpqrt fold of A into zero R
      double *R=calloc((size_t)k*k,8); double*Bv=malloc(sizeof(double)*m*k); memcpy(Bv,A,sizeof(double)*m*k);
      int nb=k<32?k:32; double*T=calloc((size_t)nb*k,8);
      t0=now(); info=LAPACKE_dtpqrt(LAPACK_COL_MAJOR,m,k,0,nb,R,k,Bv,m,T,nb); t1=now();
      printf("dtpqrt %dx%d info=%d hash=%016llx t=%.3f\n",m,k,info,(unsigned long long)hash(R,(size_t)k*k),t1-t0);
      double *L=calloc((size_t)k*k,8);
      cblas_dsyrk(CblasColMajor,CblasLower,CblasTrans,k,m,1.0,A,m,0.0,L,k);
      for(int i=0;i<k;i++) L[i+(size_t)i*k]+=m;
      info=LAPACKE_dpotrf(LAPACK_COL_MAJOR,'L',k,L,k);
      printf("dpotrf %d info=%d hash=%016llx\n",k,info,(unsigned long long)hash(L,(size_t)k*k));
      double *Cm=malloc(sizeof(double)*m*k); memcpy(Cm,A,sizeof(double)*m*k);
      cblas_dtrsm(CblasColMajor,CblasRight,CblasLower,CblasTrans,CblasNonUnit,m,k,1.0,L,k,Cm,m);
      printf("dtrsm hash=%016llx\n",(unsigned long long)hash(Cm,(size_t)m*k));
    }
  }
  return 0;
}
