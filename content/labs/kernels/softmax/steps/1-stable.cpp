// Step 1: the numerically stable softmax. Subtracting the row's maximum leaves the result unchanged
// (it cancels between numerator and denominator) and keeps every exp() argument <= 0.
#include <cmath>

extern "C" void softmax(int rows, int cols, const float* x, float* y) {
    for (long r = 0; r < rows; r++) {
        const float* in = x + r * cols;
        float* out = y + r * cols;
        float m = in[0];
        for (long c = 1; c < cols; c++) m = std::fmax(m, in[c]);
        float sum = 0.0f;
        for (long c = 0; c < cols; c++) sum += (out[c] = std::exp(in[c] - m));
        const float inv = 1.0f / sum;
        for (long c = 0; c < cols; c++) out[c] *= inv;
    }
}
