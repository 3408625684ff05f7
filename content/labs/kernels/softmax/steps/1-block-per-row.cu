// Step 1: one block per row. The block's threads stride through the row together (coalesced), reduce the
// maximum and then the sum in shared memory, and subtract the maximum before exp (stable).
#define THREADS 256

__global__ void softmax_block(int rows, int cols, const float* x, float* y) {
    __shared__ float red[THREADS];
    const float* in = x + (long)blockIdx.x * cols;
    float* out = y + (long)blockIdx.x * cols;
    float m = -INFINITY;
    for (int c = threadIdx.x; c < cols; c += THREADS) m = fmaxf(m, in[c]);
    red[threadIdx.x] = m;
    __syncthreads();
    for (int s = THREADS / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) red[threadIdx.x] = fmaxf(red[threadIdx.x], red[threadIdx.x + s]);
        __syncthreads();
    }
    m = red[0];
    __syncthreads();
    float sum = 0.0f;
    for (int c = threadIdx.x; c < cols; c += THREADS) sum += expf(in[c] - m);
    red[threadIdx.x] = sum;
    __syncthreads();
    for (int s = THREADS / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s];
        __syncthreads();
    }
    const float inv = 1.0f / red[0];
    for (int c = threadIdx.x; c < cols; c += THREADS) out[c] = expf(in[c] - m) * inv;
}

extern "C" void softmax(int rows, int cols, const float* x, float* y) {
    softmax_block<<<rows, THREADS>>>(rows, cols, x, y);
}
