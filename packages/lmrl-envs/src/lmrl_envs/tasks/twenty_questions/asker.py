"""The question bank of Twenty Questions and the wording of a guess.

`QUESTION_BANK` holds at least one question per knowledge-base tag; lmrl-data's askers (the behaviour
mixture and the information-gain expert, `lmrl_data.policies.twenty_questions`) ask from it, and its tests
check that the expert finds every one of the 158 objects within 12 questions.

Example:
    >>> from lmrl_envs.tasks.twenty_questions.objects import find_object
    >>> guess_question(find_object("violin")), len(QUESTION_BANK) > 0
    ('Is it a violin?', True)
"""

from __future__ import annotations

from lmrl_envs.tasks.twenty_questions.objects import ObjectEntry

__all__ = ["QUESTION_BANK", "guess_question"]

QUESTION_BANK: tuple[str, ...] = (
    "Is it an animal?", "Is it alive?", "Is it a mammal?", "Is it a pet?", "Does it live on a farm?",
    "Is it a farm animal?", "Is it a herbivore?", "Would you see it at a zoo?", "Is it a wild animal?", "Is it a feline?", "Does it have fur?", "Does it have hooves?", "Does it have stripes?",
    "Does it have a mane?", "Does it eat meat?", "Does it give milk?", "Is it a plant?", "Is it natural?", "Is it man-made?",
    "Can you eat it?", "Is it a fruit?", "Is it a vegetable?", "Is it sweet?", "Is it juicy?",
    "Is it a citrus fruit?", "Is it tropical?", "Is it a berry?", "Is it a melon?", "Does it have a pit?",
    "Do you peel it?", "Does it have seeds?", "Does it grow on trees?", "Does it grow on a vine?",
    "Does it grow underground?", "Is it a leafy green?", "Does it have leaves?",
    "Is it red?", "Is it orange?", "Is it yellow?", "Is it green?", "Is it blue?", "Is it white?", "Is it black?",
    "Is it brown?", "Is it grey?", "Is it purple?",
    "Is it a vehicle?", "Is it used for transportation?", "Does it have wheels?", "Does it have two wheels?", "Does it have more than two wheels?",
    "Does it have an engine?", "Can it fly?", "Does it travel on water?", "Does it run on rails?",
    "Does it drive on roads?", "Can you ride it?", "Does it carry passengers?", "Is it public transport?",
    "Does it carry cargo?",
    "Is it clothing?", "Can you wear it?", "Is it worn on the head?", "Is it worn on the ears?",
    "Is it worn on the feet?", "Is it worn on the legs?", "Is it worn on the upper body?", "Is it worn around the neck?",
    "Is it worn on the wrist?", "Is it worn on the hands?", "Is it worn on a finger?", "Is it worn around the waist?",
    "Is it worn in the hair?", "Does it come in a pair?", "Does it keep you warm?", "Does it protect you?",
    "Is it jewelry?", "Is it an accessory?", "Is it made of gold or silver?",
    "Is it electronic?", "Does it need electricity?", "Does it plug into an outlet?", "Does it use batteries?",
    "Does it store power?", "Does it have a screen?", "Does it have buttons?", "Does it have keys?",
    "Is it an appliance?", "Is it a machine?", "Does it connect to the internet?", "Can you make phone calls with it?",
    "Does it take photos?", "Do you listen to it?", "Do you watch it?", "Does it keep things cold?", "Does it heat things?",
    "Does it make sounds?", "Does it do calculations?",
    "Is it used to make music?", "Is it a musical instrument?", "Does it have strings?", "Do you blow into it?", "Is it a brass instrument?",
    "Is it a woodwind instrument?", "Is it a percussion instrument?", "Is it played with a bow?",
    "Do you pluck it?",
    "Is it furniture?", "Can you sit on it?", "Can you sleep on it?", "Does it have legs?", "Does it have drawers?",
    "Does it have shelves?", "Is it used for storage?", "Is it a container?", "Is it soft?", "Is it hard?",
    "Is it flat?", "Is it found in a home?", "Is it found in a kitchen?", "Is it found in a bedroom?",
    "Is it found in a bathroom?", "Is it found in a living room?", "Is it found in an office?", "Is it used at school?",
    "Is it kept in a garage?", "Is it found outdoors?", "Is it used indoors?", "Is it found in a garden?",
    "Is it found in water?", "Is it found in the sky?", "Is it found in the desert?", "Does it come from space?",
    "Would you see it in a museum?", "Does it hang on a wall?",
    "Is it an office supply?", "Is it used for writing?", "Can you write on it?", "Is it used for drawing?",
    "Does it have ink?", "Is it made of paper?", "Is it used for hygiene?", "Is it used for your teeth?",
    "Does it open a lock?", "Does it show dates?", "Does it tell time?", "Is it a work of art?",
    "Is it an art supply?", "Is it used for painting?", "Is it sticky?", "Does it erase?", "Is it decorative?",
    "Is it a kitchen utensil?", "Is it a utensil?", "Do you eat with it?", "Do you eat off it?",
    "Is it used for cooking?", "Is it used to cut things?", "Is it sharp?", "Does it have a blade?",
    "Can you drink from it?", "Does it hold liquid?", "Does it have a handle?", "Is it used to mix?",
    "Does it have prongs?", "Does it open?",
    "Is it a body of water?", "Is it salty?", "Is it fresh water?", "Does it flow?", "Is it made of stone?",
    "Is it a geographical feature?", "Is it tall?", "Does it have spines?", "Is it made of trees?",
    "Is it a toy?", "Is it for children?", "Does it have many pieces?", "Do you play with it?",
    "Is it used for gardening?", "Is it used to dig?", "Is it used to water plants?", "Does it cut grass?",
    "Is it a tool?", "Is it a hand tool?", "Is it a power tool?", "Is it used for repairs?", "Is it used with nails?",
    "Is it used with screws?", "Is it used with bolts?",
    "Is it sports equipment?", "Is it used in a team sport?", "Is it a ball?", "Is it round?", "Does it bounce?",
    "Do you kick it?", "Do you throw it?", "Do you hit it?", "Do you hit a ball with it?", "Is it filled with air?",
    "Is it made of metal?", "Is it made of wood?", "Is it made of plastic?", "Is it made of fabric?",
    "Does it have glass?", "Is it made of rubber?", "Is it made of leather?", "Is it made of ceramic?",
    "Is it heavy?", "Can you pick it up?", "Does it move?", "Can you hold it in one hand?", "Does it fit in a pocket?",
    "Is it small?", "Is it tiny?", "Is it big?", "Is it huge?", "Is it expensive?", "Is it long and thin?",
    "Is it bigger than a breadbox?", "Is it bigger than a person?", "Is it bigger than a car?",
    "Is it bigger than a house?", "Is it smaller than a coin?", "Is it smaller than an apple?",
    "Is it bigger than a football field?",
)
"""Canonical questions, at least one per attribute tag, each understood by the rule oracle."""


def guess_question(obj: ObjectEntry) -> str:
    """The asker's guess for `obj`: ``"Is it a violin?"``, ``"Is it an airplane?"``.

    Example:
        >>> from lmrl_envs.tasks.twenty_questions.objects import find_object
        >>> guess_question(find_object("tv"))
        'Is it a television?'
    """
    pair = [v for v in obj.variants if v.lower().startswith("pair of ")]
    if pair:
        return f"Is it a {pair[0].lower()}?"
    singular = [v for v in obj.variants if not v.endswith("s")]
    name = (singular[0] if obj.name.endswith("s") and singular else obj.name).lower()
    article = "an" if name[0] in "aeiou" else "a"
    return f"Is it {article} {name}?"
