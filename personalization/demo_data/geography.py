"""Where Brightcart's customers live: countries (mostly EU, plus UK, CH, NO), their regions,
cities, languages, usual e-mail providers, street names and the cultures of their names."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str
    share: float
    languages: dict[str, float]
    culture: str  # the culture most names come from
    domains: tuple[str, ...]
    cities: tuple[tuple[str, str, str], ...]  # (city, region, postcode)
    streets: tuple[str, ...]
    number_first: bool = False  # "12 High Street" rather than "Hauptstraße 12"


_INTL = ("gmail.com", "outlook.com")

COUNTRIES: tuple[Country, ...] = (
    Country("DE", 0.20, {"de": 1}, "german", ("gmx.de", "web.de", "t-online.de", *_INTL),
            (("Berlin", "Berlin", "10115"), ("Hamburg", "Hamburg", "20095"),
             ("München", "Bavaria", "80331"), ("Köln", "North Rhine-Westphalia", "50667"),
             ("Frankfurt am Main", "Hesse", "60311"), ("Stuttgart", "Baden-Württemberg", "70173"),
             ("Leipzig", "Saxony", "04109")),
            ("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Lindenallee", "Schillerstraße")),
    Country("FR", 0.13, {"fr": 1}, "french", ("orange.fr", "free.fr", "laposte.net", *_INTL),
            (("Paris", "Île-de-France", "75011"), ("Lyon", "Auvergne-Rhône-Alpes", "69002"),
             ("Marseille", "Provence-Alpes-Côte d'Azur", "13001"),
             ("Toulouse", "Occitanie", "31000"), ("Lille", "Hauts-de-France", "59000"),
             ("Nantes", "Pays de la Loire", "44000")),
            ("rue de la République", "avenue Victor Hugo", "rue du Moulin", "boulevard Voltaire"),
            number_first=True),
    Country("ES", 0.09, {"es": 0.85, "ca": 0.15}, "spanish", ("hotmail.es", "yahoo.es", *_INTL),
            (("Madrid", "Community of Madrid", "28013"), ("Barcelona", "Catalonia", "08001"),
             ("Valencia", "Valencian Community", "46002"), ("Sevilla", "Andalusia", "41001"),
             ("Bilbao", "Basque Country", "48001")),
            ("Calle Mayor", "Avenida de la Constitución", "Calle del Sol", "Paseo de Gracia")),
    Country("IT", 0.09, {"it": 1}, "italian", ("libero.it", "virgilio.it", *_INTL),
            (("Roma", "Lazio", "00184"), ("Milano", "Lombardy", "20121"),
             ("Napoli", "Campania", "80133"), ("Torino", "Piedmont", "10121"),
             ("Bologna", "Emilia-Romagna", "40121")),
            ("Via Roma", "Via Garibaldi", "Corso Italia", "Via Dante")),
    Country("NL", 0.07, {"nl": 1}, "dutch", ("ziggo.nl", "kpnmail.nl", *_INTL),
            (("Amsterdam", "North Holland", "1012 AB"), ("Rotterdam", "South Holland", "3011 AD"),
             ("Utrecht", "Utrecht", "3511 AA"), ("Eindhoven", "North Brabant", "5611 AB")),
            ("Kerkstraat", "Dorpsstraat", "Stationsweg", "Molenweg")),
    Country("PL", 0.06, {"pl": 1}, "polish", ("wp.pl", "onet.pl", "o2.pl", *_INTL),
            (("Warszawa", "Masovia", "00-001"), ("Kraków", "Lesser Poland", "30-001"),
             ("Wrocław", "Lower Silesia", "50-001"), ("Gdańsk", "Pomerania", "80-001")),
            ("ul. Kwiatowa", "ul. Polna", "ul. Lipowa", "ul. Słoneczna")),
    Country("GB", 0.07, {"en": 1}, "english", ("btinternet.com", "yahoo.co.uk", *_INTL),
            (("London", "Greater London", "SW1A 1AA"), ("Manchester", "North West", "M1 1AE"),
             ("Birmingham", "West Midlands", "B1 1AA"), ("Edinburgh", "Scotland", "EH1 1YZ"),
             ("Bristol", "South West", "BS1 4DJ")),
            ("High Street", "Station Road", "Church Lane", "Victoria Road"), number_first=True),
    Country("BE", 0.04, {"nl": 0.6, "fr": 0.4}, "dutch", ("telenet.be", "skynet.be", *_INTL),
            (("Brussels", "Brussels-Capital", "1000"), ("Antwerpen", "Flanders", "2000"),
             ("Gent", "Flanders", "9000"), ("Liège", "Wallonia", "4000")),
            ("Kerkstraat", "Rue de la Station", "Stationsstraat")),
    Country("AT", 0.04, {"de": 1}, "german", ("gmx.at", "aon.at", *_INTL),
            (("Wien", "Vienna", "1010"), ("Graz", "Styria", "8010"),
             ("Linz", "Upper Austria", "4020"), ("Salzburg", "Salzburg", "5020")),
            ("Hauptstraße", "Kirchengasse", "Mariahilfer Straße")),
    Country("PT", 0.03, {"pt": 1}, "portuguese", ("sapo.pt", *_INTL),
            (("Lisboa", "Lisbon", "1100-148"), ("Porto", "Norte", "4000-322"),
             ("Braga", "Norte", "4700-435")),
            ("Rua Augusta", "Avenida da Liberdade", "Rua de Santa Catarina")),
    Country("SE", 0.03, {"sv": 1}, "nordic", ("telia.com", *_INTL),
            (("Stockholm", "Stockholm County", "111 51"), ("Göteborg", "Västra Götaland", "411 01"),
             ("Malmö", "Skåne", "211 20")),
            ("Storgatan", "Kungsgatan", "Drottninggatan")),
    Country("IE", 0.02, {"en": 1}, "english", ("eircom.net", *_INTL),
            (("Dublin", "Leinster", "D02 X285"), ("Cork", "Munster", "T12 K8AF"),
             ("Galway", "Connacht", "H91 E2K3")),
            ("Main Street", "Church Road", "O'Connell Street"), number_first=True),
    Country("CZ", 0.02, {"cs": 1}, "czech", ("seznam.cz", "email.cz", *_INTL),
            (("Praha", "Prague", "110 00"), ("Brno", "South Moravia", "602 00"),
             ("Ostrava", "Moravia-Silesia", "702 00")),
            ("Národní", "Husova", "Masarykova")),
    Country("DK", 0.02, {"da": 1}, "nordic", ("mail.dk", *_INTL),
            (("København", "Capital Region", "1050"), ("Aarhus", "Central Jutland", "8000")),
            ("Vestergade", "Nørregade", "Strøget")),
    Country("CH", 0.025, {"de": 0.63, "fr": 0.24, "it": 0.08, "en": 0.05}, "german",
            ("bluewin.ch", "gmx.ch", *_INTL),
            (("Zürich", "Zurich", "8001"), ("Genève", "Geneva", "1201"), ("Basel", "Basel", "4001"),
             ("Lugano", "Ticino", "6900"), ("Bern", "Bern", "3011")),
            ("Bahnhofstrasse", "Rue du Rhône", "Via Nassa")),
    Country("GR", 0.015, {"el": 1}, "greek", ("otenet.gr", *_INTL),
            (("Athina", "Attica", "105 57"), ("Thessaloniki", "Central Macedonia", "546 24")),
            ("Odos Ermou", "Odos Athinas")),
    Country("FI", 0.012, {"fi": 0.9, "sv": 0.1}, "nordic", ("luukku.com", *_INTL),
            (("Helsinki", "Uusimaa", "00100"), ("Tampere", "Pirkanmaa", "33100")),
            ("Mannerheimintie", "Hämeenkatu")),
    Country("NO", 0.012, {"no": 1}, "nordic", ("online.no", *_INTL),
            (("Oslo", "Oslo", "0150"), ("Bergen", "Vestland", "5003")),
            ("Karl Johans gate", "Storgata")),
)

# Cities of regionally multilingual countries and the languages spoken there (others: any).
CITY_LANGUAGES: dict[str, tuple[str, ...]] = {
    "Brussels": ("fr", "nl"), "Antwerpen": ("nl",), "Gent": ("nl",), "Liège": ("fr",),
    "Zürich": ("de",), "Genève": ("fr",), "Basel": ("de",), "Lugano": ("it",), "Bern": ("de",),
}  # fmt: skip

# Who else lives everywhere: the cultures of the remaining names (about one in five).
MIXED_CULTURES: dict[str, float] = {
    "turkish": 0.17, "arabic": 0.14, "polish": 0.09, "indian": 0.1, "chinese": 0.08,
    "west_african": 0.08, "vietnamese": 0.05, "english": 0.07, "italian": 0.05, "spanish": 0.05,
    "portuguese": 0.04, "greek": 0.03, "french": 0.05,
}  # fmt: skip
MIXED_SHARE = 0.2
ENGLISH_PREFERENCE = 0.07  # customers who chose English whatever their country
