"""Word lists for the seed: people's names, company names, cities and phone ranges by country.

Phone patterns are national significant numbers: digits stay as written, `N` is a digit 2–9 and
`X` any digit. Demo-mode clicks must not ring a real person, so where a country reserves numbers
for fiction, every number comes from those ranges:

- United States (NANP): `NPA-555-0100`..`0199`, first in the city's own area code, then in any
  area code `phonenumbers` knows (≈38,000 numbers).
- United Kingdom (Ofcom's drama ranges): `020 7946 0xxx`, `0161 496 0xxx`, `0131 496 0xxx`,
  `0117 496 0xxx`, then the other cities' (`0121`, `0113`, `0114`, `0115`, `0116 496 0xxx`,
  `0191 498 0xxx`, `028 9649 6xxx`, `029 2018 0xxx`); mobiles `07700 900xxx`, which
  `phonenumbers` deliberately treats as invalid (listed in `UNCHECKED_RANGES`).
- France (ARCEP): `01 99 00 xx xx` for every number, landlines and mobiles alike.

Germany, India, Brazil and Japan reserve no such range: their numbers are valid-looking and may
exist. The ranges are small, so at large `--prospects` numbers repeat once a range is used up
(`dialer_app.sandbox.phones`). Every other number is checked with `phonenumbers`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class City:
    name: str
    region: str
    time_zone: str
    landline: str  # pattern for the city's landlines (company main lines, direct lines)


@dataclass(frozen=True, slots=True)
class Country:
    code: str  # ISO 3166-1 alpha-2, as phonenumbers and Outreach's countryCode use it
    name: str
    weight: int  # relative share of prospects
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    company_words: tuple[str, ...]
    company_suffixes: tuple[str, ...]
    tld: str
    cities: tuple[City, ...]
    mobile: tuple[str, ...]
    fallback: tuple[str, ...] = ()  # patterns to draw from once the first is used up


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


INDUSTRIES = _words(
    "Analytics Logistics Robotics Health Energy Foods Systems Software Payments Labs Consulting"
    " Networks Security Capital Media Materials Mobility Biotech Retail Insurance Cloud Devices"
)

TITLES = (
    "VP of Sales",
    "Head of Procurement",
    "Director of Operations",
    "IT Manager",
    "Chief Technology Officer",
    "Chief Financial Officer",
    "Office Manager",
    "Purchasing Lead",
    "Head of Customer Success",
    "Engineering Manager",
    "Marketing Director",
    "Founder & CEO",
    "Facilities Coordinator",
    "Head of Partnerships",
    "Revenue Operations Manager",
)

PROSPECT_TAGS = (
    "Inbound",
    "Webinar 2025",
    "Trade show",
    "Referral",
    "Enterprise",
    "SMB",
    "Churn risk",
)

# Ofcom's drama ranges of other UK cities: where London's and the rest run out.
GB_DRAMA_LANDLINES = (
    "1214960XXX",
    "1134960XXX",
    "1144960XXX",
    "1154960XXX",
    "1164960XXX",
    "1914980XXX",
    "2896496XXX",
    "2920180XXX",
)
FR_FICTION = "19900XXXX"  # +33 1 99 00 xx xx, set aside for films and books
# Reserved for fiction, yet `phonenumbers` calls them invalid: drawn without its check.
UNCHECKED_RANGES = frozenset({"7700900XXX"})

COUNTRIES: tuple[Country, ...] = (
    Country(
        code="US",
        name="United States",
        weight=30,
        first_names=_words(
            "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara"
            " Richard Susan Joseph Jessica Thomas Sarah Christopher Karen Daniel Nancy Matthew Lisa"
            " Anthony Betty Mark Sandra Steven Ashley Andrew Kimberly Joshua Emily Kevin Michelle"
            " Brian Amanda Ryan Melissa Jacob Stephanie Tyler Rebecca Brandon Laura Aaron Heather"
        ),
        last_names=_words(
            "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez"
            " Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson"
            " White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright"
            " Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell O'Brien"
        ),
        company_words=_words(
            "Summit Redwood Liberty Granite Beacon Pioneer Cascade Keystone Harbor Frontier"
            " Evergreen Lakeshore Ironclad Bluebird Northstar Silverline Prairie Mesa Atlas Patriot"
        ),
        company_suffixes=("Inc.", "LLC", "Corp.", "Co."),
        tld="com",
        cities=(
            City("New York", "NY", "America/New_York", "21255501XX"),
            City("Boston", "MA", "America/New_York", "61755501XX"),
            City("Chicago", "IL", "America/Chicago", "31255501XX"),
            City("Austin", "TX", "America/Chicago", "51255501XX"),
            City("Denver", "CO", "America/Denver", "30355501XX"),
            City("San Francisco", "CA", "America/Los_Angeles", "41555501XX"),
            City("Seattle", "WA", "America/Los_Angeles", "20655501XX"),
        ),
        mobile=("64655501XX", "91755501XX", "41555501XX", "31255501XX", "73755501XX"),
        fallback=("NXX55501XX",),
    ),
    Country(
        code="GB",
        name="United Kingdom",
        weight=14,
        first_names=_words(
            "Oliver Amelia George Isla Harry Ava Jack Emily Charlie Sophie Thomas Grace Oscar Lily"
            " William Freya James Chloe Alfie Evie Henry Poppy Joshua Ella Arthur Imogen"
            " Rhys Siobhan"
        ),
        last_names=_words(
            "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans"
            " Walker White Roberts Green Hall Wood Jackson Clarke Hughes Edwards Patel Khan"
            " Fitzgerald MacDonald Campbell Stewart Murphy Price"
        ),
        company_words=_words(
            "Thames Albion Pennine Cotswold Highgate Windsor Brunel Sterling Kingsway Mersey Avon"
            " Carlisle Greenwich Chiltern Hadrian Marlow"
        ),
        company_suffixes=("Ltd", "plc", "Group Ltd"),
        tld="co.uk",
        cities=(
            City("London", "England", "Europe/London", "2079460XXX"),
            City("Manchester", "England", "Europe/London", "1614960XXX"),
            City("Edinburgh", "Scotland", "Europe/London", "1314960XXX"),
            City("Bristol", "England", "Europe/London", "1174960XXX"),
        ),
        mobile=("7700900XXX",),
        fallback=GB_DRAMA_LANDLINES,
    ),
    Country(
        code="DE",
        name="Germany",
        weight=14,
        first_names=_words(
            "Lukas Anna Leon Mia Finn Hannah Jonas Lena Paul Lea Felix Sophie Maximilian Marie"
            " Elias Johanna Jürgen Lina Tobias Katharina Matthias Julia Stefan Jana Björn"
            " Sören Anke"
        ),
        last_names=_words(
            "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer"
            " Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger"
            " Hofmann Hartmann Lange Weiß Jäger Groß Strauß Vogel"
        ),
        company_words=_words(
            "Rhein Alpen Nordlicht Elbe Hanse Bergwerk Donau Spree Taunus Schwarzwald Isar Weser"
            " Brücken Sonnen Eichen Falken"
        ),
        company_suffixes=("GmbH", "AG", "GmbH & Co. KG", "SE"),
        tld="de",
        cities=(
            City("Berlin", "Berlin", "Europe/Berlin", "30NXXXXXXX"),
            City("München", "Bayern", "Europe/Berlin", "89NXXXXXXX"),
            City("Hamburg", "Hamburg", "Europe/Berlin", "40NXXXXXXX"),
            City("Köln", "Nordrhein-Westfalen", "Europe/Berlin", "221NXXXXXX"),
            City("Frankfurt am Main", "Hessen", "Europe/Berlin", "69NXXXXXXX"),
        ),
        mobile=("151XXXXXXXX", "160XXXXXXX", "170XXXXXXX", "171XXXXXXX", "176XXXXXXXX"),
    ),
    Country(
        code="FR",
        name="France",
        weight=12,
        first_names=_words(
            "Gabriel Louise Léo Jade Raphaël Emma Arthur Alice Louis Chloé Lucas Léa Adam Manon"
            " Hugo Camille Jules Inès Maël Élodie François Hélène Benoît Margaux Théo Zoé"
            " Noël Anaïs"
        ),
        last_names=_words(
            "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent"
            " Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André"
            " Mercier Dupont Lambert Bonnet François Faure Rousseau"
        ),
        company_words=_words(
            "Lumière Azur Horizon Seine Provence Étoile Atlantique Mistral Orée Vallée Citadelle"
            " Alpine Loire Rivage Aurore Bastide"
        ),
        company_suffixes=("SA", "SAS", "SARL"),
        tld="fr",
        cities=(
            City("Paris", "Île-de-France", "Europe/Paris", FR_FICTION),
            City("Lyon", "Auvergne-Rhône-Alpes", "Europe/Paris", FR_FICTION),
            City("Bordeaux", "Nouvelle-Aquitaine", "Europe/Paris", FR_FICTION),
            City("Lille", "Hauts-de-France", "Europe/Paris", FR_FICTION),
        ),
        mobile=(FR_FICTION,),
    ),
    Country(
        code="IN",
        name="India",
        weight=12,
        first_names=_words(
            "Aarav Ananya Vivaan Diya Aditya Isha Arjun Priya Sai Kavya Rohan Meera Vikram Neha"
            " Rahul Pooja Karthik Lakshmi Suresh Deepika Anil Sunita Rajesh Aisha Imran Farhan"
        ),
        last_names=_words(
            "Sharma Verma Patel Gupta Singh Kumar Reddy Iyer Nair Menon Rao Joshi Mehta Shah Das"
            " Banerjee Chatterjee Mukherjee Pillai Agarwal Kapoor Malhotra Chopra Bhat Desai"
        ),
        company_words=_words(
            "Infotech Tata Sagar Ganga Himalaya Lotus Sahyadri Kaveri Surya Vayu Prithvi Indus"
            " Deccan Nilgiri Aravali Narmada"
        ),
        company_suffixes=("Pvt Ltd", "Ltd", "Technologies Pvt Ltd"),
        tld="in",
        cities=(
            City("Mumbai", "Maharashtra", "Asia/Kolkata", "22NXXXXXXX"),
            City("Bengaluru", "Karnataka", "Asia/Kolkata", "804XXXXXXX"),
            City("New Delhi", "Delhi", "Asia/Kolkata", "113XXXXXXX"),
            City("Chennai", "Tamil Nadu", "Asia/Kolkata", "44NXXXXXXX"),
            City("Hyderabad", "Telangana", "Asia/Kolkata", "40NXXXXXXX"),
        ),
        mobile=("98XXXXXXXX", "99XXXXXXXX", "97XXXXXXXX", "81XXXXXXXX", "70XXXXXXXX"),
    ),
    Country(
        code="BR",
        name="Brazil",
        weight=10,
        first_names=_words(
            "Miguel Helena Arthur Alice Heitor Laura Davi Manuela Gabriel Valentina Bernardo"
            " Sophia Lucas Isabella Matheus Luíza João Júlia Pedro Giovanna Thiago Beatriz"
            " Luís Camila Caio Letícia"
        ),
        last_names=_words(
            "Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro"
            " Martins Carvalho Almeida Lopes Soares Fernandes Vieira Barbosa Araújo Gonçalves"
            " Conceição Magalhães"
        ),
        company_words=_words(
            "Horizonte Atlântico Ipê Cerrado Guanabara Pampa Tropical Jacarandá Amazônia Sertão"
            " Paraná Serra Litoral Aurora"
        ),
        company_suffixes=("Ltda", "S.A.", "Ltda ME"),
        tld="com.br",
        cities=(
            City("São Paulo", "SP", "America/Sao_Paulo", "113XXXXXXX"),
            City("Rio de Janeiro", "RJ", "America/Sao_Paulo", "213XXXXXXX"),
            City("Belo Horizonte", "MG", "America/Sao_Paulo", "313XXXXXXX"),
            City("Manaus", "AM", "America/Manaus", "923XXXXXXX"),
        ),
        mobile=("119XXXXXXXX", "219XXXXXXXX", "319XXXXXXXX"),
    ),
    Country(
        code="JP",
        name="Japan",
        weight=8,
        first_names=_words(
            "Haruto Yui Sota Himari Yuto Mei Riku Sakura Hinata Aoi Takumi Yuna Kenji Akiko"
            " Hiroshi Yoko Takeshi Naoko Daiki Emi Shota Rina"
        ),
        last_names=_words(
            "Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato"
            " Yoshida Yamada Sasaki Yamaguchi Matsumoto Inoue Kimura Hayashi Shimizu Ōta"
        ),
        company_words=_words(
            "Sakura Fuji Kaze Hikari Asahi Midori Tsubasa Nami Yamato Hoshi Kawa Sora Mirai Kumo"
        ),
        company_suffixes=("K.K.", "Co., Ltd.", "Holdings"),
        tld="co.jp",
        cities=(
            City("Tokyo", "Tokyo", "Asia/Tokyo", "3NXXXXXXX"),
            City("Osaka", "Osaka", "Asia/Tokyo", "6NXXXXXXX"),
            City("Nagoya", "Aichi", "Asia/Tokyo", "52NXXXXXX"),
        ),
        mobile=("90XXXXXXXX", "80XXXXXXXX", "70XXXXXXXX"),
    ),
)

USERS = (
    # (first, last, email, title) — user 1 is the rep the static tokens sign in as
    ("Alex", "Morgan", "alex.morgan@dialer-demo.example", "Account Executive"),
    ("Priya", "Raman", "priya.raman@dialer-demo.example", "Sales Development Rep"),
    ("Lukas", "Brenner", "lukas.brenner@dialer-demo.example", "Sales Development Rep"),
    ("Camille", "Rousseau", "camille.rousseau@dialer-demo.example", "Sales Manager"),
)

DISPOSITIONS = (
    ("Answered - Meeting Set", "Answered"),
    ("Answered - Not Interested", "Answered"),
    ("Answered - Wrong Contact", "Answered"),
    ("Answered - Call Back Later", "Answered"),
    ("No Answer", "Not Answered"),
    ("Left Voicemail", "Not Answered"),
    ("Bad Number", "Not Answered"),
    ("Gatekeeper", "Answered"),
)

PURPOSES = ("Prospecting", "Follow-up", "Meeting Confirmation", "Discovery", "Renewal")

# (name, description, steps as (stepType, interval in minutes, task note))
SEQUENCES = (
    (
        "Outbound – Enterprise Q3",
        "Cold outbound to enterprise accounts: email, call, call, breakup email.",
        (
            ("auto_email", 0, ""),
            ("call", 2880, "Open with the Q3 benchmark; ask who owns procurement."),
            ("manual_email", 2880, ""),
            ("call", 4320, "Second attempt: leave a voicemail if no answer."),
            ("auto_email", 7200, ""),
        ),
    ),
    (
        "Inbound Lead Follow-up",
        "Fast follow-up for demo requests from the website.",
        (
            ("call", 0, "Call within five minutes of the request."),
            ("auto_email", 60, ""),
            ("call", 1440, "Confirm the demo slot."),
        ),
    ),
    (
        "Event Follow-up – Trade Show",
        "People we met at the booth.",
        (
            ("manual_email", 0, ""),
            ("call", 2880, "Mention the booth conversation."),
            ("task", 4320, "Connect on LinkedIn."),
        ),
    ),
)
