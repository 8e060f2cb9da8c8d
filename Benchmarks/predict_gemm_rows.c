// One-thread dgemm rate of the linked OpenBLAS at the GAP-18-size prediction's two products per
// block of n rows, G = D Xᵀ (n x 715)(715 x 4,000) and ∂E/∂D = W X (n x 4,000)(4,000 x 715), for
// n from 56 to 1,024: BLAS packs all of X once per product, so small blocks pay that copy more
// often per row. Fastest of 10 per shape.
//   gcc -O2 -I/usr/include/x86_64-linux-gnu/openblas-pthread predict_gemm_rows.c -o gemm_rows -lopenblas
//   OPENBLAS_CORETYPE=SkylakeX nice -n -15 ./gemm_rows
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cblas.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
int main(int argc,char**argv){
  openblas_set_num_threads(1);
  int M=4000,F=715;
  double *x=malloc(8L*M*F),*d=malloc(8L*1024*F),*g=malloc(8L*1024*M),*u=malloc(8L*1024*F);
  for(long i=0;i<(long)M*F;i++)x[i]=(i%7)*0.1;
  for(long i=0;i<1024L*F;i++)d[i]=(i%5)*0.2;
  for(long i=0;i<1024L*M;i++)g[i]=(i%3)*0.3;
  int ns[]={56,64,128,216,256,512,1024};
  for(int t=0;t<7;t++){int n=ns[t];
    double b1=1e9,b2=1e9;
    int reps = 10;
    for(int r=0;r<reps;r++){
      double s=now(); cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasTrans,n,M,F,1.0,d,F,x,F,0.0,g,M); s=now()-s; if(s<b1)b1=s;
      s=now(); cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,n,F,M,1.0,g,M,x,F,0.0,u,F); s=now()-s; if(s<b2)b2=s;
    }
    printf("n %4d  D X^T %.1f GFLOP/s  W X %.1f GFLOP/s  both %.1f us/row\n",n,2.0*n*M*F/b1/1e9,2.0*n*M*F/b2/1e9,(b1+b2)/n*1e6);
  }
}
