// CUDA softmax starter: one thread per row, textbook formula. Two problems to find: exp() overflows on this
// lab's inputs (rows sit up to +-104 from zero), and a thread walking its own row means a warp touches 32
// different rows at once (no coalescing).
__global__ void softmax_rows(int rows, int cols, const float* x, float* y) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    float sum = 0.0f;
    for (int c = 0; c < cols; c++) sum += expf(x[(long)r * cols + c]);
    for (int c = 0; c < cols; c++) y[(long)r * cols + c] = expf(x[(long)r * cols + c]) / sum;
}

extern "C" void softmax(int rows, int cols, const float* x, float* y) {
    softmax_rows<<<(rows + 127) / 128, 128>>>(rows, cols, x, y);
}
