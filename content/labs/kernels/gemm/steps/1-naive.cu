// CUDA GEMM starter: C = A * B, A (M x K) and B (K x N) fp16, C (M x N) fp32, row-major, device pointers.
// One thread per element of C, accumulating in fp32. Correct, but threads next to each other in a warp walk
// down a column of C, so neither the loads of A nor the stores of C are coalesced.
#include <cuda_fp16.h>

__global__ void gemm_naive(int M, int N, int K, const __half* A, const __half* B, float* C) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;  // row: consecutive threads, consecutive rows
    int j = blockIdx.y * blockDim.y + threadIdx.y;
    if (i >= M || j >= N) return;
    float acc = 0.0f;
    for (int k = 0; k < K; k++) acc += __half2float(A[(long)i * K + k]) * __half2float(B[(long)k * N + j]);
    C[(long)i * N + j] = acc;
}

extern "C" void gemm(int M, int N, int K, const __half* A, const __half* B, float* C) {
    dim3 block(16, 16), grid((M + 15) / 16, (N + 15) / 16);
    gemm_naive<<<grid, block>>>(M, N, K, A, B, C);
}
