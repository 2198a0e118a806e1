"""Write test/fixtures/bleu.json: NLTK's BLEU on token lists, for test/bleu.test.ts
to compare src/seq2seq/bleu.ts against (to 1e-12).

Each case is {"name", "kind": "corpus" | "sentence", "references", "hypotheses",
"options": {"maxOrder", "smoothing"}, "nltk"}: `references[i]` is the list of
references of `hypotheses[i]`; a "sentence" case has one hypothesis and is
scored with sentence_bleu. Weights are uniform, 1/maxOrder each; "method1" is
SmoothingFunction(epsilon=0.1).method1. Cases cover: exact and partial matches,
no match at some order (NLTK returns ~1e-77 there, from log(sys.float_info.min)),
no unigram match, hypotheses shorter and longer than their references,
several references (closest length, ties to the shorter), clipping of repeated
n-grams, empty hypotheses and references, hypotheses shorter than the order,
and random corpora.

Run from the project root (Debian's python3-nltk):

    /usr/bin/python3 scripts/gen_bleu_fixtures.py
"""

import json
import os
import random
import warnings

import nltk
from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu, sentence_bleu

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "bleu.json")


def t(text):
    return text.split()


# nltk.translate.bleu_score's docstring examples
H1 = t("It is a guide to action which ensures that the military always obeys the commands of the party")
H2 = t("It is to insure the troops forever hearing the activity guidebook that party direct")
R1 = t("It is a guide to action that ensures that the military will forever heed Party commands")
R2 = t("It is the guiding principle which guarantees the military forces always being under the command of the Party")
R3 = t("It is the practical guide for the army always to heed the directions of the party")
H3 = t("he read the book because he was interested in world history")
R4 = t("he was interested in world history because he read the book")


def random_corpus(seed, segments, vocabulary, max_refs):
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocabulary)]
    refs, hyps = [], []
    for _ in range(segments):
        ref_list = [[rng.choice(words) for _ in range(rng.randint(1, 12))] for _ in range(rng.randint(1, max_refs))]
        base = rng.choice(ref_list)
        hyp = [w if rng.random() < 0.7 else rng.choice(words) for w in base]
        if rng.random() < 0.3:
            hyp = hyp[: rng.randint(0, len(hyp))]
        if rng.random() < 0.3:
            hyp = hyp + [rng.choice(words) for _ in range(rng.randint(1, 4))]
        refs.append(ref_list)
        hyps.append(hyp)
    return refs, hyps


CASES = [
    ("docstring sentence, three references", "sentence", [[R1, R2, R3]], [H1], {}),
    ("docstring corpus", "corpus", [[R1, R2, R3], [R4]], [H1, H3], {}),
    ("docstring: no 3- or 4-gram match", "sentence", [[R1, R2, R3]], [H2], {}),
    ("docstring: no 3- or 4-gram match, method1", "sentence", [[R1, R2, R3]], [H2], {"smoothing": "method1"}),
    ("docstring sentence, BLEU-2", "sentence", [[R1, R2, R3]], [H1], {"maxOrder": 2}),
    ("docstring sentence, BLEU-5", "sentence", [[R1, R2, R3]], [H1], {"maxOrder": 5}),
    ("exact match", "sentence", [[t("the cat sat on the mat")]], [t("the cat sat on the mat")], {}),
    ("no unigram match", "sentence", [[t("the cat sat on the mat")]], [t("a dog ran off")], {}),
    ("no unigram match, method1", "sentence", [[t("the cat sat on the mat")]], [t("a dog ran off")], {"smoothing": "method1"}),
    ("hypothesis shorter than the reference", "sentence",
     [[t("the cat sat on the mat in the sun today")]], [t("the cat sat on the mat")], {}),
    ("hypothesis longer than the reference", "sentence",
     [[t("the cat sat on the mat")]], [t("the cat sat on the mat in the sun today")], {}),
    ("clipping of repeated words", "sentence",
     [[t("the cat is on the mat"), t("there is a cat on the mat")]], [t("the the the the the the the")], {"smoothing": "method1"}),
    ("closest reference length, tie to the shorter", "sentence",
     [[t("a b c d e f g h"), t("a b c d")]], [t("a b c d e f")], {}),
    ("closest reference length, longer one closer", "sentence",
     [[t("a b c d e f g"), t("a b")]], [t("a b c d e x")], {}),
    ("empty hypothesis", "sentence", [[t("the cat sat on the mat")]], [[]], {}),
    ("empty hypothesis in a corpus", "corpus",
     [[t("the cat sat on the mat")], [t("a dog ran off to the park")]], [[], t("a dog ran off to a park")], {}),
    ("empty reference beside a real one", "sentence", [[[], t("the cat sat on the mat")]], [t("the cat sat on a mat")], {}),
    ("hypotheses shorter than four tokens", "corpus",
     [[t("hi .")], [t("run !")], [t("i am tom .")], [t("who is she ?")]],
     [t("hi ."), t("run ."), t("i am tom ."), t("who is he ?")], {}),
    ("hypotheses shorter than four tokens, method1", "corpus",
     [[t("hi .")], [t("run !")], [t("i am tom .")], [t("who is she ?")]],
     [t("hi ."), t("run ."), t("i am tom ."), t("who is he ?")], {"smoothing": "method1"}),
    ("all hypotheses shorter than four tokens", "corpus",
     [[t("hi .")], [t("run !")]], [t("hi ."), t("run !")], {}),
    ("punctuation and apostrophes as tokens", "sentence",
     [[t("i don ' t know , tom .")]], [t("i don ' t know tom .")], {}),
]
for seed, (segments, vocabulary, max_refs) in enumerate([(40, 8, 1), (40, 6, 3), (100, 20, 2), (25, 4, 4)]):
    refs, hyps = random_corpus(seed, segments, vocabulary, max_refs)
    CASES.append((f"random corpus {seed}: {segments} segments, {vocabulary} words, ≤ {max_refs} references",
                  "corpus", refs, hyps, {}))
for i in range(8):
    refs, hyps = random_corpus(100 + i, 1, 5, 3)
    CASES.append((f"random sentence {i}", "sentence", refs, hyps, {}))
    CASES.append((f"random sentence {i}, method1", "sentence", refs, hyps, {"smoothing": "method1"}))


def nltk_value(kind, refs, hyps, options):
    n = options.get("maxOrder", 4)
    kwargs = {"weights": (1 / n,) * n}
    if options.get("smoothing") == "method1":
        kwargs["smoothing_function"] = SmoothingFunction(epsilon=0.1).method1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "sentence":
            return float(sentence_bleu(refs[0], hyps[0], **kwargs))
        return float(corpus_bleu(refs, hyps, **kwargs))


def main():
    cases = []
    for name, kind, refs, hyps, options in CASES:
        assert len(refs) == len(hyps) and (kind == "corpus" or len(hyps) == 1), name
        cases.append({"name": name, "kind": kind, "references": refs, "hypotheses": hyps,
                      "options": options, "nltk": nltk_value(kind, refs, hyps, options)})
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"nltk": nltk.__version__, "cases": cases}, f, ensure_ascii=False, separators=(",", ":"))
    for c in cases:
        print(f"{c['nltk']:.17g}  {c['name']}")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes, {len(cases)} cases, NLTK {nltk.__version__})")


if __name__ == "__main__":
    main()
