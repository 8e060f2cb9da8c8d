// swiftgap_soap_pair_gradients, old (old.o, symbols prefixed old_) against new: bits and ns per pair (see build.sh).
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
void old_swiftgap_soap_pair_gradients(const double *records, const double *adjoint, const double *weighted_radial, const double *weighted_slope, int64_t count,
    int64_t n_max, int64_t l_max, const double *dz, const double *vectors, const double *distances, const int64_t *pairs,
    const int64_t *slots, double *scratch, double *gradients);
void swiftgap_soap_pair_gradients(const double *records, const double *adjoint, const double *weighted_radial, const double *weighted_slope, int64_t count,
    int64_t n_max, int64_t l_max, const double *dz, const double *vectors, const double *distances, const int64_t *pairs,
    const int64_t *slots, double *scratch, double *gradients);
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static double rnd(void){return rand()/(double)RAND_MAX-0.5;}
int main(int argc,char**argv){
  int n_max=argc>1?atoi(argv[1]):10, l_max=argc>2?atoi(argv[2]):12;
  int64_t lc=l_max+1, lm=lc*lc, nl=n_max*lc, tri=lc*(lc+1)/2, stride=4+tri+2*(l_max+2);
  int P=64;
  double *rec=malloc(8*P*stride*8), *adj=malloc(8*nl*lc*lc), *wr=malloc(8*P*nl), *ws=malloc(8*P*nl), *dz=malloc(8*tri), *vec=malloc(8*4*P), *dist=malloc(8*P);
  double *scr=malloc(8*16*(nl+lm)), *g1=calloc(3*P,8), *g2=calloc(3*P,8);
  int64_t pairs[64], slots[64];
  srand(3);
  for(long i=0;i<P*stride*8;i++)rec[i]=rnd();
  for(long i=0;i<n_max*lm;i++)adj[i]=rnd();
  for(long i=0;i<P*nl;i++){wr[i]=rnd();ws[i]=rnd();}
  for(long i=0;i<tri;i++)dz[i]=rnd();
  for(int i=0;i<P;i++){vec[4*i]=rnd();vec[4*i+1]=rnd();vec[4*i+2]=rnd();dist[i]=1+rnd();pairs[i]=(i*7)%P;slots[i]=i;}
  int diff=0;
  for(int c=1;c<=8;c++){
    for(int b=0;b<P;b+=8){
      memset(g1,0,24*P);memset(g2,0,24*P);
      old_swiftgap_soap_pair_gradients(rec+b*stride,adj,wr+b*nl,ws+b*nl,c,n_max,l_max,dz,vec,dist,pairs+b,slots+b,scr,g1);
      swiftgap_soap_pair_gradients(rec+b*stride,adj,wr+b*nl,ws+b*nl,c,n_max,l_max,dz,vec,dist,pairs+b,slots+b,scr,g2);
      if(memcmp(g1,g2,24*P))diff++;
    }
  }
  printf("n_max %d l_max %d: outputs %s\n",n_max,l_max,diff?"DIFFER":"identical");
  for(int rep=0;rep<3;rep++){
    double bo=1e9,bn=1e9;
    for(int r=0;r<20;r++){
      double t=now(); for(int k=0;k<200;k++) for(int b=0;b<P;b+=8) old_swiftgap_soap_pair_gradients(rec+b*stride,adj,wr+b*nl,ws+b*nl,8,n_max,l_max,dz,vec,dist,pairs+b,slots+b,scr,g1);
      t=now()-t; if(t<bo)bo=t;
      t=now(); for(int k=0;k<200;k++) for(int b=0;b<P;b+=8) swiftgap_soap_pair_gradients(rec+b*stride,adj,wr+b*nl,ws+b*nl,8,n_max,l_max,dz,vec,dist,pairs+b,slots+b,scr,g2);
      t=now()-t; if(t<bn)bn=t;
    }
    printf("  per pair: old %.1f ns  new %.1f ns\n",bo/(200.0*P)*1e9,bn/(200.0*P)*1e9);
  }
}
