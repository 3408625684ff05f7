// Step 4: register blocking. A 64 x 64 tile of C per block of 256 threads, each thread computing a 4 x 4
// sub-tile in registers: per k, 4 values of A and 4 of B from shared memory feed 16 multiply-adds.
// (The next steps, not shown: tensor cores through WMMA or mma.sync, double-buffered cp.async loads.)
#include <cuda_fp16.h>

#define BM 64
#define BN 64
#define BK 16
#define TM 4
#define TN 4

__global__ void gemm_reg(int M, int N, int K, const __half* A, const __half* B, float* C) {
    __shared__ float As[BK][BM], Bs[BK][BN];
    int tid = threadIdx.x, tr = tid / (BN / TN), tc = tid % (BN / TN);
    int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
    float acc[TM][TN] = {};
    for (int k0 = 0; k0 < K; k0 += BK) {
        for (int e = tid; e < BM * BK; e += blockDim.x) {  // A tile, stored transposed: As[k][m]
            int m = e / BK, k = e % BK, gr = row0 + m, gk = k0 + k;
            As[k][m] = (gr < M && gk < K) ? __half2float(A[(long)gr * K + gk]) : 0.0f;
        }
        for (int e = tid; e < BK * BN; e += blockDim.x) {
            int k = e / BN, n = e % BN, gk = k0 + k, gc = col0 + n;
            Bs[k][n] = (gk < K && gc < N) ? __half2float(B[(long)gk * N + gc]) : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < BK; k++) {
            float a[TM], b[TN];
#pragma unroll
            for (int x = 0; x < TM; x++) a[x] = As[k][tr * TM + x];
#pragma unroll
            for (int y = 0; y < TN; y++) b[y] = Bs[k][tc * TN + y];
#pragma unroll
            for (int x = 0; x < TM; x++)
#pragma unroll
                for (int y = 0; y < TN; y++) acc[x][y] += a[x] * b[y];
        }
        __syncthreads();
    }
    for (int x = 0; x < TM; x++)
        for (int y = 0; y < TN; y++) {
            int r = row0 + tr * TM + x, c = col0 + tc * TN + y;
            if (r < M && c < N) C[(long)r * N + c] = acc[x][y];
        }
}

extern "C" void gemm(int M, int N, int K, const __half* A, const __half* B, float* C) {
    dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM);
    gemm_reg<<<grid, (BM / TM) * (BN / TN)>>>(M, N, K, A, B, C);
}
