// Step 3: shared-memory tiling. A block loads a TILE x TILE tile of A and of B into shared memory once and
// every thread reuses them TILE times, cutting global-memory traffic by TILE. Tiles past the edge of a
// matrix are filled with zeros, so any M, N, K works.
#include <cuda_fp16.h>

#define TILE 32

__global__ void gemm_tiled(int M, int N, int K, const __half* A, const __half* B, float* C) {
    __shared__ float As[TILE][TILE], Bs[TILE][TILE + 1];
    int tx = threadIdx.x, ty = threadIdx.y;
    int row = blockIdx.y * TILE + ty, col = blockIdx.x * TILE + tx;
    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += TILE) {
        As[ty][tx] = (row < M && k0 + tx < K) ? __half2float(A[(long)row * K + k0 + tx]) : 0.0f;
        Bs[ty][tx] = (k0 + ty < K && col < N) ? __half2float(B[(long)(k0 + ty) * N + col]) : 0.0f;
        __syncthreads();
#pragma unroll
        for (int k = 0; k < TILE; k++) acc += As[ty][k] * Bs[k][tx];
        __syncthreads();
    }
    if (row < M && col < N) C[(long)row * N + col] = acc;
}

extern "C" void gemm(int M, int N, int K, const __half* A, const __half* B, float* C) {
    dim3 block(TILE, TILE), grid((N + TILE - 1) / TILE, (M + TILE - 1) / TILE);
    gemm_tiled<<<grid, block>>>(M, N, K, A, B, C);
}
