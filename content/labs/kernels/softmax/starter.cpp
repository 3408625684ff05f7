// Softmax starter: y[r][c] = exp(x[r][c]) / sum_c' exp(x[r][c']), row-major float32, rows x cols.
// It follows the textbook formula and fails on this lab's inputs: rows sit up to +-104 away from zero,
// where exp() overflows to inf or underflows to 0. Find out why before reading the steps.
#include <cmath>

extern "C" void softmax(int rows, int cols, const float* x, float* y) {
    for (long r = 0; r < rows; r++) {
        float sum = 0.0f;
        for (long c = 0; c < cols; c++) sum += std::exp(x[r * cols + c]);
        for (long c = 0; c < cols; c++) y[r * cols + c] = std::exp(x[r * cols + c]) / sum;
    }
}
