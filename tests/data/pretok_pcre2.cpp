// A learner-style pre-tokeniser on PCRE2: Qwen's pattern verbatim (PCRE2 has its (?!\S) lookahead).
// Prints each piece of stdin followed by a NUL byte.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <iostream>
#include <iterator>
#include <string>

static const char* kPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

int main() {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPattern), PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP, &error, &error_offset, nullptr);
    if (re == nullptr) return 1;
    pcre2_match_data* match = pcre2_match_data_create_from_pattern(re, nullptr);
    PCRE2_SIZE at = 0;
    while (at < text.size() &&
           pcre2_match(re, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), at, 0, match, nullptr) > 0) {
        const PCRE2_SIZE* span = pcre2_get_ovector_pointer(match);
        if (span[1] == span[0]) break;  // the pattern never matches empty; guard anyway
        std::cout << text.substr(span[0], span[1] - span[0]) << '\0';
        at = span[1];
    }
    pcre2_match_data_free(match);
    pcre2_code_free(re);
    return 0;
}
