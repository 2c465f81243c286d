"""The learned risk scorer: a linear model over hashed n-grams, loaded from a weights-only file.

The lexicon catches what is said explicitly and explains it; this model catches risk that is
said in words no lexicon lists ("I have given away my things and written the letters"). It is a
logistic regression per language (``high`` against ``low``/``none``), trained by
``python -m moderation.train`` and shipped as ``moderation/model/risk.npz`` (one float32 weight
vector per language over :data:`moderation.features.FEATURE_BITS` hashed buckets) plus
``risk.json`` (format version, sha256 of the training data, bias, Platt calibration and the
cross-validated severity thresholds). No text of the training data is stored.

Inference: hash the n-grams of the normalised text, sum their weights, divide by the square
root of their count, add the bias (:class:`moderation.features.GramScorer` does the first two:
pure Python with memo tables on chat lines, numpy on long texts). Because the score is a sum,
the score of the last few chat turns together is exact from each turn's ``(sum, count)``,
which is all the conversation context has to remember (see :class:`moderation.context.RiskContext`).
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import ModelFormatError
from .features import FEATURE_BITS, LANGS, GramScorer, grams_with_spans

__all__ = [
    "FORMAT_VERSION",
    "DEFAULT_DIR",
    "LangModel",
    "lang_model",
    "RiskModel",
    "load_model",
    "write_artifact",
    "model_severity",
]

FORMAT_VERSION = 1
DEFAULT_DIR = Path(__file__).parent / "model"
WEIGHTS_NAME = "risk.npz"
MANIFEST_NAME = "risk.json"
# Texts up to this many characters are "short" (chat turns) and use their own thresholds.
SHORT_CHARS = 80
# A message with fewer n-grams than this is too short for the model to judge alone ("sure",
# "ok"): with the 1/sqrt(count) scaling a handful of n-grams swing the score, and such lines
# are absent from the training data. The lexicon still scans them. Set by hand (en: two short
# words, about eight characters; zh: three characters), not tuned on labelled data. English
# was 16 (six characters) until "I'm here", "I'm fine", "im back" (20 n-grams each) were seen
# to reach the watch list or page: first-person "I'm" weighs toward risk in forum posts.
# Below 24 n-grams the model alone raised 2 `high` texts to a page and 5 more to the watch
# list in the out-of-fold scores (of 2,071 `high` posts and chat windows), so little is lost.
MIN_GRAMS = {"en": 24, "zh": 6}
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same weights give the same bytes


@dataclass(frozen=True, slots=True)
class LangModel:
    """One language's weights, bias, Platt calibration and thresholds.

    ``thresholds`` maps ``"short"``/``"long"`` to ``(t2, t3)``: the calibrated probability at
    which a message reaches the watch list (2) and pages a counselor (3).
    """

    weights: npt.NDArray[np.float32]
    bias: float
    platt: tuple[float, float]
    thresholds: dict[str, tuple[float, float]]
    scorer: GramScorer

    def raw(self, nt: str, lang: str) -> tuple[float, int]:
        """``(sum of weights, number of features)`` of the normalised text ``nt`` (``lang``
        is the scorer's own; kept in the signature for callers that pass it)."""
        return self.scorer.raw(nt)

    def probability(self, total: float, count: int) -> float:
        """Calibrated probability of ``high`` from a raw ``(sum, count)``."""
        score = (total / math.sqrt(count) if count else 0.0) + self.bias
        a, c = self.platt
        z = a * score + c
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    def severity(self, p: float, chars: int) -> int:
        """0, 2 or 3 for a calibrated probability, using the short or long thresholds."""
        return model_severity(p, self.thresholds["short" if chars <= SHORT_CHARS else "long"])

    def top_spans(self, nt: str, lang: str, k: int = 3) -> list[tuple[int, int, float]]:
        """Up to ``k`` spans of ``nt`` whose n-grams weighed most toward risk, merged where they
        overlap, heaviest first: ``(start, end, weight)``. For the helper console only."""
        idx, starts, ends = grams_with_spans(nt, lang)
        if not len(idx):
            return []
        contrib = self.weights[idx]
        top = min(len(contrib), 4 * k)
        cand = np.argpartition(-contrib, top - 1)[:top]
        order = cand[np.argsort(-contrib[cand], kind="stable")]
        picked: list[list[float]] = []
        for i in order.tolist():
            wt = float(contrib[i])
            if wt <= 0:
                break
            s, e = int(starts[i]), int(ends[i])
            if e <= s:
                continue
            for p in picked:
                if s <= p[1] and e >= p[0]:  # overlaps: widen the earlier, heavier span
                    p[0], p[1], p[2] = min(p[0], s), max(p[1], e), p[2] + wt
                    break
            else:
                picked.append([s, e, wt])
        picked.sort(key=lambda p: -p[2])
        return [(int(p[0]), int(p[1]), p[2]) for p in picked[:k]]


def lang_model(lang: str, weights: npt.NDArray[np.float32], meta: dict[str, Any]) -> LangModel:
    """A :class:`LangModel` from its weights and its manifest entry (bias, platt, thresholds)."""
    return LangModel(
        weights,
        float(meta["bias"]),
        (float(meta["platt"][0]), float(meta["platt"][1])),
        {k: (float(v[0]), float(v[1])) for k, v in meta["thresholds"].items()},
        GramScorer(weights, lang),
    )


def model_severity(p: float, thresholds: tuple[float, float]) -> int:
    """3 at or above ``t3``, 2 at or above ``t2``, else 0 (the model never adds a mere note)."""
    t2, t3 = thresholds
    if p >= t3:
        return 3
    if p >= t2:
        return 2
    return 0


@dataclass(frozen=True, slots=True)
class RiskModel:
    """Both languages' models plus the manifest they were loaded with."""

    langs: dict[str, LangModel]
    manifest: dict[str, Any]

    def get(self, lang: str) -> LangModel | None:
        return self.langs.get(lang)


def _npy_bytes(arr: npt.NDArray[Any]) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def write_artifact(directory: Path, weights: dict[str, npt.NDArray[np.float32]],
                   manifest: dict[str, Any]) -> None:
    """Write ``risk.npz`` and ``risk.json`` byte-for-byte deterministically.

    ``np.savez`` stamps each zip member with the current time, so two trainings on the same
    data would differ; members here get a fixed date and a fixed order, and the manifest is
    written with sorted keys.
    """
    directory.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for lang in sorted(weights):
            info = zipfile.ZipInfo(f"w_{lang}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, _npy_bytes(weights[lang].astype(np.float32)))
    (directory / WEIGHTS_NAME).write_bytes(buf.getvalue())
    text = json.dumps(manifest, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    (directory / MANIFEST_NAME).write_text(text, encoding="utf-8")


def read_manifest(directory: Path | str | None = None) -> dict[str, Any]:
    """The manifest of an artifact; :class:`ModelFormatError` if missing or of another format."""
    d = Path(directory) if directory is not None else DEFAULT_DIR
    path = d / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelFormatError(f"{path}: unreadable model manifest ({exc.__class__.__name__})")\
            from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        got = manifest.get("format") if isinstance(manifest, dict) else None
        raise ModelFormatError(f"{path}: model format {got!r}, this code reads {FORMAT_VERSION}")
    if manifest.get("feature_bits") != FEATURE_BITS:
        raise ModelFormatError(
            f"{path}: model hashed into {manifest.get('feature_bits')!r} bits, "
            f"this code hashes into {FEATURE_BITS}"
        )
    return manifest


def load_model(directory: Path | str | None = None) -> RiskModel:
    """Load and check the artifact in ``directory`` (default ``moderation/model``).

    Refuses (:class:`ModelFormatError`) a manifest of another format version or feature size,
    or weights of the wrong shape, rather than scoring with features it was not trained on.
    """
    d = Path(directory) if directory is not None else DEFAULT_DIR
    manifest = read_manifest(d)
    langs: dict[str, LangModel] = {}
    try:
        with zipfile.ZipFile(d / WEIGHTS_NAME) as zf:
            for lang in LANGS:
                meta = manifest["langs"][lang]
                with zf.open(f"w_{lang}.npy") as fh:
                    w = np.lib.format.read_array(fh, allow_pickle=False)
                if w.shape != (1 << FEATURE_BITS,) or w.dtype != np.float32:
                    raise ModelFormatError(
                        f"{d / WEIGHTS_NAME}: {lang} weights {w.shape} {w.dtype}"
                    )
                if set(meta["thresholds"]) != {"short", "long"}:
                    raise ModelFormatError(
                        f"{d / MANIFEST_NAME}: {lang} thresholds {sorted(meta['thresholds'])}"
                    )
                langs[lang] = lang_model(lang, w, meta)
    except (OSError, KeyError, ValueError, TypeError, IndexError, zipfile.BadZipFile) as exc:
        raise ModelFormatError(f"{d}: unreadable model ({exc.__class__.__name__}: {exc})") from exc
    return RiskModel(langs, manifest)
