"""The learned risk model: deterministic features, a deterministic artifact, refusal of a wrong
format or training file, explanations, and conversation scoring.

Training runs on a small synthetic dataset generated here (never the evaluation data).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from moderation import ModerationError, Moderator, RiskContext, features
from moderation.errors import ModelFormatError, TrainingDataMismatch
from moderation.features import (
    FEATURE_BITS,
    NUMPY_CHARS,
    GramScorer,
    gram_bucket,
    ngram_indices,
    ngram_parts,
    word_bucket,
)
from moderation.model import FORMAT_VERSION, load_model, read_manifest
from moderation.train import check, main, sha256_file

ROOT = Path(__file__).resolve().parents[2]


# -- features -------------------------------------------------------------------------------


def test_hashing_is_the_same_in_another_process() -> None:
    # Python's hash() is salted per process; the featurizer must not depend on it.
    texts = ["i want to kill myself", "我想自杀", "ordinary words here"]
    here = [ngram_indices(t, lang).tolist() for t, lang in zip(texts, ["en", "zh", "en"],
                                                                strict=True)]
    code = (
        "import json,sys; from moderation.features import ngram_indices as f; "
        "print(json.dumps([f(t, l).tolist() for t, l in json.loads(sys.argv[1])]))"
    )
    arg = json.dumps([[t, lang] for t, lang in zip(texts, ["en", "zh", "en"], strict=True)])
    out = subprocess.run(
        [sys.executable, "-c", code, arg], capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "12345"},
    )
    assert json.loads(out.stdout) == here


def test_features_depend_on_the_characters_not_the_position() -> None:
    a = set(ngram_indices("kill", "en").tolist())
    b = set(ngram_indices("please do not kill the plant", "en").tolist())
    assert a & b  # the word and its n-grams hash the same wherever they stand
    assert ngram_indices("", "zh").size == 0
    parts = ngram_parts("我想死", "zh")
    assert sum(len(p) for p in parts) == 3 + 2 + 1  # 1-, 2- and 3-grams
    assert all(int(p.max()) < (1 << FEATURE_BITS) for p in parts)
    # en: 3-, 4- and 5-grams of " kill me " (9 characters) and its two words
    assert len(ngram_indices("kill me", "en")) == 7 + 6 + 5 + 2


def test_scalar_hashes_are_the_numpy_hashes() -> None:
    # The scan hashes an n-gram it has not seen in pure Python; it must land in the bucket
    # numpy (and so training) put it in.
    zh = ngram_parts("我想死", "zh")[0].tolist()
    assert zh == [gram_bucket(g) for g in ("我", "想", "死", "我想", "想死", "我想死")]
    en = ngram_parts("kill me", "en")[0].tolist()
    padded = " kill me "
    grams = [padded[i : i + k] for k in (3, 4, 5) for i in range(len(padded) - k + 1)]
    assert en == [gram_bucket(g) for g in grams] + [word_bucket("kill"), word_bucket("me")]


_SCORER_TEXTS = {
    "en": ["i dont want to live anymore!!! its over.", "thanks, that makes sense to me", "",
           "a", "a  b", "x" * (NUMPY_CHARS - 2), "x" * (NUMPY_CHARS - 1), "k1ll " * 300],
    "zh": ["我真的好想死,活着没意思。", "死", "", "ab", "想" * NUMPY_CHARS,
           "想" * (NUMPY_CHARS + 1), "我真的好想死,活着没意思。" * 30],
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_scorer_sums_exactly_the_weights_of_the_features(lang: str) -> None:
    # The scan's memoised pure-Python scorer must agree with the features training used: on
    # the first sight of a text and from its memo tables, on both sides of the numpy cut-over.
    w = np.random.default_rng(1).normal(size=1 << FEATURE_BITS).astype(np.float32)
    scorer = GramScorer(w, lang)
    for text in _SCORER_TEXTS[lang]:
        idx = ngram_indices(text, lang)
        want = float(w[idx].astype(np.float64).sum())
        for _ in range(2):
            total, count = scorer.raw(text)
            assert count == len(idx)
            assert total == pytest.approx(want, abs=1e-3)


def test_scorer_memo_tables_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(features, "_MEMO_LIMIT", 50)
    w = np.ones(1 << FEATURE_BITS, dtype=np.float32)
    en, zh = GramScorer(w, "en"), GramScorer(w, "zh")
    for i in range(300):
        text = f"word{i} other{i}"
        assert en.raw(text) == (len(ngram_indices(text, "en")), len(ngram_indices(text, "en")))
        zh.raw(chr(0x4E00 + i) + chr(0x4E00 + 2 * i))
    assert len(en._units) <= 50 and len(zh._grams) <= 50


# -- training and the artifact --------------------------------------------------------------

_EN_RISK = ["i want to end it", "the pills are ready", "goodbye everyone forever",
            "i cannot go on living", "tonight i end it"]
_EN_LOW = ["so stressed about exams", "i feel sad and tired", "nobody texts me back"]
_EN_NONE = ["great game last night", "the library closes at ten", "coffee after class?"]
_ZH_RISK = ["我准备好了药", "今晚就结束", "再见了大家", "活不下去了"]
_ZH_LOW = ["压力好大", "有点难过", "睡不着"]
_ZH_NONE = ["今天天气很好", "一起去吃饭吧", "电影不错"]


def _fixture_rows(n: int = 30, seed: int = 3) -> list[dict[str, str]]:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        for lang, groups in (("en", (_EN_RISK, _EN_LOW, _EN_NONE)),
                             ("zh", (_ZH_RISK, _ZH_LOW, _ZH_NONE))):
            label = ("high", "low", "none")[i % 3]
            words = groups[i % 3]
            sep = " " if lang == "en" else ""
            text = (". " if lang == "en" else "。").join(
                sep.join(rnd.sample(words, 2)) for _ in range(rnd.randint(1, 3)))
            rows.append({"text": text, "lang": lang, "label": label})
    return rows


def _write(rows: list[dict[str, str]], path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


# Training (twice) takes seconds on an idle machine, much longer on a loaded shared one.
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def trained_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    pytest.importorskip("sklearn", reason="training needs the 'train' extra (scikit-learn)")
    base = tmp_path_factory.mktemp("train")
    data = _write(_fixture_rows(), base / "data.jsonl")
    a, b = base / "a", base / "b"
    assert main([str(data), "--out", str(a), "--cv", "2"]) == 0
    assert main([str(data), "--out", str(b), "--cv", "2"]) == 0
    return data, a, b


def test_training_twice_gives_byte_identical_artifacts(trained_dirs: tuple[Path, Path, Path]
                                                       ) -> None:
    _data, a, b = trained_dirs
    for name in ("risk.npz", "risk.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_artifact_is_weights_only_and_records_the_data(trained_dirs: tuple[Path, Path, Path]
                                                       ) -> None:
    data, a, _b = trained_dirs
    manifest = read_manifest(a)
    assert manifest["format"] == FORMAT_VERSION
    assert manifest["data_sha256"] == sha256_file(data)
    with zipfile.ZipFile(a / "risk.npz") as zf:
        assert sorted(zf.namelist()) == ["w_en.npy", "w_zh.npy"]
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zf.infolist())
    blob = (a / "risk.npz").read_bytes() + (a / "risk.json").read_bytes()
    for word in ("pills", "goodbye", "exams", "天气", "压力"):
        assert word.encode() not in blob


def test_trained_model_scores_the_fixture_sensibly(trained_dirs: tuple[Path, Path, Path]) -> None:
    _data, a, _b = trained_dirs
    model = load_model(a)
    en = model.get("en")
    assert en is not None
    risky = en.probability(*en.raw("tonight i end it, the pills are ready", "en"))
    calm = en.probability(*en.raw("great game last night, coffee after class?", "en"))
    assert risky > calm


def test_loading_refuses_another_format(trained_dirs: tuple[Path, Path, Path],
                                        tmp_path: Path) -> None:
    _data, a, _b = trained_dirs
    for name in ("risk.npz", "risk.json"):
        (tmp_path / name).write_bytes((a / name).read_bytes())
    manifest = json.loads((tmp_path / "risk.json").read_text())
    manifest["format"] = FORMAT_VERSION + 1
    (tmp_path / "risk.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFormatError, match="format"):
        load_model(tmp_path)
    with pytest.raises(ModerationError):  # the base class catches it too
        Moderator(model=load_model(tmp_path))
    manifest["format"] = FORMAT_VERSION
    manifest["feature_bits"] = FEATURE_BITS - 1
    (tmp_path / "risk.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFormatError, match="bits"):
        load_model(tmp_path)


def test_loading_refuses_missing_or_corrupt_weights(trained_dirs: tuple[Path, Path, Path],
                                                    tmp_path: Path) -> None:
    _data, a, _b = trained_dirs
    (tmp_path / "risk.json").write_bytes((a / "risk.json").read_bytes())
    with pytest.raises(ModelFormatError):
        load_model(tmp_path)  # no weights file
    (tmp_path / "risk.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelFormatError):
        load_model(tmp_path)
    with pytest.raises(ModelFormatError):
        load_model(tmp_path / "nowhere")


def test_check_refuses_other_training_data(trained_dirs: tuple[Path, Path, Path],
                                           tmp_path: Path) -> None:
    data, a, _b = trained_dirs
    assert check(data, a) == sha256_file(data)
    assert main([str(data), "--out", str(a), "--check"]) == 0
    other = _write(_fixture_rows(seed=4), tmp_path / "other.jsonl")
    with pytest.raises(TrainingDataMismatch):
        check(other, a)
    assert issubclass(TrainingDataMismatch, ModerationError)
    assert main([str(other), "--out", str(a), "--check"]) == 1
    # training on other data over an existing model is refused unless asked for
    before = (a / "risk.npz").read_bytes()
    assert main([str(other), "--out", str(a)]) == 1
    assert (a / "risk.npz").read_bytes() == before


def test_shipped_model_loads_and_matches_the_training_file() -> None:
    model = load_model()
    assert set(model.langs) == {"en", "zh"}
    data = Path("/work/shared/eval/train.jsonl")
    if not data.exists():
        pytest.skip("training data not present on this machine")
    assert check(data) == model.manifest["data_sha256"]


# -- the model inside the scan --------------------------------------------------------------


@pytest.fixture(scope="module")
def mod() -> Moderator:
    return Moderator()


@pytest.mark.parametrize(
    "text", ["I'm going to KILL my stepfather tonight", "我已经写好遗言了"]
)
def test_model_reasons_are_matches_on_the_original_text(mod: Moderator, text: str) -> None:
    # words no lexicon entry lists at crisis level: the model pages and says why
    assert Moderator(use_model=False).scan(text).severity < 3
    v = mod.scan(text)
    assert v.severity == 3 and "model_risk" in v.categories
    found = [m for m in v.matches if m.category == "model_risk"]
    assert found
    for m in found:
        assert text[m.start : m.end] == m.term and m.term.strip() == m.term
        assert m.severity == 3 and "p=" in m.note


def test_model_never_lowers_the_lexicon(mod: Moderator) -> None:
    lex = Moderator(use_model=False)
    for text in ("I took 30 pills an hour ago", "我已经吃了一瓶安眠药", "hello there",
                 "this homework is killing me", "我室友说她想自杀"):
        assert mod.scan(text).severity >= lex.scan(text).severity


def test_context_carries_bounded_model_records(mod: Moderator) -> None:
    ctx: RiskContext | None = None
    for i in range(10):
        ctx = mod.scan(f"message number {i}", context=ctx).context
    assert ctx is not None
    assert len(ctx.model) == 3
    d = ctx.to_dict()
    assert len(d["m"]) == 3 and all(len(row) == 4 for row in d["m"])
    assert RiskContext.from_dict(json.loads(json.dumps(d))) == ctx


@pytest.mark.parametrize(
    "junk",
    [{"m": "x"}, {"m": [[0, 1.0, 2]]}, {"m": [[2, 1.0, 2, 3]]}, {"m": [[0, float("nan"), 2, 3]]},
     {"m": [[0, "1", 2, 3]]}, {"m": [[True, 1.0, 2, 3]]}, {"m": [[0, 1e300, 2, 3]]},
     {"m": [[0, 1.0, -2, 3]]}],
)
def test_context_drops_junk_model_records(junk: dict[str, object]) -> None:
    assert RiskContext.from_dict({"v": 1, "r": [[1, 0]], **junk}).model == []


def test_old_context_without_model_records_still_loads(mod: Moderator) -> None:
    old = {"v": 1, "r": [[2, 1], [0, 0]]}
    ctx = RiskContext.from_dict(old)
    assert ctx.recent == [(2, 1), (0, 0)] and ctx.model == []
    assert mod.scan("ok", context=ctx).severity in (0, 1, 2, 3)
    many = {"v": 1, "r": [], "m": [[0, 1.0, 10, 5]] * 100}
    assert len(RiskContext.from_dict(many).model) == 3


def _run(mod: Moderator, texts: list[str]) -> list[tuple[int, list[str]]]:
    ctx: RiskContext | None = None
    out = []
    for text in texts:
        v = mod.scan(text, context=ctx)
        ctx = v.context
        out.append((v.severity, v.categories))
    return out


def test_an_ordinary_line_after_a_crisis_is_not_a_crisis(mod: Moderator) -> None:
    sev = [s for s, _c in _run(mod, ["I want to die", "anyway how was your day"])]
    assert sev[0] == 3 and sev[1] <= 1


def test_risk_spread_over_short_turns_is_caught(mod: Moderator) -> None:
    # Each line alone is below a page; together the model reads them as one message.
    zh = ["我想通了", "很快就不痛了"]
    assert mod.scan(zh[1]).severity < 3
    sev, cats = _run(mod, zh)[-1]
    assert sev == 3 and "model_risk_conversation" in cats



@pytest.mark.parametrize("text", ["I'm here", "I'm fine", "im back", "I'm home"])
def test_two_word_replies_are_too_short_for_the_model_alone(mod: Moderator, text: str) -> None:
    # "I'm" weighs toward risk in forum posts; two words are too little to judge by (MIN_GRAMS):
    # a seeker answering "I'm here" must not page a counselor
    v = mod.scan(text)
    assert v.severity == 0 and "model_risk" not in v.categories, v.matches


def test_a_run_of_ordinary_lines_does_not_add_up(mod: Moderator) -> None:
    # the conversation score only pages: weak evidence summed over turns must not flag chat
    assert all(s <= 1 for s, _c in _run(mod, [f"line {i}" for i in range(40)]))
    assert all(s <= 1 for s, _c in _run(mod, ["ok", "sure", "see you at 3", "thanks"] * 5))


def test_the_same_turns_without_context_do_not_escalate(mod: Moderator) -> None:
    # the conversation score needs the earlier turns of the same conversation
    assert mod.scan("很快就不痛了", context=RiskContext.from_dict({})).severity < 3
    other_lang = mod.scan("I figured it out").context
    assert mod.scan("很快就不痛了", context=other_lang).severity < 3


def test_a_quiet_conversation_context_stops_changing(mod: Moderator) -> None:
    # The hub rewrites the stored context only when it changes: ordinary lines the model finds
    # no risk in must leave it as it was once the window is full.
    lines = ["thanks, that makes sense to me", "ok, I will try that before the next class",
             "that sounds like a good plan for the week", "今天和朋友去吃饭了", "see you at 3"]
    ctx: RiskContext | None = None
    seen = []
    for text in lines * 3:
        ctx = mod.scan(text, context=ctx).context
        seen.append(ctx)
    assert all(c == seen[-1] for c in seen[6:])
    assert all(t[2] == 0 for t in seen[-1].model)  # nothing of the lines is remembered


def test_a_worrying_turn_is_remembered_for_the_next_turns_only(mod: Moderator) -> None:
    first = mod.scan("很快就不痛了")
    assert first.severity < 3 and first.context.model[-1][2] > 0  # remembered
    ctx = first.context
    for text in ["今天和朋友去吃饭了", "谢谢你愿意听我说这些。", "明天还要早起上课"]:
        ctx = mod.scan(text, context=ctx).context
    assert all(t[2] == 0 for t in ctx.model)  # aged out after MODEL_TURNS turns
    # too late to join: the same line that paged with it just after does not now
    assert mod.scan("我想通了", context=ctx).severity < 3
    assert mod.scan("我想通了", context=first.context).severity == 3
