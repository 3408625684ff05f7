// Step 2: threadIdx.x runs along a row of C, so a warp reads 32 consecutive elements of B and writes 32
// consecutive elements of C (one transaction each) while all its threads read the same element of A.
#include <cuda_fp16.h>

__global__ void gemm_coalesced(int M, int N, int K, const __half* A, const __half* B, float* C) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    int i = blockIdx.y * blockDim.y + threadIdx.y;
    if (i >= M || j >= N) return;
    float acc = 0.0f;
    for (int k = 0; k < K; k++) acc += __half2float(A[(long)i * K + k]) * __half2float(B[(long)k * N + j]);
    C[(long)i * N + j] = acc;
}

extern "C" void gemm(int M, int N, int K, const __half* A, const __half* B, float* C) {
    dim3 block(32, 8), grid((N + 31) / 32, (M + 7) / 8);
    gemm_coalesced<<<grid, block>>>(M, N, K, A, B, C);
}
