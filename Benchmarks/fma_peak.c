// This core's fp64 peak: twelve independent chains of AVX-512 FMAs (2 units x 8 lanes x 2 flops
// per cycle when both ports issue), and one dependent chain, whose 4-cycle latency gives the clock.
//   gcc -O2 fma_peak.c -o fma_peak && nice -n -15 ./fma_peak
#include <stdio.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
int main(){
  long iters=100000000; double best=1e9;
  for(int r=0;r<5;r++){
    double t0=now();
    __asm__ volatile(
      "vxorpd %%zmm0,%%zmm0,%%zmm0\n vmovapd %%zmm0,%%zmm1\n vmovapd %%zmm0,%%zmm2\n vmovapd %%zmm0,%%zmm3\n vmovapd %%zmm0,%%zmm4\n vmovapd %%zmm0,%%zmm5\n vmovapd %%zmm0,%%zmm6\n vmovapd %%zmm0,%%zmm7\n vmovapd %%zmm0,%%zmm8\n vmovapd %%zmm0,%%zmm9\n vmovapd %%zmm0,%%zmm10\n vmovapd %%zmm0,%%zmm11\n vmovapd %%zmm0,%%zmm12\n vmovapd %%zmm0,%%zmm13\n"
      "mov %0, %%rcx\n1:\n"
      "vfmadd231pd %%zmm12,%%zmm13,%%zmm0\n vfmadd231pd %%zmm12,%%zmm13,%%zmm1\n vfmadd231pd %%zmm12,%%zmm13,%%zmm2\n vfmadd231pd %%zmm12,%%zmm13,%%zmm3\n"
      "vfmadd231pd %%zmm12,%%zmm13,%%zmm4\n vfmadd231pd %%zmm12,%%zmm13,%%zmm5\n vfmadd231pd %%zmm12,%%zmm13,%%zmm6\n vfmadd231pd %%zmm12,%%zmm13,%%zmm7\n"
      "vfmadd231pd %%zmm12,%%zmm13,%%zmm8\n vfmadd231pd %%zmm12,%%zmm13,%%zmm9\n vfmadd231pd %%zmm12,%%zmm13,%%zmm10\n vfmadd231pd %%zmm12,%%zmm13,%%zmm11\n"
      "dec %%rcx\n jnz 1b\n" :: "r"(iters) : "rcx","xmm0","xmm1","xmm2","xmm3","xmm4","xmm5","xmm6","xmm7","xmm8","xmm9","xmm10","xmm11","xmm12","xmm13");
    double t=now()-t0; if(t<best)best=t;
  }
  printf("%.1f GFLOP/s fp64 AVX-512 FMA (12 chains)\n", iters*12*16.0/best/1e9);
  best=1e9;
  for(int r=0;r<3;r++){
    double t0=now();
    __asm__ volatile("vxorpd %%zmm0,%%zmm0,%%zmm0\n mov %0, %%rcx\n1:\n vfmadd231pd %%zmm12,%%zmm13,%%zmm0\n dec %%rcx\n jnz 1b\n" :: "r"(iters) : "rcx","xmm0","xmm12","xmm13");
    double t=now()-t0; if(t<best)best=t;
  }
  printf("dependent chain: %.3f ns per FMA (clock = 4 / that if 4-cycle latency: %.2f GHz)\n", best/iters*1e9, 4/(best/iters*1e9));
}
