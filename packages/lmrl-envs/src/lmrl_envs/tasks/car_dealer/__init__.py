"""Car Dealer: sell a car to a simulated buyer who has a personality, preferences and a budget.

=================  =====================================================================================
id                 ``car-dealer-v0`` (`CarDealerEnv`)
turns              the agent (seller) speaks first; then buyer and seller alternate; one buyer line per
                   seller line
observation        ``reset``: ``"Start\\n"``; each step: the buyer's reply, one line ending ``"\\n"``. The
                   last reply ends with the decision line (after a space):
                   ``"... Output: Decision=Accept MSRP=$40,000 Buy Price=$38,000\\n"`` or
                   ``"... Output: Decision=Reject MSRP=$40,000\\n"``
action             any text: one seller utterance (the base class makes it end with one ``"\\n"``)
reward             0 until the decision. ``reward_mode="fancy"`` (default, the original's):
                   ``buy_price / ((budget + msrp) / 2)`` if bought, else ``-(budget - msrp) / msrp``;
                   ``"revenue"``: ``buy_price / 1000`` if bought, else 0. Range with the rule buyer:
                   fancy [-17, 22/21], revenue [0, 99]
termination        terminated when the buyer decides (accept, refuse, patience exhausted, or the turn
                   limit: after ``max_turns=20`` seller lines the buyer always decides);
                   ``info["success"]`` = car bought; ``info["decision"]``, ``info["buyer"]`` at the end
invalid action     empty or non-text: the buyer is confused (reward 0, ``info["invalid"]=True``, patience -2);
                   gibberish or lines over 1,000 characters: confused reply, patience -2
reset options      ``{"buyer": {"personality", "brand", "car_type", "features", "budget"}}`` fixes the buyer
                   (values from the sets below; the original's key names are accepted too)
simulator          ``buyer="rules"`` (default): deterministic rule-based buyer (`buyer.py`);
                   ``buyer="hf:/path"`` or an object with ``generate(prompt, max_new_tokens)``: a language
                   model with the original buyer prompt (`lm_buyer.py`)
scripted sellers   `sellers.py`: ``discount``, ``features``, ``concise`` (the original's three seller styles)
=================  =====================================================================================

Buyer profile (sampled at reset with ``self.rng`` in the original's order): personality from
{abusive, angry, insulting, polite, respectful, rude, sarcastic, talkative, toxic, uncommunicative};
brand from the original's 13 (a Volkswagen, a Lexus, a Ford, a Mazda, a Hyundai, a Toyota,
a Mercedes-Benz, a BMW, an Audi, a Subaru, a Honda, a Porsche, a Tesla); body type from {luxury,
sedan, convertible, truck, electric, SUV}; 1-4 features from {backup camera, navigation system,
heated seats, leather seats, third-row seating, blind spot monitoring, sunroof, Apple CarPlay};
budget from {$10k, $30k, $50k, $70k, $90k}.

Rule buyer (`buyer.py`). It understands dollar amounts ("$45,000", "45k", "$4.5k", "45 grand",
"45000 dollars"), MSRP cues ("MSRP", "list/sticker price", "normally"), discounts ("10% off",
"$2,000 off"), brands, body types, features (and "no sunroof"), questions about its budget, its
features or the car it wants, and closing attempts. The first asking price of a car is its MSRP unless
the seller names one; naming another brand or body type starts a new car. Amounts outside
[$5,000, $500,000] are not taken as car prices, and discounts stop at $5,000. It buys as soon as the
price on the table is at most the MSRP and at most its budget (10% more when at least half of its
features were confirmed) and the car fits (see `buyer.py` for the fit score and the three buyer
kinds: discount hunters, picky buyers, impatient buyers). Each seller line costs one point of
patience (5-16 by personality); at 0 the buyer leaves (Reject). The personality changes the wording
(rude ones are rude in words, always PG; uncommunicative ones answer in two or three words) and the
patience. Wording variants come from ``self.rng``, so a seed and the seller's lines fix the bytes.
The MSRP in the decision line is the car's MSRP; if no price was ever named it is a typical MSRP of
the car discussed (or of the buyer's preferred brand and type): a base per type (luxury $60k, sedan
$28k, convertible/truck/electric $45k, SUV $38k) times a brand tier (Porsche 2.0; Mercedes-Benz, BMW,
Lexus, Audi, Tesla 1.4; others 1.0), rounded to $1,000.

Differences from the original and why:

- The original's buyer is a fine-tuned GPT2-XL whose weights were never published; the default here
  is a deterministic rule-based buyer (cheap, reproducible). The LM path keeps the original's prompt
  (``"Start\\n"`` + ``"Personality: ... Budget: $X\\n"`` + the lines), 127 new tokens, cut at the first
  newline, and the decision regex.
- The decision line stays in the seller's last observation (the original removed it from the seller's
  view), so datasets and policies can read the outcome from the text.
- Turn limit 20 seller lines (the original: 50 texts, about 25); the rule buyer always decides at the
  limit. With an LM buyer the original's re-prompt (``reply + "Output: Decision="``) is kept, and the
  continuation is parsed with the ``"Output: Decision="`` prefix restored (the original parsed the bare
  continuation, which can never match); if still unparsable the episode ends with reward 0.
- ``info["invalid"]`` marks empty/non-text seller lines (the original had no such notion).
- Decision amounts above $1e9 from an LM buyer count as unparsable, so rewards stay finite.

Version log: v0 - first version.
"""

from lmrl_envs.tasks.car_dealer.env import INITIAL_STR, MAX_TURNS, CarDealerEnv

__all__ = ["CarDealerEnv", "INITIAL_STR", "MAX_TURNS"]
