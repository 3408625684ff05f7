// Step 2: online softmax (Milakov & Gimelshein, 2018): one pass keeps a running maximum and a sum rescaled
// whenever the maximum grows, so the row is read twice instead of three times; reductions use warp shuffles.
#define THREADS 256

__device__ void merge(float& m, float& s, float m2, float s2) {
    float mm = fmaxf(m, m2);
    s = (m == -INFINITY ? 0.0f : s * expf(m - mm)) + (m2 == -INFINITY ? 0.0f : s2 * expf(m2 - mm));
    m = mm;
}

__global__ void softmax_online(int rows, int cols, const float* x, float* y) {
    __shared__ float wm[THREADS / 32], ws[THREADS / 32];
    const float* in = x + (long)blockIdx.x * cols;
    float* out = y + (long)blockIdx.x * cols;
    float m = -INFINITY, s = 0.0f;
    for (int c = threadIdx.x; c < cols; c += THREADS) merge(m, s, in[c], 1.0f);
    for (int off = 16; off > 0; off >>= 1)
        merge(m, s, __shfl_xor_sync(0xffffffff, m, off), __shfl_xor_sync(0xffffffff, s, off));
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (lane == 0) { wm[warp] = m; ws[warp] = s; }
    __syncthreads();
    if (warp == 0) {
        m = lane < THREADS / 32 ? wm[lane] : -INFINITY;
        s = lane < THREADS / 32 ? ws[lane] : 0.0f;
        for (int off = 16; off > 0; off >>= 1)
            merge(m, s, __shfl_xor_sync(0xffffffff, m, off), __shfl_xor_sync(0xffffffff, s, off));
        if (lane == 0) { wm[0] = m; ws[0] = s; }
    }
    __syncthreads();
    m = wm[0];
    const float inv = 1.0f / ws[0];
    for (int c = threadIdx.x; c < cols; c += THREADS) out[c] = expf(in[c] - m) * inv;
}

extern "C" void softmax(int rows, int cols, const float* x, float* y) {
    softmax_online<<<rows, THREADS>>>(rows, cols, x, y);
}
