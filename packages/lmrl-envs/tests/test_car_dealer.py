"""Tests of car-dealer-v0: formats, the rule buyer, rewards, the LM buyer path and the scripted sellers."""

from __future__ import annotations

import random

import pytest

import lmrl_envs
from lmrl_envs.tasks.car_dealer import CarDealerEnv
from lmrl_envs.tasks.car_dealer.lm_buyer import LMBuyer
from lmrl_envs.tasks.car_dealer.parser import parse_money, parse_seller
from lmrl_envs.tasks.car_dealer.profile import (
    BRANDS,
    BUDGETS,
    DECISION_RE,
    FEATURES,
    PERSONALITIES,
    TYPES,
    BuyerProfile,
    Outcome,
    buyer_info_str,
    compute_reward,
    format_decision,
    parse_decision,
    sample_profile,
    typical_msrp,
)
from lmrl_envs.tasks.car_dealer.sellers import SELLER_STYLES, ScriptedSeller, seller_utterance
from lmrl_envs.testing import EnvConformance

HONDA = {"personality": "respectful", "brand": "a Honda", "car_type": "sedan", "features": ["sunroof", "heated seats"],
         "budget": 30000}


def play(env, lines, seed=1, buyer=None):
    env.reset(seed=seed, options={"buyer": buyer} if buyer else None)
    out = []
    for line in lines:
        out.append(env.step(line))
        if out[-1][2] or out[-1][3]:
            break
    return out


# ---------------------------------------------------------------------------- reset and profiles
def test_reset_string_and_profile_of_seed_0():
    env = lmrl_envs.make("car-dealer")
    obs, info = env.reset(seed=0)
    assert obs == "Start\n"
    assert env.history == (lmrl_envs.Text("Start\n", False),)
    assert info["buyer"] == {"personality": "sarcastic", "preferred_brands": "a Tesla", "preferred_type": "truck",
                             "preferred_features": ["third-row seating"], "budget": 90000}


def test_profile_sampling_uses_the_original_sets_and_draw_order():
    assert len(PERSONALITIES) == 10 and len(BRANDS) == 13 and len(TYPES) == 6 and len(FEATURES) == 8
    assert BUDGETS == (10000, 30000, 50000, 70000, 90000)
    env = CarDealerEnv()
    seen = set()
    for seed in range(300):
        env.reset(seed=seed)
        p = env.profile
        rng = random.Random(seed)
        assert p == BuyerProfile(rng.choice(PERSONALITIES), rng.choice(BRANDS), rng.choice(TYPES),
                                 tuple(rng.sample(FEATURES, k=rng.randint(1, 4))), rng.choice(BUDGETS))
        assert 1 <= len(p.features) <= 4 and len(set(p.features)) == len(p.features)
        seen.update([p.personality, p.brand, p.car_type, p.budget, len(p.features)])
    assert set(PERSONALITIES) | set(BRANDS) | set(TYPES) | set(BUDGETS) | {1, 2, 3, 4} == seen
    assert sample_profile(random.Random(0)).personality == "sarcastic"


def test_buyer_option_fixes_profile_and_validates():
    env = CarDealerEnv()
    env.reset(seed=5, options={"buyer": HONDA})
    assert env.profile == BuyerProfile("respectful", "a Honda", "sedan", ("sunroof", "heated seats"), 30000)
    with pytest.raises(ValueError, match="'a Honda'"):
        env.reset(options={"buyer": dict(HONDA, brand="Honda")})
    with pytest.raises(ValueError, match="50000"):
        env.reset(options={"buyer": dict(HONDA, budget=40000)})
    with pytest.raises(ValueError, match="1-4 distinct"):
        env.reset(options={"buyer": dict(HONDA, features=[])})
    with pytest.raises(ValueError, match="missing"):
        env.reset(options={"buyer": {"personality": "rude"}})
    with pytest.raises(ValueError, match="valid options: buyer"):
        env.reset(options={"budget": 1})


def test_buyer_info_line_matches_original_format():
    p = BuyerProfile("polite", "an Audi", "SUV", ("sunroof", "Apple CarPlay"), 50000)
    assert buyer_info_str(p) == "Personality: polite. Prefers an Audi SUV with sunroof, Apple CarPlay. Budget: $50,000\n"


# ---------------------------------------------------------------------------- parsing
@pytest.mark.parametrize("text, amounts", [
    ("$45,000", [45000]),
    ("45k", [45000]),
    ("45K dollars", [45000]),
    ("45000 dollars", [45000]),
    ("$4.5k", [4500]),
    ("45 grand", [45000]),
    ("$1.2 million", [1200000]),
    ("It's a 2021 model with 30000 miles, 10% off", []),
    ("$32,500 or $30000", [32500, 30000]),
])
def test_parse_money(text, amounts):
    assert parse_money(text) == amounts


def test_parse_seller_prices_discounts_and_cues():
    u = parse_seller("This Toyota SUV has heated seats. MSRP is $40,000, but I can do 36k. Deal?")
    assert (u.brand, u.types, u.features, u.msrp, u.offer, u.closing) == ("Toyota", ("SUV",), ("heated seats",), 40000,
                                                                          36000, True)
    assert parse_seller("It's normally $40k, now $36k.").msrp == 40000
    assert parse_seller("It's normally $40k, now $36k.").offer == 36000
    u = parse_seller("I can take 10% off.")
    assert (u.percent_off, u.offer, u.dollars_off) == (10.0, None, None)
    u = parse_seller("I'll knock $2,000 off the price.")
    assert (u.dollars_off, u.offer) == (2000, None)
    assert parse_seller("With your budget of $30,000 you'll love it.").offer is None
    u = parse_seller("It has leather seats but no sunroof, and it comes without Apple CarPlay.")
    assert (u.features, u.missing) == (("leather seats",), ("sunroof", "Apple CarPlay"))
    assert parse_seller("What is your budget?").asks_budget
    assert parse_seller("What features do you want?").asks_features
    assert parse_seller("What kind of car are you looking for?").asks_car
    assert parse_seller("Do we have a deal?").closing
    assert not parse_seller("zzqx blorp").understood


# ---------------------------------------------------------------------------- decisions and rewards
def test_decision_line_regex_and_parser():
    line = "Deal. Output: Decision=Accept MSRP=$40,000 Buy Price=$38,500"
    assert DECISION_RE.search(line).groups() == ("Accept", "40,000", " Buy Price=$38,500", "38,500")
    assert parse_decision(line) == (Outcome(True, 40000, 38500), "Deal. ")
    assert parse_decision("No. Output: Decision=Reject MSRP=$52,000\n") == (Outcome(False, 52000), "No. \n")
    assert parse_decision("Output: Decision=Accept MSRP=$40,000") == (Outcome(True, 40000, None), "")
    assert parse_decision("Output: Decision=Reject MSRP=$0")[0] is None
    assert parse_decision("I accept.")[0] is None
    assert format_decision(Outcome(True, 34000, 32500)) == "Output: Decision=Accept MSRP=$34,000 Buy Price=$32,500"
    assert format_decision(Outcome(False, 28000)) == "Output: Decision=Reject MSRP=$28,000"


def test_compute_reward_exact():
    assert compute_reward(30000, Outcome(True, 34000, 32500)) == 32500 / 32000
    assert compute_reward(30000, Outcome(False, 28000)) == -(30000 - 28000) / 28000
    assert compute_reward(30000, Outcome(True, 40000, None)) == 0.0
    assert compute_reward(30000, Outcome(True, 34000, 32500), "revenue") == 32.5
    assert compute_reward(30000, Outcome(False, 34000), "revenue") == 0.0
    assert typical_msrp("Honda", "sedan") == 28000 and typical_msrp("BMW", "SUV") == 53000


def test_accepts_within_budget_with_matched_features():
    steps = play(CarDealerEnv(), ["Hello! What is your budget?",
                                  "This Honda sedan has a sunroof and heated seats. The MSRP is $34,000, but for you "
                                  "$32,500. Deal?"], buyer=HONDA)
    assert steps[0][:4] == ("I appreciate it. My budget is $30,000.\n", 0.0, False, False)
    obs, reward, terminated, truncated, info = steps[1]
    assert obs == ("Thank you for asking. That sounds great, I'll take it! "
                   "Output: Decision=Accept MSRP=$34,000 Buy Price=$32,500\n")
    assert (reward, terminated, truncated) == (1.015625, True, False)
    assert info["success"] is True and info["decision"] == {"car_bought": True, "msrp": 34000, "buy_price": 32500}


def test_picky_buyer_needs_every_feature_and_stretch_needs_half():
    env = CarDealerEnv()
    steps = play(env, ["This Honda sedan has a sunroof. It's $29,000."], buyer=HONDA)
    assert steps[0][0].endswith("Does it have heated seats?\n") and not steps[0][2]
    # non-picky buyer, no feature confirmed: no 10% stretch over the $30,000 budget
    steps = play(env, ["This Honda sedan is $31,000.", "Okay, $30,000 then."], buyer=dict(HONDA, personality="rude"))
    assert "$31,000 is too expensive. My budget is $30,000." in steps[0][0]
    assert steps[1][0].endswith("Output: Decision=Accept MSRP=$31,000 Buy Price=$30,000\n")
    assert steps[1][1] == 30000 / 30500


def test_rejects_far_above_budget_and_patience_runs_out():
    env = CarDealerEnv()
    lines = ["I have a Honda sedan with a sunroof and heated seats for $95,000."] * 10
    steps = play(env, lines, buyer=dict(HONDA, personality="angry"))
    assert len(steps) == 3  # patience 5: 1 per line, 1 more per absurd price
    assert "Are you kidding me? $95,000 is too expensive." in steps[0][0]
    obs, reward, terminated, _, info = steps[-1]
    assert obs.endswith("I've had enough. I'm leaving. Output: Decision=Reject MSRP=$95,000\n")
    assert reward == -(30000 - 95000) / 95000 and terminated and info["success"] is False
    # no car ever discussed: the MSRP is the typical one of the preferred car
    steps = play(env, ["Hello there."] * 10, buyer=dict(HONDA, personality="uncommunicative"))
    assert [s[0] for s in steps] == ["A Honda sedan.\n"] * 4 + ["Bye. Output: Decision=Reject MSRP=$28,000\n"]
    assert steps[-1][1] == -(30000 - 28000) / 28000


def test_discount_hunter_walks_without_a_discount_and_buys_with_one():
    env = CarDealerEnv()
    toxic = dict(HONDA, personality="toxic")
    steps = play(env, ["This Honda sedan with a sunroof is $29,000.", "The price is firm."], buyer=toxic)
    assert steps[0][0].endswith("I'm not paying full price. Give me a discount.\n")
    assert steps[1][0].endswith("No discount, no deal. Output: Decision=Reject MSRP=$29,000\n")
    steps = play(env, ["This Honda sedan with a sunroof is $29,000.", "Fine, I can take 10% off."], buyer=toxic)
    assert steps[1][0].endswith("Output: Decision=Accept MSRP=$29,000 Buy Price=$26,100\n")
    assert steps[1][1] == 26100 / 29500


def test_turn_limit_forces_a_decision():
    env = CarDealerEnv(max_turns=3)
    assert env.max_steps == 3
    steps = play(env, ["Hello, how are you today?"] * 5, buyer=dict(HONDA, personality="polite"))
    assert len(steps) == 3
    obs, reward, terminated, truncated, info = steps[-1]
    assert obs.endswith("We're going in circles. I'll pass. Output: Decision=Reject MSRP=$28,000\n")
    assert (terminated, truncated, info["success"]) == (True, False, False)
    assert [s[1] for s in steps[:-1]] == [0.0, 0.0]


def test_invalid_and_hostile_actions():
    env = CarDealerEnv()
    steps = play(env, ["", "x" * 5000, "zzqx blorp", "\x00\x01"], buyer=dict(HONDA, personality="polite"))
    assert [s[4].get("invalid", False) for s in steps] == [True, False, False, True]
    assert steps[0][0].endswith("What? You didn't say anything.\n") and steps[0][1:3] == (0.0, False)
    assert steps[1][0].endswith("That's way too much to read. Keep it short.\n")
    assert steps[2][0].endswith("I have no idea what you're talking about.\n")
    assert all(s[0].count("\n") == 1 for s in steps)


def test_determinism_and_reward_range():
    def transcript(seed):
        env, seller = CarDealerEnv(), ScriptedSeller("discount", seed=7)
        env.reset(seed=seed)
        while not env.done:
            env.step(seller.act_one(env.history))
        return env.episode_texts

    assert transcript(11) == transcript(11)
    assert transcript(11) != transcript(12)
    assert CarDealerEnv.reward_range == (-17.0, 22 / 21)
    assert CarDealerEnv(reward_mode="revenue").reward_range == (0.0, 99.0)
    with pytest.raises(ValueError, match="fancy"):
        CarDealerEnv(reward_mode="profit")


# ---------------------------------------------------------------------------- scripted sellers
def test_sellers_are_deterministic_and_styled():
    env = CarDealerEnv()
    env.reset(seed=0)
    assert ScriptedSeller("concise", 0)([env.history]) == ["Hi. What car do you want?\n"]
    hist = "Start\nHi. What car do you want?\nA Honda sedan.\nBudget?\n$30,000.\n"
    line = seller_utterance("concise", hist, random.Random(0))
    assert line == seller_utterance("concise", hist, random.Random(0))
    assert line.startswith("Honda sedan, $") and line.endswith(". Deal?\n")
    with pytest.raises(ValueError, match="discount"):
        ScriptedSeller("pushy")
    for style in SELLER_STYLES:
        lines = []
        env.reset(seed=3)
        while not env.done:
            lines.append(ScriptedSeller(style, 0).act_one(env.history))
            env.step(lines[-1])
        said = "".join(lines)
        assert (" off" in said) == (style == "discount")
        assert ("come with" in said) == (style == "features")


def test_seller_styles_have_different_outcomes():
    rates = {}
    for style in SELLER_STYLES:
        eps = lmrl_envs.rollout(CarDealerEnv(), ScriptedSeller(style, 0), n_episodes=40, seed=0)
        rates[style] = sum(e.info["success"] for e in eps) / 40
    assert rates["features"] > rates["discount"] > rates["concise"] > 0


# ---------------------------------------------------------------------------- language-model buyer
class Scripted:
    """A fake buyer model that replays replies and records prompts."""

    def __init__(self, replies):
        self.replies, self.prompts = list(replies), []

    def generate(self, prompt, max_new_tokens):
        assert max_new_tokens == 127
        self.prompts.append(prompt)
        return self.replies.pop(0)


def test_lm_buyer_prompt_and_decision():
    model = Scripted(["Hi, I want a sedan.\nSeller: ignored", "Sure. Output: Decision=Accept MSRP=$40,000 Buy Price=$35,000"])
    env = CarDealerEnv(buyer=model)
    steps = play(env, ["Hello!", "It is $35,000."], buyer=HONDA)
    assert model.prompts == [
        "Start\nPersonality: respectful. Prefers a Honda sedan with sunroof, heated seats. Budget: $30,000\nHello!\n",
        "Start\nPersonality: respectful. Prefers a Honda sedan with sunroof, heated seats. Budget: $30,000\nHello!\n"
        "Hi, I want a sedan.\nIt is $35,000.\n",
    ]
    assert steps[0][:3] == ("Hi, I want a sedan.\n", 0.0, False)
    assert steps[1][:3] == ("Sure. Output: Decision=Accept MSRP=$40,000 Buy Price=$35,000\n", 35000 / 35000, True)


def test_lm_buyer_turn_limit_reprompt():
    model = Scripted(["Hmm.", "Reject MSRP=$25,000\n", "Hmm.", "garbage"])
    env = CarDealerEnv(buyer=model, max_turns=1)
    obs, reward, terminated, _, info = play(env, ["Hello!"], buyer=HONDA)[0]
    assert model.prompts[1].endswith("Hello!\nHmm.Output: Decision=")
    assert (obs, reward, terminated) == ("Hmm. Output: Decision=Reject MSRP=$25,000\n", -(30000 - 25000) / 25000, True)
    obs, reward, terminated, _, info = play(env, ["Hello!"], buyer=HONDA)[0]
    assert (obs, reward, terminated, info["success"], info["decision"]) == ("Hmm.\n", 0.0, True, False, None)
    assert LMBuyer._parse("Output: Decision=Accept MSRP=$1 Buy Price=$" + "9" * 400)[0] is None


def test_hf_buyer_runs_an_episode(tmp_path):
    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    corpus = ["Start\n", "Personality: polite. Prefers a Honda sedan. Budget: $30,000\n",
              "Output: Decision=Accept MSRP=$30,000 Buy Price=$29,000\n", "Hello! What is your budget?\n"]
    tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>", "<eos>"]))
    from tokenizers import decoders

    tok.decoder = decoders.ByteLevel()
    hf_tok = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", eos_token="<eos>",
                                                  pad_token="<eos>")
    config = transformers.GPT2Config(vocab_size=hf_tok.vocab_size, n_positions=1024, n_embd=32, n_layer=1, n_head=2)
    transformers.GPT2LMHeadModel(config).save_pretrained(tmp_path)
    hf_tok.save_pretrained(tmp_path)
    env = CarDealerEnv(buyer=f"hf:{tmp_path}", max_turns=2, buyer_kwargs={"device": "cpu"})
    assert env.reward_range == (-89999.0, float("inf"))
    env.reset(seed=0)
    rewards = []
    while not env.done:
        obs, reward, terminated, truncated, info = env.step("Hello! What is your budget?")
        assert obs.endswith("\n") and obs.count("\n") == 1
        rewards.append(reward)
    assert terminated and not truncated and env.steps <= 2
    outcome, _ = parse_decision(obs)
    expected = 0.0 if outcome is None else compute_reward(env.profile.budget, outcome)
    assert rewards == [0.0] * (len(rewards) - 1) + [expected]
    assert info["success"] == (outcome is not None and outcome.accepted)


class TestCarDealerConformance(EnvConformance):
    env_id = "car-dealer"
