// tokenizer <path/to/qwen.tiktoken>: stdin one UTF-8 document, stdout the token ids.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

// Strict UTF-8 as Python's bytes.decode("utf-8"): no overlong forms, no surrogates, nothing above U+10FFFF,
// no truncated sequence. Returns the byte offset of the first error, or -1.
static long invalid_utf8_at(const std::string& s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = s[i];
        int n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
        if (n < 0 || i + n >= s.size() + (n == 0)) return static_cast<long>(i);
        unsigned cp = n == 0 ? c : c & (0x3F >> n);
        for (int k = 1; k <= n; ++k) {
            unsigned char d = s[i + k];
            if ((d >> 6) != 0x2) return static_cast<long>(i);
            cp = (cp << 6) | (d & 0x3F);
        }
        static const unsigned min_cp[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return static_cast<long>(i);
        i += n + 1;
    }
    return -1;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <path/to/qwen.tiktoken>\n", argv[0]);
        return 1;
    }
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (long at = invalid_utf8_at(text); at >= 0) {
        std::fprintf(stderr, "invalid UTF-8 at byte offset %ld\n", at);
        return 2;
    }
    std::vector<int> ids;
    // TODO 1: load argv[1] (base64 token, space, rank per line); exit 1 if it cannot be read.
    // TODO 2: NFC-normalise text; split at special tokens (<|endoftext|> 151643, ...).
    // TODO 3: pre-tokenise each stretch with Qwen's pattern, then byte-pair merge each piece by rank.
    for (size_t i = 0; i < ids.size(); ++i) std::printf(i ? " %d" : "%d", ids[i]);
    std::printf("\n");
    return 0;
}
