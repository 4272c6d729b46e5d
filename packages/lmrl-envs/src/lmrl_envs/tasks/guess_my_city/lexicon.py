"""Words the rule-based oracle recognises: place names, languages, sports, religions and keywords.

Everything here is folded with `cities.fold` (lower case, no accents, no punctuation) before
matching, so entries are written in plain lower case.
"""

from __future__ import annotations

# fmt: off
OTHER_COUNTRIES = (
    "afghanistan; albania; algeria; angola; armenia; austria; azerbaijan; belarus; belgium; bolivia; bosnia; "
    "botswana; bulgaria; cambodia; cameroon; costa rica; croatia; czech republic; czechia; denmark; "
    "dominican republic; el salvador; estonia; finland; georgia; ghana; greece; guatemala; guinea; haiti; "
    "honduras; iceland; ireland; israel; jamaica; jordan; kazakhstan; kenya; kuwait; kyrgyzstan; laos; latvia; "
    "lebanon; libya; lithuania; madagascar; malaysia; mali; mongolia; mozambique; namibia; nepal; netherlands; "
    "holland; new zealand; nicaragua; niger; nigeria; norway; oman; panama; paraguay; poland; portugal; "
    "puerto rico; qatar; republic of the congo; congo brazzaville; rwanda; saudi arabia; scotland; wales; "
    "northern ireland; senegal; serbia; slovakia; slovenia; somalia; south africa; sri lanka; sudan; sweden; "
    "switzerland; syria; tajikistan; tanzania; tunisia; turkmenistan; uganda; united arab emirates; uae; "
    "uruguay; yemen; zambia; zimbabwe; vatican"
)
"""Countries with no hidden city: recognised so that "Is it in Kenya?" is understood (answer No)."""

OTHER_DEMONYMS = (
    "dutch; greek; polish; swedish; norwegian; danish; finnish; irish; portuguese; swiss; austrian; belgian; "
    "israeli; saudi; kenyan; nigerian; south african; malaysian; nepalese; sri lankan; scottish; welsh; "
    "new zealander; kiwi; emirati; lebanese; syrian; jordanian; algerian; tunisian; ghanaian"
)

CONTINENTS = {
    "asia": "Asia", "europe": "Europe", "africa": "Africa", "north america": "North America",
    "south america": "South America", "oceania": "Oceania", "antarctica": "Antarctica",
    "the americas": "America*", "americas": "America*", "asian": "Asia", "european": "Europe", "african": "Africa",
    "north american": "North America", "south american": "South America", "asian continent": "Asia",
    "european continent": "Europe", "african continent": "Africa", "eurasia": "Eurasia*",
}
"""Continent words; ``America*`` means either American continent, ``Eurasia*`` Europe or Asia."""

REGIONS = {
    "east asia": "East Asia", "far east": "Far East*", "south asia": "South Asia", "indian subcontinent": "South Asia",
    "southeast asia": "Southeast Asia", "south east asia": "Southeast Asia", "central asia": "Central Asia",
    "western asia": "Western Asia", "west asia": "Western Asia", "middle east": "the Middle East",
    "near east": "the Middle East", "western europe": "Western Europe", "west europe": "Western Europe",
    "eastern europe": "Eastern Europe", "east europe": "Eastern Europe", "central europe": "Central Europe",
    "southern europe": "Southern Europe", "south europe": "Southern Europe", "northern europe": "Northern Europe",
    "southeastern europe": "Southeastern Europe", "balkans": "Southeastern Europe", "scandinavia": "Scandinavia",
    "north africa": "North Africa", "northern africa": "North Africa", "west africa": "West Africa",
    "western africa": "West Africa", "east africa": "East Africa", "eastern africa": "East Africa",
    "central africa": "Central Africa", "southern africa": "Southern Africa", "sub saharan africa": "Sub-Saharan Africa",
    "horn of africa": "the Horn of Africa", "maghreb": "the Maghreb", "arab world": "the Arab world",
    "arab": "the Arab world", "arab country": "the Arab world", "arabic country": "the Arab world",
    "latin america": "Latin America", "latin american": "Latin America", "central america": "Central America",
    "caribbean": "the Caribbean", "australasia": "Australasia", "middle eastern": "the Middle East",
    "east asian": "East Asia", "south asian": "South Asia", "southeast asian": "Southeast Asia",
    "central asian": "Central Asia", "scandinavian": "Scandinavia", "mainland europe": "Europe",
    "midwest": "the Midwest", "iberian peninsula": "the Iberian Peninsula", "iberia": "the Iberian Peninsula",
}
"""Region words; ``Far East*`` means East or Southeast Asia."""

LANGUAGES = {
    "korean": ("Korean",), "portuguese": ("Portuguese",), "marathi": ("Marathi",), "hindi": ("Hindi",),
    "english": ("English",), "indonesian": ("Indonesian",), "bahasa": ("Indonesian", "Malay"),
    "bahasa indonesia": ("Indonesian",), "urdu": ("Urdu",), "sindhi": ("Sindhi",), "russian": ("Russian",),
    "turkish": ("Turkish",), "spanish": ("Spanish",), "castilian": ("Spanish",), "mandarin": ("Mandarin",),
    "mandarin chinese": ("Mandarin",), "putonghua": ("Mandarin",), "cantonese": ("Cantonese",),
    "chinese": ("Mandarin", "Cantonese", "Wu Chinese"), "wu": ("Wu Chinese",), "shanghainese": ("Wu Chinese",),
    "japanese": ("Japanese",), "thai": ("Thai",), "arabic": ("Arabic",), "persian": ("Persian",),
    "farsi": ("Persian",), "bengali": ("Bengali",), "bangla": ("Bengali",), "punjabi": ("Punjabi",),
    "german": ("German",), "tamil": ("Tamil",), "malay": ("Malay",), "kannada": ("Kannada",), "telugu": ("Telugu",),
    "gujarati": ("Gujarati",), "french": ("French",), "lingala": ("Lingala",), "italian": ("Italian",),
    "hokkien": ("Taiwanese Hokkien",), "taiwanese": ("Taiwanese Hokkien",), "ukrainian": ("Ukrainian",),
    "burmese": ("Burmese",), "amharic": ("Amharic",), "uzbek": ("Uzbek",), "romanian": ("Romanian",),
    "filipino": ("Filipino",), "tagalog": ("Filipino",), "hungarian": ("Hungarian",), "magyar": ("Hungarian",),
    "sundanese": ("Sundanese",), "javanese": ("Javanese",), "vietnamese": ("Vietnamese",),
    "dutch": (), "swahili": (), "greek": (), "polish": (), "swedish": (), "hebrew": (), "khmer": (), "lao": (),
    "nepali": (), "sinhala": (), "czech": (), "norwegian": (), "danish": (), "finnish": (), "zulu": (), "hausa": (),
    "yoruba": (), "igbo": (), "afrikaans": (), "malayalam": (), "kazakh": (), "serbian": (), "mongolian": (),
    "pashto": (), "berber": (), "quechua": (), "guarani": (), "kurdish": (), "catalan": (), "latin": (),
}
"""Language words -> the canonical languages they mean (empty: a language no hidden city speaks)."""

LANGUAGE_CONTEXT = frozenset(
    ["speak", "speaks", "spoken", "speaking", "language", "languages", "tongue", "dialect", "dialects", "official", "native", "talk"]
)

SPORTS = {
    "football": ("football", "American football", "Australian rules football"), "soccer": ("football",),
    "american football": ("American football",), "nfl": ("American football",),
    "australian rules football": ("Australian rules football",), "afl": ("Australian rules football",),
    "baseball": ("baseball",), "basketball": ("basketball",), "nba": ("basketball",), "cricket": ("cricket",),
    "hockey": ("ice hockey", "field hockey"), "ice hockey": ("ice hockey",), "field hockey": ("field hockey",),
    "rugby": ("rugby", "rugby league", "rugby sevens"), "rugby league": ("rugby league",),
    "tennis": ("tennis",), "table tennis": ("table tennis",), "ping pong": ("table tennis",),
    "badminton": ("badminton",), "volleyball": ("volleyball", "beach volleyball"),
    "beach volleyball": ("beach volleyball",), "sumo": ("sumo",), "sumo wrestling": ("sumo",),
    "boxing": ("boxing",), "wrestling": ("wrestling", "sumo", "lucha libre"), "kabaddi": ("kabaddi",),
    "muay thai": ("Muay Thai",), "kickboxing": ("Muay Thai",), "cycling": ("cycling",), "running": ("running",),
    "marathon": ("running",), "athletics": ("running",), "esports": ("esports",), "e sports": ("esports",),
    "video games": ("esports",), "horse racing": ("horse racing",), "polo": ("polo",), "handball": ("handball",),
    "water polo": ("water polo",), "squash": ("squash",), "formula one": ("Formula One",), "f1": ("Formula One",),
    "motor racing": ("Formula One",), "surfing": ("surfing",), "kitesurfing": ("kitesurfing",),
    "sailing": ("sailing",), "capoeira": ("capoeira",), "lucha libre": ("lucha libre",), "chinlone": ("chinlone",),
    "skating": ("speed skating",), "speed skating": ("speed skating",), "cuju": ("cuju",), "golf": (),
    "skiing": (), "swimming": (), "martial arts": ("Muay Thai", "capoeira"), "karate": (), "judo": (),
    "taekwondo": (), "lacrosse": (), "curling": (), "gymnastics": (), "fencing": (), "rowing": (),
}
"""Sport words -> the sports of the knowledge base they mean."""

RELIGIONS = {
    "christian": "Christianity", "christianity": "Christianity", "catholic": "Christianity",
    "catholicism": "Christianity", "orthodox": "Christianity", "protestant": "Christianity",
    "muslim": "Islam", "islam": "Islam", "islamic": "Islam", "moslem": "Islam", "hindu": "Hinduism",
    "hinduism": "Hinduism", "buddhist": "Buddhism", "buddhism": "Buddhism", "shinto": "Shinto",
    "taoist": "Taoism", "taoism": "Taoism", "jewish": "Judaism", "judaism": "Judaism", "sikh": "Sikhism",
}

LANDMARK_NOUNS = {
    "tower": ("tower",), "towers": ("tower",), "temple": ("temple", "wat", "shrine", "pagoda"),
    "temples": ("temple", "wat", "shrine", "pagoda"), "mosque": ("mosque",), "mosques": ("mosque",),
    "church": ("church", "cathedral"), "churches": ("church", "cathedral"), "cathedral": ("cathedral",),
    "palace": ("palace",), "palaces": ("palace",), "pyramid": ("pyramid",), "pyramids": ("pyramid",),
    "statue": ("statue", "christ the redeemer", "merlion", "sphinx"), "bridge": ("bridge",),
    "bridges": ("bridge",), "castle": ("castle",), "fort": ("fort", "citadel"), "fortress": ("fort", "citadel", "kremlin"),
    "museum": ("museum", "hermitage", "louvre"), "museums": ("museum", "hermitage", "louvre"),
    "shrine": ("shrine",), "pagoda": ("pagoda",), "market": ("market", "bazaar"), "bazaar": ("bazaar", "market"),
    "park": ("park",), "square": ("square", "zocalo", "plaza"), "monument": ("monument", "memorial", "obelisk"),
    "mausoleum": ("mausoleum", "tomb"), "tomb": ("tomb", "mausoleum"), "skyscraper": ("tower",),
    "wall": ("wall",), "opera house": ("opera house",), "volcano": ("volcano",), "gate": ("gate",),
    "sphinx": ("sphinx",), "arch": ("arch", "arc de triomphe"), "garden": ("garden",), "gardens": ("garden",),
}
"""Generic landmark nouns -> words that must appear in one of the city's landmarks."""

FOOD_CONTEXT = frozenset(
    ["eat", "eats", "eaten", "food", "foods", "dish", "dishes", "cuisine", "meal", "meals", "delicacy", "delicacies", "snack", "snacks", "drink", "drinks", "specialty", "speciality", "cooking", "dessert", "desserts", "breakfast"]
)

FOOD_STOPWORDS = frozenset(
    ["the", "a", "an", "and", "with", "de", "of", "da", "e", "y", "in", "on", "style", "fried", "sandwich", "soup", "rice", "noodles", "chicken", "fish", "sauce"]
)
"""Food-name words too common to identify a dish on their own (they still match as part of a full name)."""

SPICY_FOODS = ("hotpot", "spicy", "curry", "biryani", "la zi ji", "kung pao", "mapo tofu", "tom yum", "nihari",
               "vada pav", "chole", "kimchi", "mole")

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "a": 1,
}

YES_NO_STARTS = frozenset(
    ["is", "are", "am", "do", "does", "did", "can", "could", "would", "will", "was", "were", "has", "have", "had", "should", "isnt", "arent", "doesnt", "dont", "shall"]
)
WH_STARTS = frozenset(["what", "which", "how", "where", "who", "why", "tell", "describe", "name", "give", "whats", "hows", "wheres"])
# fmt: on
