// Step 2: loop order i-k-j. The inner loop now walks a row of B and a row of C contiguously, so the
// compiler vectorises it (AVX2/AVX-512 with -march=native) and every cache line brought in is used whole.
extern "C" void gemm(int M, int N, int K, const float* A, const float* B, float* C) {
    for (long i = 0; i < M; i++) {
        float* c = C + i * N;
        for (int j = 0; j < N; j++) c[j] = 0.0f;
        for (long k = 0; k < K; k++) {
            const float a = A[i * K + k];
            const float* b = B + k * N;
            for (int j = 0; j < N; j++) c[j] += a * b[j];
        }
    }
}
