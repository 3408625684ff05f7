// Reference implementation of the tokenizer contract in CONTRACT.md: Qwen's tiktoken BPE in
// standard C++17. Build: g++ -O2 -std=c++17 -o tokenizer qwen_tokenizer.cpp
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "qwen_tokenizer.h"

namespace {

std::string read_all(FILE* f) {
  std::string data;
  char buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, got);
  return data;
}

void write_ids(const std::vector<qwen::Rank>& ids) {
  std::string out;
  out.reserve(ids.size() * 7 + 1);
  char digits[16];
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out.push_back(' ');
    uint32_t v = ids[i];
    int k = 0;
    do { digits[k++] = char('0' + v % 10); v /= 10; } while (v);
    while (k) out.push_back(digits[--k]);
  }
  out.push_back('\n');
  std::fwrite(out.data(), 1, out.size(), stdout);
}

// Times normalise + encode of the input (no I/O, no vocabulary load), repeated for >= 1 s.
void bench(const std::string& text, qwen::Normalizer& nfc, qwen::Encoder& encoder) {
  using clock = std::chrono::steady_clock;
  std::string normalized;
  std::vector<qwen::Rank> ids;
  std::vector<double> runs;
  const auto begin = clock::now();
  while (runs.size() < 3 || std::chrono::duration<double>(clock::now() - begin).count() < 1.0) {
    const auto t0 = clock::now();
    nfc.nfc(text, normalized);
    ids.clear();
    encoder.encode(normalized, ids);
    runs.push_back(std::chrono::duration<double>(clock::now() - t0).count());
  }
  std::sort(runs.begin(), runs.end());
  const double median = runs[runs.size() / 2];
  std::fprintf(stderr, "bench: %zu bytes, %zu tokens, %zu runs, median %.6f s, %.2f MB/s\n", text.size(),
               ids.size(), runs.size(), median, median > 0 ? text.size() / median / 1e6 : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  const char* vocab_path = nullptr;
  bool want_bench = false, want_nfc = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--bench") == 0) want_bench = true;
    else if (std::strcmp(argv[i], "--nfc") == 0) want_nfc = true;
    else if (!vocab_path) vocab_path = argv[i];
    else vocab_path = nullptr, i = argc;
  }
  if (!vocab_path) {
    std::fprintf(stderr, "usage: %s <qwen.tiktoken> [--bench] [--nfc]\n", argv[0]);
    return 1;
  }
  const std::string text = read_all(stdin);
  const size_t bad = qwen::find_invalid_utf8(text);
  if (bad != std::string::npos) {
    std::fprintf(stderr, "invalid UTF-8 at byte offset %zu\n", bad);
    return 2;
  }
  qwen::Normalizer nfc;
  std::string normalized;
  nfc.nfc(text, normalized);
  if (want_nfc) {  // debugging aid: print the NFC form instead of ids
    std::fwrite(normalized.data(), 1, normalized.size(), stdout);
    return 0;
  }
  qwen::Vocab vocab;
  std::string error;
  if (!vocab.load(vocab_path, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  qwen::Encoder encoder(vocab);
  std::vector<qwen::Rank> ids;
  ids.reserve(text.size() / 3 + 16);
  encoder.encode(normalized, ids);
  write_ids(ids);
  if (want_bench) bench(text, nfc, encoder);
  return 0;
}
