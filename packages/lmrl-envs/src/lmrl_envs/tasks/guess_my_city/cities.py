"""The Guess My City knowledge base: 100 cities and their countries, written by this project.

The city set is the original LMRL-Gym list (``global_cities.txt``: 100 large cities ranked by
city-proper population, around 2000), with Seoul (rank 1, dropped by the original loader) kept,
names modernised (Mumbai, Kolkata, Chennai, Busan, ...) and the old spellings kept as aliases.
Populations here are approximate *metropolitan* (or, for the Indonesian regencies, regency)
populations in millions, used only for coarse buckets. Facts are common knowledge, simplified:
one climate class per city, a few landmarks, dishes and sports.

Inspect or extend it as plain data::

    >>> from lmrl_envs.tasks.guess_my_city.cities import CITIES, find_city
    >>> len(CITIES), find_city("Bombay").name
    (100, 'Mumbai')

To play with another list pass ``cities=[...]`` to `GuessMyCityEnv`; each city's country must be in
`COUNTRIES` (add a `Country` there first).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["CITIES", "CLIMATES", "COUNTRIES", "City", "Country", "find_city", "fold"]

CLIMATES = ("tropical", "arid", "mediterranean", "subtropical", "oceanic", "continental", "highland")
"""Climate classes (simplified Köppen): temperate means subtropical, oceanic, mediterranean or highland."""


def fold(text: str) -> str:
    """Lower-case, strip accents, drop apostrophes and dots, turn other punctuation into spaces.

    Example:
        >>> fold("São Paulo, Xi'an & St. Petersburg!")
        'sao paulo xian and st petersburg'
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("&", " and ")
    out = []
    for i, c in enumerate(text):
        if c.isalnum() or c == "." and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit():
            out.append(c)
        elif c in "'’`.":
            continue
        else:
            out.append(" ")
    return " ".join("".join(out).split())


@dataclass(frozen=True)
class Country:
    """A country as the oracle knows it.

    Attributes:
        name: common English name.
        aliases: other names (``"USA"``, ``"Burma"``); matched case- and accent-insensitively.
        demonyms: adjectives naming the country (``"Brazilian"``).
        continent: the continent(s), ``"/"``-separated for transcontinental countries.
        regions: regions the country belongs to, the main one first (with ``"the"`` where usual).
        religions: the main religions (empty: none dominant).
        eu: member of the European Union.
        tags: other facts: ``"monarchy"``, ``"communist"``, ``"island"`` (an island nation).
    """

    name: str
    aliases: tuple[str, ...]
    demonyms: tuple[str, ...]
    continent: str
    regions: tuple[str, ...]
    religions: tuple[str, ...]
    eu: bool = False
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class City:
    """One hidden city and what the rule-based oracle knows about it.

    Attributes:
        name: the usual English name (the answer key); ``aliases`` hold other spellings.
        country: a key of `COUNTRIES`.
        province: state/province/region when it is not the city itself ("" otherwise).
        languages: the main languages spoken, most common first.
        climate: one of `CLIMATES`.
        hot: hot most of the year (or very hot summers that define the city).
        snow: cold winters with regular snow.
        capital: national capital.
        population: approximate metropolitan population in millions.
        lat, lon: approximate coordinates in degrees.
        river: the main river ("" when none to speak of).
        water: seas/oceans on its coast, nearest first (empty when inland).
        landmarks, foods, sports: a few famous ones, most famous first.
        aliases: other names and spellings (old names, native names, abbreviations).
        continent, regions: override the country's (e.g. Istanbul lies in Europe and Asia).
        culture: other things it is famous for (music, dance, film, festivals).
        island: on an island (default: its country is an island nation).
    """

    name: str
    country: str
    province: str
    languages: tuple[str, ...]
    climate: str
    hot: bool
    snow: bool
    capital: bool
    population: float
    lat: float
    lon: float
    river: str
    water: tuple[str, ...]
    landmarks: tuple[str, ...]
    foods: tuple[str, ...]
    sports: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    continent: str = ""
    regions: tuple[str, ...] = ()
    culture: tuple[str, ...] = ()
    island: bool | None = None

    @property
    def on_island(self) -> bool:
        return self.island if self.island is not None else "island" in COUNTRIES[self.country].tags

    @property
    def coastal(self) -> bool:
        return bool(self.water)

    @property
    def continents(self) -> tuple[str, ...]:
        return tuple((self.continent or COUNTRIES[self.country].continent).split("/"))

    @property
    def all_regions(self) -> tuple[str, ...]:
        return self.regions or COUNTRIES[self.country].regions

    @property
    def hemisphere(self) -> str:
        return "southern" if self.lat < 0 else "northern"

    @property
    def population_bucket(self) -> str:
        p = self.population
        if p >= 20:
            return "more than 20 million"
        if p >= 10:
            return "between 10 and 20 million"
        if p >= 5:
            return "between 5 and 10 million"
        if p >= 2:
            return "between 2 and 5 million"
        return "fewer than 2 million"

    @property
    def names(self) -> tuple[str, ...]:
        """The name and every alias."""
        return (self.name, *self.aliases)

    @property
    def prompt_word(self) -> str:
        """The ``object`` of the original LM-oracle prompt: ``"sao paulo,brazil"``."""
        return f"{fold(self.name)},{fold(self.country)}"


def _t(s: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in s.split(";") if x.strip())


def _country(name, aliases, demonyms, continent, regions, religions, eu=False, tags="") -> Country:
    return Country(name, _t(aliases), _t(demonyms), continent, _t(regions), _t(religions), eu, _t(tags))


_COUNTRY_LIST = [
    _country(
        "South Korea", "Korea; Republic of Korea; ROK", "South Korean", "Asia", "East Asia", "Christianity; Buddhism"
    ),
    _country(
        "North Korea",
        "DPRK; Democratic People's Republic of Korea",
        "North Korean",
        "Asia",
        "East Asia",
        "",
        tags="communist",
    ),
    _country("Brazil", "Brasil", "Brazilian", "South America", "South America; Latin America", "Christianity"),
    _country("India", "Bharat", "Indian", "Asia", "South Asia", "Hinduism"),
    _country("Indonesia", "", "Indonesian", "Asia", "Southeast Asia", "Islam", tags="island"),
    _country("Pakistan", "", "Pakistani", "Asia", "South Asia", "Islam"),
    _country("Russia", "Russian Federation", "Russian", "Europe", "Eastern Europe", "Christianity"),
    _country("Turkey", "Türkiye; Turkiye", "Turkish", "Asia", "Western Asia; the Middle East", "Islam"),
    _country("Mexico", "México", "Mexican", "North America", "Latin America", "Christianity"),
    _country(
        "China",
        "People's Republic of China; PRC; mainland China",
        "Chinese",
        "Asia",
        "East Asia",
        "Buddhism; Taoism",
        tags="communist",
    ),
    _country("Japan", "Nippon", "Japanese", "Asia", "East Asia", "Shinto; Buddhism", tags="monarchy; island"),
    _country(
        "United States",
        "USA; US; U.S.; U.S.A.; United States of America; America; the States",
        "American",
        "North America",
        "North America",
        "Christianity",
    ),
    _country("Thailand", "Siam", "Thai", "Asia", "Southeast Asia", "Buddhism", tags="monarchy"),
    _country(
        "United Kingdom",
        "UK; U.K.; Britain; Great Britain; England",
        "British; English",
        "Europe",
        "Western Europe; Northern Europe",
        "Christianity",
        tags="monarchy; island",
    ),
    _country("Egypt", "", "Egyptian", "Africa", "North Africa; the Middle East; the Arab world", "Islam"),
    _country("Iran", "Persia", "Iranian; Persian", "Asia", "the Middle East; Western Asia", "Islam"),
    _country("Colombia", "", "Colombian", "South America", "South America; Latin America", "Christianity"),
    _country("Peru", "Perú", "Peruvian", "South America", "South America; Latin America", "Christianity"),
    _country("Chile", "", "Chilean", "South America", "South America; Latin America", "Christianity"),
    _country("Australia", "", "Australian", "Oceania", "Australasia; Oceania", "Christianity"),
    _country(
        "Singapore", "", "Singaporean", "Asia", "Southeast Asia", "Buddhism; Christianity; Islam; Taoism", tags="island"
    ),
    _country("Iraq", "", "Iraqi", "Asia", "the Middle East; Western Asia; the Arab world", "Islam"),
    _country("Bangladesh", "", "Bangladeshi", "Asia", "South Asia", "Islam"),
    _country("Germany", "Deutschland", "German", "Europe", "Western Europe; Central Europe", "Christianity", True),
    _country(
        "Spain",
        "España",
        "Spanish",
        "Europe",
        "Southern Europe; Western Europe; the Iberian Peninsula",
        "Christianity",
        True,
        tags="monarchy",
    ),
    _country(
        "DR Congo",
        "Democratic Republic of the Congo; DRC; Congo; Congo-Kinshasa; Zaire",
        "Congolese",
        "Africa",
        "Central Africa; Sub-Saharan Africa",
        "Christianity",
    ),
    _country("Italy", "Italia", "Italian", "Europe", "Southern Europe", "Christianity", True),
    _country("Taiwan", "Republic of China; ROC", "Taiwanese", "Asia", "East Asia", "Buddhism; Taoism", tags="island"),
    _country("Ukraine", "", "Ukrainian", "Europe", "Eastern Europe", "Christianity"),
    _country("Myanmar", "Burma", "Burmese", "Asia", "Southeast Asia", "Buddhism"),
    _country("Canada", "", "Canadian", "North America", "North America", "Christianity"),
    _country(
        "Ethiopia",
        "Ethopia",
        "Ethiopian",
        "Africa",
        "East Africa; the Horn of Africa; Sub-Saharan Africa",
        "Christianity; Islam",
    ),
    _country(
        "Cuba", "", "Cuban", "North America", "the Caribbean; Latin America", "Christianity", tags="communist; island"
    ),
    _country("France", "", "French", "Europe", "Western Europe", "Christianity", True),
    _country("Uzbekistan", "", "Uzbek", "Asia", "Central Asia", "Islam"),
    _country("Ecuador", "", "Ecuadorian", "South America", "South America; Latin America", "Christianity"),
    _country("Romania", "", "Romanian", "Europe", "Eastern Europe", "Christianity", True),
    _country(
        "Philippines",
        "the Philippines",
        "Filipino; Philippine",
        "Asia",
        "Southeast Asia",
        "Christianity",
        tags="island",
    ),
    _country("Vietnam", "Viet Nam", "Vietnamese", "Asia", "Southeast Asia", "Buddhism", tags="communist"),
    _country(
        "Argentina", "", "Argentinian; Argentine", "South America", "South America; Latin America", "Christianity"
    ),
    _country(
        "Morocco", "", "Moroccan", "Africa", "North Africa; the Maghreb; the Arab world", "Islam", tags="monarchy"
    ),
    _country(
        "Ivory Coast",
        "Côte d'Ivoire; Cote d'Ivoire; Cote d'Ivorie",
        "Ivorian",
        "Africa",
        "West Africa; Sub-Saharan Africa",
        "Islam; Christianity",
    ),
    _country("Hungary", "Magyarország", "Hungarian", "Europe", "Central Europe; Eastern Europe", "Christianity", True),
    _country("Venezuela", "", "Venezuelan", "South America", "South America; Latin America", "Christianity"),
]
COUNTRIES: dict[str, Country] = {c.name: c for c in _COUNTRY_LIST}
"""The countries of the hidden cities, by name."""


def _city(
    name,
    country,
    province,
    languages,
    climate,
    flags,
    pop,
    lat,
    lon,
    river,
    water,
    landmarks,
    foods,
    sports,
    aliases="",
    continent="",
    regions="",
    culture="",
    island=None,
) -> City:
    flags = set(flags.split())
    assert flags <= {"capital", "hot", "snow"}, flags
    assert climate in CLIMATES, climate
    return City(
        name,
        country,
        province,
        _t(languages),
        climate,
        "hot" in flags,
        "snow" in flags,
        "capital" in flags,
        pop,
        lat,
        lon,
        river,
        _t(water),
        _t(landmarks),
        _t(foods),
        _t(sports),
        _t(aliases),
        continent,
        _t(regions),
        _t(culture),
        island,
    )


PAC, ATL, IND = "Pacific Ocean", "Atlantic Ocean", "Indian Ocean"

# fmt: off
CITIES: list[City] = [
    _city("Seoul", "South Korea", "", "Korean", "continental", "capital snow", 26, 37.57, 126.98, "Han River", "",
          "Gyeongbokgung Palace; Bukchon Hanok Village; Lotte World Tower", "kimchi; bibimbap; Korean barbecue",
          "baseball; football; esports", culture="K-pop"),
    _city("São Paulo", "Brazil", "", "Portuguese", "subtropical", "", 22, -23.55, -46.63, "Tietê River", "",
          "Paulista Avenue; Ibirapuera Park; the Sé Cathedral", "pizza; pastel; feijoada",
          "football; volleyball; Formula One", "Sao Paulo; Sampa"),
    _city("Mumbai", "India", "Maharashtra", "Marathi; Hindi; English", "tropical", "hot", 21, 19.08, 72.88, "",
          f"Arabian Sea; {IND}", "Marine Drive; Chhatrapati Shivaji Terminus; the Elephanta Caves",
          "vada pav; pav bhaji; bhel puri", "cricket; football; kabaddi", "Bombay",
          culture="Bollywood", island=True),
    _city("Jakarta", "Indonesia", "", "Indonesian", "tropical", "capital hot", 34, -6.2, 106.85, "Ciliwung River",
          f"Java Sea; {PAC}", "the National Monument; Istiqlal Mosque; the old town of Kota Tua",
          "nasi goreng; satay; soto betawi", "football; badminton", "Djakarta; Batavia"),
    _city("Karachi", "Pakistan", "Sindh", "Urdu; Sindhi; English", "arid", "hot", 17, 24.86, 67.0, "",
          f"Arabian Sea; {IND}", "Mazar-e-Quaid; Clifton Beach; Frere Hall", "biryani; nihari; haleem",
          "cricket; field hockey; squash"),
    _city("Moscow", "Russia", "", "Russian", "continental", "capital snow", 21, 55.76, 37.62, "Moskva River", "",
          "Red Square; the Kremlin; St. Basil's Cathedral", "borscht; pelmeni; blini", "football; ice hockey",
          "Moskva"),
    _city("Istanbul", "Turkey", "", "Turkish", "mediterranean", "", 16, 41.01, 28.98, "",
          "Bosphorus; Sea of Marmara; Black Sea", "Hagia Sophia; the Blue Mosque; Topkapi Palace",
          "kebab; baklava; simit", "football; basketball; volleyball", "Constantinople; Byzantium",
          continent="Europe/Asia", regions="Southeastern Europe; Western Asia; the Middle East"),
    _city("Mexico City", "Mexico", "", "Spanish", "highland", "capital", 22, 19.43, -99.13, "", "",
          "the Zócalo; Chapultepec Castle; the Palace of Fine Arts", "tacos al pastor; chilaquiles; mole",
          "football; lucha libre; baseball", "CDMX; Ciudad de México; Mexico DF; México D.F."),
    _city("Shanghai", "China", "", "Mandarin; Wu Chinese", "subtropical", "", 30, 31.23, 121.47, "Huangpu River",
          f"East China Sea; {PAC}", "the Bund; the Oriental Pearl Tower; Yu Garden",
          "xiaolongbao; shengjian bao; hairy crab", "football; basketball; table tennis"),
    _city("Tokyo", "Japan", "", "Japanese", "subtropical", "capital", 37, 35.68, 139.69, "Sumida River",
          f"Tokyo Bay; {PAC}", "Senso-ji Temple; Shibuya Crossing; Meiji Shrine", "sushi; ramen; tempura",
          "baseball; sumo; football", "Edo", culture="anime"),
    _city("New York", "United States", "New York State", "English; Spanish", "subtropical", "snow", 20, 40.71,
          -74.01, "Hudson River", ATL, "the Statue of Liberty; the Empire State Building; Times Square",
          "pizza; bagels; cheesecake", "baseball; basketball; American football",
          "New York City; NYC; the Big Apple; Big Apple",
          culture="Broadway; Wall Street", regions="the Northeast; the East Coast; North America"),
    _city("Bangkok", "Thailand", "", "Thai", "tropical", "capital hot", 17, 13.76, 100.5, "Chao Phraya River",
          f"Gulf of Thailand; {PAC}", "the Grand Palace; Wat Arun; Wat Pho", "pad thai; tom yum; green curry",
          "Muay Thai; football", "Krung Thep"),
    _city("Beijing", "China", "", "Mandarin", "continental", "capital snow", 22, 39.9, 116.4, "", "",
          "the Forbidden City; the Great Wall; the Temple of Heaven; Tiananmen Square",
          "roast duck; jiaozi dumplings; zhajiangmian", "football; basketball; table tennis", "Peking; Peiping"),
    _city("Delhi", "India", "", "Hindi; English; Punjabi", "subtropical", "capital hot", 33, 28.61, 77.21,
          "Yamuna River", "", "the Red Fort; Qutub Minar; Humayun's Tomb",
          "butter chicken; chole bhature; paratha", "cricket; kabaddi; field hockey", "New Delhi; Dilli"),
    _city("London", "United Kingdom", "England", "English", "oceanic", "capital", 14.5, 51.51, -0.13,
          "River Thames", "", "Big Ben; Tower Bridge; Buckingham Palace",
          "fish and chips; the Sunday roast; full breakfast", "football; cricket; rugby; tennis"),
    _city("Hong Kong", "China", "", "Cantonese; English", "subtropical", "hot", 7.5, 22.32, 114.17, "",
          f"South China Sea; {PAC}", "Victoria Harbour; Victoria Peak; the Tian Tan Buddha",
          "dim sum; char siu; egg tarts", "football; horse racing; rugby sevens", "HK", island=True),
    _city("Cairo", "Egypt", "", "Arabic", "arid", "capital hot", 22, 30.04, 31.24, "Nile", "",
          "the Egyptian Museum; the Khan el-Khalili bazaar; the Citadel of Saladin",
          "koshari; ful medames; molokhia", "football; squash", "Al-Qahira"),
    _city("Tehran", "Iran", "", "Persian", "arid", "capital snow", 16, 35.69, 51.39, "", "",
          "Milad Tower; Azadi Tower; Golestan Palace; Mount Tochal", "chelo kebab; ghormeh sabzi; tahdig",
          "football; wrestling; volleyball", "Teheran"),
    _city("Bogotá", "Colombia", "", "Spanish", "highland", "capital", 11, 4.71, -74.07, "", "",
          "Monserrate; the Gold Museum; La Candelaria", "ajiaco; arepas; tamales", "football; cycling",
          "Bogota; Santa Fe de Bogota"),
    _city("Bandung", "Indonesia", "West Java", "Indonesian; Sundanese", "highland", "", 8.5, -6.91, 107.61, "", "",
          "Gedung Sate; the Tangkuban Perahu volcano; Braga Street", "batagor; surabi; siomay",
          "football; badminton"),
    _city("Tianjin", "China", "", "Mandarin", "continental", "snow", 14, 39.13, 117.2, "Hai River",
          f"Bohai Sea; {PAC}", "Ancient Culture Street; the Italian Style Street; the Tianjin Eye",
          "goubuli baozi; mahua fried dough twists; jianbing", "football; volleyball; basketball", "Tientsin"),
    _city("Lima", "Peru", "", "Spanish", "arid", "capital", 11, -12.05, -77.04, "Rímac River", PAC,
          "the Plaza de Armas; the Miraflores cliffs; Huaca Pucllana", "ceviche; lomo saltado; anticuchos",
          "football; volleyball"),
    _city("Rio de Janeiro", "Brazil", "", "Portuguese", "tropical", "hot", 13.5, -22.91, -43.17, "", ATL,
          "Christ the Redeemer; Sugarloaf Mountain; Copacabana Beach", "feijoada; pão de queijo; açaí",
          "football; beach volleyball; surfing", "Rio",
          culture="samba; the Carnival"),
    _city("Lahore", "Pakistan", "Punjab", "Punjabi; Urdu", "subtropical", "hot", 13, 31.55, 74.34, "Ravi River", "",
          "the Badshahi Mosque; the Shalimar Gardens; the Lahore Fort", "nihari; halwa puri; lassi",
          "cricket; field hockey; kabaddi"),
    _city("Bogor", "Indonesia", "West Java", "Indonesian; Sundanese", "tropical", "hot", 5.5, -6.6, 106.8,
          "Ciliwung River", "", "the Kebun Raya botanical garden; the Presidential Palace; Mount Salak",
          "soto mie; asinan; toge goreng", "football; badminton", "Buitenzorg"),
    _city("Santiago", "Chile", "", "Spanish", "mediterranean", "capital", 7, -33.45, -70.67, "Mapocho River", "",
          "San Cristóbal Hill; La Moneda Palace; the Costanera Center", "empanadas; pastel de choclo; completo",
          "football; tennis", "Santiago de Chile"),
    _city("Saint Petersburg", "Russia", "", "Russian", "continental", "snow", 5.5, 59.93, 30.36, "Neva River",
          "Gulf of Finland; Baltic Sea", "the Hermitage Museum; Peterhof Palace; the Church of the Savior on Blood",
          "pelmeni; borscht; pirozhki", "football; ice hockey",
          "St Petersburg; St. Petersburg; Leningrad; Petrograd; Piter"),
    _city("Shenyang", "China", "Liaoning", "Mandarin", "continental", "snow", 8, 41.8, 123.43, "Hun River", "",
          "the Zhaoling Tomb; the Fuling Tomb; Middle Street", "guo bao rou; sauerkraut stew; steamed dumplings",
          "football; basketball", "Mukden"),
    _city("Kolkata", "India", "West Bengal", "Bengali; Hindi; English", "tropical", "hot", 15, 22.57, 88.36,
          "Hooghly River", "", "the Victoria Memorial; Howrah Bridge; Dakshineswar Temple",
          "rosogolla; kathi roll; macher jhol", "football; cricket", "Calcutta"),
    _city("Wuhan", "China", "Hubei", "Mandarin", "subtropical", "", 11, 30.59, 114.31, "Yangtze River", "",
          "the Yellow Crane Tower; East Lake; the Guiyuan Temple", "hot dry noodles; duck neck; doupi",
          "football; tennis"),
    _city("Sydney", "Australia", "New South Wales", "English", "subtropical", "", 5.4, -33.87, 151.21,
          "Parramatta River", f"Tasman Sea; {PAC}", "the Opera House; the Harbour Bridge; Bondi Beach",
          "meat pie; barramundi; pavlova", "rugby league; cricket; Australian rules football"),
    _city("Guangzhou", "China", "Guangdong", "Cantonese; Mandarin", "subtropical", "hot", 19, 23.13, 113.26,
          "Pearl River", "", "the Canton Tower; the Chen Clan Ancestral Hall; Shamian Island",
          "dim sum; char siu; white cut chicken", "football; table tennis; badminton", "Canton"),
    _city("Singapore", "Singapore", "", "English; Malay; Mandarin; Tamil", "tropical", "capital hot", 6, 1.35,
          103.82, "", f"Strait of Malacca; {IND}", "Marina Bay Sands; Gardens by the Bay; the Merlion",
          "chili crab; Hainanese chicken rice; laksa", "football; badminton; table tennis", "Lion City"),
    _city("Chennai", "India", "Tamil Nadu", "Tamil; English", "tropical", "hot", 11, 13.08, 80.27, "",
          f"Bay of Bengal; {IND}", "Marina Beach; Kapaleeshwarar Temple; Fort St. George",
          "dosa; idli; chettinad chicken", "cricket; kabaddi", "Madras"),
    _city("Baghdad", "Iraq", "", "Arabic", "arid", "capital hot", 7.5, 33.31, 44.37, "Tigris", "",
          "the Al-Shaheed Monument; the Mustansiriya School; the Abbasid Palace", "masgouf; dolma; kebab",
          "football", "Bagdad"),
    _city("Busan", "South Korea", "", "Korean", "subtropical", "", 3.4, 35.18, 129.08, "Nakdong River",
          f"Korea Strait; {PAC}", "Haeundae Beach; Gamcheon Culture Village; Jagalchi Fish Market",
          "dwaeji gukbap; milmyeon; fish cakes", "baseball; football", "Pusan"),
    _city("Los Angeles", "United States", "California", "English; Spanish", "mediterranean", "", 13, 34.05, -118.24,
          "", PAC, "the Hollywood Sign; Griffith Observatory; Santa Monica Pier", "street tacos; burgers; Korean barbecue",
          "basketball; baseball; American football", "LA; L.A.; City of Angels",
          culture="Hollywood; the film industry", regions="the West Coast; North America"),
    _city("Yokohama", "Japan", "Kanagawa", "Japanese", "subtropical", "", 3.8, 35.44, 139.64, "",
          f"Tokyo Bay; {PAC}", "Minato Mirai; Chinatown; Sankeien Garden", "ramen; shumai; Napolitan spaghetti",
          "baseball; football"),
    _city("Dhaka", "Bangladesh", "", "Bengali", "tropical", "capital hot", 23, 23.81, 90.41, "Buriganga River", "",
          "Lalbagh Fort; Ahsan Manzil; the National Parliament House", "kacchi biryani; hilsa fish; pitha",
          "cricket; football; kabaddi", "Dacca"),
    _city("Berlin", "Germany", "", "German", "oceanic", "capital snow", 4.5, 52.52, 13.4, "Spree", "",
          "the Brandenburg Gate; the Reichstag; Checkpoint Charlie", "currywurst; döner kebab; pretzels",
          "football; handball; ice hockey"),
    _city("Alexandria", "Egypt", "", "Arabic", "mediterranean", "", 5.5, 31.2, 29.92, "", "Mediterranean Sea",
          "the Citadel of Qaitbay; Pompey's Pillar; Montaza Palace", "fried fish; ful medames; liver sandwiches",
          "football; basketball"),
    _city("Bengaluru", "India", "Karnataka", "Kannada; English; Hindi", "tropical", "", 13, 12.97, 77.59, "", "",
          "Lalbagh Botanical Garden; Vidhana Soudha; Cubbon Park", "masala dosa; bisi bele bath; filter coffee",
          "cricket; football", "Bangalore"),
    _city("Malang", "Indonesia", "East Java", "Indonesian; Javanese", "highland", "", 3, -7.98, 112.63,
          "Brantas River", "", "the Jodipan rainbow village; Mount Bromo; the Alun-Alun square",
          "bakso; rawon; tempeh chips", "football; badminton"),
    _city("Hyderabad", "India", "Telangana", "Telugu; Urdu; English", "tropical", "hot", 11, 17.39, 78.49,
          "Musi River", "", "the Charminar; Golconda Fort; Hussain Sagar Lake", "biryani; haleem; double ka meetha",
          "cricket; badminton"),
    _city("Chongqing", "China", "", "Mandarin", "subtropical", "", 17, 29.56, 106.55, "Yangtze River", "",
          "Hongya Cave; the Jiefangbei monument; Ciqikou Ancient Town", "hotpot; spicy noodles; la zi ji",
          "football; basketball", "Chungking"),
    _city("Ho Chi Minh City", "Vietnam", "", "Vietnamese", "tropical", "hot", 14, 10.82, 106.63, "Saigon River", "",
          "Ben Thanh Market; the Independence Palace; the Cu Chi Tunnels", "pho; banh mi; com tam",
          "football; badminton", "Saigon; HCMC; Ho Chi Minh; Sai Gon"),
    _city("Harbin", "China", "Heilongjiang", "Mandarin", "continental", "snow", 6, 45.8, 126.53, "Songhua River",
          "", "the Ice and Snow Festival; Saint Sophia Cathedral; Central Street", "guo bao rou; red sausage; dumplings",
          "ice hockey; speed skating; football", "Haerbin"),
    _city("Ankara", "Turkey", "", "Turkish", "continental", "capital snow", 5.7, 39.93, 32.86, "", "",
          "Anıtkabir; Kocatepe Mosque; the Museum of Anatolian Civilizations", "döner kebab; simit; baklava",
          "football; basketball; volleyball", "Angora"),
    _city("Buenos Aires", "Argentina", "", "Spanish", "subtropical", "capital", 15.5, -34.6, -58.38, "",
          f"Río de la Plata; {ATL}", "the Obelisk; the Casa Rosada; La Boca; the Teatro Colón",
          "asado; empanadas; dulce de leche", "football; polo; basketball", culture="tango"),
    _city("Chengdu", "China", "Sichuan", "Mandarin", "subtropical", "", 16, 30.57, 104.07, "Jin River", "",
          "the Giant Panda Breeding Base; Jinli Street; the Wuhou Shrine", "hotpot; mapo tofu; kung pao chicken",
          "football; basketball"),
    _city("Ahmedabad", "India", "Gujarat", "Gujarati; Hindi", "arid", "hot", 8.5, 23.02, 72.57, "Sabarmati River", "",
          "the Sabarmati Ashram; the Sidi Saiyyed Mosque; the Adalaj Stepwell", "dhokla; khandvi; thepla",
          "cricket; kabaddi", "Amdavad"),
    _city("Casablanca", "Morocco", "", "Arabic; French", "mediterranean", "", 4.3, 33.57, -7.59, "", ATL,
          "the Hassan II Mosque; the Corniche; the Old Medina", "couscous; tagine; harira", "football; basketball",
          "Dar el Beida"),
    _city("Chicago", "United States", "Illinois", "English; Spanish", "continental", "snow", 9.5, 41.88, -87.63,
          "Chicago River", "", "Willis Tower; Cloud Gate; Navy Pier",
          "deep-dish pizza; Italian beef sandwich; hot dogs", "baseball; basketball; American football",
          "Windy City; Chi-town; Chitown",
          culture="blues; jazz", regions="the Midwest; North America"),
    _city("Xi'an", "China", "Shaanxi", "Mandarin", "subtropical", "", 13, 34.34, 108.94, "Wei River", "",
          "the Terracotta Army; the City Wall; the Big Wild Goose Pagoda", "roujiamo; biangbiang noodles; paomo",
          "football; basketball", "Xian; Sian; Chang'an"),
    _city("Madrid", "Spain", "", "Spanish", "mediterranean", "capital", 6.8, 40.42, -3.7, "Manzanares River", "",
          "the Prado Museum; the Royal Palace; Puerta del Sol", "cocido; churros with chocolate; calamari sandwich",
          "football; basketball; tennis", culture="flamenco"),
    _city("Surabaya", "Indonesia", "East Java", "Indonesian; Javanese", "tropical", "hot", 10, -7.25, 112.75,
          "Kalimas River", f"Java Sea; {PAC}", "the Heroes Monument; the Suramadu Bridge; the House of Sampoerna",
          "rawon; lontong balap; rujak cingur", "football; badminton"),
    _city("Pyongyang", "North Korea", "", "Korean", "continental", "capital snow", 3.2, 39.04, 125.76,
          "Taedong River", "", "the Juche Tower; the Arch of Triumph; Kim Il Sung Square",
          "naengmyeon cold noodles; kimchi; bibimbap", "football; table tennis; wrestling",
          "Pyong Yang; Pyeongyang"),
    _city("Nanjing", "China", "Jiangsu", "Mandarin", "subtropical", "", 9.5, 32.06, 118.8, "Yangtze River", "",
          "the Sun Yat-sen Mausoleum; the Confucius Temple; the Ming Xiaoling Mausoleum",
          "salted duck; duck blood soup; tangbao", "football; basketball", "Nanking"),
    _city("Kinshasa", "DR Congo", "", "French; Lingala", "tropical", "capital hot", 17, -4.44, 15.27, "Congo River", "",
          "the Lola ya Bonobo sanctuary; the Boulevard du 30 Juin; the Academy of Fine Arts",
          "fufu; moambe chicken; pondu", "football; basketball; boxing", "Kinshaha; Leopoldville"),
    _city("Rome", "Italy", "", "Italian", "mediterranean", "capital", 4.3, 41.9, 12.5, "Tiber", "",
          "the Colosseum; the Trevi Fountain; the Pantheon", "carbonara; cacio e pepe; supplì",
          "football; rugby; cycling", "Roma"),
    _city("Taipei", "Taiwan", "", "Mandarin; Taiwanese Hokkien", "subtropical", "capital hot", 7, 25.03, 121.57,
          "Tamsui River", "", "the National Palace Museum; the Chiang Kai-shek Memorial Hall; Shilin Night Market",
          "beef noodle soup; bubble tea; xiaolongbao", "baseball; basketball; badminton", "Taibei"),
    _city("Osaka", "Japan", "", "Japanese", "subtropical", "", 19, 34.69, 135.5, "Yodo River",
          f"Seto Inland Sea; {PAC}", "Dotonbori; Tsutenkaku Tower; Shitennoji Temple", "takoyaki; okonomiyaki; kushikatsu",
          "baseball; football; sumo"),
    _city("Kyiv", "Ukraine", "", "Ukrainian; Russian", "continental", "capital snow", 3.5, 50.45, 30.52, "Dnieper", "",
          "Saint Sophia Cathedral; Independence Square; the Golden Gate", "borscht; varenyky; salo",
          "football; boxing; basketball", "Kiev; Kyyiv"),
    _city("Yangon", "Myanmar", "", "Burmese", "tropical", "hot", 7.4, 16.87, 96.2, "Yangon River", "",
          "the Shwedagon Pagoda; the Sule Pagoda; Bogyoke Market", "mohinga; tea leaf salad; shan noodles",
          "football; chinlone", "Rangoon"),
    _city("Toronto", "Canada", "Ontario", "English; French", "continental", "snow", 6.7, 43.65, -79.38, "", "",
          "the CN Tower; the Royal Ontario Museum; Casa Loma", "peameal bacon sandwich; butter tarts; poutine",
          "ice hockey; basketball; baseball"),
    _city("Zibo", "China", "Shandong", "Mandarin", "continental", "", 4.7, 36.81, 118.05, "", "",
          "Zhoucun Ancient Commercial Town; the Museum of Qi Culture; the Pu Songling residence",
          "barbecue skewers; boshan tofu box; jianbing", "football; basketball; cuju"),
    _city("Dalian", "China", "Liaoning", "Mandarin", "continental", "", 6, 38.91, 121.6, "",
          f"Yellow Sea; Bohai Sea; {PAC}", "Xinghai Square; Tiger Beach; Bangchui Island",
          "seafood; sea urchin dumplings; menzi", "football; sailing"),
    _city("Daegu", "South Korea", "", "Korean", "subtropical", "", 2.4, 35.87, 128.6, "Geumho River", "",
          "Palgongsan Mountain; Seomun Market; Donghwasa Temple", "makchang; ttaro gukbap; napjak mandu",
          "baseball; football", "Taegu; Taega"),
    _city("Addis Ababa", "Ethiopia", "", "Amharic", "highland", "capital", 5.5, 9.03, 38.74, "", "",
          "Holy Trinity Cathedral; the Merkato market; the National Museum", "injera; doro wat; kitfo",
          "running; football", "Addis; Finfinne"),
    _city("Jinan", "China", "Shandong", "Mandarin", "continental", "", 9, 36.65, 117.12, "Yellow River", "",
          "Baotu Spring; Daming Lake; Thousand Buddha Mountain", "sweet and sour carp; bazi rou; youxuan pastry",
          "football; basketball", "Tsinan"),
    _city("Salvador", "Brazil", "Bahia", "Portuguese", "tropical", "hot", 4, -12.97, -38.5, "", ATL,
          "the Pelourinho; the Lacerda Elevator; the Church of Bonfim", "acarajé; moqueca; vatapá",
          "football; capoeira", "Salvador da Bahia", culture="the Carnival; Afro-Brazilian music"),
    _city("Incheon", "South Korea", "", "Korean", "continental", "snow", 3, 37.46, 126.71, "", f"Yellow Sea; {PAC}",
          "Chinatown; Songdo Central Park; Wolmido Island", "jjajangmyeon; dakgangjeong; naengmyeon",
          "baseball; football", "Inchon; Chemulpo"),
    _city("Semarang", "Indonesia", "Central Java", "Indonesian; Javanese", "tropical", "hot", 4, -6.97, 110.42, "",
          f"Java Sea; {PAC}", "Lawang Sewu; Sam Poo Kong Temple; the Old Town", "lumpia; bandeng presto; wingko",
          "football; badminton"),
    _city("Giza", "Egypt", "", "Arabic", "arid", "hot", 4, 30.01, 31.21, "Nile", "",
          "the Great Pyramid; the Great Sphinx; the Grand Egyptian Museum", "koshari; ful medames; feteer",
          "football; squash", "Gizeh"),
    _city("Changchun", "China", "Jilin", "Mandarin", "continental", "snow", 5, 43.82, 125.32, "Yitong River", "",
          "the Puppet Emperor's Palace; Jingyuetan Park; the film studio park", "guo bao rou; suan cai; dumplings",
          "football; ice hockey; speed skating"),
    _city("Havana", "Cuba", "", "Spanish", "tropical", "capital hot", 2.1, 23.11, -82.37, "",
          f"Straits of Florida; {ATL}", "the Malecón; El Capitolio; Morro Castle",
          "ropa vieja; Cuban sandwich; moros y cristianos", "baseball; boxing", "La Habana; Habana; Havanna",
          culture="salsa; cigars; classic cars"),
    _city("Nagoya", "Japan", "Aichi", "Japanese", "subtropical", "", 9, 35.18, 136.91, "", f"Ise Bay; {PAC}",
          "Atsuta Shrine; Osu Kannon Temple; the Toyota museum", "miso katsu; tebasaki chicken wings; hitsumabushi",
          "baseball; football; sumo"),
    _city("Belo Horizonte", "Brazil", "Minas Gerais", "Portuguese", "highland", "", 6, -19.92, -43.94, "", "",
          "the Pampulha Modern Ensemble; Liberty Square; the Mineirão stadium",
          "pão de queijo; feijão tropeiro; tutu", "football; volleyball", "BH; Beagá"),
    _city("Paris", "France", "Île-de-France", "French", "oceanic", "capital", 13, 48.86, 2.35, "Seine", "",
          "the Eiffel Tower; the Louvre; the Arc de Triomphe", "croissants; baguette; macarons",
          "football; rugby; tennis; cycling", "City of Light",
          culture="fashion; art"),
    _city("Tashkent", "Uzbekistan", "", "Uzbek; Russian", "continental", "capital snow", 3, 41.3, 69.24, "", "",
          "Chorsu Bazaar; Amir Timur Square; the Hazrati Imam Complex", "plov; samsa; lagman",
          "football; wrestling; boxing", "Toshkent"),
    _city("Fortaleza", "Brazil", "Ceará", "Portuguese", "tropical", "hot", 4, -3.73, -38.52, "", ATL,
          "Iracema Beach; the Dragão do Mar Cultural Center; the Metropolitan Cathedral",
          "baião de dois; carne de sol; tapioca crepes", "football; kitesurfing"),
    _city("Sukabumi", "Indonesia", "West Java", "Indonesian; Sundanese", "tropical", "", 2.7, -6.92, 106.93, "", "",
          "Mount Gede Pangrango; the Ciletuh Geopark; Pelabuhan Ratu beach", "mochi; bandros; soto",
          "football; badminton"),
    _city("Cali", "Colombia", "Valle del Cauca", "Spanish", "tropical", "hot", 2.8, 3.45, -76.53, "Cauca River", "",
          "the Cristo Rey statue; the San Antonio neighborhood; the Cat of the River statue",
          "sancocho; champús; aborrajados", "football; cycling", "Santiago de Cali", culture="salsa"),
    _city("Guayaquil", "Ecuador", "Guayas", "Spanish", "tropical", "hot", 3, -2.19, -79.89, "Guayas River", PAC,
          "the Malecón 2000; Las Peñas; Iguana Park", "encebollado; ceviche; bolón de verde", "football; volleyball"),
    _city("Qingdao", "China", "Shandong", "Mandarin", "subtropical", "", 6, 36.07, 120.38, "", f"Yellow Sea; {PAC}",
          "Zhanqiao Pier; Mount Laoshan; St. Michael's Cathedral", "seafood; clams; beer",
          "football; sailing; beach volleyball", "Tsingtao; Tsingtau"),
    _city("Izmir", "Turkey", "", "Turkish", "mediterranean", "", 4.4, 38.42, 27.14, "",
          "Aegean Sea; Mediterranean Sea", "the Clock Tower; Kemeraltı Bazaar; the Kordon waterfront",
          "boyoz; kumru sandwich; gevrek", "football; basketball; volleyball", "Smyrna"),
    _city("Cirebon", "Indonesia", "West Java", "Indonesian; Javanese; Sundanese", "tropical", "hot", 2, -6.71, 108.56,
          "", f"Java Sea; {PAC}", "Kasepuhan Palace; Sunyaragi Cave Park; the Trusmi batik village",
          "empal gentong; nasi jamblang; tahu gejrot", "football; badminton"),
    _city("Taiyuan", "China", "Shanxi", "Mandarin", "continental", "", 4.5, 37.87, 112.55, "Fen River", "",
          "Jinci Temple; the Twin Pagoda Temple; the Shanxi Museum", "knife-cut noodles; mature vinegar; guoyou rou",
          "football; basketball"),
    _city("Brasília", "Brazil", "Federal District", "Portuguese", "tropical", "capital", 4.8, -15.79, -47.88, "", "",
          "the Metropolitan Cathedral; the National Congress; Lake Paranoá", "pequi rice; pamonha; feijoada",
          "football; volleyball", "Brasilia"),
    _city("Bucharest", "Romania", "", "Romanian", "continental", "capital snow", 2.3, 44.43, 26.1, "Dâmbovița River",
          "", "the Palace of the Parliament; the Romanian Athenaeum; the Arcul de Triumf", "sarmale; mici; papanași",
          "football; tennis; handball", "Bucuresti; București"),
    _city("Faisalabad", "Pakistan", "Punjab", "Punjabi; Urdu", "arid", "hot", 3.7, 31.42, 73.08, "", "",
          "the Clock Tower; the Eight Bazaars; Gatwala Wildlife Park", "chanay; sajji; lassi",
          "cricket; field hockey", "Lyallpur"),
    _city("Quezon City", "Philippines", "Metro Manila", "Filipino; English", "tropical", "hot", 3, 14.68, 121.04, "",
          "", "the Memorial Circle; La Mesa Eco Park; the Araneta Coliseum", "adobo; sinigang; lechon",
          "basketball; boxing; volleyball", "QC; Quezon"),
    _city("Medan", "Indonesia", "North Sumatra", "Indonesian", "tropical", "hot", 4.7, 3.6, 98.67, "Deli River", "",
          "Maimun Palace; the Al-Mashun Great Mosque; the Tjong A Fie Mansion", "bika ambon; soto; durian pancakes",
          "football; badminton"),
    _city("Houston", "United States", "Texas", "English; Spanish", "subtropical", "hot", 7.3, 29.76, -95.37, "",
          "Gulf of Mexico", "Space Center; the Museum District; the Galleria", "Tex-Mex; barbecue brisket; crawfish",
          "American football; baseball; basketball", "Space City; H-Town",
          culture="NASA; the oil industry; rodeo", regions="the South; North America"),
    _city("Abidjan", "Ivory Coast", "", "French", "tropical", "hot", 5.6, 5.36, -4.01, "",
          f"Gulf of Guinea; {ATL}", "St. Paul's Cathedral; the Plateau district; Banco National Park",
          "attiéké; alloco; kedjenou", "football; basketball"),
    _city("Mashhad", "Iran", "", "Persian", "arid", "", 3.4, 36.3, 59.6, "", "",
          "the Imam Reza Shrine; the Tomb of Ferdowsi; Kuhsangi Park", "sholeh; saffron rice; shishlik",
          "football; wrestling; volleyball", "Meshed"),
    _city("Medellín", "Colombia", "Antioquia", "Spanish", "highland", "", 4, 6.24, -75.58, "", "",
          "Comuna 13; Plaza Botero; the Metrocable", "bandeja paisa; arepas; buñuelos", "football; cycling",
          "Medellin"),
    _city("Kanpur", "India", "Uttar Pradesh", "Hindi", "subtropical", "hot", 3.2, 26.45, 80.33, "Ganges", "",
          "the JK Temple; Allen Forest Zoo; Moti Jheel", "laddu; samosa; kachori", "cricket; kabaddi", "Cawnpore"),
    _city("Budapest", "Hungary", "", "Hungarian", "continental", "capital snow", 3, 47.5, 19.04, "Danube", "",
          "the Parliament Building; Buda Castle; the Széchenyi Thermal Bath; the Chain Bridge",
          "goulash; lángos; chimney cake", "football; water polo; handball"),
    _city("Caracas", "Venezuela", "", "Spanish", "highland", "capital", 3, 10.49, -66.88, "Guaire River", "",
          "El Ávila mountain; Plaza Bolívar; the Teresa Carreño Theater", "arepas; pabellón criollo; cachapas",
          "baseball; football; basketball"),
]
# fmt: on

_BY_NAME: dict[str, City] = {}


def _index(cities: list[City]) -> dict[str, City]:
    table: dict[str, City] = {}
    for c in cities:
        for n in c.names:
            table[fold(n)] = c
            for suffix in (COUNTRIES[c.country].name, *COUNTRIES[c.country].aliases):
                table[fold(f"{n}, {suffix}")] = c
    return table


def find_city(name: str, cities: list[City] | None = None) -> City:
    """Look a city up by name or alias, optionally with its country (case and accents ignored).

    Example:
        >>> find_city("sao paulo, brazil").name
        'São Paulo'
    """
    table = _index(cities) if cities is not None else (_BY_NAME or _BY_NAME.update(_index(CITIES)) or _BY_NAME)
    key = fold(name)
    if key not in table:
        pool = cities if cities is not None else CITIES
        raise ValueError(
            f"unknown city {name!r}; use one of the {len(pool)} city names or aliases "
            f"(e.g. 'paris', 'Paris, France', 'Bombay'), see lmrl_envs.tasks.guess_my_city.cities.CITIES"
        )
    return table[key]
