"""The Twenty Questions knowledge base: 158 everyday objects, each with names and yes/no attributes.

The object list and its name variants are the original LMRL-Gym's ``DEFAULT_OBJECT_DICT``
(17 categories, same counts and order); the attributes, sizes and the few extra aliases are this
project's own. Every object is an `ObjectEntry`:

* ``variants``: the original's ``;``-separated names (``("Television", "TV")``); they are what an
  LM oracle sees (``"(Television, TV)"``) and what a winning guess must name.
* ``aliases``: extra names this project also accepts in a guess (``"Fridge"``, ``"Sofa"``).
* ``category``: the original's grouping. It is *not* used to answer questions: a toothbrush is
  listed under Office Supplies, but "Is it an office supply?" is answered from its tags (No).
* ``size_cm``: the typical largest dimension, used for "bigger than a breadbox?" and the size
  tags (``small``, ``large``, ``fits_in_pocket`` ...).
* ``tags``: the attributes that are true of the object (closed world: an absent tag is a "No").
  Every tag is listed, with its meaning, in `TAGS`; size tags and a few implied ones are added by
  `ObjectEntry.build` (see `_derived_tags`).

Extending it: append a line to the category's table below (``_o(names, size_cm, tags)``), using
tags from `TAGS` (add new ones there with a description, and a question pattern for them in
``oracle.py``). `tests/test_twenty_questions.py` checks that every tag is known, that names do not
collide, and that the greedy information-gain asker still tells every object apart.

Example:
    >>> from lmrl_envs.tasks.twenty_questions.objects import OBJECTS, find_object
    >>> len(OBJECTS), find_object("tv").name, "electric" in find_object("TV").tags
    (158, 'Television', True)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CATEGORIES", "NAME_INDEX", "OBJECTS", "SIZE_CM", "TAGS", "ObjectEntry", "find_object", "name_key"]

TAGS: dict[str, str] = {
    # kinds
    "animal": "an animal", "mammal": "a mammal", "pet": "commonly kept as a pet",
    "farm_animal": "lives on farms", "wild_animal": "lives in the wild", "feline": "a cat (family Felidae)",
    "furry": "has fur or wool", "hooves": "has hooves", "stripes": "has stripes", "mane": "has a mane",
    "carnivore": "eats meat", "herbivore": "eats only plants", "milk": "gives milk people drink",
    "plant": "a (whole, living) plant", "living": "alive", "grows": "grows (living or grown on a plant)",
    "natural": "not made by people", "food": "eaten as food", "fruit": "a fruit (culinary)",
    "vegetable": "a vegetable (culinary)", "sweet": "tastes sweet", "juicy": "juicy",
    "citrus": "a citrus fruit", "tropical": "grows in the tropics", "berry": "a berry",
    "melon": "a melon", "pit": "has a pit / stone", "peel": "you peel it before eating",
    "seeds": "has seeds you can see", "grows_on_trees": "grows on trees", "vine": "grows on a vine",
    "underground": "grows underground", "leafy": "a leafy green", "leaves": "has leaves",
    # colours (typical)
    "red": "usually red", "orange_color": "usually orange", "yellow": "usually yellow",
    "green": "usually green", "blue": "usually blue", "white": "usually white", "black": "usually black",
    "brown": "usually brown", "grey": "usually grey", "purple": "usually purple",
    # transport
    "vehicle": "a vehicle", "transport": "used to carry people or goods", "wheels": "has wheels",
    "two_wheels": "has exactly two wheels", "engine": "has an engine or motor", "flies": "flies",
    "water_travel": "travels on water", "rails": "runs on rails", "road": "travels on roads",
    "ride": "you can ride it", "passengers": "carries passengers", "public_transport": "public transport",
    "cargo": "carries cargo",
    # wearing
    "clothing": "a piece of clothing", "wearable": "worn on the body", "head": "worn on the head",
    "ears": "worn on the ears", "feet": "worn on the feet", "legs_worn": "worn on the legs",
    "upper_body": "worn on the upper body", "neck": "worn around the neck", "wrist": "worn on the wrist",
    "hands": "worn on the hands", "finger": "worn on a finger", "waist": "worn around the waist",
    "hair": "worn in the hair", "pair": "comes in a pair", "warm": "keeps you warm",
    "protective": "protects the body", "jewelry": "jewelry", "precious": "often made of gold or silver",
    # electric
    "electronic": "an electronic device", "electric": "needs electricity", "plugs_in": "plugs into an outlet",
    "battery": "runs on batteries", "power_source": "stores electric power", "screen": "has a screen",
    "buttons": "has buttons", "keys": "has keys", "appliance": "a household appliance",
    "internet": "connects to the internet", "calls": "makes phone calls", "photos": "takes photos",
    "listen": "you listen to it", "watch_it": "you watch it", "cold": "keeps things cold", "heats": "heats things",
    "sound": "makes sounds", "computing": "computes / calculates",
    # music
    "instrument": "a musical instrument", "music": "makes music", "strings": "has strings",
    "wind": "you blow into it", "brass": "a brass instrument", "woodwind": "a woodwind instrument",
    "percussion": "a percussion instrument", "bow": "played with a bow", "plucked": "you pluck its strings",
    # home
    "furniture": "furniture", "sit": "you sit on it", "sleep": "you sleep on it", "legs": "has legs",
    "drawers": "has drawers", "shelves": "has shelves", "storage": "stores or holds things",
    "soft": "soft", "flat": "flat", "home": "found in a home", "kitchen": "found in a kitchen",
    "bedroom": "found in a bedroom", "bathroom": "found in a bathroom", "living_room": "found in a living room",
    "office": "found in an office", "school": "used at school", "garage": "kept in a garage",
    "outdoors": "found or used outdoors", "indoors": "found or used indoors", "farm": "found on a farm",
    "zoo": "seen at a zoo", "garden": "found or used in a garden", "water": "a body of water or on water",
    "sky": "found in the sky", "desert": "found in the desert", "space": "comes from outer space",
    "museum": "seen in a museum", "wall": "hung on a wall",
    # office and art
    "office_supply": "an office supply", "writing": "used for writing", "drawing": "used for drawing",
    "ink": "contains ink", "write_on": "you write on it", "paper": "made of paper",
    "hygiene": "used for personal hygiene", "teeth": "used for the teeth", "lock": "opens a lock",
    "dates": "shows dates", "time": "tells the time", "art": "a work of art", "art_supply": "an art supply",
    "paint": "used for painting", "sticky": "sticky", "erase": "erases", "decoration": "decorative",
    # kitchen
    "kitchen_tool": "a kitchen tool or utensil", "utensil": "an eating or cooking utensil",
    "eat_with": "you eat with it", "dishware": "a dish you eat or drink from", "cooking": "used for cooking",
    "cutting": "used to cut things", "sharp": "sharp", "drink_from": "you drink from it",
    "container": "holds things inside it", "liquid": "holds liquid", "handle": "has a handle",
    "blade": "has a blade", "mix": "used to mix", "prongs": "has prongs or tines",
    "opens": "opens up (a door or lid)",
    # nature
    "water_body": "a body of water", "salt_water": "salty water", "fresh_water": "fresh water",
    "flows": "flows", "stone": "made of stone / rock", "geographic": "a geographical feature",
    "tall": "very tall", "spines": "has spines", "trees": "made of many trees",
    # toys, garden, tools, sports
    "toy": "a toy", "children": "mainly for children", "pieces": "has many pieces", "play_with": "you play with it",
    "gardening": "used for gardening", "dig": "used to dig", "water_plants": "used to water plants",
    "grass": "cuts grass", "tool": "a tool", "hand_tool": "a hand tool", "power_tool": "a power tool",
    "repair": "used to build or repair things", "nails": "used with nails", "screws": "used with screws",
    "bolts": "used with nuts and bolts", "sports": "sports equipment", "ball": "a ball", "round": "round",
    "bounce": "bounces", "kick": "you kick it", "throw": "you throw it", "hit": "you hit it",
    "hit_with": "you hit a ball with it", "team_sport": "used in a team sport", "air_filled": "filled with air",
    # materials
    "metal": "made of metal", "wood": "made of wood", "plastic": "made of plastic", "fabric": "made of fabric",
    "glass": "has glass", "rubber": "made of rubber", "leather": "made of leather", "ceramic": "made of ceramic",
    # general
    "man_made": "made by people", "heavy": "too heavy for one person to lift", "handheld": "held in one hand",
    "carry": "a person can pick it up", "moves": "moves by itself or carries people", "expensive": "expensive",
    "hard": "hard", "long": "long and thin", "many_wheels": "has more than two wheels",
    "accessory": "a fashion accessory", "machine": "a machine (has a motor or runs on electricity)",
    "no_pocket": "(control) too bulky for a pocket despite its size",
    # size (derived from size_cm)
    "tiny": "under 5 cm", "small": "under 30 cm", "fits_in_pocket": "fits in a pocket",
    "large": "1 m or more", "huge": "10 m or more", "bigger_than_person": "bigger than a person",
}
"""Every attribute tag and what it means."""

SIZE_CM: dict[str, float] = {
    "coin": 2.5, "finger": 8, "hand": 18, "fist": 10, "pocket": 15, "shoebox": 33, "book": 24,
    "breadbox": 40, "loaf of bread": 30, "basketball": 24, "laptop": 35, "microwave": 50, "suitcase": 70,
    "person": 175, "human": 175, "man": 175, "adult": 175, "child": 120, "kid": 120, "dog": 70, "cat": 46,
    "chair": 90, "table": 150, "bed": 200, "door": 200, "refrigerator": 180, "fridge": 180, "car": 450,
    "elephant": 600, "bus": 1200, "house": 1500, "building": 2000, "football field": 10000,
    "phone": 15, "smartphone": 15, "apple": 8, "pencil": 19, "shoe": 28, "television": 110, "tv": 110,
}
"""Reference sizes (cm) for "bigger than X" questions; any object name works too."""

_POCKET_MAX, _SMALL_MAX, _LARGE_MIN, _HUGE_MIN, _PERSON = 15, 30, 100, 1000, 175


@dataclass(frozen=True)
class ObjectEntry:
    """One hidden object.

    Attributes:
        name: the first variant (``"Television"``).
        variants: the original's name variants (``("Television", "TV")``).
        category: the original's category (``"Electronics"``).
        size_cm: typical largest dimension in centimetres.
        tags: attribute tags that are true of it (see `TAGS`).
        aliases: extra names accepted in a guess (not in the original).
    """

    name: str
    variants: tuple[str, ...]
    category: str
    size_cm: float
    tags: frozenset[str]
    aliases: tuple[str, ...] = ()

    @classmethod
    def build(cls, names: str, category: str, size_cm: float, tags: str, aliases: str = "") -> ObjectEntry:
        """Parse the compact table form: ``"Television;TV"``, space-separated tags, ``;`` aliases."""
        variants = tuple(names.split(";"))
        words = tags.split()
        given = frozenset(w for w in words if not w.startswith("-")) - {w[1:] for w in words if w.startswith("-")}
        unknown = given - TAGS.keys()
        if unknown:
            raise ValueError(f"{names}: unknown tags {sorted(unknown)}; add them to TAGS in objects.py")
        return cls(variants[0], variants, category, float(size_cm), _derived_tags(given, size_cm),
                   tuple(a for a in aliases.split(";") if a))

    @property
    def word_str(self) -> str:
        """The object as the original printed it in the oracle prompt: ``"(Television, TV)"``."""
        return f"({', '.join(self.variants)})"

    @property
    def all_names(self) -> tuple[str, ...]:
        """Variants then aliases."""
        return self.variants + self.aliases


def _derived_tags(tags: frozenset[str], size: float) -> frozenset[str]:
    """Add the size tags and the tags implied by others (closed-world completion)."""
    t = set(tags)
    if "natural" not in t:
        t.add("man_made")
    if size < 5:
        t.add("tiny")
    if size < _SMALL_MAX:
        t.add("small")
    if size <= _POCKET_MAX and "no_pocket" not in t:
        t.add("fits_in_pocket")
    if size >= _LARGE_MIN:
        t.add("large")
    if size >= _HUGE_MIN:
        t.add("huge")
    if size > _PERSON:
        t.add("bigger_than_person")
    if "heavy" not in t and size < 300:
        t.add("carry")
    if size <= 30 and "heavy" not in t:
        t.add("handheld")
    if t & {"kitchen", "bedroom", "bathroom", "living_room", "office", "school"}:
        t.update({"indoors"})
    if t & {"kitchen", "bedroom", "bathroom", "living_room"}:
        t.add("home")
    if t & {"animal", "plant"}:
        t.update({"living", "grows"})
    if t & {"fruit", "vegetable"}:
        t.update({"food", "grows", "natural"})
        t.discard("man_made")
    if t & {"instrument"}:
        t.update({"music", "sound"})
    if t & {"electronic", "plugs_in"}:
        t.add("electric")
    if "wheels" in t and "two_wheels" not in t:
        t.add("many_wheels")
    if t & {"electric", "engine"}:
        t.add("machine")
    if t & {"water_body"}:
        t.add("water")
    if t & {"clothing", "jewelry"}:
        t.add("wearable")
    return frozenset(t)


_TABLE: dict[str, list[tuple[str, float, str, str]]] = {}


def _cat(category: str, common: str, rows: list[tuple]) -> None:
    _TABLE[category] = [(r[0], r[1], f"{common} {r[2]}", r[3] if len(r) > 3 else "") for r in rows]


_cat("Sports", "sports play_with outdoors", [
    ("Basketball", 24, "ball round bounce throw air_filled orange_color rubber team_sport handheld"),
    ("Football", 28, "ball throw kick air_filled brown leather team_sport handheld", "American football"),
    ("Baseball", 7.5, "ball round throw hit white leather team_sport hard"),
    ("Soccer ball", 22, "ball round kick bounce air_filled white black team_sport handheld"),
    ("Golf ball", 4.3, "ball round hit bounce white hard"),
    ("Tennis ball", 6.7, "ball round hit bounce throw yellow green rubber"),
    ("Volleyball", 21, "ball round hit bounce air_filled white team_sport"),
    ("Tennis racket", 68, "hit_with strings handle handheld plastic long", "Tennis racquet;Racket;Racquet"),
    ("Baseball bat", 84, "hit_with wood handle handheld long team_sport hard", "Bat"),
    ("Helmet", 30, "wearable head protective plastic hard"),
])
_cat("Animals", "animal mammal natural moves legs sound", [
    ("Cat", 46, "pet feline furry carnivore home indoors"),
    ("Dog", 70, "pet furry carnivore home"),
    ("Horse", 240, "farm_animal farm hooves mane ride herbivore heavy brown transport outdoors"),
    ("Cow", 240, "farm_animal farm hooves herbivore heavy milk outdoors"),
    ("Sheep", 140, "farm_animal farm hooves herbivore furry white outdoors"),
    ("Rabbit", 40, "pet furry herbivore", "Bunny"),
    ("Lion", 250, "wild_animal feline carnivore furry mane zoo heavy outdoors"),
    ("Tiger", 280, "wild_animal feline carnivore furry stripes zoo heavy orange_color outdoors"),
    ("Bear", 250, "wild_animal carnivore furry zoo heavy brown outdoors"),
    ("Elephant", 600, "wild_animal herbivore zoo heavy grey outdoors ride"),
])
_cat("Fruits", "fruit sweet kitchen", [
    ("Apple", 8, "red round grows_on_trees seeds juicy"),
    ("Banana", 20, "yellow peel tropical grows_on_trees long"),
    ("Orange", 8, "orange_color round citrus peel grows_on_trees juicy seeds"),
    ("Strawberry", 4, "red berry seeds juicy"),
    ("Grape", 2, "purple green berry round vine juicy", "Grapes"),
    ("Watermelon", 35, "green melon juicy seeds peel vine"),
    ("Pineapple", 30, "yellow tropical peel spines juicy"),
    ("Mango", 12, "tropical pit orange_color grows_on_trees peel juicy"),
    ("Cantaloupe", 16, "melon orange_color round seeds peel vine juicy"),
    ("Peach", 7, "pit orange_color round grows_on_trees juicy"),
])
_cat("Vehicles", "vehicle transport moves metal outdoors expensive", [
    ("Car", 450, "wheels road engine passengers heavy garage", "Automobile"),
    ("Truck", 700, "wheels road engine cargo heavy", "Lorry"),
    ("Motorcycle", 210, "wheels two_wheels road engine ride heavy", "Motorbike"),
    ("Boat", 600, "water_travel water engine passengers heavy"),
    ("Airplane;Plane", 3500, "flies sky wheels engine passengers public_transport heavy", "Aeroplane;Airliner"),
    ("Train", 20000, "rails wheels engine passengers public_transport cargo heavy"),
    ("Bus", 1200, "wheels road engine passengers public_transport heavy"),
    ("Helicopter", 1200, "flies sky engine passengers heavy"),
    ("Scooter", 110, "wheels two_wheels road ride"),
    ("Ship", 20000, "water_travel water engine passengers cargo heavy"),
])
_cat("Clothes", "clothing fabric soft bedroom", [
    ("Shirt", 75, "upper_body", "T-shirt"),
    ("Pants;Pant;Pair of pants", 100, "legs_worn pair", "Trousers"),
    ("Jacket", 75, "upper_body warm outdoors", "Coat"),
    ("Dress", 110, "upper_body legs_worn"),
    ("Skirt", 60, "legs_worn waist"),
    ("Belt", 110, "waist leather metal long accessory"),
    ("Shoes;Shoe;Pair of shoes", 28, "feet pair leather rubber outdoors"),
    ("Boots;Boot;Pair of boots", 40, "feet pair leather rubber warm outdoors"),
    ("Socks;Sock;Pair of socks", 25, "feet pair warm"),
    ("Hat", 30, "head warm outdoors accessory", "Cap"),
    ("Scarf", 150, "neck warm outdoors long accessory"),
])
_cat("Electronics", "electronic plastic metal", [
    ("Computer", 45, "screen keys plugs_in internet office computing expensive home", "Laptop;PC"),
    ("Smartphone", 15, "screen battery internet calls photos computing expensive glass handheld sound",
     "Phone;Cell phone;Cellphone;Mobile phone;iPhone"),
    ("Television;TV", 110, "screen plugs_in watch_it living_room expensive sound glass", "Television set;TV set"),
    ("Headphone;Headphones;Pair of headphones", 20, "wearable head ears listen sound pair", "Earphones"),
    ("Monitor;Computer monitor", 60, "screen plugs_in office glass"),
    ("Camera", 12, "photos battery buttons glass handheld"),
    ("Microwave;Microwave oven", 50, "appliance kitchen plugs_in heats cooking buttons sound"),
    ("Refrigerator", 180, "appliance kitchen plugs_in cold opens storage container heavy white expensive", "Fridge"),
    ("Blender", 40, "appliance kitchen plugs_in blade cooking mix glass sound"),
    ("Computer keyboard;Keyboard", 45, "keys buttons office"),
])
_cat("Musical Instruments", "instrument", [
    ("Piano", 150, "keys strings percussion heavy wood expensive black living_room"),
    ("Guitar", 100, "strings plucked wood"),
    ("Drum;Drums", 60, "percussion hit round"),
    ("Violin", 60, "strings bow wood handheld", "Fiddle"),
    ("Saxophone", 70, "wind woodwind metal", "Sax"),
    ("Flute", 67, "wind woodwind metal long handheld"),
    ("Trumpet", 50, "wind brass metal handheld"),
    ("Clarinet", 66, "wind woodwind wood black long handheld"),
    ("Harp", 180, "strings plucked wood heavy"),
    ("Trombone", 120, "wind brass metal"),
])
_cat("Furniture", "furniture home", [
    ("Chair", 90, "sit legs wood kitchen"),
    ("Table", 150, "legs flat wood kitchen heavy"),
    ("Bed", 200, "sleep sit legs bedroom heavy soft wood"),
    ("Desk", 140, "legs flat drawers office wood heavy"),
    ("Couch", 200, "sit soft living_room heavy fabric", "Sofa"),
    ("Dresser", 120, "drawers bedroom storage wood heavy", "Chest of drawers"),
    ("Bookcase", 180, "shelves storage wood heavy living_room", "Bookshelf"),
    ("Nightstand", 60, "drawers bedroom storage wood legs", "Bedside table;Night table"),
    ("Mattress", 200, "sleep bedroom soft fabric"),
    ("Pillow", 60, "sleep bedroom soft fabric", "Cushion"),
])
_cat("Office Supplies", "", [
    ("Pen", 14, "office_supply office school writing drawing ink plastic long"),
    ("Paper;Piece of paper", 28, "office_supply office school write_on paper flat white", "Sheet of paper"),
    ("Stapler", 15, "office_supply office school metal no_pocket"),
    ("Printer", 45, "office_supply office electronic plugs_in ink"),
    ("Calculator", 15, "office_supply office school electronic battery buttons keys screen computing"),
    ("Battery;Battery pack;Pack of batteries", 5, "power_source metal", "Batteries"),
    ("Toothbrush", 19, "bathroom hygiene teeth plastic home long"),
    ("Toothpaste", 18, "bathroom hygiene teeth home"),
    ("Pencil", 19, "office_supply office school writing drawing wood long"),
    ("Sharpie", 14, "office_supply office writing drawing ink plastic long", "Permanent marker"),
    ("Scissors;Pair of scissors", 20, "office_supply office school cutting sharp blade metal pair handle"),
    ("Key", 6, "lock metal"),
    ("Diary;Journal", 20, "write_on paper bedroom", ""),
    ("Calendar", 40, "office_supply office dates write_on paper wall flat"),
])
_cat("Vegetables", "vegetable kitchen", [
    ("Carrot", 18, "orange_color underground long"),
    ("Potato", 10, "brown underground"),
    ("Broccoli", 15, "green"),
    ("Tomato", 7, "red round seeds juicy"),
    ("Onion", 8, "underground round peel"),
    ("Spinach", 10, "green leafy leaves"),
    ("Corn", 20, "yellow sweet", "Maize;Corn on the cob"),
    ("Peas;Pea", 1, "green round", "Green peas"),
    ("Celery", 35, "green long"),
    ("Cucumber", 20, "green long seeds juicy"),
])
_cat("Art", "", [
    ("Painting;Canvas painting;Oil painting;Watercolor painting", 60, "art paint wall museum decoration flat home"),
    ("Paintbrush", 20, "art_supply paint handle wood long school", "Paint brush"),
    ("Canvas;Painting canvas", 60, "art_supply paint fabric flat"),
    ("Eraser;Pencil eraser", 5, "art_supply office_supply office school rubber erase", "Rubber"),
    ("Marker", 14, "art_supply office_supply school writing drawing ink plastic long", "Felt-tip pen"),
    ("Glue;Glue stick;Bottle of glue", 10, "art_supply office_supply office school sticky"),
    ("Sculpture", 100, "art museum stone decoration heavy", "Statue"),
])
_cat("Kitchen Tools", "kitchen_tool kitchen", [
    ("Knife", 25, "utensil eat_with cutting sharp blade metal handle"),
    ("Spoon", 17, "utensil eat_with metal handle"),
    ("Fork", 19, "utensil eat_with metal handle prongs"),
    ("Plate", 26, "dishware flat round ceramic white", "Dish"),
    ("Bowl", 16, "dishware round ceramic container liquid"),
    ("Cooking pot;Pot", 30, "cooking metal handle container liquid heats", "Saucepot"),
    ("Pan;Saucepan;Frying pan", 40, "cooking metal handle heats flat", "Skillet"),
    ("Cup", 9, "dishware drink_from ceramic handle container liquid", "Mug"),
    ("Chopstick;Chopsticks;Pair of chopsticks", 24, "utensil eat_with wood pair long"),
    ("Whisk", 28, "utensil cooking mix metal handle"),
])
_cat("Nature", "natural outdoors", [
    ("Rock", 15, "stone hard grey", "Stone"),
    ("Tree", 1000, "plant leaves wood tall green heavy"),
    ("Bush", 150, "plant leaves green garden heavy", "Shrub"),
    ("Mountain", 300000, "stone geographic tall heavy"),
    ("Forest", 500000, "trees geographic green heavy", "Woods"),
    ("Ocean", 1e9, "water_body salt_water blue geographic heavy"),
    ("Sea", 1e8, "water_body salt_water blue geographic heavy"),
    ("Lake", 100000, "water_body fresh_water blue geographic heavy"),
    ("River", 1e6, "water_body fresh_water flows geographic heavy", "Stream"),
    ("Meteorite", 30, "space stone metal hard heavy sky", "Meteor"),
    ("Cactus", 100, "plant spines green desert"),
])
_cat("Toys", "toy children play_with home", [
    ("Lego;Lego set", 30, "plastic pieces", "Legos;Lego bricks"),
    ("Doll;Toy doll;Plush doll", 30, "plastic fabric"),
    ("Kite", 90, "flies sky fabric outdoors"),
    ("Puzzle;Jigsaw puzzle", 40, "pieces paper flat"),
    ("Stuffed animal", 30, "soft fabric", "Teddy bear;Plush toy;Stuffed toy;Plushie"),
])
_cat("Jewelry", "jewelry metal precious decoration", [
    ("Earring;Earrings;Pair of earrings", 2, "ears pair"),
    ("Necklace", 45, "neck"),
    ("Bracelet", 8, "wrist round"),
    ("Ring", 2, "finger round"),
    ("Brooch", 5, ""),
    ("Hairclip", 6, "hair head plastic", "Hair clip;Barrette"),
    ("Pendant", 4, "neck"),
    ("Watch", 24, "wrist time battery glass", "Wristwatch"),
    ("Locket", 4, "neck opens"),
])
_cat("Garden Supplies", "gardening garden outdoors", [
    ("Gloves;Glove;Pair of gloves", 25, "wearable hands pair protective fabric warm", "Gardening gloves"),
    ("Shovel", 120, "tool dig handle metal wood", "Spade"),
    ("Rake", 150, "tool handle metal wood prongs"),
    ("Watering can", 40, "water_plants container liquid plastic handle"),
    ("Lawn mower", 100, "tool power_tool engine wheels grass cutting blade garage", "Lawnmower;Mower"),
])
_cat("Tools", "tool hand_tool repair metal handle garage", [
    ("Hammer", 30, "nails hit_with hard"),
    ("Screwdriver", 20, "screws long"),
    ("Wrench", 25, "bolts", "Spanner"),
    ("Saw", 60, "cutting sharp blade wood"),
    ("Pliers;plier;Pair of pliers", 18, "pair bolts"),
    ("Drill", 25, "-hand_tool power_tool electric battery screws sound", "Power drill"),
])


OBJECTS: tuple[ObjectEntry, ...] = tuple(
    ObjectEntry.build(names, category, size, tags, aliases)
    for category, rows in _TABLE.items()
    for names, size, tags, aliases in rows
)
"""The 158 objects, in the original's order (category by category)."""

CATEGORIES: dict[str, tuple[str, ...]] = {c: tuple(r[0].split(";")[0] for r in rows) for c, rows in _TABLE.items()}
"""Category -> object names, as in the original's ``DEFAULT_OBJECT_DICT``."""


def name_key(text: str) -> str:
    """The form names are compared in: lower case, letters and digits only (``"T-shirt"`` -> ``"tshirt"``).

    Example:
        >>> name_key("Lawn mower"), name_key("lawn-mower")
        ('lawnmower', 'lawnmower')
    """
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _plurals(key: str) -> set[str]:
    forms = {key, key + "s", key + "es"}
    if key.endswith("y"):
        forms.add(key[:-1] + "ies")
    if key.endswith("fe"):
        forms.add(key[:-2] + "ves")
    if key.endswith("s"):
        forms.add(key[:-1])
    return forms


def _build_name_index() -> dict[str, ObjectEntry]:
    index: dict[str, ObjectEntry] = {}
    exact = {name_key(n): obj for obj in OBJECTS for n in obj.all_names}
    for obj in OBJECTS:
        for n in obj.all_names:
            for form in _plurals(name_key(n)):
                owner = exact.get(form, obj)
                if owner is obj:
                    index.setdefault(form, obj)
    return index


NAME_INDEX: dict[str, ObjectEntry] = _build_name_index()
"""`name_key` of every variant, alias and plural -> its object (exact names win over plural forms)."""


def find_object(name: str) -> ObjectEntry:
    """The object with this name (any variant or alias, any case, singular or plural).

    Raises:
        KeyError: with a hint on how to list the valid names.

    Example:
        >>> find_object("frying pan").name
        'Pan'
    """
    obj = NAME_INDEX.get(name_key(name))
    if obj is None:
        raise KeyError(
            f"unknown Twenty Questions object {name!r}; valid names: "
            "[o.name for o in lmrl_envs.tasks.twenty_questions.OBJECTS] (variants and aliases also work)"
        )
    return obj
