// Qwen (tiktoken qwen.tiktoken) tokenizer in standard C++17: NFC, Qwen's pre-tokenisation
// regex, byte-level BPE. The CLI lives in qwen_tokenizer.cpp; tables in unicode_tables.h.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "unicode_tables.h"

namespace qwen {

using Rank = uint32_t;
constexpr Rank kNoRank = 0xFFFFFFFFu;
constexpr Rank kSpecialStart = 151643;

// ---------------------------------------------------------------------------------------------
// Unicode helpers
// ---------------------------------------------------------------------------------------------

inline uint8_t char_flags(uint32_t cp) {
  using namespace qwen_unicode;
  return kFlags_stage2[static_cast<size_t>(kFlags_stage1[cp >> 8]) * 256 + (cp & 255)];
}

inline uint8_t combining_class(uint32_t cp) {
  using namespace qwen_unicode;
  return kCcc_stage2[static_cast<size_t>(kCcc_stage1[cp >> 8]) * 256 + (cp & 255)];
}

// Decodes one code point from validated UTF-8.
inline uint32_t decode_utf8(const uint8_t* p, size_t* len) {
  const uint8_t b = p[0];
  if (b < 0x80) { *len = 1; return b; }
  if (b < 0xE0) { *len = 2; return (uint32_t(b & 0x1F) << 6) | (p[1] & 0x3F); }
  if (b < 0xF0) { *len = 3; return (uint32_t(b & 0x0F) << 12) | (uint32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F); }
  *len = 4;
  return (uint32_t(b & 0x07) << 18) | (uint32_t(p[1] & 0x3F) << 12) | (uint32_t(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
}

inline void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}

// Strict UTF-8 check with Python's rules (no overlongs, surrogates or values past U+10FFFF).
// Returns the byte offset of the first invalid sequence, or std::string::npos.
inline size_t find_invalid_utf8(const std::string& s) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t b = p[i];
    if (b < 0x80) { ++i; continue; }
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) { len = 2; }
    else if (b >= 0xE0 && b <= 0xEF) { len = 3; if (b == 0xE0) lo = 0xA0; if (b == 0xED) hi = 0x9F; }
    else if (b >= 0xF0 && b <= 0xF4) { len = 4; if (b == 0xF0) lo = 0x90; if (b == 0xF4) hi = 0x8F; }
    else { return i; }
    if (i + len > n) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) if ((p[i + k] & 0xC0) != 0x80) return i;
    i += len;
  }
  return std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// NFC normalisation (UAX #15), checked against CPython's unicodedata.normalize("NFC").
// ---------------------------------------------------------------------------------------------

class Normalizer {
 public:
  // Text outside chunks that start at a "safe" character (ccc 0, NFC_QC Yes) and contain
  // nothing else is copied byte for byte, so ASCII and most CJK never leave the fast path.
  void nfc(const std::string& in, std::string& out) {
    out.clear();
    out.reserve(in.size());
    const uint8_t* p = reinterpret_cast<const uint8_t*>(in.data());
    const size_t n = in.size();
    size_t copied = 0, boundary = 0, i = 0;
    while (i < n) {
      if (p[i] < 0x80) { boundary = i++; continue; }
      size_t len;
      const uint32_t cp = decode_utf8(p + i, &len);
      if (!(char_flags(cp) & qwen_unicode::kNfcCheck)) { boundary = i; i += len; continue; }
      size_t j = i + len;
      while (j < n) {
        size_t l2 = 1;
        const uint32_t c2 = p[j] < 0x80 ? p[j] : decode_utf8(p + j, &l2);
        if (!(char_flags(c2) & qwen_unicode::kNfcCheck)) break;
        j += l2;
      }
      out.append(in, copied, boundary - copied);
      normalize_chunk(p + boundary, j - boundary, out);
      copied = i = boundary = j;
    }
    out.append(in, copied, n - copied);
  }

 private:
  static constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
  static constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount;
  static constexpr uint32_t kSCount = kLCount * kNCount;

  std::vector<uint32_t> decomposed_, composed_;

  void decompose(uint32_t cp) {
    if (cp >= kSBase && cp < kSBase + kSCount) {
      const uint32_t s = cp - kSBase;
      decomposed_.push_back(kLBase + s / kNCount);
      decomposed_.push_back(kVBase + (s % kNCount) / kTCount);
      if (s % kTCount) decomposed_.push_back(kTBase + s % kTCount);
      return;
    }
    using qwen_unicode::kDecomp;
    const auto* end = kDecomp + sizeof(kDecomp) / sizeof(kDecomp[0]);
    const auto* it = std::lower_bound(kDecomp, end, cp, [](const auto& d, uint32_t c) { return d.cp < c; });
    if (it != end && it->cp == cp) {
      decomposed_.insert(decomposed_.end(), qwen_unicode::kDecompPool + it->offset,
                         qwen_unicode::kDecompPool + it->offset + it->length);
    } else {
      decomposed_.push_back(cp);
    }
  }

  static uint32_t compose_pair(uint32_t a, uint32_t b) {
    if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
      return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
    if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
      return a + (b - kTBase);
    using qwen_unicode::kCompose;
    const uint64_t key = (uint64_t(a) << 21) | b;
    const auto* end = kCompose + sizeof(kCompose) / sizeof(kCompose[0]);
    const auto* it = std::lower_bound(kCompose, end, key, [](const auto& c, uint64_t k) { return c.key < k; });
    return (it != end && it->key == key) ? it->composite : 0;
  }

  void normalize_chunk(const uint8_t* p, size_t n, std::string& out) {
    decomposed_.clear();
    for (size_t i = 0; i < n;) {
      size_t len;
      decompose(decode_utf8(p + i, &len));
      i += len;
    }
    // Canonical ordering: stable insertion sort of each run of non-starters by ccc.
    for (size_t i = 1; i < decomposed_.size(); ++i) {
      const uint32_t c = decomposed_[i];
      const uint8_t cc = combining_class(c);
      if (cc == 0) continue;
      size_t j = i;
      while (j > 0) {
        const uint8_t prev = combining_class(decomposed_[j - 1]);
        if (prev == 0 || prev <= cc) break;
        decomposed_[j] = decomposed_[j - 1];
        --j;
      }
      decomposed_[j] = c;
    }
    composed_.clear();
    size_t starter = SIZE_MAX;
    for (const uint32_t c : decomposed_) {
      const uint8_t cc = combining_class(c);
      if (starter != SIZE_MAX) {
        const bool adjacent = composed_.size() - 1 == starter;
        if (adjacent || combining_class(composed_.back()) < cc) {
          const uint32_t comp = compose_pair(composed_[starter], c);
          if (comp) { composed_[starter] = comp; continue; }
        }
      }
      if (cc == 0) starter = composed_.size();
      composed_.push_back(c);
    }
    for (const uint32_t c : composed_) append_utf8(out, c);
  }
};

// ---------------------------------------------------------------------------------------------
// Vocabulary: open-addressing hash map from token bytes to rank.
// ---------------------------------------------------------------------------------------------

// First min(n, 8) bytes packed little-endian, zero-padded: the whole key for short tokens.
inline uint64_t load_prefix(const uint8_t* p, size_t n) {
  if (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  uint64_t v = 0;
  for (size_t k = 0; k < n; ++k) v |= uint64_t(p[k]) << (8 * k);
  return v;
}

inline uint64_t hash_bytes(const uint8_t* p, size_t n, uint64_t prefix) {
  uint64_t h = (prefix ^ (n * 0xC2B2AE3D27D4EB4FULL)) * 0x9E3779B97F4A7C15ULL;
  for (size_t k = 8; k < n; k += 8) {
    h ^= h >> 29;
    h = (h ^ load_prefix(p + k, n - k)) * 0xFF51AFD7ED558CCDULL;
  }
  h ^= h >> 32;
  h *= 0xC4CEB9FE1A85EC53ULL;
  return h ^ (h >> 29);
}

class Vocab {
 public:
  bool load(const char* path, std::string* error) {
    FILE* f = std::fopen(path, "rb");
    if (!f) { *error = std::string("cannot open vocabulary ") + path; return false; }
    std::string data;
    char buf[1 << 16];
    size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, got);
    std::fclose(f);
    size_t line_no = 0;
    for (size_t pos = 0; pos < data.size();) {
      size_t eol = data.find('\n', pos);
      if (eol == std::string::npos) eol = data.size();
      ++line_no;
      if (!parse_line(data.data() + pos, data.data() + eol)) {
        *error = "bad vocabulary line " + std::to_string(line_no);
        return false;
      }
      pos = eol + 1;
    }
    build_index();
    return true;
  }

  // Rank of the token with exactly these bytes, or kNoRank. Most BPE probes are misses or
  // frequent (low-rank) tokens: a 256 KiB Bloom filter answers misses and a small table of the
  // 16384 lowest ranks answers most hits while staying in cache; the full table is the fallback.
  Rank find(const uint8_t* p, size_t n) const {
    if (n == 2) return pair_rank_[(size_t(p[0]) << 8) | p[1]];
    if (n == 1) return byte_rank_[p[0]];
    const uint64_t prefix = load_prefix(p, n);
    const uint64_t h = hash_bytes(p, n, prefix);
    const uint64_t bits = bloom_bits(h);
    if ((bloom_[(h >> 16) & kBloomWordMask] & bits) != bits) return kNoRank;
    const Rank hot = hot_.find(p, n, prefix, h, bytes_.data());
    return hot != kNoRank ? hot : cold_.find(p, n, prefix, h, bytes_.data());
  }

  size_t size() const { return entries_.size(); }

 private:
  struct Entry { uint32_t offset, length; Rank rank; };
  struct Slot { uint64_t prefix; Rank rank; uint16_t length, tag; };  // length 0 = empty

  // Open addressing, linear probing. Tokens up to 8 bytes live entirely in their 16-byte slot.
  struct Table {
    std::vector<Slot> slots;
    std::vector<uint32_t> long_offset;  // per slot: where a token longer than 8 bytes starts
    uint64_t mask = 0;

    void reserve(size_t entries) {
      size_t cap = 16;
      while (cap < entries * 3 / 2) cap <<= 1;
      slots.assign(cap, Slot{0, 0, 0, 0});
      long_offset.assign(cap, 0);
      mask = cap - 1;
    }
    void insert(const Entry& e, uint64_t prefix, uint64_t h) {
      uint64_t i = h & mask;
      while (slots[i].length) i = (i + 1) & mask;
      slots[i] = Slot{prefix, e.rank, uint16_t(e.length), uint16_t(h >> 48)};
      long_offset[i] = e.offset;
    }
    Rank find(const uint8_t* p, size_t n, uint64_t prefix, uint64_t h, const uint8_t* bytes) const {
      const uint16_t tag = uint16_t(h >> 48);
      for (uint64_t i = h & mask;; i = (i + 1) & mask) {
        const Slot& s = slots[i];
        if (s.length == 0) return kNoRank;
        if (s.length == n && s.tag == tag && s.prefix == prefix &&
            (n <= 8 || std::memcmp(bytes + long_offset[i] + 8, p + 8, n - 8) == 0))
          return s.rank;
      }
    }
  };

  // Blocked Bloom filter: both probe bits sit in one 64-bit word, so a miss costs one load.
  static constexpr uint64_t kBloomWords = uint64_t(1) << 15;  // 256 KiB
  static constexpr uint64_t kBloomWordMask = kBloomWords - 1;
  static uint64_t bloom_bits(uint64_t h) { return (uint64_t(1) << ((h >> 36) & 63)) | (uint64_t(1) << ((h >> 42) & 63)); }
  static constexpr Rank kHotRanks = 16384;
  std::vector<uint8_t> bytes_;
  std::vector<Entry> entries_;
  Table hot_, cold_;
  std::vector<uint64_t> bloom_;
  Rank byte_rank_[256];
  std::vector<Rank> pair_rank_;

  static int b64(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  }

  bool parse_line(const char* b, const char* e) {
    while (e > b && (e[-1] == '\r' || e[-1] == ' ')) --e;
    if (b == e) return true;
    const char* sp = static_cast<const char*>(std::memchr(b, ' ', e - b));
    if (!sp || sp + 1 >= e) return false;
    const uint32_t offset = uint32_t(bytes_.size());
    uint32_t acc = 0;
    int bits = 0;
    for (const char* q = b; q < sp; ++q) {
      if (*q == '=') break;
      const int v = b64(*q);
      if (v < 0) return false;
      acc = (acc << 6) | uint32_t(v);
      bits += 6;
      if (bits >= 8) { bits -= 8; bytes_.push_back(uint8_t(acc >> bits)); acc &= (1u << bits) - 1; }
    }
    uint64_t rank = 0;
    for (const char* q = sp + 1; q < e; ++q) {
      if (*q < '0' || *q > '9' || rank > kNoRank) return false;
      rank = rank * 10 + uint64_t(*q - '0');
    }
    const size_t length = bytes_.size() - offset;
    if (rank >= kNoRank || length == 0 || length > 0xFFFF) return false;
    entries_.push_back({offset, uint32_t(length), Rank(rank)});
    return true;
  }

  void build_index() {
    size_t hot = 0;
    for (const Entry& e : entries_) hot += e.rank < kHotRanks;
    hot_.reserve(hot);
    cold_.reserve(entries_.size() - hot);
    bloom_.assign(kBloomWords, 0);
    std::fill(byte_rank_, byte_rank_ + 256, kNoRank);
    pair_rank_.assign(65536, kNoRank);
    for (const Entry& e : entries_) {
      const uint8_t* p = bytes_.data() + e.offset;
      if (e.length == 1) byte_rank_[p[0]] = e.rank;
      if (e.length == 2) pair_rank_[(size_t(p[0]) << 8) | p[1]] = e.rank;
      const uint64_t prefix = load_prefix(p, e.length);
      const uint64_t h = hash_bytes(p, e.length, prefix);
      bloom_[(h >> 16) & kBloomWordMask] |= bloom_bits(h);
      (e.rank < kHotRanks ? hot_ : cold_).insert(e, prefix, h);
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Encoder: special tokens, Qwen's pre-tokeniser, byte-pair merge.
// ---------------------------------------------------------------------------------------------

class Encoder {
 public:
  explicit Encoder(const Vocab& vocab) : vocab_(vocab) {
    specials_ = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
    for (int i = 0; i < 205; ++i) specials_.push_back("<|extra_" + std::to_string(i) + "|>");
  }

  // Encodes NFC-normalised, valid UTF-8 text with every special token allowed.
  void encode(const std::string& text, std::vector<Rank>& out) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(text.data());
    size_t start = 0;
    for (;;) {
      size_t special_len = 0;
      Rank special = kNoRank;
      const size_t at = find_special(text, start, &special_len, &special);
      // Each segment between special tokens is matched on its own, so lookahead stops there.
      encode_ordinary(p + start, (at == std::string::npos ? text.size() : at) - start, out);
      if (at == std::string::npos) break;
      out.push_back(special);
      start = at + special_len;
    }
  }

 private:
  const Vocab& vocab_;
  std::vector<std::string> specials_;
  std::vector<uint32_t> starts_;
  std::vector<Rank> ranks_;
  std::vector<uint64_t> heap_;
  std::vector<uint32_t> next_, prev_;

  size_t find_special(const std::string& text, size_t from, size_t* len, Rank* id) const {
    for (size_t at = text.find("<|", from); at != std::string::npos; at = text.find("<|", at + 1)) {
      for (size_t k = 0; k < specials_.size(); ++k) {
        const std::string& s = specials_[k];
        if (text.compare(at, s.size(), s) == 0) {
          *len = s.size();
          *id = kSpecialStart + Rank(k);
          return at;
        }
      }
    }
    return std::string::npos;
  }

  static uint8_t flags_at(const uint8_t* p, size_t i, size_t n, size_t* len) {
    if (i >= n) { *len = 0; return 0; }
    if (p[i] < 0x80) { *len = 1; return qwen::char_flags(p[i]); }
    return qwen::char_flags(decode_utf8(p + i, len));
  }

  static bool fold_is(const uint8_t* p, size_t i, size_t n, char lower) {
    if (i >= n) return false;
    if ((p[i] | 0x20) == lower && p[i] < 0x80) return true;
    // Unicode simple case folding maps U+017F LATIN SMALL LETTER LONG S to 's'.
    return lower == 's' && i + 1 < n && p[i] == 0xC5 && p[i + 1] == 0xBF;
  }

  static size_t fold_len(const uint8_t* p, size_t i) { return p[i] < 0x80 ? 1 : 2; }

  // Length of the match of (?i:'s|'t|'re|'ve|'m|'ll|'d) at i, or 0.
  static size_t contraction(const uint8_t* p, size_t i, size_t n) {
    if (p[i] != '\'' || i + 1 >= n) return 0;
    const size_t j = i + 1;
    if (fold_is(p, j, n, 's') || fold_is(p, j, n, 't') || fold_is(p, j, n, 'm') || fold_is(p, j, n, 'd'))
      return 1 + fold_len(p, j);
    if ((fold_is(p, j, n, 'r') || fold_is(p, j, n, 'v')) && fold_is(p, j + 1, n, 'e')) return 3;
    if (fold_is(p, j, n, 'l') && fold_is(p, j + 1, n, 'l')) return 3;
    return 0;
  }

  // End of the run from i of characters whose flags include `want` (any, if 0) and none of `reject`.
  static size_t run_of(const uint8_t* p, size_t i, size_t n, uint8_t want, uint8_t reject) {
    size_t len;
    for (;;) {
      const uint8_t f = flags_at(p, i, n, &len);
      if (!len || (want && !(f & want)) || (f & reject)) return i;
      i += len;
    }
  }

  static size_t crlf_run(const uint8_t* p, size_t i, size_t n) {
    while (i < n && (p[i] == '\r' || p[i] == '\n')) ++i;
    return i;
  }

  // End of the piece starting at i: the first alternative of Qwen's pattern that matches, as a
  // backtracking engine (fancy-regex) would choose it.
  static size_t next_piece(const uint8_t* p, size_t i, size_t n) {
    using namespace qwen_unicode;
    if (const size_t c = contraction(p, i, n)) return i + c;
    size_t len0, len1;
    const uint8_t f0 = flags_at(p, i, n, &len0);
    const uint8_t f1 = flags_at(p, i + len0, n, &len1);
    const bool crlf0 = p[i] == '\r' || p[i] == '\n';
    constexpr uint8_t kLN = kLetter | kNumber;
    constexpr uint8_t kAll = kLetter | kNumber | kSpace;
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (f0 & kLetter) return run_of(p, i, n, kLetter, 0);
    if (!crlf0 && !(f0 & kLN) && (f1 & kLetter)) return run_of(p, i + len0, n, kLetter, 0);
    // \p{N}
    if (f0 & kNumber) return i + len0;
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    if (p[i] == ' ' && len1 && !(f1 & kAll)) return crlf_run(p, run_of(p, i + 1, n, 0, kAll), n);
    if (!(f0 & kAll)) return crlf_run(p, run_of(p, i, n, 0, kAll), n);
    // Whitespace: \s*[\r\n]+ ends after the run's last CR/LF; else \s+(?!\S) leaves the last
    // whitespace character for the next piece when a non-space follows; else \s+.
    size_t j = i, last_crlf_end = 0, last_start = i;
    for (;;) {
      size_t len;
      const uint8_t f = flags_at(p, j, n, &len);
      if (!len || !(f & kSpace)) break;
      if (p[j] == '\r' || p[j] == '\n') last_crlf_end = j + 1;
      last_start = j;
      j += len;
    }
    if (last_crlf_end) return last_crlf_end;
    if (j < n && last_start > i) return last_start;
    return j;
  }

  void encode_ordinary(const uint8_t* p, size_t n, std::vector<Rank>& out) {
    for (size_t i = 0; i < n;) {
      const size_t end = next_piece(p, i, n);
      const Rank whole = vocab_.find(p + i, end - i);
      if (whole != kNoRank) {
        out.push_back(whole);
      } else if (end - i <= 64) {
        merge_small(p + i, end - i, out);
      } else {
        merge_large(p + i, end - i, out);
      }
      i = end;
    }
  }

  // tiktoken's _byte_pair_merge: repeatedly merge the lowest-ranked adjacent pair, leftmost
  // first on ties. O(n^2) but cache-friendly for the short pieces that dominate.
  void merge_small(const uint8_t* p, size_t n, std::vector<Rank>& out) {
    starts_.resize(n + 1);
    ranks_.resize(n);
    for (size_t i = 0; i <= n; ++i) starts_[i] = uint32_t(i);
    for (size_t i = 0; i + 1 < n; ++i) ranks_[i] = vocab_.find(p + i, 2);
    ranks_[n - 1] = kNoRank;
    size_t parts = n;  // parts i spans [starts_[i], starts_[i+1])
    for (;;) {
      Rank best = kNoRank;
      size_t at = 0;
      for (size_t i = 0; i + 1 < parts; ++i)
        if (ranks_[i] < best) { best = ranks_[i]; at = i; }
      if (best == kNoRank) break;
      starts_.erase(starts_.begin() + at + 1);
      ranks_.erase(ranks_.begin() + at + 1);
      --parts;
      ranks_[at] = at + 1 < parts ? vocab_.find(p + starts_[at], starts_[at + 2] - starts_[at]) : kNoRank;
      if (at > 0) ranks_[at - 1] = vocab_.find(p + starts_[at - 1], starts_[at + 1] - starts_[at - 1]);
    }
    for (size_t i = 0; i < parts; ++i) out.push_back(vocab_.find(p + starts_[i], starts_[i + 1] - starts_[i]));
  }

  // Same merge order as merge_small, with a heap keyed by (rank, start) and a linked list, so a
  // 100 KB run of CJK letters or spaces stays O(n log n). Stale heap entries are skipped.
  void merge_large(const uint8_t* p, size_t n, std::vector<Rank>& out) {
    starts_.resize(n + 1);
    ranks_.assign(n, kNoRank);
    next_.resize(n + 1);
    prev_.resize(n + 1);
    heap_.clear();
    for (size_t i = 0; i <= n; ++i) { starts_[i] = uint32_t(i); next_[i] = uint32_t(i + 1); prev_[i] = uint32_t(i - 1); }
    auto key = [](Rank r, uint32_t s) { return (uint64_t(r) << 32) | s; };
    auto greater = [](uint64_t a, uint64_t b) { return a > b; };
    for (size_t i = 0; i + 1 < n; ++i) {
      ranks_[i] = vocab_.find(p + i, 2);
      if (ranks_[i] != kNoRank) heap_.push_back(key(ranks_[i], uint32_t(i)));
    }
    std::make_heap(heap_.begin(), heap_.end(), greater);
    // Node i (a part start) is alive while starts_[i] == i; merged-away nodes get UINT32_MAX.
    auto rank_of = [&](uint32_t i) -> Rank {
      const uint32_t j = next_[i];
      if (j >= n) return kNoRank;
      const uint32_t k = next_[j];
      return vocab_.find(p + i, k - i);
    };
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), greater);
      const uint64_t top = heap_.back();
      heap_.pop_back();
      const uint32_t i = uint32_t(top);
      const Rank r = Rank(top >> 32);
      if (starts_[i] != i || ranks_[i] != r) continue;
      const uint32_t j = next_[i];
      starts_[j] = UINT32_MAX;
      next_[i] = next_[j];
      prev_[next_[j]] = i;
      ranks_[i] = rank_of(i);
      if (ranks_[i] != kNoRank) { heap_.push_back(key(ranks_[i], i)); std::push_heap(heap_.begin(), heap_.end(), greater); }
      if (i > 0) {
        const uint32_t h = prev_[i];
        ranks_[h] = rank_of(h);
        if (ranks_[h] != kNoRank) { heap_.push_back(key(ranks_[h], h)); std::push_heap(heap_.begin(), heap_.end(), greater); }
      }
    }
    for (uint32_t i = 0; i < n; i = next_[i]) out.push_back(vocab_.find(p + i, next_[i] - i));
  }
};

}  // namespace qwen
