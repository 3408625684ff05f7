// A learner-style pre-tokeniser on RE2 (as qwen.cpp does): \p{L} and \p{N}, but no lookahead, so a
// simplified pattern. Prints each piece of stdin followed by a NUL byte.
#include <re2/re2.h>

#include <iostream>
#include <iterator>
#include <string>

int main() {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    RE2 piece(R"((\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+|\s+))");
    if (!piece.ok()) return 1;
    re2::StringPiece rest(text);
    std::string found;
    while (RE2::FindAndConsume(&rest, piece, &found)) std::cout << found << '\0';
    return 0;
}
