"""Guess My City: formats, rewards, the rule-based oracle, guesses, limits and the LM oracle path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lmrl_envs
from lmrl_envs.tasks.guess_my_city import (
    CITIES,
    COUNTRIES,
    LM_PROMPT,
    GuessMyCityEnv,
    RulesOracle,
    find_city,
    leaks,
)
from lmrl_envs.tasks.guess_my_city.oracle import REFUSAL, open_answer
from lmrl_envs.testing import EnvConformance

HELDOUT = Path(__file__).parent / "data" / "guess_my_city_heldout.jsonl"
ORACLE = RulesOracle()


def ask(city: str, question: str) -> str:
    return ORACLE.answer(find_city(city), question).text


def started(word: str = "Paris", **kwargs) -> GuessMyCityEnv:
    env = GuessMyCityEnv(**kwargs)
    env.reset(seed=0, options={"word": word})
    return env


# ----------------------------------------------------------------------------- knowledge base
def test_hundred_cities_including_seoul():
    assert len(CITIES) == 100
    assert len({c.name for c in CITIES}) == 100
    assert CITIES[0].name == "Seoul"
    assert all(c.country in COUNTRIES for c in CITIES)
    assert all(c.landmarks and c.foods and c.sports and c.languages for c in CITIES)


def test_prompt_word_matches_original_format():
    assert find_city("São Paulo").prompt_word == "sao paulo,brazil"


# ----------------------------------------------------------------------------- episode frame
def test_reset_and_rewards():
    env = GuessMyCityEnv()
    obs, info = env.reset(seed=3, options={"word": "tokyo"})
    assert (obs, info) == ("Questions:\n", {"city": "Tokyo"})
    assert env.step("Is it in Asia?") == ("Yes.\n", -1.0, False, False, {"understood": True, "question_type": "yes_no"})
    assert env.step("Is it in Europe?\n")[:4] == ("No.\n", -1.0, False, False)
    obs, reward, term, trunc, info = env.step("Is the city you are from Tokyo?")
    assert (obs, reward, term, trunc) == ("Yes.\n", 0.0, True, False)
    assert info["success"] is True and info["city"] == "Tokyo"
    assert "".join(t.text for t in env.history) == (
        "Questions:\nIs it in Asia?\nYes.\nIs it in Europe?\nNo.\nIs the city you are from Tokyo?\nYes.\n"
    )


def test_twenty_questions_end_the_game():
    env = started("Lima")
    for _ in range(19):
        obs, reward, term, trunc, info = env.step("Is it in Asia?")
        assert (obs, reward, term, trunc) == ("No.\n", -1.0, False, False)
    obs, reward, term, trunc, info = env.step("Is it Paris?")
    assert (obs, reward, term, trunc) == ("No.\n", -1.0, True, False)
    assert info["success"] is False and info["city"] == "Lima"
    with pytest.raises(lmrl_envs.EpisodeFinishedError):
        env.step("Is it Lima?")


def test_solving_on_the_twentieth_question():
    env = started("Lima")
    for _ in range(19):
        env.step("Is it hot?")
    assert env.step("Is it Lima?")[1:3] == (0.0, True)


def test_return_range():
    env = started("Cairo")
    total = sum(env.step("Is it Rome?")[1] for _ in range(20))
    assert total == -20.0
    assert GuessMyCityEnv.reward_range == (-1.0, 0.0) and GuessMyCityEnv.max_steps == 20


@pytest.mark.parametrize("word", ["paris", "Paris, France", "PARIS", "paris,france", "City of Light"])
def test_word_option_forms(word):
    assert GuessMyCityEnv().reset(options={"word": word})[1] == {"city": "Paris"}


@pytest.mark.parametrize(
    "word,name",
    [
        ("Sao Paulo", "São Paulo"),
        ("sao paulo, brazil", "São Paulo"),
        ("Bombay", "Mumbai"),
        ("NYC", "New York"),
        ("Kiev", "Kyiv"),
        ("bogota, colombia", "Bogotá"),
        ("Seoul, South Korea", "Seoul"),
    ],
)
def test_word_option_aliases(word, name):
    assert GuessMyCityEnv().reset(options={"word": word})[1]["city"] == name


def test_word_option_errors():
    with pytest.raises(ValueError, match="unknown city 'Atlantis'"):
        GuessMyCityEnv().reset(options={"word": "Atlantis"})
    with pytest.raises(ValueError, match="unknown city"):
        GuessMyCityEnv().reset(options={"word": "Paris, Spain"})
    with pytest.raises(TypeError, match="must be a city name"):
        GuessMyCityEnv().reset(options={"word": 3})


def test_seeded_city_choice_is_deterministic_and_covers_cities():
    picks = [GuessMyCityEnv().reset(seed=s)[1]["city"] for s in range(200)]
    assert picks == [GuessMyCityEnv().reset(seed=s)[1]["city"] for s in range(200)]
    assert len(set(picks)) > 70


def test_same_actions_same_bytes():
    questions = ["Is it in Asia?", "What is the weather like?", "What is a famous dish?", "Is it hot?", "blah"]
    runs = []
    for _ in range(2):
        env = GuessMyCityEnv()
        env.reset(seed=11)
        runs.append([env.step(q) for q in questions])
    assert runs[0] == runs[1]


# ----------------------------------------------------------------------------- yes/no answers
@pytest.mark.parametrize(
    "city,question,answer",
    [
        ("Seoul", "Is it in Asia?", "Yes."),
        ("Seoul", "Is your city in Asia?", "Yes."),
        ("Paris", "Are you from Europe?", "Yes."),
        ("Lima", "Are you from Europe?", "No."),
        ("Istanbul", "Is it in Asia?", "Yes."),
        ("Istanbul", "Is it in Europe?", "Yes."),
        ("Rome", "Is it a capital city?", "Yes."),
        ("Mumbai", "Is it a capital city?", "No."),
        ("Lima", "Is it near the ocean?", "Yes."),
        ("Madrid", "Is it on the coast?", "No."),
        ("Bogotá", "Do people speak Spanish there?", "Yes."),
        ("Rio", "Do people speak Spanish there?", "No."),
        ("Sydney", "Is it in the southern hemisphere?", "Yes."),
        ("Tokyo", "Is it in the southern hemisphere?", "No."),
        ("Kolkata", "Is it in India?", "Yes."),
        ("Karachi", "Is it in India?", "No."),
        ("Bangkok", "Is it hot?", "Yes."),
        ("London", "Is it hot?", "No."),
        ("Moscow", "Does it snow in winter?", "Yes."),
        ("Cairo", "Is the climate dry?", "Yes."),
        ("Cairo", "Is it on the Nile?", "Yes."),
        ("Baghdad", "Is it on the Nile?", "No."),
        ("Hong Kong", "Is it in China?", "Yes."),
        ("Taipei", "Is it in China?", "No."),
        ("Chicago", "Is it an American city?", "Yes."),
        ("Toronto", "Is it an American city?", "No."),
        ("Berlin", "Is it a German city?", "Yes."),
        ("Madrid", "Is it a Spanish-speaking city?", "Yes."),
        ("Jakarta", "Is Islam the main religion?", "Yes."),
        ("Bangkok", "Is it a Muslim country?", "No."),
        ("Tokyo", "Does it have more than 10 million people?", "Yes."),
        ("Havana", "Does it have more than 10 million people?", "No."),
        ("Havana", "Does it have fewer than 5 million people?", "Yes."),
        ("Singapore", "Is it near the equator?", "Yes."),
        ("Lima", "Is it south of the equator?", "Yes."),
        ("Mexico City", "Is it in the mountains?", "Yes."),
        ("Berlin", "Is it in the European Union?", "Yes."),
        ("Moscow", "Is it in the EU?", "No."),
        ("Sydney", "Is cricket popular?", "Yes."),
        ("Houston", "Is soccer popular?", "No."),
        ("Houston", "Is football popular?", "Yes."),
        ("Tokyo", "Is sushi popular there?", "Yes."),
        ("Paris", "Is there a famous tower?", "Yes."),
        ("Paris", "Does it have the Eiffel Tower?", "Yes."),
        ("Rome", "Does it have the Eiffel Tower?", "No."),
        ("Houston", "Is it in Texas?", "Yes."),
        ("Shanghai", "Is it in Asia or Europe?", "Yes."),
        ("Lima", "Is it in Asia or Europe?", "No."),
        ("Seoul", "Is it a coastal capital in Asia?", "No."),
        ("Tokyo", "Is it a coastal capital in Asia?", "Yes."),
        ("Havana", "Is it on an island?", "Yes."),
        ("Paris", "Is it in Kenya?", "No."),
        ("Kinshasa", "Do people speak Swahili?", "No."),
    ],
)
def test_yes_no(city, question, answer):
    assert ask(city, question) == answer + "\n"


# ----------------------------------------------------------------------------- open answers
@pytest.mark.parametrize(
    "question,expected",
    [
        ("What language do people speak there?", "People there mostly speak French.\n"),
        ("What is the weather like?", "It has a mild oceanic climate with frequent rain.\n"),
        ("What is a famous dish?", "A famous dish there is croissants.\n"),
        ("What is another famous dish?", "A famous dish there is baguette.\n"),
        ("What is a famous landmark?", "A famous landmark there is the Eiffel Tower.\n"),
        ("What continent is it on?", "It is in Europe.\n"),
        ("What sport is popular?", "Football is very popular there.\n"),
        ("What river is it on?", "It lies on the Seine.\n"),
        ("Which hemisphere is it in?", "It is in the northern and eastern hemispheres.\n"),
        ("How many people live there?", "Its metropolitan area has between 10 and 20 million people.\n"),
        ("What is the name of your city?", REFUSAL),
        ("What country is it in?", REFUSAL),
    ],
)
def test_open_answers_paris(question, expected):
    assert ask("Paris", question) == expected
    assert ORACLE.answer(find_city("Paris"), question).kind == "open"


def test_open_answers_other_cities():
    assert ask("Istanbul", "What continent is it on?") == "It lies in both Europe and Asia.\n"
    assert ask("Moscow", "What is the weather like?") == (
        "It has a continental climate with warm summers and cold winters. It snows in winter.\n"
    )
    assert ask("Madrid", "Where is it?") == "It is in Southern Europe, in Europe.\n"
    assert ask("Pyongyang", "What religion do people follow?") == "Religion plays a small public role there.\n"


TOPICS = [
    "language",
    "climate",
    "food",
    "landmark",
    "sport",
    "continent",
    "region",
    "population",
    "river",
    "coast",
    "hemisphere",
    "religion",
    "famous",
    "identity",
]


@pytest.mark.parametrize("city", CITIES, ids=lambda c: c.name)
def test_open_answers_never_name_the_city_or_country(city):
    for topic in TOPICS:
        for q in ("", "another one"):
            text = open_answer(city, topic, q)
            assert text.endswith("\n") and text.count("\n") == 1
            assert not leaks(text, city), (topic, text)


def test_leak_check_sees_aliases_and_countries():
    assert leaks("A famous landmark there is the Tianjin Eye.", find_city("Tianjin"))
    assert leaks("It lies on the Moskva River.", find_city("Moscow"))  # "Moskva" is an alias
    assert leaks("Welcome to the USA", find_city("Chicago"))
    assert not leaks("People there speak Korean.", find_city("Seoul"))


# ----------------------------------------------------------------------------- guesses
@pytest.mark.parametrize(
    "question,city",
    [
        ("Is the city you are from Paris?", "Paris"),
        ("Is it Paris?", "Paris"),
        ("Is it Paris, France?", "Paris"),
        ("Are you from Sao Paulo?", "São Paulo"),
        ("Are you from São Paulo?", "São Paulo"),
        ("is it SAO PAULO", "São Paulo"),
        ("Is it Bombay?", "Mumbai"),
        ("Is it NYC?", "New York"),
        ("Is it New York City?", "New York"),
        ("Is it LA?", "Los Angeles"),
        ("Is it Xian?", "Xi'an"),
        ("Is it St. Petersburg?", "Saint Petersburg"),
        ("Is it Seoul?", "Seoul"),
        ("Is it in Singapore?", "Singapore"),
        ("Is it Mexico City?", "Mexico City"),
        ("Is the city you are from Ho Chi Minh City?", "Ho Chi Minh City"),
    ],
)
def test_correct_guesses(question, city):
    reply = ORACLE.answer(find_city(city), question)
    assert (reply.text, reply.kind, reply.success) == ("Yes.\n", "guess", True)


@pytest.mark.parametrize(
    "question,city",
    [
        ("Is it Paris?", "London"),
        ("Is it Paris, Spain?", "Paris"),
        ("Is it Santiago?", "Cali"),
        ("Is it in Mexico?", "Mexico City"),
        ("Is it Paris or London?", "Paris"),
        ("Is it in India?", "Delhi"),
        ("Is it la?", "Los Angeles"),
        ("Is it the capital of France?", "Paris"),
    ],
)
def test_not_a_solve(question, city):
    assert ORACLE.answer(find_city(city), question).success is False


def test_wrong_guess_and_country_question_answers():
    assert ask("London", "Is it Paris?") == "No.\n"
    assert ask("Mexico City", "Is it in Mexico?") == "Yes.\n"
    assert ask("Paris", "Is it the capital of France?") == "Yes.\n"
    assert ORACLE.answer(find_city("Cali"), "Is it Santiago de Cali?").success


# ----------------------------------------------------------------------------- understood flag
@pytest.mark.parametrize(
    "action",
    ["", "\n", "blah blah", "?" * 5, "\x00\x07", "日本語の質問", "x" * 10000, "Is it Paris or London?", "What?"],
)
def test_not_understood(action):
    env = started("Paris")
    obs, reward, term, trunc, info = env.step(action)
    assert (obs, reward, term, trunc) == ("No.\n", -1.0, False, False)
    assert info == {"understood": False, "question_type": "unknown", "invalid": True}


# ----------------------------------------------------------------------------- accuracy
def test_heldout_accuracy():
    rows = [json.loads(line) for line in HELDOUT.read_text().splitlines() if line.strip()]
    assert len(rows) >= 120
    correct = 0
    for row in rows:
        text = ask(row["city"], row["question"])
        if "answer" in row:
            correct += text == row["answer"] + "\n"
        else:
            correct += any(x.lower() in text.lower() for x in row["contains"])
    assert correct / len(rows) >= 0.95, f"accuracy {correct}/{len(rows)}"  # measured: 289/292


# ----------------------------------------------------------------------------- LM oracle
class Scripted:
    def __init__(self, out: str):
        self.out, self.prompts = out, []

    def generate(self, prompt: str, max_new_tokens: int) -> str:
        self.prompts.append((prompt, max_new_tokens))
        return self.out


def test_lm_oracle_prompt_and_first_line():
    partner = Scripted(" Yes, it is very warm.\nSecond line")
    env = started("São Paulo", oracle=partner)
    obs, reward, term, trunc, info = env.step("Is it warm there?\n")
    assert obs == "Yes, it is very warm.\n" and reward == -1.0 and not term
    assert partner.prompts == [(LM_PROMPT.format(word="sao paulo,brazil", question="Is it warm there?"), 32)]
    assert (
        LM_PROMPT
        == "Answer the question about the city truthfully.\n    object: {word}\n    question: {question}\n    answer: "
    )


def test_lm_oracle_empty_leak_and_guess():
    env = started("Lima", oracle=Scripted("   \n"))
    assert env.step("Is it hot?")[::4] == ("No.\n", {"understood": False, "question_type": "unknown", "invalid": True})
    env = started("Lima", oracle=Scripted("It is in Peru."))
    assert env.step("What country?")[0] == REFUSAL
    assert env.step("Is it in Peru?")[0] == "It is in Peru.\n"
    partner = Scripted("No")
    env = started("Lima", oracle=partner)
    assert env.step("Is it Lima?")[:3] == ("Yes.\n", 0.0, True)
    assert partner.prompts == []


def test_bad_oracle_spec():
    with pytest.raises(ValueError, match="oracle must be"):
        GuessMyCityEnv(oracle="gpt")


def test_lm_oracle_with_tiny_hf_model(tmp_path):
    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    vocab = {"<unk>": 0, "<eos>": 1, **{ch: i + 2 for i, ch in enumerate("abcdefghijklmnopqrstuvwxyz ,.?:'\n")}}
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Split("", "isolated")
    tok.decoder = tokenizers.decoders.Fuse()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", eos_token="<eos>", pad_token="<eos>"
    )
    config = transformers.GPT2Config(vocab_size=len(vocab), n_positions=512, n_embd=32, n_layer=1, n_head=2)
    model = transformers.GPT2LMHeadModel(config)
    model.save_pretrained(tmp_path)
    fast.save_pretrained(tmp_path)
    env = GuessMyCityEnv(oracle=f"hf:{tmp_path}")
    env.reset(options={"word": "lima"})
    obs, reward, term, trunc, info = env.step("is it hot?")
    assert obs.endswith("\n") and obs.count("\n") == 1
    assert reward == -1.0 and not term
    assert obs == env.step("is it hot?")[0]  # greedy: deterministic


# ----------------------------------------------------------------------------- registry
def test_make_by_id():
    env = lmrl_envs.make("guess-my-city")
    assert env.env_id == "guess-my-city-v0" and isinstance(env, GuessMyCityEnv)


class TestGuessMyCityConformance(EnvConformance):
    env_id = "guess-my-city"


def test_custom_city_list():
    from dataclasses import replace

    env = GuessMyCityEnv(cities=CITIES[:2])
    assert {env.reset(seed=s)[1]["city"] for s in range(20)} == {"Seoul", "São Paulo"}
    with pytest.raises(ValueError, match="unknown city"):
        env.reset(options={"word": "Paris"})
    with pytest.raises(ValueError, match="not in cities.COUNTRIES"):
        GuessMyCityEnv(cities=[replace(CITIES[0], country="Atlantis")])
