// Step 3: cache blocking. The product is done tile by tile so that a KB x NB panel of B stays in L2
// while every row of the MB-row block of A streams past it, and the C tile being accumulated stays in L1.
// Every tile bound is clipped with std::min, so sizes that are not multiples of a tile are handled.
#include <algorithm>

static const int MB = 64, NB = 256, KB = 128;

extern "C" void gemm(int M, int N, int K, const float* A, const float* B, float* C) {
    for (long i = 0; i < (long)M * N; i++) C[i] = 0.0f;
    for (int i0 = 0; i0 < M; i0 += MB)
        for (int k0 = 0; k0 < K; k0 += KB)
            for (int j0 = 0; j0 < N; j0 += NB) {
                const int i1 = std::min(i0 + MB, M), k1 = std::min(k0 + KB, K), j1 = std::min(j0 + NB, N);
                for (long i = i0; i < i1; i++) {
                    float* c = C + i * N;
                    for (long k = k0; k < k1; k++) {
                        const float a = A[i * K + k];
                        const float* b = B + k * N;
                        for (int j = j0; j < j1; j++) c[j] += a * b[j];
                    }
                }
            }
}
