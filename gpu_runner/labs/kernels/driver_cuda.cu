// The kernel lab's CUDA harness (trusted, built by the runner with nvcc outside the sandbox, run inside it
// with the GPU's device nodes bound in). Same protocol and inputs as driver.cpp (read its header), on the GPU:
//   gemm:    A (M x K) and B (K x N) __half, C (M x N) float, row-major device pointers;
//   softmax: x and y float, rows x cols, device pointers.
// Per run: fresh inputs generated on the device from the seed sent after the kernel is loaded, the output
// poisoned with NaN and surrounded by guard bytes, more than the L2 cache rewritten, CUDA events recorded
// around the learner's call only, a synchronise before reading them, a CUDA error after the call is RE
// (exit 4), changed guard bytes are RE (exit 4); the whole output is copied back and streamed.

#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

typedef void (*gemm_fn)(int, int, int, const __half*, const __half*, float*);
typedef void (*softmax_fn)(int, int, const float*, float*);

static int out_fd = -1;
static const size_t PAD = 1 << 16;  // guard bytes either side of the output
static const unsigned char CANARY = 0xA5;

__host__ __device__ static inline uint64_t value_at(uint64_t s, uint64_t i) {
    uint64_t z = s + (i + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
// __fmul_rn / __fadd_rn are never contracted into an FMA: the values match NumPy's float32 bit for bit.
__device__ static inline float unit(uint64_t s, uint64_t i) {
    return __fadd_rn(__fmul_rn(2.0f, __fmul_rn((float)(value_at(s, i) >> 40), 1.0f / 16777216.0f)), -1.0f);
}

__global__ void fill_half(__half* x, size_t n, uint64_t seed) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        x[i] = __float2half_rn(unit(seed, i));
}
__global__ void fill_softmax(float* x, long rows, long cols, uint64_t s0, uint64_t s1) {
    size_t n = (size_t)rows * cols;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        x[i] = __fadd_rn(__fmul_rn(4.0f, unit(s0, i)), __fmul_rn(100.0f, unit(s1, i / cols)));
}

static void die(int code, const char* msg) {
    fprintf(stderr, "%s\n", msg);
    fflush(stderr);
    _exit(code);
}
static void cuda_ok(cudaError_t err, const char* what, int code = 5) {
    if (err != cudaSuccess) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s: CUDA error %s (%s)", what, cudaGetErrorName(err), cudaGetErrorString(err));
        die(code, msg);
    }
}
static void emit(const void* p, size_t n) {
    const char* c = (const char*)p;
    while (n) {
        ssize_t w = write(out_fd, c, n);
        if (w <= 0) die(5, "harness: cannot write the results");
        c += w;
        n -= (size_t)w;
    }
}
static void emit_run(uint32_t index, double seconds, const float* out, size_t count) {
    emit("RUN!", 4);
    emit(&index, 4);
    emit(&seconds, 8);
    if (count) emit(out, count * sizeof(float));
}

static int run_copy() {
    long floats = 0, repeats = 0;
    if (scanf("%ld %ld", &floats, &repeats) != 2 || floats <= 0 || repeats <= 0) die(5, "harness: bad copy request");
    float *a, *c;
    cuda_ok(cudaMalloc(&a, floats * sizeof(float)), "cudaMalloc");
    cuda_ok(cudaMalloc(&c, floats * sizeof(float)), "cudaMalloc");
    cudaMemset(a, 1, floats * sizeof(float));
    cudaEvent_t t0, t1;
    cudaEventCreate(&t0);
    cudaEventCreate(&t1);
    for (uint32_t r = 0; r < (uint32_t)repeats; r++) {
        cudaEventRecord(t0);
        cudaMemcpy(c, a, floats * sizeof(float), cudaMemcpyDeviceToDevice);
        cudaEventRecord(t1);
        cuda_ok(cudaEventSynchronize(t1), "copy");
        float ms = 0;
        cudaEventElapsedTime(&ms, t0, t1);
        emit_run(r, ms / 1e3, nullptr, 0);
    }
    emit("DONE", 4);
    return 0;
}

int main(int argc, char** argv) {
    out_fd = dup(1);
    dup2(2, 1);
    if (argc != 2) die(5, "usage: driver gemm|softmax|copy < request");
    const char* mode = argv[1];
    if (!strcmp(mode, "copy")) return run_copy();
    bool is_gemm = !strcmp(mode, "gemm");
    if (!is_gemm && strcmp(mode, "softmax")) die(5, "harness: mode must be gemm, softmax or copy");
    void* lib = dlopen("./kernel.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "cannot load the kernel: %s\n", dlerror());
        fflush(stderr);
        _exit(3);
    }
    void* sym = dlsym(lib, mode);
    if (!sym) {
        fprintf(stderr, "the kernel defines no extern \"C\" function named %s (see the signature)\n", mode);
        fflush(stderr);
        _exit(3);
    }
    long d0 = 0, d1 = 0, d2 = 1, warmup = 0, repeats = 0;
    unsigned long long flush_bytes = 0, seed = 0;
    int got = is_gemm ? scanf("%ld %ld %ld %ld %ld %llu %llu", &d0, &d1, &d2, &warmup, &repeats, &flush_bytes, &seed)
                      : scanf("%ld %ld %ld %ld %llu %llu", &d0, &d1, &warmup, &repeats, &flush_bytes, &seed);
    if (got != (is_gemm ? 7 : 6) || d0 <= 0 || d1 <= 0 || d2 <= 0 || warmup < 0 || repeats <= 0)
        die(5, "harness: bad request");

    int dev = 0, l2 = 0;
    cuda_ok(cudaGetDevice(&dev), "cudaGetDevice");
    cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev);
    size_t flush_n = flush_bytes > 2 * (size_t)l2 ? flush_bytes : 2 * (size_t)l2;
    void* flush;
    cuda_ok(cudaMalloc(&flush, flush_n), "cudaMalloc flush");
    size_t out_count = (size_t)d0 * d1;
    void *in0, *in1 = nullptr;
    unsigned char* out_block;
    if (is_gemm) {
        cuda_ok(cudaMalloc(&in0, (size_t)d0 * d2 * sizeof(__half)), "cudaMalloc A");
        cuda_ok(cudaMalloc(&in1, (size_t)d2 * d1 * sizeof(__half)), "cudaMalloc B");
    } else {
        cuda_ok(cudaMalloc(&in0, out_count * sizeof(float)), "cudaMalloc x");
    }
    cuda_ok(cudaMalloc(&out_block, out_count * sizeof(float) + 2 * PAD), "cudaMalloc C");
    float* out = (float*)(out_block + PAD);
    cudaMemset(out_block, CANARY, out_count * sizeof(float) + 2 * PAD);
    std::vector<float> host(out_count);
    std::vector<unsigned char> pad(PAD);
    cudaEvent_t t0, t1;
    cudaEventCreate(&t0);
    cudaEventCreate(&t1);
    for (uint32_t r = 0; r < (uint32_t)(warmup + repeats); r++) {
        uint64_t s0 = value_at(seed, 8ULL * r), s1 = value_at(seed, 8ULL * r + 1);
        if (is_gemm) {
            fill_half<<<1024, 256>>>((__half*)in0, (size_t)d0 * d2, s0);
            fill_half<<<1024, 256>>>((__half*)in1, (size_t)d2 * d1, s1);
        } else {
            fill_softmax<<<1024, 256>>>((float*)in0, d0, d1, s0, s1);
        }
        cudaMemset(out, 0xFF, out_count * sizeof(float));  // all-ones bits: NaN
        cudaMemset(flush, (int)(r & 0xFF), flush_n);
        cuda_ok(cudaDeviceSynchronize(), "preparing the inputs");
        cudaEventRecord(t0);
        if (is_gemm)
            ((gemm_fn)sym)((int)d0, (int)d1, (int)d2, (const __half*)in0, (const __half*)in1, out);
        else
            ((softmax_fn)sym)((int)d0, (int)d1, (const float*)in0, out);
        cudaEventRecord(t1);
        cudaError_t sync = cudaEventSynchronize(t1);
        cudaError_t launch = cudaGetLastError();
        cuda_ok(sync != cudaSuccess ? sync : launch, "the kernel failed", 4);
        float ms = 0;
        cudaEventElapsedTime(&ms, t0, t1);
        for (int side = 0; side < 2; side++) {
            const unsigned char* at = side ? out_block + PAD + out_count * sizeof(float) : out_block;
            cuda_ok(cudaMemcpy(pad.data(), at, PAD, cudaMemcpyDeviceToHost), "reading the guard bytes", 4);
            for (size_t i = 0; i < PAD; i++)
                if (pad[i] != CANARY) {
                    char msg[200];
                    snprintf(msg, sizeof msg, "out-of-bounds write: %zu bytes %s of %s", side ? i : PAD - i,
                             side ? "past the end" : "before the start", is_gemm ? "C" : "y");
                    die(4, msg);
                }
        }
        cuda_ok(cudaMemcpy(host.data(), out, out_count * sizeof(float), cudaMemcpyDeviceToHost), "reading C", 4);
        emit_run(r, ms / 1e3, host.data(), out_count);
    }
    emit("DONE", 4);
    return 0;
}
