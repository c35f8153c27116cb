"""The shape of `topics.yaml`: pydantic models that accept a well-formed rule file and word
every refusal the way a rule author needs it (`yamlfile` adds file, line and key).

What a term *says* is checked when it is parsed (`parser.py`), and whether a topic can match at
all once its terms are compiled (`loader.py`); this module knows keys, types and ranges.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from newsmon.rules.model import (
    BODY_CAP,
    BODY_WEIGHT,
    KOREAN_MODES,
    LANGS,
    LEDE_CHARS,
    LEDE_WEIGHT,
    SHORT_WORDS,
    STORY_WORDS,
    STRONG_WEIGHT,
    TITLE_WEIGHT,
    KoreanMode,
    Lang,
)
from newsmon.yamlfile import problem, problem_at, reworded

TopicKey = Annotated[
    str,
    Field(pattern=r"^[a-z0-9][a-z0-9-]*$"),
    reworded("topic keys are lower-case words joined by '-'"),
]

WholeFrom0 = Annotated[int, Field(strict=True, ge=0), reworded("must be a whole number >= 0")]
WholeFrom1 = Annotated[int, Field(strict=True, ge=1), reworded("must be a whole number >= 1")]
TermText = Annotated[
    str, Field(strict=True, pattern=r"\S"), reworded("a term must be a non-empty string")
]
TermsByLang = Annotated[
    dict[
        Annotated[Lang, reworded(f"unknown language; use one of {', '.join(LANGS)}")],
        Annotated[list[TermText], reworded("must be a list of terms")],
    ],
    reworded(f"must map a language ({', '.join(LANGS)}) to a list of terms"),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WeightsSpec(_Strict):
    """What a hit is worth: in the title, per body mention (up to `body_cap`), a strong term;
    and under how many body words a body counts as short (`model.Weights` says how)."""

    title: WholeFrom0 = TITLE_WEIGHT
    body: WholeFrom0 = BODY_WEIGHT
    body_cap: WholeFrom0 = BODY_CAP
    strong: WholeFrom0 = STRONG_WEIGHT
    short_words: WholeFrom0 = SHORT_WORDS
    lede: WholeFrom0 = LEDE_WEIGHT
    lede_chars: WholeFrom0 = LEDE_CHARS
    story_words: WholeFrom0 = STORY_WORDS


class TopicSpec(_Strict):
    """One entry of `topics`. `weights` and `requires` need format version 2."""

    model_config = ConfigDict(coerce_numbers_to_str=True)  # `label: 2025` is a label

    label: Annotated[str, reworded("a label must be text")] | None = None  # default: the key
    weights: Annotated[
        WeightsSpec,
        reworded(
            "must map title/body/body_cap/strong/short_words/lede/lede_chars/story_words to numbers"
        ),
    ] = WeightsSpec()
    min_score: WholeFrom1 | None = None  # default: the title weight (one title hit)
    terms: TermsByLang | None = None
    strong: TermsByLang | None = None
    exclude: TermsByLang | None = None
    requires: TermsByLang | None = None

    @model_validator(mode="after")
    def _can_score(self) -> TopicSpec:
        if not any((self.terms or {}).values()) and not any((self.strong or {}).values()):
            raise problem("a topic needs at least one term (terms or strong)")
        if self.min_score is None and self.weights.title < 1:
            raise problem_at(
                "TopicSpec",
                ("min_score",),
                "must be a whole number >= 1 (without it, the title weight is used)",
            )
        return self

    @property
    def threshold(self) -> int:
        return self.weights.title if self.min_score is None else self.min_score


class RulesFile(_Strict):
    """The whole file: format version, Korean matching mode and the topics, in order."""

    version: Annotated[Literal[1, 2], reworded("versions 1 and 2 are understood")] = 1
    korean: Annotated[KoreanMode, reworded(f"must be one of {', '.join(KOREAN_MODES)}")] = "suffix"
    topics: Annotated[
        dict[
            TopicKey,
            Annotated[TopicSpec, reworded("a topic must be a mapping")],
        ],
        reworded("the file must have a 'topics' mapping"),
    ] = Field(default=None, validate_default=True)

    @model_validator(mode="after")
    def _version_1_is_plain(self) -> RulesFile:
        """Version 1 files predate expressions, weights, context terms and the analyser."""
        if self.version != 1:
            return self
        if "korean" in self.model_fields_set:
            raise problem_at("RulesFile", ("korean",), "needs version: 2")
        for key, topic in self.topics.items():
            for name in ("weights", "requires"):
                if name in topic.model_fields_set:
                    raise problem_at(
                        "RulesFile", ("topics", key, name), "unknown key (needs version: 2)"
                    )
        return self
