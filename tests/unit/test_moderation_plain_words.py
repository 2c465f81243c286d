"""English risk the policy pages, said in plain words (issue 15, fourth round).

Each family the policy pages (intent, a plan, means at hand, a date or countdown, a goodbye,
preparation, researching a method, self-harm or an attempt under way or just done) has lines
the lexicon alone must page, next to near-misses that must not: hyperbole, someone else, the
long past, a topic, an everyday use of the same words. Sentences written for these tests from
the policy's own wording; none comes from the evaluation data.
"""

from __future__ import annotations

import pytest

from moderation import Moderator

PAGES = {
    "intent stated": ["im ending it all this weekend", "i'm ending it tonight",
                      "honestly i'm done with life", "i am done living like a ghost",
                      "i can't afford to be alive anymore", "seriously considering suicide",
                      "i've been suicidal for months now", "the only reason i haven't killed "
                      "myself yet is my dog"],
    "cut off mid-word": ["i want to kil", "sometimes i just want to kill mys"],
    "current ideation": ["i think about suicide every day", "i'm still suicidal",
                         "been having suicidal thoughts again", "suicide is my only way out",
                         "i keep fantasizing about killing myself"],
    "self-harm wished or under way": ["i want to cut myself so badly", "i really want to self harm",
                                      "gonna hurt myself tonight", "i started cutting again",
                                      "i cut myself last night"],
    "an attempt just done": ["i tried to kill myself last night", "i just attempted",
                             "yesterday i attempted and woke up in hospital",
                             "an hour ago i took all the pills in the cabinet",
                             "i just took a handful of pills", "my attempt failed"],
    "method with oneself as its object": ["i want to throw myself off the bridge",
                                          "thinking of throwing myself into the river",
                                          "gonna jump off a cliff", "jumping off the roof later"],
    "means at hand": ["i have easy access to a gun", "holding a knife right now",
                      "i have the rope around my neck", "the knife is in my hand and i"
                      " have a knife to my wrist"],
    "researching a method": ["is hanging painful", "how long does it take to bleed out",
                             "is 5 floors high enough", "how many pills would it take to die",
                             "how much melatonin will it take to die", "how to kill yourself fast"],
    "plans and countdowns": ["i've been planning my death for weeks", "ready to carry out my plan",
                             "i have 12 hours left to live", "today is my last day on earth",
                             "the countdown to my death has started"],
    "goodbye": ["this is my last message", "this will be my last post here",
                "goodbye cruel world", "not planning on coming back from this walk",
                "i'm drafting my note"],
}


@pytest.mark.parametrize(
    "text", [t for texts in PAGES.values() for t in texts], ids=lambda t: t[:28]
)
def test_plain_statement_pages_by_the_lexicon_alone(lexicon_only: Moderator, text: str) -> None:
    v = lexicon_only.scan(text, "en")
    assert v.severity == 3, (text, v.matches)


WATCH = [
    # the policy's watch list: the past, someone else, a passive wish, a wish to be hit
    "i tried to kill myself once",
    "i tried to kill myself years ago",
    "my friend wants to kill herself",
    "my roommate says she has been suicidal for months",
    "i'm passively suicidal",
    "i keep fantasizing about death",
    "i overdosed in high school",
    "i almost killed myself",
]


@pytest.mark.parametrize("text", WATCH)
def test_past_other_or_passive_stays_on_the_watch_list(lexicon_only: Moderator, text: str) -> None:
    v = lexicon_only.scan(text, "en")
    assert v.severity == 2, (text, v.matches)


QUIET = [
    # hyperbole, everyday uses of the same words, topics
    "this homework makes me want to hurt myself lol",
    "i'm done with life admin for today lol",
    "i'd kill myself if they pointed at me lol",
    "i'm ending it with him tonight",
    "ok im ending it here, see you tomorrow",
    "i need to take my pills tonight",
    "i want to cut my hair short",
    "i'm going to jump off the diving board",
    "i almost killed myself laughing",
    "i think about suicide prevention a lot in my psych class",
    "i want to throw myself into my studies",
]


@pytest.mark.parametrize("text", QUIET)
def test_hyperbole_everyday_words_and_topics_do_not_page(lexicon_only: Moderator,
                                                         text: str) -> None:
    v = lexicon_only.scan(text, "en")
    assert v.severity <= 1, (text, v.matches)


@pytest.mark.parametrize("text", QUIET[:8])
def test_near_misses_stay_quiet_with_the_model_too(full: Moderator, text: str) -> None:
    assert full.scan(text, "en").severity <= 1, text


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("she has access to a gun", 2),  # someone else's means: the watch list
        ("i have access to a gun", 3),
        ("i tried to kill myself yesterday", 3),  # just done
        ("i tried to kill myself when i was 14", 2),  # history
        ("tonight is the night of the concert", 1),  # a note only
        ("my last post was about my cat", 2),  # "last post" alone: the watch list, no page
        ("tonight is the night, i want to die", 3),  # with a wish to die
    ],
)
def test_recent_or_own_pages_past_or_other_does_not(lexicon_only: Moderator, text: str,
                                                    severity: int) -> None:
    assert lexicon_only.scan(text, "en").severity == severity, lexicon_only.scan(text).matches


def test_other_person_cue_does_not_cap_what_the_writer_says_of_themself(
    lexicon_only: Moderator,
) -> None:
    """"people" before "my suicide plan": the plan is the writer's own (a first-person word
    stands between the cue and the match), so it pages; "people who want to die" stays a
    note about others."""
    assert lexicon_only.scan("i told people my suicide plan", "en").severity == 3
    assert lexicon_only.scan("people who want to die", "en").severity == 1


def test_a_past_cue_governs_its_own_match_not_the_whole_message(lexicon_only: Moderator) -> None:
    """A past cue keeps the model from paging past self-harm, but not a method named now in
    the same message: the lexicon's cap (what the model may raise to) is 3 then."""
    assert lexicon_only.lexicon_probe("i used to cut myself", "en") == (2, 2)
    sev, cap = lexicon_only.lexicon_probe(
        "i used to cut myself. these days i think about an overdose", "en"
    )
    assert (sev, cap) == (2, 3)


def test_a_word_of_the_present_ends_a_past_cue(lexicon_only: Moderator) -> None:
    """"years ago ... and now": the wish after "now" is today's and pages; without it the past
    cue keeps an old attempt on the watch list."""
    assert lexicon_only.scan("i was bullied years ago and now i want to die", "en").severity == 3
    assert lexicon_only.scan("years ago i tried to kill myself", "en").severity == 2
