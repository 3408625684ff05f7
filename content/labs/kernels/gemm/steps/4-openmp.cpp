// Step 4: blocking + threads. Each thread owns whole MB-row blocks of C (no two threads write the same
// element, so no locks), and the inner tile keeps a small block of C rows in registers-sized chunks.
// Build flags on the runner: g++ -O3 -march=native -fopenmp.
#include <algorithm>

static const int MB = 64, NB = 256, KB = 256;

extern "C" void gemm(int M, int N, int K, const float* A, const float* B, float* C) {
#pragma omp parallel for schedule(dynamic, 1)
    for (int i0 = 0; i0 < M; i0 += MB) {
        const int i1 = std::min(i0 + MB, M);
        for (long i = i0; i < i1; i++)
            for (int j = 0; j < N; j++) C[i * N + j] = 0.0f;
        for (int k0 = 0; k0 < K; k0 += KB) {
            const int k1 = std::min(k0 + KB, K);
            for (int j0 = 0; j0 < N; j0 += NB) {
                const int j1 = std::min(j0 + NB, N);
                long i = i0;
                for (; i + 4 <= i1; i += 4) {  // four rows of C share each loaded row of B
                    float *c0 = C + i * N, *c1 = c0 + N, *c2 = c1 + N, *c3 = c2 + N;
                    for (long k = k0; k < k1; k++) {
                        const float a0 = A[i * K + k], a1 = A[(i + 1) * K + k], a2 = A[(i + 2) * K + k],
                                    a3 = A[(i + 3) * K + k];
                        const float* b = B + k * N;
#pragma omp simd
                        for (int j = j0; j < j1; j++) {
                            const float bj = b[j];
                            c0[j] += a0 * bj;
                            c1[j] += a1 * bj;
                            c2[j] += a2 * bj;
                            c3[j] += a3 * bj;
                        }
                    }
                }
                for (; i < i1; i++) {  // the rows left over when the block is not a multiple of four
                    float* c = C + i * N;
                    for (long k = k0; k < k1; k++) {
                        const float a = A[i * K + k];
                        const float* b = B + k * N;
#pragma omp simd
                        for (int j = j0; j < j1; j++) c[j] += a * b[j];
                    }
                }
            }
        }
    }
}
