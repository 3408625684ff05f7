// A deliberately wrong tokenizer for tests/test_tokenizer_check.py: the reference pipeline minus
// NFC normalisation, the mistake a learner makes when porting encode() without Qwen's
// unicodedata.normalize call. It must pass every already-NFC document and fail the rest.
// Submitted together with gpu_runner/cpp/qwen_tokenizer.h and unicode_tables.h.
#include <cstdio>
#include <string>
#include <vector>

#include "qwen_tokenizer.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <qwen.tiktoken>\n", argv[0]);
    return 1;
  }
  std::string text;
  char buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, stdin)) > 0) text.append(buf, got);
  if (qwen::find_invalid_utf8(text) != std::string::npos) {
    std::fprintf(stderr, "invalid UTF-8\n");
    return 2;
  }
  qwen::Vocab vocab;
  std::string error;
  if (!vocab.load(argv[1], &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  qwen::Encoder encoder(vocab);
  std::vector<qwen::Rank> ids;
  encoder.encode(text, ids);  // BUG (on purpose): the text is not NFC-normalised first
  for (size_t i = 0; i < ids.size(); ++i) std::printf(i ? " %u" : "%u", ids[i]);
  std::printf("\n");
  return 0;
}
