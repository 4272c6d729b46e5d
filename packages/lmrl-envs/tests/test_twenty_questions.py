"""Twenty Questions: formats, rewards, limits, the rule oracle, guesses, the LM oracle, the knowledge base."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import lmrl_envs
from lmrl_envs.tasks.twenty_questions import (
    CATEGORIES,
    INVALID_QUESTION,
    OBJECTS,
    QUESTION_BANK,
    TAGS,
    RuleOracle,
    TwentyQuestionsEnv,
    find_object,
    guess_question,
    lm_oracle_prompt,
    parse_lm_answer,
    parse_question,
)
from lmrl_envs.tasks.twenty_questions.objects import NAME_INDEX, name_key
from lmrl_envs.testing import EnvConformance

DATA = Path(__file__).parent / "data"
ORACLE = RuleOracle()


def ask(obj: str, question: str) -> str:
    return ORACLE.answer(find_object(obj), question).text


# ----------------------------------------------------------------------------- formats and rewards
def test_reset_and_step_formats():
    env = TwentyQuestionsEnv()
    assert env.reset(seed=0, options={"word": "cat"}) == ("Questions:\n", {})
    assert env.step("Is it an animal?") == ("Yes.\n", -1.0, False, False, {"understood": True})
    assert env.step("Is it a vegetable?\n") == ("No.\n", -1.0, False, False, {"understood": True})
    obs, reward, terminated, truncated, info = env.step("Is it a cat?")
    assert (obs, reward, terminated, truncated) == ("Yes.\n", 0.0, True, False)
    assert info == {"understood": True, "guess": "Cat", "success": True, "word": "Cat"}
    assert [t.text for t in env.history] == [
        "Questions:\n", "Is it an animal?\n", "Yes.\n", "Is it a vegetable?\n", "No.\n", "Is it a cat?\n", "Yes.\n"]
    assert [t.is_action for t in env.history] == [False, True, False, True, False, True, False]


def test_wrong_guess_costs_one_and_continues():
    env = TwentyQuestionsEnv()
    env.reset(seed=0, options={"word": "cat"})
    assert env.step("Is it a dog?") == ("No.\n", -1.0, False, False, {"understood": True, "guess": "Dog"})


def test_twenty_questions_then_terminated_without_success():
    env = TwentyQuestionsEnv()
    env.reset(seed=0, options={"word": "piano"})
    rewards = []
    for i in range(20):
        obs, reward, terminated, truncated, info = env.step("Is it an animal?")
        rewards.append(reward)
        assert obs == "No.\n" and not truncated
        assert terminated == (i == 19)
    assert info == {"understood": True, "success": False, "word": "Piano"}
    assert sum(rewards) == -20.0 and env.done
    with pytest.raises(lmrl_envs.EpisodeFinishedError):
        env.step("Is it a piano?")


def test_correct_guess_on_the_twentieth_question_wins():
    env = TwentyQuestionsEnv()
    env.reset(seed=0, options={"word": "piano"})
    for _ in range(19):
        env.step("Is it alive?")
    obs, reward, terminated, truncated, info = env.step("Is it a piano?")
    assert (obs, reward, terminated, truncated, info["success"]) == ("Yes.\n", 0.0, True, False, True)


def test_not_understood_is_no_and_invalid():
    env = TwentyQuestionsEnv()
    env.reset(seed=0, options={"word": "cat"})
    for action in (INVALID_QUESTION, "", "Blorp flrrg?", "\x00\x1b[31m", "x" * 5000, "日本語"):
        assert env.step(action) == ("No.\n", -1.0, False, False, {"understood": False, "invalid": True})


def test_word_option_and_errors():
    env = TwentyQuestionsEnv()
    for name in ("television", "TV", "tv", "Television set"):
        env.reset(seed=0, options={"word": name})
        assert env.word.name == "Television"
    with pytest.raises(ValueError, match="valid names"):
        env.reset(seed=0, options={"word": "spaceship"})
    with pytest.raises(ValueError, match="valid options: word"):
        env.reset(seed=0, options={"deterministic": True})
    small = TwentyQuestionsEnv(objects=[find_object("cat"), find_object("dog")])
    with pytest.raises(ValueError, match="not in this env's objects"):
        small.reset(seed=0, options={"word": "piano"})


def test_seeded_draws_are_deterministic_and_uniformish():
    a, b = TwentyQuestionsEnv(), TwentyQuestionsEnv()
    words_a = [(a.reset(seed=s), a.word.name)[1] for s in range(300)]
    words_b = [(b.reset(seed=s), b.word.name)[1] for s in range(300)]
    assert words_a == words_b
    assert len(set(words_a)) > 100
    a.reset(seed=7)
    first = a.word
    a.reset(seed=7)
    assert a.word is first


def test_make_by_id():
    env = lmrl_envs.make("twenty-questions")
    assert isinstance(env, TwentyQuestionsEnv) and env.max_steps == 20 and env.reward_range == (-1.0, 0.0)


# ----------------------------------------------------------------------------- the rule oracle
# one (object, question answered Yes, question answered No) per category
PER_CATEGORY = [
    ("Sports", "Soccer ball", "Do you kick it?", "Is it electronic?"),
    ("Animals", "Tiger", "Is it a wild animal?", "Is it a farm animal?"),
    ("Fruits", "Mango", "Is it a tropical fruit?", "Does it grow underground?"),
    ("Vehicles", "Helicopter", "Can it fly?", "Does it have wheels?"),
    ("Clothes", "Boots", "Do you wear them on your feet?", "Is it worn around the neck?"),
    ("Electronics", "Microwave", "Would I find it in a kitchen?", "Does it keep food cold?"),
    ("Musical Instruments", "Trumpet", "Is it a brass instrument?", "Does it have strings?"),
    ("Furniture", "Bookcase", "Is it a piece of furniture?", "Can you sleep on it?"),
    ("Office Supplies", "Stapler", "Is it an office supply?", "Is it edible?"),
    ("Vegetables", "Potato", "Does it grow underground?", "Is it a fruit?"),
    ("Art", "Sculpture", "Is it a work of art?", "Is it made of fabric?"),
    ("Kitchen Tools", "Whisk", "Is it a kitchen utensil?", "Is it sharp?"),
    ("Nature", "River", "Is it a body of water?", "Is it salty?"),
    ("Toys", "Puzzle", "Does it have many pieces?", "Can it fly?"),
    ("Jewelry", "Ring", "Is it worn on a finger?", "Is it worn around the neck?"),
    ("Garden Supplies", "Rake", "Is it used for gardening?", "Does it have an engine?"),
    ("Tools", "Drill", "Is it a power tool?", "Is it a hand tool?"),
]


@pytest.mark.parametrize(("category", "obj", "yes_q", "no_q"), PER_CATEGORY, ids=[c[0] for c in PER_CATEGORY])
def test_oracle_answers_each_category(category, obj, yes_q, no_q):
    assert find_object(obj).category == category
    assert ask(obj, yes_q) == "Yes."
    assert ask(obj, no_q) == "No."
    assert ORACLE.answer(find_object(obj), no_q).understood


def test_every_category_has_a_row():
    assert {c[0] for c in PER_CATEGORY} == set(CATEGORIES)


@pytest.mark.parametrize(("obj", "question", "expected"), [
    ("Cat", "Is this some kind of animal?", "Yes."),
    ("Cat", "Isn't it an animal?", "Yes."),        # a leading negative auxiliary is a plain question
    ("Rock", "Is it not alive?", "Yes."),
    ("Dog", "Is it not alive?", "No."),
    ("Banana", "Is it something you cannot eat?", "No."),
    ("Rock", "Is it something you can't eat?", "Yes."),
    ("Plate", "Would I find it in a kitchen?", "Yes."),
    ("Elephant", "Is it bigger than a breadbox?", "Yes."),
    ("Ring", "Is it bigger than a breadbox?", "No."),
    ("Cat", "Is it smaller than a car?", "Yes."),
    ("Bus", "Is it bigger than a car?", "Yes."),
    ("Key", "Does it fit in a shoebox?", "Yes."),
    ("Couch", "Does it fit in a backpack?", "No."),
    ("Strawberry", "Is it a red fruit?", "Yes."),
    ("Banana", "Is it a red fruit?", "No."),
    ("Carrot", "Is it a fruit or a vegetable?", "Yes."),
    ("Hammer", "Is it a fruit or a vegetable?", "No."),
    ("Orange", "Is it orange?", "Yes."),
    ("Tiger", "Is it orange?", "Yes."),
    ("Apple", "Is it orange?", "No."),
])
def test_oracle_paraphrases_negations_and_sizes(obj, question, expected):
    assert ask(obj, question) == expected


def _accuracy(path: Path) -> tuple[float, int]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    right = sum(ask(r["object"], r["question"]) == r["answer"] + "." for r in rows)
    return right / len(rows), len(rows)


@pytest.mark.parametrize("name", ["twenty_questions_paraphrases.jsonl", "twenty_questions_paraphrases_fresh.jsonl"])
def test_oracle_accuracy_on_held_out_paraphrases(name):
    accuracy, n = _accuracy(DATA / name)
    assert n >= 80
    assert accuracy >= 0.95, f"rule-oracle accuracy {accuracy:.3f} on {n} paraphrases of {name}"


def test_paraphrase_sets_cover_every_category_with_yes_and_no():
    seen: Counter = Counter()
    for line in (DATA / "twenty_questions_paraphrases.jsonl").read_text().splitlines():
        row = json.loads(line)
        seen[(find_object(row["object"]).category, row["answer"])] += 1
    for category in CATEGORIES:
        assert seen[(category, "Yes")] >= 1 and seen[(category, "No")] >= 1, category


# ----------------------------------------------------------------------------- guesses
@pytest.mark.parametrize(("question", "obj"), [
    ("Is it a TV?", "Television"),
    ("Is it the television?", "Television"),
    ("IS IT A T.V.", "Television"),
    ("Are you thinking of a pair of scissors?", "Scissors"),
    ("Is it scissors?", "Scissors"),
    ("Could it be a plane?", "Airplane"),
    ("Is it an airplane?", "Airplane"),
    ("Is it a fridge?", "Refrigerator"),
    ("Is it a soccerball?", "Soccer ball"),
    ("Is it a lawn-mower?", "Lawn mower"),
    ("Is it a kind of knife?", "Knife"),
    ("Are they knives?", "Knife"),
    ("My guess is a cat", "Cat"),
    ("Is it an orange?", "Orange"),
    ("Tennis racket?", "Tennis racket"),
])
def test_guess_detection_with_synonyms_articles_and_plurals(question, obj):
    target = find_object(obj)
    answer = ORACLE.answer(target, question)
    assert answer.guess is target and answer.correct_guess and answer.text == "Yes."
    other = ORACLE.answer(find_object("Hammer"), question)
    assert other.text == "No." and not other.correct_guess


@pytest.mark.parametrize(("obj", "question", "expected"), [
    ("Apple", "Is it a red apple?", "Yes."),      # answered, but extra words: not a winning guess
    ("Car", "Is it smaller than a car?", "No."),
    ("Truck", "Is it a car or a truck?", "Yes."),
    ("Orange", "Is it orange?", "Yes."),          # a colour question without an article
    ("Paper", "Is it made of paper?", "Yes."),
])
def test_questions_that_mention_names_but_do_not_win(obj, question, expected):
    answer = ORACLE.answer(find_object(obj), question)
    assert answer.text == expected and not answer.correct_guess and answer.understood


def test_guess_question_round_trips_for_every_object():
    for obj in OBJECTS:
        assert parse_question(guess_question(obj)).guess is obj, obj.name


# ----------------------------------------------------------------------------- knowledge base
def test_knowledge_base_matches_the_original_categories():
    counts = {c: len(v) for c, v in CATEGORIES.items()}
    assert counts == {"Sports": 10, "Animals": 10, "Fruits": 10, "Vehicles": 10, "Clothes": 11, "Electronics": 10,
                      "Musical Instruments": 10, "Furniture": 10, "Office Supplies": 14, "Vegetables": 10, "Art": 7,
                      "Kitchen Tools": 10, "Nature": 11, "Toys": 5, "Jewelry": 9, "Garden Supplies": 5, "Tools": 6}
    assert len(OBJECTS) == 158
    assert find_object("Airplane").variants == ("Airplane", "Plane")
    assert find_object("tv").word_str == "(Television, TV)"


def test_names_are_unique_and_tags_known():
    for obj in OBJECTS:
        assert obj.tags <= TAGS.keys(), obj.name
        for n in obj.all_names:
            assert NAME_INDEX[name_key(n)] is obj, n


def test_question_bank_is_understood():
    assert all(parse_question(q).understood for q in QUESTION_BANK)  # the expert asker over it: lmrl-data's tests


# ----------------------------------------------------------------------------- LM oracle
@pytest.mark.parametrize(("output", "expected"), [
    ("yes", "Yes."), ("Yes.", "Yes."), (" YES it is", "Yes."), ("\nno", "No."), ("No", "No."),
    ("nothing", "No."), ("yesterday", "Yes."), ("maybe", None), ("I think yes", None), ("", None),
])
def test_parse_lm_answer_exact(output, expected):
    assert parse_lm_answer(output) == expected


def test_lm_prompt_is_the_original():
    assert lm_oracle_prompt(find_object("Pants"), "Is it an animal?") == (
        "Answer the question about the object truthfully.\nobject: (Pants, Pant, Pair of pants)\n"
        "question: Is it an animal?\nanswer (yes or no): ")


class Scripted:
    """A fake LM partner that records prompts and replies from a fixed list."""

    def __init__(self, *replies: str):
        self.replies = list(replies)
        self.calls: list[tuple[str, int]] = []

    def generate(self, prompt: str, max_new_tokens: int) -> str:
        self.calls.append((prompt, max_new_tokens))
        return self.replies.pop(0)


def test_env_with_lm_oracle_object():
    partner = Scripted("yes, it is", "maybe", "Yes", "no")
    env = TwentyQuestionsEnv(oracle=partner)
    env.reset(seed=0, options={"word": "tv"})
    assert env.step("Is it electronic?") == ("Yes.\n", -1.0, False, False, {"understood": True})
    assert env.step("Hmm?") == ("No.\n", -1.0, False, False, {"understood": False, "invalid": True})
    assert env.step("Is it a radio?")[:3] == ("Yes.\n", -1.0, False)  # not a known object: no win
    assert env.step(INVALID_QUESTION)[0] == "No.\n"                    # answered without a call
    assert partner.calls[0] == (lm_oracle_prompt(find_object("tv"), "Is it electronic?"), 4)
    assert len(partner.calls) == 3
    assert env.step("Is it a TV?") == ("No.\n", -1.0, False, False, {"understood": True, "guess": "Television"})
    win = TwentyQuestionsEnv(oracle=Scripted("yes"))
    win.reset(seed=0, options={"word": "tv"})
    assert win.step("Is it a TV?")[1:3] == (0.0, True)


def _tiny_causal_lm(path: Path, answer_word: str) -> None:
    """A 2-layer GPT-2 with a word-level tokenizer, rigged to always emit `answer_word`."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    prompt_words = lm_oracle_prompt(OBJECTS[0], "x").lower().replace("(", " ").replace(")", " ").split()
    words = list(dict.fromkeys(["<unk>", "<pad>", "yes", "no", "maybe", *prompt_words]))
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.normalizer = tokenizers.normalizers.Lowercase()
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tok.decoder = tokenizers.decoders.WordPiece()
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>")
    config = transformers.GPT2Config(vocab_size=len(words), n_positions=128, n_embd=16, n_layer=2, n_head=2,
                                      bos_token_id=1, eos_token_id=1, pad_token_id=1)
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(config)
    with torch.no_grad():  # final layer norm outputs a constant vector aligned with the answer's embedding
        target = torch.zeros(16)
        target[0] = 10.0
        model.transformer.wte.weight[words.index(answer_word)] = target
        model.transformer.ln_f.weight.zero_()
        model.transformer.ln_f.bias.copy_(target)
    model.save_pretrained(path)
    fast.save_pretrained(path)


@pytest.mark.parametrize(("answer_word", "obs", "understood"), [("yes", "Yes.\n", True), ("no", "No.\n", True),
                                                                 ("maybe", "No.\n", False)])
def test_hf_oracle_with_a_tiny_saved_model(tmp_path, answer_word, obs, understood):
    _tiny_causal_lm(tmp_path, answer_word)
    env = TwentyQuestionsEnv(oracle=f"hf:{tmp_path}")
    env.reset(seed=0, options={"word": "cat"})
    result = env.step("Is it an animal?")
    assert result[0] == obs and result[4]["understood"] is understood
    obs2, reward, terminated, *_ = env.step("Is it a cat?")
    assert (reward, terminated) == ((0.0, True) if answer_word == "yes" else (-1.0, False))


class TestTwentyQuestionsConformance(EnvConformance):
    env_id = "twenty-questions"
