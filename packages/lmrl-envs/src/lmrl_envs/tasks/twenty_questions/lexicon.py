"""The rule oracle's vocabulary: which phrases of a question mean which attribute tag.

Each entry is ``(regex, term)``. The regex is matched with word boundaries against the normalised
question (lower case, letters/digits/spaces only, contractions expanded: ``"isn't"`` ->
``"is not"``). The term is a tag of `objects.TAGS` (the phrase asks "is this tag true?"),
``"!tag"`` (the phrase asks the opposite: ``"inanimate"`` -> ``"!living"``), or a tuple of tags
(true if any is: ``"play it"`` -> a toy, sports gear or an instrument).

When several phrases overlap, the longest wins (``"living room"`` beats ``"living"``,
``"eat with"`` beats ``"eat"``); all the remaining phrases of a question must hold (``"a red
fruit"`` = red and fruit), or any of them if the question contains ``"or"``.

Extending it: add ``(regex, tag)`` lines; `tests/test_twenty_questions.py` checks that every term
names a known tag and measures accuracy on held-out paraphrases.
"""

from __future__ import annotations

__all__ = ["BARE_NAME_IS_CONCEPT", "CONCEPTS", "FIT_CAPACITY_CM", "GUESS_WORDS", "GUESS_VERBS"]


def _colour(word: str) -> str:
    return rf"(?:colou?r(?:ed)? )?{word}(?: colou?r(?:ed)?| in colou?r| ish)?"


def _worn(part: str) -> str:
    return (rf"(?:wear|wears|worn|wearing|put|goes|go|sit|sits)(?: it| them)?(?: on| over| around| in| at| on top of)"
            rf"(?: the| your| one s| my| a| his| her| their| someone s)? {part}")


_USED = r"(?:used|use it|use|useful|meant)"

CONCEPTS: tuple[tuple[str, str | tuple[str, ...]], ...] = (
    # ---- living things
    (r"animals?|creatures?|beasts?|animal kingdom|fauna|critters?|breathes?|breathing", "animal"),
    (r"alive|living(?: things?| beings?| creatures?| organisms?)?|organisms?|life forms?|biological|organic life", "living"),
    (r"inanimate|nonliving|lifeless|dead", "!living"),
    (r"mammals?", "mammal"),
    (r"pets?|domestic(?:ated)?(?: animals?)?|household pets?|companion animals?|keep(?: it)? as a pet", "pet"),
    (r"farm animals?|livestock|barnyard|farms?|farmyard|barn|ranch", "farm"),
    (r"wild(?: animals?)?|in the wild|wildlife|untamed|jungle|savannah?", "wild_animal"),
    (r"zoos?", "zoo"),
    (r"felines?|cat family|big cats?", "feline"),
    (r"fur|furry|fluffy|hairy|wool(?:ly|y)?|fleece", "furry"),
    (r"hooves|hoof|hoofed|hooved", "hooves"),
    (r"stripes?|striped|stripy", "stripes"),
    (r"manes?", "mane"),
    (r"eats? meat|meat eat(?:er|ers|ing)|carnivor\w*|predators?|hunts?(?: prey| other animals)?|prey|"
     r"eats? (?:other )?animals", "carnivore"),
    (r"herbivor\w*|eats? (?:only )?(?:plants|grass|hay|leaves)|grazes?|vegetarian", "herbivore"),
    (r"(?:gives?|produces?|makes?) milk|milk|dairy", "milk"),
    (r"plants?|flora|vegetation|botanical", "plant"),
    (r"grows?|grown|growing", "grows"),
    (r"natural(?:ly occurring)?|nature|occurs? in nature|found in nature", "natural"),
    (r"unnatural", "!natural"),
    (r"man made|manmade|made by (?:humans|people|man|a person)|human made|artificial|manufactured|synthetic|"
     r"factory made|hand ?made|built by (?:people|humans)|invented|made in a factory|product", "man_made"),
    # ---- food
    (r"eat(?: it)?|eaten|edible|eatable|foods?|foodstuff|consum(?:e|ed|able)|tastes?|tasty|delicious|snacks?|"
     r"ingredients?|meals?|nutritious|grocer(?:y|ies)|dinner|lunch|breakfast", "food"),
    (r"fruits?|fruity", "fruit"),
    (r"vegetables?|veggies?|veg", "vegetable"),
    (r"(?:tastes? )?sweet|sugary|dessert", "sweet"),
    (r"juicy|juice", "juicy"),
    (r"citrus|citric", "citrus"),
    (r"tropical|tropics", "tropical"),
    (r"berry|berries", "berry"),
    (r"melons?", "melon"),
    (r"pits?|stone fruit|pitted|has a stone", "pit"),
    (r"peel(?:ed|ing)?|rind", "peel"),
    (r"seeds?|seedy", "seeds"),
    (r"(?:grow|grows|grown|growing|come|comes|found|hang|hangs|picked)(?: on| from) (?:a )?trees?|tree fruit",
     "grows_on_trees"),
    (r"vines?", "vine"),
    (r"underground|under the ground|below ground|in the (?:ground|soil|dirt)|roots?|root vegetable|tubers?", "underground"),
    (r"leafy(?: greens?)?|greens|salad greens?", "leafy"),
    (r"leaves|leaf|foliage", "leaves"),
    # ---- colours
    (_colour(r"(?:red|reddish|crimson|scarlet)"), "red"),
    (_colour(r"orange") + r"|orangey|orangish", "orange_color"),
    (_colour(r"yellow"), "yellow"),
    (_colour(r"green"), "green"),
    (_colour(r"blue"), "blue"),
    (_colour(r"white"), "white"),
    (_colour(r"black"), "black"),
    (_colour(r"brown"), "brown"),
    (_colour(r"gr[ae]y"), "grey"),
    (_colour(r"(?:purple|violet)"), "purple"),
    # ---- transport
    (r"vehicles?|(?:means|mode|modes|form|forms|method|way) of (?:transport|transportation|travel)|motor vehicles?",
     "vehicle"),
    (r"transport(?:ation|ing|s)?|travel(?:l?ing|s)?|get(?:ting)? around|carr(?:y|ies) people|"
     r"commut\w*|drive|driven|drives|driving|go places", "transport"),
    (r"wheels?|wheeled|tires?|tyres?", "wheels"),
    (r"(?:two|2) wheels|two wheeled", "two_wheels"),
    (r"(?:more than|over) (?:two|2) wheels|(?:three|four|six|eight|many|3|4|6|8|18) wheels", "many_wheels"),
    (r"engines?|motors?|motori[sz]ed|fuel|gas(?:oline)?|petrol|diesel", "engine"),
    (r"fly|flies|flying|airborne|in the air|through the air|aircraft|wings?", "flies"),
    (r"(?:travel|travels|go|goes|float|floats|sail|sails|move|moves|used|ride)(?: on| in| across| through| over)"
     r"(?: the)? (?:water|sea|ocean|lake|river)s?|watercraft|floats?|sail(?:s|ing)?|vessels?|afloat", "water_travel"),
    (r"rails?|tracks?|railways?|railroads?", "rails"),
    (r"roads?|streets?|highways?", "road"),
    (r"ride|ridden|riding|rides", "ride"),
    (r"(?:carr(?:y|ies) )?passengers?|people (?:ride|sit|travel) (?:in|on) it", "passengers"),
    (r"public transport(?:ation)?|mass transit|public transit", "public_transport"),
    (r"(?:carr(?:y|ies) )?(?:cargo|freight|goods|heavy loads)", "cargo"),
    # ---- wearing
    (r"cloth(?:es|ing)|garments?|apparel|outfits?|attire|fashion", "clothing"),
    (r"wear(?:able|s)?(?: it)?|worn|wearing|put(?: it)? on", "wearable"),
    (_worn(r"heads?") + r"|headwear|headgear|hats?", "head"),
    (_worn(r"ears?") + r"|ears?", "ears"),
    (_worn(r"(?:feet|foot|toes)") + r"|feet|foot|footwear", "feet"),
    (_worn(r"(?:legs?|lower body|bottom half)") + r"|legwear", "legs_worn"),
    (_worn(r"(?:upper body|torso|chest|top half|back)") + r"|torso|upper body", "upper_body"),
    (_worn(r"necks?") + r"|necks?", "neck"),
    (_worn(r"wrists?") + r"|wrists?", "wrist"),
    (_worn(r"hands?") + r"|gloves?", "hands"),
    (_worn(r"fingers?") + r"|fingers?", "finger"),
    (_worn(r"(?:waist|hips?)") + r"|waist|hips?", "waist"),
    (_worn(r"hair") + r"|hair", "hair"),
    (r"pairs?|comes? in twos|set of two|two of them", "pair"),
    (r"warm(?:th)?|keeps? you warm|cold weather|winter", "warm"),
    (r"protect(?:s|ive|ion)?|safety|keeps? you safe", "protective"),
    (r"jewel(?:le)?ry|jewels?|bling", "jewelry"),
    (r"accessor(?:y|ies)", ("jewelry", "accessory")),
    (r"gold(?:en)?|silver|precious(?: metals?)?|diamonds?|gems?(?:tones?)?", "precious"),
    # ---- electric
    (r"electronics?|electronic (?:device|gadget)s?|gadgets?|devices?|tech(?:nology)?|digital|circuits?|chips?",
     "electronic"),
    (r"electric(?:al|ity)?|power(?:ed)?|turn(?:ed)? on|switch(?:ed)? on|energy|run on power", "electric"),
    (r"plug(?:ged|s)?(?: it)?(?: in| into)?(?: the| a)?(?: wall| outlet| socket)?|outlets?|sockets?|cords?|cables?",
     "plugs_in"),
    (r"batter(?:y|ies)(?: powered| operated)?|rechargeable|charg(?:e|ed|ing)", "battery"),
    (r"(?:source of|provides?|stores?|supplies|supply) (?:power|energy|electricity)|power sources?", "power_source"),
    (r"screens?|displays?|touch ?screens?", "screen"),
    (r"buttons?", "buttons"),
    (r"keys|keyboards?", "keys"),
    (r"(?:household |home |kitchen )?appliances?", "appliance"),
    (r"machines?|mechanical|machinery", "machine"),
    (r"communicat\w*|talk to (?:people|someone|others)", ("calls", "internet")),
    (r"internet|online|wi ?fi|web|browse|e ?mails?|apps?", "internet"),
    (r"(?:make|makes|making) (?:phone )?calls|call (?:people|someone)|phone calls?|telephone|text messages?|texting",
     "calls"),
    (r"photos?|photographs?|pictures?|pics|snapshots?|selfies?|photography", "photos"),
    (r"listen(?:ing|ed)?(?: to)?(?: music| it| songs| sounds?)?|hear(?:ing)?(?: it)?|audio", "listen"),
    (r"watch(?:ing|ed)?(?: it| shows?| movies?| tv| films?| things)|shows|movies|films|channels?", "watch_it"),
    (r"keeps? (?:things |food |it )?(?:cold|cool|fresh)|cold|cool(?:s|ing)?|chill(?:s|ed)?|freez\w*|refrigerat\w*",
     "cold"),
    (r"heats?(?: up)?|heating|hot|warms? (?:up )?food", "heats"),
    (r"(?:make|makes|making|produce|produces|create|creates|emit|emits) (?:a )?(?:noise|noises|sound|sounds)|noisy|"
     r"loud|noises?|sounds?", "sound"),
    (r"calculat\w*|computes?|computing|computations?|math(?:s|ematics)?|arithmetic|numbers", "computing"),
    # ---- music
    (r"(?:musical )?instruments?", "instrument"),
    (r"music(?:al)?|songs?|tunes?|melod(?:y|ies)|orchestras?|bands?|concerts?|musicians?", "music"),
    (r"play(?:ed|s|ing)?(?: it| them)?", ("play_with", "instrument", "sports")),
    (r"strings?|stringed", "strings"),
    (r"blow(?:n|s|ing)?(?: into| in| through)?(?: it)?|wind instruments?|breath", "wind"),
    (r"brass(?: instruments?)?|horns?", "brass"),
    (r"woodwinds?(?: instruments?)?|reeds?", "woodwind"),
    (r"percussion(?: instruments?)?|drumsticks?", "percussion"),
    (r"(?:play(?:ed|s)? )?with a bow|bow|bowed", "bow"),
    (r"pluck(?:ed|s|ing)?|strum(?:med|s|ming)?", "plucked"),
    # ---- furniture and home
    (r"furniture|furnishings?", "furniture"),
    (r"sit(?:s|ting)?(?: on| in| down)?|seats?|seating|seated", "sit"),
    (r"sleep(?:s|ing)?(?: on| in)?|lie (?:down )?on|lay on|nap(?:s|ping)?|rest your head", "sleep"),
    (r"legs?", "legs"),
    (r"drawers?", "drawers"),
    (r"shel(?:f|ves)", "shelves"),
    (r"stor(?:es|ing|age)(?: things| stuff| items)?|store (?:things|stuff|items|food|books|clothes)|keep things|"
     r"put things (?:in|on) it|organi[sz]\w*", "storage"),
    (r"(?:grocery|food) stores?|supermarkets?|grocer", "food"),
    (r"containers?|contains?|holds? (?:things|stuff|items|food)|put (?:things|stuff|food) (?:in|inside)(?: it)?",
     "container"),
    (r"soft|squishy|cushy|plush|cuddly|cushioned|squeezable", "soft"),
    (r"hard|solid|rigid|sturdy", "hard"),
    (r"flat", "flat"),
    (r"(?:in|at|around|inside) (?:a |the |your |my |most |people s |every )?(?:house|home|homes|houses|household)s?|"
     r"households?|homes?|houses?|domestic", "home"),
    (r"kitchens?", "kitchen"),
    (r"bedrooms?", "bedroom"),
    (r"bathrooms?|toilets?|restrooms?|showers?", "bathroom"),
    (r"living rooms?|lounges?|family rooms?", "living_room"),
    (r"offices?|workplace|at work|on (?:a |the |your )desk", "office"),
    (r"schools?|classrooms?|students?|school supplies", "school"),
    (r"garages?|workshops?|sheds?|toolbox(?:es)?|tool box(?:es)?", "garage"),
    (r"outdoors?|outside|open air", "outdoors"),
    (r"indoors?|inside(?: a| the)? (?:house|building|buildings)|indoor", "indoors"),
    (r"gardens?|yards?|backyards?|lawns?", "garden"),
    (r"water|seas|oceans|lakes|rivers|in the (?:sea|ocean|lake|river)|aquatic|marine|wet", "water"),
    (r"sky|skies", "sky"),
    (r"deserts?|arid", "desert"),
    (r"(?:outer )?space|from the sky|falls? from the sky|extraterrestrial|universe|planets?|stars?|asteroids?", "space"),
    (r"museums?|galler(?:y|ies)|exhibit(?:ion|ed)?s?", "museum"),
    (r"(?:hang|hangs|hung|hanging|mounted|put|goes|go)(?: it)? on (?:a |the )?walls?|walls?", "wall"),
    # ---- office, school, art
    (r"office (?:supply|supplies|items?|products?|equipment|tools?)|stationery|stationary", "office_supply"),
    (rf"writ(?:e|es|ing|ten)(?: with)?(?: it)?|{_USED} (?:for|to) writ(?:e|ing)|writing (?:tools?|instruments?|utensils?)",
     "writing"),
    (r"writ(?:e|es|ing|ten) (?:on|in)(?: it)?", "write_on"),
    (r"draw(?:s|ing)?|sketch(?:es|ing)?|doodl\w*", "drawing"),
    (r"ink|inked|inky", "ink"),
    (r"paper|cardboard|paper based", "paper"),
    (r"hygiene|hygienic|personal care|grooming|wash(?:ing)?|clean(?:s|ing)? (?:your )?(?:teeth|body)", "hygiene"),
    (r"teeth|tooth|dental|mouth", "teeth"),
    (r"(?:open|opens|opening)(?: a| the)? (?:locks?|doors?)|locks?|unlock\w*|doors?", "lock"),
    (r"dates?|schedul\w*|appointments?|days of the (?:week|month|year)|months of the year", "dates"),
    (r"(?:tell|tells|telling|show|shows|keep|keeps)(?: the)? time|time|clocks?|hours|minutes", "time"),
    (r"art|artworks?|works? of art|pieces? of art|masterpieces?|artistic|fine art", "art"),
    (r"art (?:supply|supplies|tools?|materials?)|craft(?:s)? (?:supply|supplies)|arts and crafts|crafts?|"
     rf"{_USED} (?:in|for|to make|to create) art|make art|art class", "art_supply"),
    (r"paint(?:s|ing|ed)?(?: with| on)?(?: it)?", "paint"),
    (r"sticky|sticks? (?:things|stuff)?(?: together)?|adhesive|attach(?:es)? things", "sticky"),
    (r"eras(?:e|es|ing|er)|rub(?:s)? out|mistakes?", "erase"),
    (r"artists?|painters?", ("art_supply", "art")),
    (r"decorat\w*|ornament(?:al|s)?|pretty|beautiful", "decoration"),
    # ---- kitchen
    (r"kitchen (?:tools?|utensils?|items?|equipment|gadgets?|implements?|ware)|kitchenware|cookware|cutlery|"
     r"silverware|flatware|cooking (?:tools?|utensils?|equipment)", "kitchen_tool"),
    (r"utensils?|implements?", "utensil"),
    (rf"eat(?:ing)? with(?: it)?|{_USED} (?:for|to|when) eat(?:ing)?|eat (?:food )?with|eating utensils?|eat using",
     "eat_with"),
    (r"dishes|dishware|crockery|eat (?:off|from|out of)(?: it)?|serve food|serving", "dishware"),
    (r"cook(?:s|ing|ed)?(?: with| food)?|prepare food|food preparation|bak(?:e|es|ing)|fry(?:ing)?|boil(?:s|ing)?|"
     r"stoves?|recipes?", "cooking"),
    (r"cut(?:s|ting)?(?: things| stuff| food| paper| wood)?|slic(?:e|es|ing)|chop(?:s|ping)?|saw(?:s|ing)", "cutting"),
    (r"sharp|pointy|pointed", "sharp"),
    (r"blades?", "blade"),
    (r"drink(?:ing|s)?(?: from| out of)?(?: it)?|beverages?", "drink_from"),
    (r"liquids?|fluids?|hold(?:s)? (?:water|liquid|soup)", "liquid"),
    (r"contains? water|(?:full of|filled with|made of|made up of|consists? of) water|holds? water",
     ("water_body", "liquid")),
    (r"handles?", "handle"),
    (r"mix(?:es|ing)?|blend(?:s|ing)?|stir(?:s|ring)?|whip(?:s|ping)?", "mix"),
    (r"prongs?|tines?", "prongs"),
    (r"opens?(?: up)?|lids?", "opens"),
    # ---- nature
    (r"bod(?:y|ies) of water|(?:large |big )?(?:amount|mass) of water|waterways?|water bod(?:y|ies)", "water_body"),
    (r"salt ?water|salty|saline|salt", "salt_water"),
    (r"fresh ?water|drinkable water", "fresh_water"),
    (r"flows?|flowing|currents?|runs? downhill", "flows"),
    (r"stones?|rocks?|rocky|granite|marble|minerals?", "stone"),
    (r"geograph\w*|landforms?|landmarks?|terrain|landscapes?|on a map", "geographic"),
    (r"(?:get|go|travel|move|take you)(?: you)? from (?:one )?place to (?:another|place)(?: place)?", "transport"),
    (r"tall|high|towers?|towering", "tall"),
    (r"spines?|spiny|prickly|thorns?|thorny|spikes?|spiky|needles", "spines"),
    (r"(?:made of|made up of|full of|lots of|many|group of|covered in) trees|woodlands?", "trees"),
    # ---- toys, garden, tools, sports
    (r"toys?|playthings?", "toy"),
    (r"child(?:ren)?|kids?|bab(?:y|ies)|toddlers?", "children"),
    (r"(?:many |lots of |multiple |several |small )?pieces|parts|components|assembl\w*|put together|bricks|blocks",
     "pieces"),
    (r"play(?:ed|s|ing)? with(?: it)?|games?|fun", "play_with"),
    (r"gardening|garden (?:tools?|supplies|supply|equipment)|yard ?work|landscaping|horticultur\w*", "gardening"),
    (r"dig(?:s|ging)?|holes?|scoop(?:s|ing)? (?:dirt|soil|earth)", "dig"),
    (r"water(?:ing|s)? (?:the )?(?:plants|flowers|garden|lawn)|sprinkl\w*", "water_plants"),
    (r"(?:cut|cuts|cutting|mow|mows|mowing|trim|trims)(?: the)? (?:grass|lawn)|mow(?:s|ing|er)?|grass", "grass"),
    (r"tools?|equipment", "tool"),
    (r"hand ?tools?|manual tools?|non powered", "hand_tool"),
    (r"power ?tools?|electric tools?|powered tools?|cordless", "power_tool"),
    (r"repair(?:s|ing)?|fix(?:es|ing)?|build(?:s|ing)?|construct(?:ion|ing)?|carpentry|diy|home improvement|"
     r"woodwork\w*|handyman|mechanics?", "repair"),
    (r"(?:hit|hits|pound|pounds|drive|drives|hammer)(?: in)? nails|nails?", "nails"),
    (r"screws?|screw in|unscrew\w*", "screws"),
    (r"bolts?|nuts|grip(?:s|ping)?|tighten(?:ing)?|loosen(?:ing)?|pipes?|pinch(?:es|ing)?", "bolts"),
    (r"sports?(?: equipment| gear| items?)?|athlet\w*|exercise|workout|gym|olymp\w*|compet\w*", "sports"),
    (r"team sports?|teams?", "team_sport"),
    (r"balls?", "ball"),
    (r"round|circular|spher(?:e|es|ical)|ball shaped|circle shaped|circles?", "round"),
    (r"bounc(?:e|es|y|ing)", "bounce"),
    (r"kick(?:s|ed|ing)?", "kick"),
    (r"throw(?:n|s|ing)?|toss(?:ed)?|catch", "throw"),
    (r"hit(?:s)?(?: it)?|strike|struck|smack|whack|bang|beat", "hit"),
    (r"hit (?:with|by) (?:a |the )?(?:racket|racquet|bat|club|stick|paddle|hammer|foot)s?", "hit"),
    (r"hit (?:a |the )?balls?(?: with)?|swing(?: it)?|swung|hit (?:things )?with(?: it)?|clubs?", "hit_with"),
    (r"inflat\w*|filled with air|air filled|pump(?:ed)? up|air inside", "air_filled"),
    # ---- materials
    (r"metal(?:lic)?|steel|iron|alumin(?:i)?um|tin", "metal"),
    (r"wood(?:en)?|timber|lumber", "wood"),
    (r"plastics?", "plastic"),
    (r"fabric|cloth|textiles?|cotton|silk|knit(?:ted)?|sewn", "fabric"),
    (r"glass", "glass"),
    (r"rubber|rubbery", "rubber"),
    (r"leather", "leather"),
    (r"ceramics?|porcelain|pottery|clay|china", "ceramic"),
    # ---- size, weight, general
    (r"heavy|heavier|weighs? a lot|hard to (?:lift|move|carry)", "heavy"),
    (r"light(?: weight)?|lightweight", "!heavy"),
    (r"(?:pick|lift|carry|hold)(?: it| them)?(?: up)?|picked up|lifted|carried|portable|movable|take it with you",
     "carry"),
    (r"moves?(?: around)?(?: by itself| on its own)?|moving|mobile|walk(?:s|ing)?|run(?:s|ning)?|swim(?:s|ming)?|"
     r"fast|speed|go fast", "moves"),
    (r"(?:hold|held|fit|fits|carry)(?: it)? in (?:one |your |a |my |the )?(?:hands?|palm)|handheld|hand held|"
     r"one hand(?:ed)?|palm of your hand", "handheld"),
    (r"(?:fit|fits|put|carry|keep)(?: it)? in(?:to)? (?:a |your |my |the |one s )?pockets?|pocket ?(?:sized|size)?",
     "fits_in_pocket"),
    (r"small|little|compact", "small"),
    (r"tiny|very small|minuscule|miniature|teeny", "tiny"),
    (r"big|large|sizable|sizeable|bulky", "large"),
    (r"huge|enormous|giant|gigantic|massive|immense|very (?:big|large)|vast", "huge"),
    (r"expensive|costly|pricey|cost(?:s)? (?:a lot|much)|valuable|luxury|worth a lot", "expensive"),
    (r"cheap|inexpensive|affordable", "!expensive"),
    (r"long|thin|skinny|slender|stick shaped|cylindrical", "long"),
)
"""(regex, term) pairs; see the module docstring."""

FIT_CAPACITY_CM: dict[str, float] = {
    "pocket": 15, "hand": 18, "palm": 10, "breadbox": 40, "bread box": 40, "shoebox": 30, "shoe box": 30,
    "box": 50, "backpack": 45, "bag": 45, "drawer": 40, "suitcase": 70, "car": 200, "trunk": 100, "room": 400,
    "house": 1500, "garage": 600, "closet": 150, "cupboard": 60,
}
"""What fits in a container: "Does it fit in a shoebox?" is ``size_cm <= capacity``."""

GUESS_WORDS: frozenset[str] = frozenset(
    ["is", "it", "this", "that", "the", "a", "an", "your", "my", "object", "thing", "something", "item", "word", "answer", "are", "you", "thinking", "think", "of", "kind", "type", "sort", "form", "could", "can", "would", "might", "may", "will", "be", "maybe", "perhaps", "then", "so", "ok", "okay", "i", "guess", "specific", "particular", "possibly", "just", "secret", "hidden", "mystery", "some", "actually", "really", "hmm", "well", "alright", "final", "am", "was", "we", "talking", "about", "guessing", "called", "named", "one", "what", "they", "them", "these", "those"]
)
"""Words allowed before the object's name in a guess (the original allowed any non-noun there)."""

GUESS_VERBS: frozenset[str] = frozenset(["is", "are", "was", "be", "guess", "think", "thinking", "talking", "am"])
"""A non-empty guess prefix must contain one of these."""

BARE_NAME_IS_CONCEPT: frozenset[str] = frozenset({"orange", "rubber", "stone", "paper", "wood", "woods"})
"""Names that, without an article (``"Is it orange?"``), ask about an attribute, not the object."""
