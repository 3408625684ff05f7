// Step 2: rows are independent, so threads split them; the three passes become vectorisable loops
// (reductions declared to OpenMP's simd, -ffast-math-free). Softmax moves 8 bytes per element and does a
// handful of flops: it is bound by memory bandwidth, so compare it with the copy bandwidth, not the GEMM peak.
#include <cmath>

extern "C" void softmax(int rows, int cols, const float* x, float* y) {
#pragma omp parallel for schedule(static)
    for (long r = 0; r < rows; r++) {
        const float* in = x + r * cols;
        float* out = y + r * cols;
        float m = in[0];
#pragma omp simd reduction(max : m)
        for (long c = 0; c < cols; c++) m = in[c] > m ? in[c] : m;
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (long c = 0; c < cols; c++) {
            const float e = std::exp(in[c] - m);
            out[c] = e;
            sum += e;
        }
        const float inv = 1.0f / sum;
#pragma omp simd
        for (long c = 0; c < cols; c++) out[c] *= inv;
    }
}
