// GEMM starter: C = A * B, row-major float32. A is M x K, B is K x N, C is M x N.
// Correct but slow: the inner loop walks B down a column, one cache line per multiply-add.
extern "C" void gemm(int M, int N, int K, const float* A, const float* B, float* C) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float acc = 0.0f;
            for (int k = 0; k < K; k++) acc += A[(long)i * K + k] * B[(long)k * N + j];
            C[(long)i * N + j] = acc;
        }
}
