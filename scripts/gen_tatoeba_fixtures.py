"""Write test/fixtures/tatoeba_split.json: what the reference script
../shared/bench/peers/torch_seq2seq.py makes of ../shared/data/tatoeba-cmn-eng/cmn.txt,
for test/tatoeba.test.ts to compare src/seq2seq/split.ts against.

The script is imported as a module and only its data functions run (load_split,
build_vocab, mulberry32, corpus_bleu); nothing is trained. Recorded:

  counts       lines, pairs and groups per split, vocabulary sizes, token totals, OOV counts
  sha256       of every split (one line per pair: English TAB Chinese TAB the tokens of
               each side joined by spaces) and of every vocabulary (its tokens joined by
               newlines), so the test checks all 22,521 pairs and both vocabularies exactly
  head         the first 5 pairs of test, dev and train; the last pair of each
  vocabulary   the first 40 and last 10 tokens of each vocabulary, and every 250th
  mulberry32   the first 8 draws for seeds 0 and 123456789
  tokenizers   tok_en, tok_zh and len(str.split()) on awkward strings (Python's whitespace,
               astral characters, Unicode case), and build_vocab's order on ties that
               UTF-16 and code-point order sort differently
  bleu         the reference script's corpus_bleu (×100, which skips a hypothesis's
               missing n-grams) and NLTK's corpus_bleu (which counts at least one n-gram per
               hypothesis and order) on 100 test pairs with deterministically damaged
               hypotheses, to show where the two definitions part

Run from the project root (needs torch, which the reference script imports, and NLTK):

    /usr/bin/python3 scripts/gen_tatoeba_fixtures.py
"""

import hashlib
import importlib.util
import json
import os
import sys

from nltk.translate.bleu_score import corpus_bleu as nltk_corpus_bleu

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")
SCRIPT = os.path.join(SHARED, "bench", "peers", "torch_seq2seq.py")
DATA = os.path.join(SHARED, "data", "tatoeba-cmn-eng", "cmn.txt")
OUT = os.path.join(ROOT, "test", "fixtures", "tatoeba_split.json")


def load_reference():
    if not os.path.exists(SCRIPT) or not os.path.exists(DATA):
        sys.exit(f"needs {SCRIPT} and {DATA}")
    spec = importlib.util.spec_from_file_location("torch_seq2seq", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sha256(lines):
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def pair_line(p):
    zt, et, en, zh = p
    return f"{en}\t{zh}\t{' '.join(zt)}\t{' '.join(et)}"


def pair_json(p):
    zt, et, en, zh = p
    return {"english": en, "chinese": zh, "sourceTokens": zt, "targetTokens": et}


AWKWARD = [
    "Don't stop, Tom!",
    "It's 3.5% at 10:30 -- OK?",
    "ÉCOLE Straße İstanbul ΣΊΣΥΦΟΣ",
    "a\x1cb\x1dc\x1ed\x1fe\x85f\ufeffg\u200bh\u3000i\xa0j",
    "我 爱\t你。",
    "𠀀𠀁好！",
    "  leading and trailing  ",
]
TIES = [["\uff01", "𠀀", "b", "a"], ["a", "\uff01", "𠀀", "\ue000", "z"], ["𠀁", "\ud7ff"]]


def damaged(i, tokens, other):
    """A hypothesis for reference `tokens`: exact, shortened, altered or another sentence."""
    kind = i % 6
    if kind == 0:
        return list(tokens)
    if kind == 1:
        return tokens[:-1]
    if kind == 2:
        return tokens[:2]
    if kind == 3:
        return tokens[:1] + ["the"] + tokens[2:]
    if kind == 4:
        return list(other)
    return tokens + ["."]


def main():
    ref = load_reference()
    d = ref.load_split(DATA)
    splits = {name: d[name] for name in ("test", "dev", "train")}
    zh_itos, zh_stoi = ref.build_vocab([p[0] for p in splits["train"]])
    en_itos, _ = ref.build_vocab([p[1] for p in splits["train"]])

    counts = {
        "lines": d["n_lines"],
        "pairs": {k: len(v) for k, v in splits.items()},
        "groups": d["n_groups"],
        "vocabularySource": len(zh_itos),
        "vocabularyTarget": len(en_itos),
        "trainSourceTokens": sum(len(p[0]) for p in splits["train"]),
        "trainTargetTokens": sum(len(p[1]) for p in splits["train"]),
        "devSourceUnknown": sum(c not in zh_stoi for p in splits["dev"] for c in p[0]),
        "testSourceUnknown": sum(c not in zh_stoi for p in splits["test"] for c in p[0]),
    }

    def sample(itos):
        return {
            "first": itos[:40],
            "last": itos[-10:],
            "every250": [[i, itos[i]] for i in range(0, len(itos), 250)],
        }

    test = splits["test"][:100]
    refs = [[p[1]] for p in test]
    hyps = [damaged(i, p[1], test[(i + 7) % len(test)][1]) for i, p in enumerate(test)]

    def mulberry(seed):
        rnd = ref.mulberry32(seed)
        return [rnd() for _ in range(8)]

    out = {
        "counts": counts,
        "sha256": {
            **{name: sha256(pair_line(p) for p in v) for name, v in splits.items()},
            "vocabularySource": sha256(zh_itos),
            "vocabularyTarget": sha256(en_itos),
        },
        "head": {name: [pair_json(p) for p in v[:5]] for name, v in splits.items()},
        "last": {name: pair_json(v[-1]) for name, v in splits.items()},
        "vocabulary": {"source": sample(zh_itos), "target": sample(en_itos)},
        "mulberry32": {"0": mulberry(0), "123456789": mulberry(123456789)},
        "tokenizers": [{"text": s, "english": ref.tok_en(s), "chinese": ref.tok_zh(s), "words": len(s.split())}
                       for s in AWKWARD],
        "vocabularyOrder": {"sequences": TIES, "tokens": ref.build_vocab(TIES)[0]},
        "bleu": {
            "hypotheses": hyps,
            "references": refs,
            "reference": ref.corpus_bleu(hyps, refs),
            "nltk": nltk_corpus_bleu(refs, hyps),
        },
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
    print(json.dumps(counts))
    print("bleu: reference script", out["bleu"]["reference"], "NLTK x100", 100 * out["bleu"]["nltk"])
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
