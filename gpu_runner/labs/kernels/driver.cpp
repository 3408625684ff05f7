// The kernel lab's CPU harness (trusted, built by the runner outside the sandbox, run inside it).
//
// It dlopen()s the learner's kernel.so with RTLD_LOCAL (the kernel's symbols cannot interpose the
// harness's clock or I/O), then for every run: fills fresh inputs from the seed the runner sends on
// stdin *after* the kernel is loaded, makes them read-only, poisons the output with NaN, rewrites a
// buffer larger than the last-level cache on every thread (so no run starts with a warm cache), times
// the kernel alone with CLOCK_MONOTONIC, checks the guard bytes around the output, and streams the
// run's time and full output on a private descriptor. Correctness is judged outside the sandbox.
//
// Protocol. argv[1]: gemm | softmax | copy. stdin, one line:
//   gemm:    M N K warmup repeats flush_bytes seed
//   softmax: rows cols warmup repeats flush_bytes seed
//   copy:    floats repeats
// Output (binary, little-endian) per run: "RUN!" u32 index, f64 seconds, then the output array
// (gemm, softmax; none for copy); "DONE" at the end. Exit 0, or 3 (kernel not loadable / symbol
// missing), 4 (out-of-bounds access), 5 (bad request), each with a message on stderr.
//
// Inputs (both sides use the same generator, gpu_runner/labs/kernels/inputs.py):
//   value(s, i) = splitmix64(s + (i + 1) * 0x9E3779B97F4A7C15), u = (value >> 40) * 2^-24 in [0, 1).
//   array t of run r has seed value(base, 8 r + t).
//   gemm: A (t=0), B (t=1) = 2u - 1.   softmax: x[r][c] = 4 (2u-1) (t=0, index r*cols+c) + 100 (2w-1)
//   (t=1, index r), computed in float32 without contraction (-ffp-contract=off).

#include <dlfcn.h>
#include <omp.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

typedef void (*gemm_fn)(int, int, int, const float*, const float*, float*);
typedef void (*softmax_fn)(int, int, const float*, float*);

static int out_fd = -1;
static const uint64_t GOLDEN = 0x9E3779B97F4A7C15ULL;
static const unsigned char CANARY = 0xA5;

static inline uint64_t splitmix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static inline uint64_t value_at(uint64_t s, uint64_t i) { return splitmix(s + (i + 1) * GOLDEN); }
static inline float unit(uint64_t s, uint64_t i) {  // in [-1, 1), exact in float32
    return 2.0f * ((float)(value_at(s, i) >> 40) * (1.0f / 16777216.0f)) - 1.0f;
}

static void die(int code, const char* msg) {
    ssize_t ignored = write(2, msg, strlen(msg));
    (void)ignored;
    _exit(code);
}

// One array in its own mapping: [guard][canary bytes][data, 64-byte aligned][slack][guard]. Each guard is
// PROT_NONE and as long as the array itself (64 KiB .. 256 MiB; address space only, no memory), so a write up
// to a whole array's length past either end faults; the data ends as close to the trailing guard as 64-byte
// alignment allows, and the canary bytes catch writes just before the start or in the slack.
struct Guarded {
    const char* name;
    unsigned char* base = nullptr;  // the whole mapping
    size_t map_bytes = 0, guard_bytes = 0, data_off = 0, bytes = 0, body_bytes = 0;
    float* data() const { return (float*)(base + data_off); }
};
static Guarded arrays[3];
static int n_arrays = 0;

static Guarded* guarded(const char* name, size_t count) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    Guarded* g = &arrays[n_arrays++];
    g->name = name;
    g->bytes = count * sizeof(float);
    g->body_bytes = ((g->bytes + 64 + page - 1) / page) * page;  // at least 64 canary bytes before
    size_t guard = g->bytes < (64u << 10) ? (64u << 10) : (g->bytes > (256u << 20) ? (256u << 20) : g->bytes);
    g->guard_bytes = ((guard + page - 1) / page) * page;
    g->map_bytes = g->body_bytes + 2 * g->guard_bytes;
    void* p = mmap(nullptr, g->map_bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) die(5, "harness: cannot map the arrays (memory limit)\n");
    g->base = (unsigned char*)p;
    mprotect(g->base + g->guard_bytes, g->body_bytes, PROT_READ | PROT_WRITE);
    size_t end = g->guard_bytes + g->body_bytes;
    g->data_off = (end - g->bytes) & ~(size_t)63;
    memset(g->base + g->guard_bytes, CANARY, g->body_bytes);
    return g;
}

static void protect(Guarded* g, int prot) { mprotect(g->base + g->guard_bytes, g->body_bytes, prot); }

// Guard bytes intact? Otherwise exit 4 naming where the first changed byte lies.
static void check_canaries(const Guarded* g) {
    const unsigned char* body = g->base + g->guard_bytes;
    size_t lead = g->data_off - g->guard_bytes, tail_start = g->data_off + g->bytes - g->guard_bytes;
    for (size_t i = 0; i < lead; i++)
        if (body[i] != CANARY) {
            char msg[200];
            snprintf(msg, sizeof msg, "out-of-bounds write: %zu bytes before the start of %s\n", lead - i, g->name);
            die(4, msg);
        }
    for (size_t i = tail_start; i < g->body_bytes; i++)
        if (body[i] != CANARY) {
            char msg[200];
            snprintf(msg, sizeof msg, "out-of-bounds write: byte %zu past the end of %s\n", i - tail_start, g->name);
            die(4, msg);
        }
}

// A fault names the array whose guard page or read-only body was touched (async-signal-safe: write only).
static void put_num(char*& p, uint64_t v) {
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) *p++ = tmp[--n];
}
static void put_str(char*& p, const char* s) { while (*s) *p++ = *s++; }

static void on_fault(int sig, siginfo_t* info, void*) {
    char msg[256], *p = msg;
    unsigned char* a = (unsigned char*)info->si_addr;
    put_str(p, sig == SIGSEGV ? "segmentation fault" : "bus error");
    for (int k = 0; k < n_arrays; k++) {
        const Guarded& g = arrays[k];
        unsigned char *lo = g.base, *hi = g.base + g.map_bytes, *d = g.base + g.data_off;
        if (a < lo || a >= hi) continue;
        if (a >= d + g.bytes) { put_str(p, ": access "); put_num(p, (uint64_t)(a - d - g.bytes)); put_str(p, " bytes past the end of "); }
        else if (a < d) { put_str(p, ": access "); put_num(p, (uint64_t)(d - a)); put_str(p, " bytes before the start of "); }
        else put_str(p, ": write into the read-only input ");
        put_str(p, g.name);
        break;
    }
    put_str(p, "\n");
    ssize_t ignored = write(2, msg, (size_t)(p - msg));
    (void)ignored;
    _exit(4);
}

static void flush_caches(std::vector<uint64_t>& buf, uint64_t salt) {
    // Every thread reads and writes its share, so each core's private caches and the shared LLC are
    // refilled with this buffer. A plain memset may use non-temporal stores and evict nothing.
    long n = (long)buf.size();
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) buf[i] = buf[i] * 3 + salt;
}

static double now_s() {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void emit(const void* p, size_t n) {
    const char* c = (const char*)p;
    while (n) {
        ssize_t w = write(out_fd, c, n);
        if (w <= 0) die(5, "harness: cannot write the results\n");
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

static void fill_unit(float* x, size_t n, uint64_t seed) {
#pragma omp parallel for schedule(static)
    for (long i = 0; i < (long)n; i++) x[i] = unit(seed, (uint64_t)i);
}

static void poison(float* x, size_t n) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (size_t i = 0; i < n; i++) x[i] = nan;
}

static int run_copy() {
    long floats = 0, repeats = 0;
    if (scanf("%ld %ld", &floats, &repeats) != 2 || floats <= 0 || repeats <= 0) die(5, "harness: bad copy request\n");
    std::vector<float> a((size_t)floats), c((size_t)floats);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < floats; i++) { a[i] = (float)i; c[i] = 0.0f; }  // first touch on every thread
    for (uint32_t r = 0; r < (uint32_t)repeats; r++) {
        double t0 = now_s();
#pragma omp parallel for schedule(static)
        for (long i = 0; i < floats; i++) c[i] = a[i];
        double t1 = now_s();
        emit_run(r, t1 - t0, nullptr, 0);
    }
    emit("DONE", 4);
    return 0;
}

int main(int argc, char** argv) {
    // The results travel on a private descriptor; the kernel's own prints on fd 1 go to stderr.
    out_fd = dup(1);
    dup2(2, 1);
    if (argc != 2) die(5, "usage: driver gemm|softmax|copy < request\n");
    const char* mode = argv[1];
    if (!strcmp(mode, "copy")) return run_copy();
    bool is_gemm = !strcmp(mode, "gemm");
    if (!is_gemm && strcmp(mode, "softmax")) die(5, "harness: mode must be gemm, softmax or copy\n");

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
    // The request (and with it the seed) is read only now, after the kernel's constructors have run.
    long d0 = 0, d1 = 0, d2 = 1, warmup = 0, repeats = 0;
    unsigned long long flush_bytes = 0, seed = 0;
    int got = is_gemm ? scanf("%ld %ld %ld %ld %ld %llu %llu", &d0, &d1, &d2, &warmup, &repeats, &flush_bytes, &seed)
                      : scanf("%ld %ld %ld %ld %llu %llu", &d0, &d1, &warmup, &repeats, &flush_bytes, &seed);
    if (got != (is_gemm ? 7 : 6) || d0 <= 0 || d1 <= 0 || d2 <= 0 || warmup < 0 || repeats <= 0)
        die(5, "harness: bad request\n");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    static char altstack[1 << 16];
    stack_t ss = {altstack, 0, sizeof altstack};
    sigaltstack(&ss, nullptr);
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);

    std::vector<uint64_t> flush(flush_bytes / 8 + 1, 1);
    Guarded *in0, *in1 = nullptr, *out;
    size_t out_count;
    if (is_gemm) {
        in0 = guarded("A", (size_t)d0 * d2);
        in1 = guarded("B", (size_t)d2 * d1);
        out = guarded("C", out_count = (size_t)d0 * d1);
    } else {
        in0 = guarded("x", (size_t)d0 * d1);
        out = guarded("y", out_count = (size_t)d0 * d1);
    }
    for (uint32_t r = 0; r < (uint32_t)(warmup + repeats); r++) {
        protect(in0, PROT_READ | PROT_WRITE);
        if (in1) protect(in1, PROT_READ | PROT_WRITE);
        if (is_gemm) {
            fill_unit(in0->data(), (size_t)d0 * d2, value_at(seed, 8ULL * r));
            fill_unit(in1->data(), (size_t)d2 * d1, value_at(seed, 8ULL * r + 1));
        } else {
            uint64_t s0 = value_at(seed, 8ULL * r), s1 = value_at(seed, 8ULL * r + 1);
            float* x = in0->data();
            for (long i = 0; i < d0; i++) {
                float offset = 100.0f * unit(s1, (uint64_t)i);
                for (long j = 0; j < d1; j++) x[i * d1 + j] = 4.0f * unit(s0, (uint64_t)(i * d1 + j)) + offset;
            }
        }
        protect(in0, PROT_READ);
        if (in1) protect(in1, PROT_READ);
        poison(out->data(), out_count);
        flush_caches(flush, r + 1);
        double t0 = now_s();
        if (is_gemm)
            ((gemm_fn)sym)((int)d0, (int)d1, (int)d2, in0->data(), in1->data(), out->data());
        else
            ((softmax_fn)sym)((int)d0, (int)d1, in0->data(), out->data());
        double t1 = now_s();
        check_canaries(out);
        emit_run(r, t1 - t0, out->data(), out_count);
    }
    emit("DONE", 4);
    return 0;
}
