// Build: gcc -O2 -I/usr/include/x86_64-linux-gnu/openblas-pthread predict_gemm_layouts.c -o gemm_layouts -lopenblas
// Run:   OPENBLAS_CORETYPE=SkylakeX nice -n -15 ./gemm_layouts
// GAP-18-size block products with X stored as M x F (row-major, as the package stores the sparse
// points) or transposed F x M: G = D Xᵀ and U = W X, n = 256 rows. Fastest of 10.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cblas.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
int main(void){
  openblas_set_num_threads(1);
  int M=4000,F=715,n=256;
  double *x=malloc(8L*M*F),*xt=malloc(8L*M*F),*d=malloc(8L*n*F),*g=malloc(8L*n*M),*u=malloc(8L*n*F);
  for(long i=0;i<(long)M*F;i++){x[i]=(i%7)*0.1;}
  for(long i=0;i<M;i++)for(long j=0;j<F;j++)xt[j*M+i]=x[i*F+j];
  for(long i=0;i<(long)n*F;i++)d[i]=(i%5)*0.2;
  for(long i=0;i<(long)n*M;i++)g[i]=(i%3)*0.3;
  double b[4]={1e9,1e9,1e9,1e9};
  for(int r=0;r<10;r++){
    double s;
    s=now(); cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasTrans,n,M,F,1.0,d,F,x,F,0.0,g,M); s=now()-s; if(s<b[0])b[0]=s;
    s=now(); cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,n,M,F,1.0,d,F,xt,M,0.0,g,M); s=now()-s; if(s<b[1])b[1]=s;
    s=now(); cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,n,F,M,1.0,g,M,x,F,0.0,u,F); s=now()-s; if(s<b[2])b[2]=s;
    s=now(); cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasTrans,n,F,M,1.0,g,M,xt,M,0.0,u,F); s=now()-s; if(s<b[3])b[3]=s;
  }
  double fl=2.0*n*M*F/1e9;
  printf("G = D X^T: X as M x F (NT, the package's) %.1f GFLOP/s, X as F x M (NN) %.1f\n",fl/b[0],fl/b[1]);
  printf("U = W X:   X as M x F (NN, the package's) %.1f GFLOP/s, X as F x M (NT) %.1f\n",fl/b[2],fl/b[3]);
}
