"""Write the tokenizer parity corpus (*.txt here) deterministically: hand-written text plus seeded expansions.

Run: python gpu_runner/corpus/make_corpus.py. Files are byte-exact (CRLF, NFD, NBSP kept); .gitattributes
stops git from touching line endings. tokenizer_check.py reads every *.txt in this folder.
"""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent

ENGLISH = """\
Deploying a large language model is mostly an exercise in moving bytes. The weights of a 7B-parameter
model in 16-bit precision occupy about fourteen gigabytes, and every generated token reads nearly all
of them once. That is why a laptop GPU with 256 GB/s of bandwidth tops out near eighteen tokens per
second, no matter how clever the kernels are. Quantisation helps because it shrinks what must be read.

The tokenizer is the first thing a request touches and the last thing a response passes through. It's
easy to forget, and it's where subtle bugs hide: a missing normalisation step, a regex that treats a
tab differently from a space, a special token that slips through as plain text. We'll test ours
against the reference on every document, and we won't accept "close enough".

Consider the sentence "They'll say it's fine, but we've seen what they'd do." Each contraction is a
separate pre-token under Qwen's pattern. Mr. O'Neill's notes (dated 2023-08-03) said: "Don't trust
benchmarks you didn't run yourself." Numbers such as 3.14159, 1,000,000 and 0x7fff_ffff split into
single digits, which keeps arithmetic tokens consistent.

Q: How fast is fast enough?
A: At least as fast as tiktoken on one thread -- measured in the same run, on the same machine.
"""

CHINESE = """\
部署大语言模型，本质上是在搬运字节。一个七十亿参数的模型用十六位精度存储，权重大约占十四GB；每生成一个词元，
几乎要把这些权重完整读一遍。因此，在带宽只有每秒两百五十六GB的笔记本显卡上，无论内核写得多巧妙，速度也很难超过
每秒十八个词元。量化之所以有用，是因为它减少了每一步需要读取的数据量。

分词器是请求最先经过、响应最后离开的环节。它容易被忽视，却常常藏着细微的错误：漏掉了规范化这一步，正则表达式把
制表符和空格区别对待，或者特殊符号被当成普通文本切开。我们要在语料的每一篇文档上与参考实现逐个对比词元编号，
差一个都不算通过。

第一阶段的目标：用C++重写Python的分词逻辑，并且速度不低于tiktoken的单线程实现。第二阶段：把推理服务部署到
一块显卡上，测量首词元延迟（TTFT）和每个输出词元的时间（TPOT），再与理论上限比较。
“测量要有基线，基线要在同一次运行中测得。”这句话值得记住。
"""

JAPANESE = """\
大規模言語モデルの推論は、ほとんどがメモリ帯域の問題です。バッチサイズが一のとき、トークンを一つ生成するたびに
重み全体を読み込む必要があります。トークナイザーはリクエストが最初に通る場所であり、見落とされがちですが、
ここにバグが潜みます。ひらがな、カタカナ、漢字が混在する文章でも、参照実装と完全に一致しなければなりません。
東京都渋谷区で開催された勉強会では「ｑｗｅｎ．ｃｐｐ」の話題も出ました。ｶﾀｶﾅの半角表記もあります。
"""

SCRIPTS = """\
Русский: Развёртывание языковой модели начинается с токенизатора. Ёлка, щука, объём — всё должно совпасть.
Ελληνικά: Η ταχύτητα αποκωδικοποίησης περιορίζεται από το εύρος ζώνης μνήμης· ας το μετρήσουμε.
العربية: نشر النماذج اللغوية الكبيرة يتطلب قياس زمن الاستجابة بدقة. الأرقام: ١٢٣٤٥٦٧٨٩٠ و ٣٫١٤.
עברית: מודל שפה גדול צריך זיכרון רב; שָׁלוֹם עוֹלָם.
हिन्दी: बड़े भाषा मॉडल को तैनात करना मुख्यतः मेमोरी बैंडविड्थ का प्रश्न है। संख्याएँ: १२३४५।
ไทย: การปรับใช้โมเดลภาษาขนาดใหญ่ต้องวัดความเร็วอย่างระมัดระวังเสมอ
한국어: 대규모 언어 모델을 배포하는 일은 대부분 메모리 대역폭의 문제입니다. 토크나이저도 중요합니다.
Tiếng Việt: Triển khai mô hình ngôn ngữ lớn cần đo lường cẩn thận.
ქართული: ენის მოდელი. Հայերեն: լեզվական մոդել. አማርኛ: የቋንቋ ሞዴል። ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ.
"""

EMOJI = """\
Status: ✅ passed ❌ failed ⚠️ warning ⏱️ 12.5 s 🚀🚀🚀
Family: 👨‍👩‍👧‍👦 👩‍👩‍👧 👨🏽‍💻 🧑🏿‍🔬 👩🏻‍🦰 🏳️‍🌈 🏴‍☠️ ❤️‍🔥 🧔🏾‍♂️
Skin tones: 👍 👍🏻 👍🏼 👍🏽 👍🏾 👍🏿 ✋🏽 🙏🏻
Flags: 🇨🇳 🇺🇸 🇯🇵 🇩🇪 🇧🇷 🇮🇳 🏴󠁧󠁢󠁳󠁣󠁴󠁿
Keycaps: 1️⃣ 2️⃣ #️⃣ *️⃣ and text vs emoji presentation: ☺ ☺️ ♥ ♥️
Glued:😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍🤩😘😗☺️😚😙🥲😋😛😜🤪😝🤑🤗🤭🤫🤔
中文夹杂表情😂😂真的吗？🤔 mixed with ASCII:-) and :-( and <3
"""

CONTRACTIONS = """\
it's IT'S It'S iT's they're THEY'RE They'Re we've WE'VE We'Ve wE'vE I'm I'M you'll YOU'LL You'Ll yOu'lL
he'd HE'D she'D 'tis 'TWAS 's 'S 't 'T 're 'RE 'rE 've 'VE 'vE 'll 'LL 'Ll 'lL 'd 'D 'm 'M
don't DON'T can't CAN'T won't shouldn't've y'all'd've o'clock rock'n'roll
'sup 'salut 'reason 'verbose 'llama 'dog 'mom 'tee ''s '''ll '' ' '
Long s: 'ſ and 'ſt and ſ alone; ﬆ ligature; Kelvin K and Ångström Å.
Curly quotes do not count: it’s they’re we’ve I’m you’ll he’d.
"""


def accents_nfc() -> str:
    lines = [
        "Café, naïve, coöperate, résumé, façade, jalapeño, Ångström, Øresund, Straße, Dvořák, Kraków, Łódź.",
        "Tiếng Việt có nhiều dấu: ường, ưỡng, ặc, ậu, Nguyễn, Hồ Chí Minh, Đà Nẵng, phở bò.",
        "Stacked marks: ệ ḗ ǘ ǖ ṩ ḉ q̣̇ ậ ấ ậ ẫ ẩ, combining order q\u0307\u0323 vs q\u0323\u0307.",
        "Composition exclusions: \u0958 \u2126 \u212b \u0344 \u0f73 and singletons \u1fee \u0374.",
        "Hangul: 한국어 조선말 뷁 똠양꿍; Greek: ά έ ή ί ό ύ ώ ΐ ΰ ᾅ ᾷ.",
        "Math-ish: ≠ ≮ ≯ ≤ ∉ ∄ ⊄ ⊅ and arrows ↚ ↛ ↮.",
    ]
    return unicodedata.normalize("NFC", "\n".join(lines) * 6 + "\n")


def python_code() -> str:
    return '''\
"""Measure decode throughput of a causal LM."""
import time
from dataclasses import dataclass


@dataclass
class Result:
    tokens: int
    seconds: float

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def bench(model, prompt_ids, new_tokens=128, repeats=5):
    results = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = model.generate(prompt_ids, max_new_tokens=new_tokens, do_sample=False)
        elapsed = time.perf_counter() - start
        results.append(Result(tokens=out.shape[-1] - prompt_ids.shape[-1], seconds=elapsed))
    results.sort(key=lambda r: r.tokens_per_s)
    return results[len(results) // 2]


if __name__ == "__main__":
\tprint("tabs used for indentation here", end="\\n")
\tfor i in range(3):
\t\tprint(f"{i:>4}\\t{i ** 2:08.3f}")
    x = {"a": [1, 2, 3], 'b': (4.5e-3, -6), "c": None}  # trailing spaces follow   
    assert x["a"][0] == 1, "oops"
'''


def cpp_code() -> str:
    return """\
#include <cstdint>
#include <vector>

// Byte-pair merge, leftmost lowest rank first.
template <typename Map>
std::vector<uint32_t> merge(const std::string& piece, const Map& ranks) {
\tstd::vector<size_t> starts(piece.size() + 1);
\tfor (size_t i = 0; i <= piece.size(); ++i) starts[i] = i;
\twhile (starts.size() > 2) {
\t\tuint32_t best = UINT32_MAX; size_t at = 0;
\t\tfor (size_t i = 0; i + 2 < starts.size(); ++i) {
\t\t\tauto it = ranks.find(piece.substr(starts[i], starts[i + 2] - starts[i]));
\t\t\tif (it != ranks.end() && it->second < best) { best = it->second; at = i; }
\t\t}
\t\tif (best == UINT32_MAX) break;
\t\tstarts.erase(starts.begin() + at + 1);
\t}
    return {};  /* mixed tabs and spaces on purpose */
}

int main(int argc, char** argv) {
  if (argc < 2) { std::fprintf(stderr, "usage: %s <vocab>\\n", argv[0]); return 1; }
  for (int i=0;i<argc;++i){printf("%d:%s\\n",i,argv[i]);}
  return 0;
}
"""


def chat_special() -> str:
    turns = [
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n",
        "<|im_start|>user\n把这段话翻译成英文：部署很难。<|im_end|>\n",
        "<|im_start|>assistant\nDeployment is hard.<|im_end|>\n<|endoftext|>",
        "<|extra_0|><|extra_1|><|extra_10|><|extra_99|><|extra_204|>\n",
        "Near misses: <|extra_205|> <|extra_05|> <|im_start |> <| im_end|> <|ENDOFTEXT|> <|endoftext|\n",
        "Glued: abc<|endoftext|>def  <|im_end|>   \n<|im_start|>\t\n",
        "Combining after the closing bracket composes it away: <|endoftext|>\u0338 and <\u0338|im_end|>.\n",
        "Trailing spaces before a special token   <|endoftext|>   after it\n",
    ]
    return "".join(turns) * 4


def whitespace() -> str:
    parts = [
        "start",
        " " * 1,
        "a",
        " " * 2,
        "b",
        " " * 7,
        "c",
        "\t" * 3,
        "d",
        " \t \t ",
        "e",
        "\n" * 5,
        "f",
        " \n \n  \n   ",
        "g",
        "\r\n\r\n\r\n",
        "h",
        " " * 300,
        "i",
        "\u00a0\u00a0word\u3000\u3000全角\u2003em\u2009thin\u202fnarrow\u205f\u1680ogham",
        "\u0085next-line\u2028line-sep\u2029para-sep\u000bvt\u000cff\u001cfs\u001fus",
        "\n\t\n\t\t\n",
        "   .   ",
        "  !!",
        "\t\t'll",
        " " * 2000,
        "end",
        "\n" * 40,
        "  ",
        "\t",
    ]
    return "".join(parts) + "\n    \n\n   "  # ends in whitespace: the (?!\\S) rule meets end of text


def crlf_mixed() -> str:
    lines = [
        "Line one ends CRLF",
        "Line two ends LF",
        "Line three ends CR",
        "Blank lines follow",
        "",
        "",
        "  indented after CRLF",
        "tab\tafter",
        "trailing spaces   ",
        "punct!!!",
        "数字123",
    ]
    endings = ["\r\n", "\n", "\r", "\r\n\r\n", "\n\r", "\r\r\n"]
    return "".join(line + endings[i % len(endings)] for i, line in enumerate(lines * 5))


def numbers() -> str:
    rng = random.Random(7)
    out = ["Pi 3.14159265358979323846264338327950288419716939937510 e 2.718281828459045"]
    out.append("Big: " + "".join(str(rng.randrange(10)) for _ in range(600)))
    out.append("Grouped: " + ",".join(f"{rng.randrange(1000):03d}" for _ in range(80)))
    out.append("Decimals: " + " ".join(f"{rng.uniform(-1e6, 1e6):.6f}" for _ in range(80)))
    out.append("Sci: 6.02214076e23 1.602e-19 -9.81E+00 1e-9 0.000001 1_000_000 0b1010 0o777 0xDEADbeef")
    out.append("Other digits: ١٢٣ ۴۵۶ १२३ ১২৩ ௧௨௩ ๑๒๓ ０１２３ ①②③ Ⅻ ½ ¾ ² ³ ⁴ ₅ 〇一二三")
    out.append("Dates: 2024-02-29T23:59:59.999Z 12/31/1999 31.12.1999 v1.2.3-rc.4+build.5")
    return "\n".join(out) + "\n"


def cjk_unspaced() -> str:
    rng = random.Random(11)
    words = [
        "模型",
        "部署",
        "显卡",
        "带宽",
        "延迟",
        "吞吐",
        "量化",
        "缓存",
        "注意力",
        "张量",
        "并行",
        "推理",
        "训练",
        "词元",
        "分词器",
        "规范化",
        "内存",
        "算子",
        "调度",
        "批处理",
        "流水线",
        "精度",
    ]
    runs = ["".join(rng.choice(words) for _ in range(n)) for n in (5, 50, 400, 1500)]
    kana = "".join(rng.choice("あいうえおかきくけこさしすせそアイウエオカキクケコ") for _ in range(500))
    return "\n".join(runs) + "\n" + kana + "\n" + "。".join(runs[:2]) + "\n"


def hangul_jamo() -> str:
    text = "한국어 형태소 분석기는 토크나이저와 다릅니다. 뷁쀍똠얌꿍 가나다라마바사아자차카타파하.\n"
    decomposed = unicodedata.normalize("NFD", text)
    old = "Archaic jamo: \u1100\u1161\u11a8 \u115f\u1160 \u1112\u119e\u11ab \u1100\u1176 \u3131\u314f \uffa1\uffc2\n"
    return (text + decomposed + old) * 4


def markdown() -> str:
    return """\
# Lab 3: KV-cache sizing

| model | layers | heads | head_dim | bytes/token (fp16) |
|-------|-------:|------:|---------:|-------------------:|
| Qwen-7B | 32 | 32 | 128 | 524,288 |
| Qwen-1.8B | 24 | 16 | 128 | 196,608 |

> **Note:** peak memory is *not* the KV-cache formula; see [the report](https://example.org/report?id=42&x=%20).

```bash
$ python -m bench --model qwen-7b --batch 1,4,16 --out results.json 2>&1 | tee log.txt
```

- [ ] measure TTFT
- [x] measure TPOT ~~twice~~ three times
1. warm-up; 2. repeats >= 10; 3. report p50/p90/p99

Footnote[^1] and `inline_code()` and <kbd>Ctrl</kbd>+<kbd>C</kbd>.

[^1]: Measured on one A100-SXM4-80G.
"""


def json_yaml() -> str:
    return """\
{"model": "Qwen-7B-Chat", "dtype": "bfloat16", "max_new_tokens": 512, "stop": ["<|im_end|>", "\\n\\n"],
 "sampling": {"temperature": 0.7, "top_p": 0.8, "repetition_penalty": 1.05}, "ids": [151643, 151644, 151645],
 "unicode": "\\u4e2d\\u6587", "empty": {}, "nested": [[[]]], "ok": true, "none": null}
---
server:
  host: 0.0.0.0
  port: 8000
  workers: 2
model:
  path: /models/qwen-7b-chat-int4   # comment with trailing spaces  
  tensor_parallel: 1
  gpu_memory_utilization: 0.90
"""


def shell_log() -> str:
    rng = random.Random(3)
    levels = ["INFO", "WARN", "ERROR", "DEBUG"]
    lines = []
    for i in range(150):
        lines.append(
            f"2024-05-{1 + i % 28:02d} 12:{i % 60:02d}:{(i * 7) % 60:02d},{rng.randrange(1000):03d} "
            f"[{rng.choice(levels):5}] worker-{rng.randrange(8)} pid={rng.randrange(1, 65536)} "
            f"req=0x{rng.getrandbits(64):016x} ttft_ms={rng.uniform(5, 900):.2f} "
            f"path=/var/lib/runner/jobs/{rng.getrandbits(32):08x}/out.log\t\x1b[32mok\x1b[0m"
        )
    return "\n".join(lines) + "\n"


def math_symbols() -> str:
    return """\
∀ε>0 ∃δ>0: |x−a|<δ ⇒ |f(x)−f(a)|<ε.  ∑ᵢ₌₁ⁿ i² = n(n+1)(2n+1)/6.  ∫₀^∞ e^{−x²} dx = √π/2.
α β γ δ ε ζ η θ ι κ λ μ ν ξ ο π ρ σ ς τ υ φ χ ψ ω — Α Β Γ Δ Ω; ℕ ℤ ℚ ℝ ℂ; ℵ₀ < 2^ℵ₀.
x′ x″ x‴; 𝐀𝐁𝐂 𝑎𝑏𝑐 𝔄𝔅 𝕏𝕐 (mathematical alphanumerics); ½ ⅓ ⅔ ¼ ⅛; Ⅰ Ⅱ Ⅲ Ⅳ ⅰ ⅱ; ⁰¹²³⁴⁵⁶⁷⁸⁹ ₀₁₂₃.
Currency: $1,299.99 €5,00 ¥10000 £3.50 ₹99 ₩5000 ₿0.001; units: 5 µs 3 Ω 2 Å 37 °C 98.6℉.
"""


def new_unicode_letters() -> str:
    # Letters assigned after Unicode 14 (CJK Ext. H, Kawi, Nag Mundari): Python 3.11's
    # unicodedata calls them unassigned, tiktoken's Rust regex calls them \p{L}.
    ext_h = "".join(chr(c) for c in range(0x31350, 0x31350 + 60))
    kawi = "".join(chr(c) for c in range(0x11F04, 0x11F10))
    nag = "".join(chr(c) for c in range(0x1E4D0, 0x1E4EB))
    return f"Ext-H: {ext_h}\nKawi: {kawi}\nNag Mundari: {nag}\nMixed: a{ext_h[:3]}b {kawi[:2]}1{nag[:2]}!\n"


def random_mix(seed: int, length: int) -> str:
    """Seeded soup of atoms that stress every branch of the pattern and of NFC."""
    rng = random.Random(seed)
    atoms = list("abcXYZ019 \t\r\n.,;:!?\"'()[]{}-_/\\@#$%^&*+=<>|`~") + [
        "'s",
        "'S",
        "'ſ",
        "'re",
        "'Ve",
        "'LL",
        "'d",
        "e\u0301",
        "\u0301",
        "\u0323\u0307",
        "A\u030a",
        "한국",
        "\u1100\u1161\u11a8",
        "中文",
        "かな",
        "😀",
        "👍🏽",
        "👩\u200d💻",
        "\u00a0",
        "\u3000",
        "<|endoftext|>",
        "<|im_start|>",
        "<|extra_7|>",
        "<|",
        "|>",
        ">\u0338",
        "Привет",
        "مرحبا",
        "नमस्ते",
        "ภาษา",
        "123456",
        "3.5",
        "  ",
        "\n\n",
        " \n",
        "\r\n",
        "    ",
        "\u2028",
        "\u0085",
    ]
    return "".join(rng.choice(atoms) for _ in range(length)) + "\n"


def long_lines() -> str:
    rng = random.Random(5)
    words = ["token", "merge", "rank", "byte", "pair", "vocab", "regex", "piece", "space", "newline"]
    line = " ".join(rng.choice(words) for _ in range(3000))
    return line + "\n" + " " * 20000 + "x\n" + "-" * 5000 + "\n" + "ab" * 4000 + "\n"


def documents() -> dict[str, str]:
    """File name -> text; names sort in the order the check reports them."""
    nfc = accents_nfc()
    return {
        "00_empty.txt": "",
        "01_english_prose.txt": ENGLISH,
        "02_chinese_prose.txt": CHINESE,
        "03_japanese_prose.txt": JAPANESE,
        "04_other_scripts.txt": SCRIPTS * 3,
        "05_emoji.txt": EMOJI * 3,
        "06_python_code.txt": python_code() * 3,
        "07_cpp_code.txt": cpp_code() * 3,
        "08_whitespace_runs.txt": whitespace(),
        "09_crlf_mixed.txt": crlf_mixed(),
        "10_numbers.txt": numbers(),
        "11_cjk_unspaced.txt": cjk_unspaced(),
        "12_chat_special_tokens.txt": chat_special(),
        "13_contractions.txt": CONTRACTIONS * 3,
        "14_accents_nfc.txt": nfc,
        "15_accents_nfd.txt": unicodedata.normalize("NFD", nfc),
        "16_hangul_jamo.txt": hangul_jamo(),
        "17_markdown.txt": markdown() * 3,
        "18_json_yaml.txt": json_yaml() * 3,
        "19_server_log.txt": shell_log(),
        "20_math_symbols.txt": math_symbols() * 3,
        "21_new_unicode_letters.txt": new_unicode_letters(),
        "22_long_lines.txt": long_lines(),
        "23_random_mix_a.txt": random_mix(1, 20000),
        "24_random_mix_b.txt": random_mix(2, 40000),
        "25_mixed_prose.txt": f"{ENGLISH}\n\n{CHINESE}\n\n{SCRIPTS}\n\n{EMOJI}\n\n{JAPANESE}" * 8,
    }


def main() -> None:
    total = 0
    for name, text in documents().items():
        data = text.encode("utf-8")
        (HERE / name).write_bytes(data)
        total += len(data)
    print(f"wrote {len(documents())} documents, {total} bytes, to {HERE}")


if __name__ == "__main__":
    main()
