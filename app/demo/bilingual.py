"""The demo's Welsh council: Cyngor Sir Ynys Môn, which speaks Welsh first, then English.

Its texts are written in Welsh, with English translations (``ENGLISH``, applied by ``apply``
once the rows exist); one proposal is in Welsh only and one in English only, as residents
may write in either. A round is in voting and last year's is published, so the demo shows a
Welsh ballot, a Welsh receipt and Welsh results with their explanations. The figures and
projects are illustrative, not the council's.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.workflow.models import Council, FundingRound, Phase, Role, User

SLUG = "ynys-mon"

# (slug, name, colour, description, [(neighbourhood, population, need weight)]), as
# app.demo.COUNCILS; in Welsh.
COUNCIL = (
    SLUG,
    "Cyngor Sir Ynys Môn",
    "#005a30",
    "Mae cymunedau Ynys Môn yn dewis sut i wario grantiau cymunedol y cyngor.",
    [
        ("Caergybi", 11000, None),
        ("Aethwy", 9000, None),
        ("Seiriol", 7000, None),
        ("Llifon", 6500, None),
        ("Talybolion", 6000, None),
    ],
)

# As app.demo.ROUNDS, in Welsh (two proposals are in one language only: see ONE_LANGUAGE).
ROUNDS = [
    (
        SLUG,
        "grantiau-cymunedol-2026",
        "Grantiau cymunedol 2026",
        "Mae pob ardal yn dewis prosiectau i’w hariannu o’i chyfran o £60,000. Gallwch "
        "bleidleisio dros hyd at dri phrosiect yn eich ardal chi.",
        60_000,
        Phase.VOTING,
        "population",
        "approval",
        "mes-add1",
        [
            (
                "Caergybi",
                "Gardd gymunedol ger yr harbwr",
                "Gwelyau tyfu a meinciau ar dir gwag ger yr harbwr, i bawb eu defnyddio.",
                4_000,
                "feasible",
            ),
            (
                "Caergybi",
                "Clwb gwaith cartref",
                "Clwb ar ôl ysgol ddwywaith yr wythnos yn y llyfrgell, gyda gwirfoddolwyr.",
                2_500,
                "feasible",
            ),
            (
                "Caergybi",
                "Ffilmiau yn yr awyr agored",
                "Pedair noson ffilm am ddim ar y traeth yn yr haf.",
                3_000,
                "feasible",
            ),
            (
                "Aethwy",
                "Meinciau ar lan y Fenai",
                "Chwe mainc newydd ar hyd llwybr glan y Fenai.",
                3_500,
                "feasible",
            ),
            (
                "Aethwy",
                "Gweithdy trwsio beiciau",
                "Gweithdy misol lle mae gwirfoddolwyr yn dysgu pobl i drwsio eu beiciau.",
                2_000,
                "feasible",
            ),
            (
                "Seiriol",
                "Sesiynau canu i bobl hŷn",
                "Côr wythnosol yn neuadd y pentref, gyda chludiant i’r rhai sydd ei angen.",
                2_800,
                "feasible",
            ),
            (
                "Seiriol",
                "Beach clean-up kit library",
                "Litter pickers, gloves and bags to borrow from the village shop.",
                900,
                "feasible",
            ),
            (
                "Llifon",
                "Goleuadau ar y llwybr i’r ysgol",
                "Goleuadau solar ar y llwybr troed rhwng y pentref a’r ysgol.",
                5_000,
                "feasible",
            ),
            (
                "Talybolion",
                "Bws mini cymunedol",
                "Bws mini i fynd â phobl i’r feddygfa a’r siopau ddwywaith yr wythnos.",
                6_000,
                "feasible",
            ),
            (
                "Talybolion",
                "Offer chwarae i’r parc",
                "Siglen a ffrâm ddringo newydd ym mharc y pentref.",
                4_500,
                "feasible",
            ),
        ],
    ),
    (
        SLUG,
        "grantiau-cymunedol-2025",
        "Grantiau cymunedol 2025",
        "Dewisodd pob ardal brosiectau o’i chyfran o £30,000. Mae’r canlyniadau a’r rhesymau "
        "dros bob un wedi’u cyhoeddi.",
        30_000,
        Phase.PUBLISHED,
        "equal",
        "approval",
        "mes-add1",
        [
            (h, t, s, c, "feasible")
            for h, t, s, c in [
                (
                    "Caergybi",
                    "Biniau compost cymunedol",
                    "Biniau compost ar gyfer y rhandiroedd.",
                    1_500,
                ),  # noqa: E501
                (
                    "Caergybi",
                    "Cyrsiau coginio i deuluoedd",
                    "Chwe gwers goginio yn y ganolfan.",
                    2_500,
                ),  # noqa: E501
                (
                    "Caergybi",
                    "Paent newydd i’r ganolfan ieuenctid",
                    "Pobl ifanc yn peintio’r ganolfan.",
                    1_800,
                ),  # noqa: E501
                (
                    "Aethwy",
                    "Planhigion i’r stryd fawr",
                    "Cafnau blodau ar hyd y stryd fawr.",
                    1_200,
                ),  # noqa: E501
                (
                    "Aethwy",
                    "Sesiynau nofio i ddechreuwyr",
                    "Gwersi nofio am ddim i oedolion.",
                    2_600,
                ),  # noqa: E501
                (
                    "Aethwy",
                    "Llyfrau Cymraeg i’r llyfrgell",
                    "Llyfrau newydd i ddysgwyr a phlant.",
                    900,
                ),  # noqa: E501
                ("Seiriol", "Cwt storio i’r clwb rhwyfo", "Cwt i gadw cychod a rhwyfau.", 2_200),  # noqa: E501
                ("Seiriol", "Diwrnod hwyl i’r teulu", "Diwrnod o weithgareddau ar y maes.", 1_500),  # noqa: E501
                ("Llifon", "Gwelyau blodau wrth y capel", "Blodau gwyllt ar gyfer y gwenyn.", 800),  # noqa: E501
                (
                    "Llifon",
                    "Taith gerdded hanes lleol",
                    "Arwyddion a thaflen am hanes y plwyf.",
                    1_000,
                ),  # noqa: E501
                ("Llifon", "Meinciau picnic", "Pedair mainc bicnic wrth y cae chwarae.", 1_400),  # noqa: E501
                ("Talybolion", "Clwb brecwast", "Brecwast am ddim cyn ysgol bob dydd.", 2_000),  # noqa: E501
                ("Talybolion", "Gardd synhwyraidd", "Gardd dawel i blant ac oedolion.", 2_700),  # noqa: E501
                (
                    "Talybolion",
                    "Arwyddion llwybrau",
                    "Arwyddion newydd ar y llwybrau cyhoeddus.",
                    700,
                ),  # noqa: E501
            ]
        ],
    ),
]

# Texts written in one language only: this proposal's language, and no translation.
ONE_LANGUAGE = {
    "Ffilmiau yn yr awyr agored": "cy",
    "Beach clean-up kit library": "en",
    "Litter pickers, gloves and bags to borrow from the village shop.": "en",
}

# The English of every Welsh text above (council, neighbourhoods, rounds, proposals).
ENGLISH = {
    "Cyngor Sir Ynys Môn": "Isle of Anglesey County Council",
    "Mae cymunedau Ynys Môn yn dewis sut i wario grantiau cymunedol y cyngor.": (
        "Anglesey’s communities choose how the council’s community grants are spent."
    ),
    "Caergybi": "Holyhead",
    "Aethwy": "Aethwy",
    "Seiriol": "Seiriol",
    "Llifon": "Llifon",
    "Talybolion": "Talybolion",
    "Grantiau cymunedol 2026": "Community grants 2026",
    ROUNDS[0][3]: "Each area chooses projects to fund from its share of £60,000. You can vote "
    "for up to three projects in your area.",
    "Grantiau cymunedol 2025": "Community grants 2025",
    ROUNDS[1][3]: "Each area chose projects from its share of £30,000. The results and the "
    "reasons for each are published.",
    "Gardd gymunedol ger yr harbwr": "Community garden by the harbour",
    "Gwelyau tyfu a meinciau ar dir gwag ger yr harbwr, i bawb eu defnyddio.": (
        "Raised beds and benches on empty land by the harbour, for everyone to use."
    ),
    "Clwb gwaith cartref": "Homework club",
    "Clwb ar ôl ysgol ddwywaith yr wythnos yn y llyfrgell, gyda gwirfoddolwyr.": (
        "An after-school club twice a week in the library, with volunteers."
    ),
    "Meinciau ar lan y Fenai": "Benches along the Menai",
    "Chwe mainc newydd ar hyd llwybr glan y Fenai.": "Six new benches along the Menai shore path.",
    "Gweithdy trwsio beiciau": "Bike repair workshop",
    "Gweithdy misol lle mae gwirfoddolwyr yn dysgu pobl i drwsio eu beiciau.": (
        "A monthly workshop where volunteers teach people to fix their bikes."
    ),
    "Sesiynau canu i bobl hŷn": "Singing sessions for older people",
    "Côr wythnosol yn neuadd y pentref, gyda chludiant i’r rhai sydd ei angen.": (
        "A weekly choir in the village hall, with transport for those who need it."
    ),
    "Goleuadau ar y llwybr i’r ysgol": "Lights on the path to school",
    "Goleuadau solar ar y llwybr troed rhwng y pentref a’r ysgol.": (
        "Solar lights on the footpath between the village and the school."
    ),
    "Bws mini cymunedol": "Community minibus",
    "Bws mini i fynd â phobl i’r feddygfa a’r siopau ddwywaith yr wythnos.": (
        "A minibus taking people to the surgery and the shops twice a week."
    ),
    "Offer chwarae i’r parc": "Play equipment for the park",
    "Siglen a ffrâm ddringo newydd ym mharc y pentref.": (
        "A new swing and climbing frame in the village park."
    ),
    "Biniau compost cymunedol": "Community compost bins",
    "Biniau compost ar gyfer y rhandiroedd.": "Compost bins for the allotments.",
    "Cyrsiau coginio i deuluoedd": "Family cooking courses",
    "Chwe gwers goginio yn y ganolfan.": "Six cooking lessons at the centre.",
    "Paent newydd i’r ganolfan ieuenctid": "New paint for the youth centre",
    "Pobl ifanc yn peintio’r ganolfan.": "Young people painting the centre.",
    "Planhigion i’r stryd fawr": "Planters for the high street",
    "Cafnau blodau ar hyd y stryd fawr.": "Flower troughs along the high street.",
    "Sesiynau nofio i ddechreuwyr": "Swimming sessions for beginners",
    "Gwersi nofio am ddim i oedolion.": "Free swimming lessons for adults.",
    "Llyfrau Cymraeg i’r llyfrgell": "Welsh books for the library",
    "Llyfrau newydd i ddysgwyr a phlant.": "New books for learners and children.",
    "Cwt storio i’r clwb rhwyfo": "Storage shed for the rowing club",
    "Cwt i gadw cychod a rhwyfau.": "A shed to keep boats and oars.",
    "Diwrnod hwyl i’r teulu": "Family fun day",
    "Diwrnod o weithgareddau ar y maes.": "A day of activities on the field.",
    "Gwelyau blodau wrth y capel": "Flower beds by the chapel",
    "Blodau gwyllt ar gyfer y gwenyn.": "Wild flowers for the bees.",
    "Taith gerdded hanes lleol": "Local history walk",
    "Arwyddion a thaflen am hanes y plwyf.": "Signs and a leaflet on the parish’s history.",
    "Meinciau picnic": "Picnic benches",
    "Pedair mainc bicnic wrth y cae chwarae.": "Four picnic benches by the playing field.",
    "Clwb brecwast": "Breakfast club",
    "Brecwast am ddim cyn ysgol bob dydd.": "A free breakfast before school every day.",
    "Gardd synhwyraidd": "Sensory garden",
    "Gardd dawel i blant ac oedolion.": "A quiet garden for children and adults.",
    "Arwyddion llwybrau": "Footpath signs",
    "Arwyddion newydd ar y llwybrau cyhoeddus.": "New signs on the public footpaths.",
}


def _round(slug, title, description, total, phase, kind, rule, proposals):
    return (SLUG, slug, title, description, total, phase, "population", kind, rule, proposals)


# A round of each other ballot kind, in voting, and one open for proposals: every ballot a
# Welsh resident can fill in, and proposing, in Welsh.
ROUNDS += [
    _round(
        "cronfa-ieuenctid-2026",
        "Cronfa ieuenctid 2026",
        "Mae gennych 10 pwynt i’w rhannu rhwng prosiectau i bobl ifanc yn eich ardal.",
        20_000,
        Phase.VOTING,
        "cumulative",
        "mes-greedy",
        [
            (
                "Caergybi",
                "Sesiynau sgrialu",
                "Hyfforddwyr sgrialu yn y parc bob dydd Sadwrn.",
                1_500,
                "feasible",
            ),  # noqa: E501
            (
                "Caergybi",
                "Gweithdai cerddoriaeth",
                "Gweithdai drymio a gitâr yn y ganolfan ieuenctid.",
                2_000,
                "feasible",
            ),  # noqa: E501
            (
                "Caergybi",
                "Taith i Eryri",
                "Taith gerdded a chanŵio i ddeugain o bobl ifanc.",
                3_000,
                "feasible",
            ),  # noqa: E501
            (
                "Aethwy",
                "Clwb codio",
                "Clwb codio wythnosol yn yr ysgol uwchradd.",
                1_200,
                "feasible",
            ),  # noqa: E501
        ],
    ),
    _round(
        "blaenoriaethau-2026",
        "Blaenoriaethau’r gymuned 2026",
        "Rhowch hyd at dri phrosiect yn nhrefn eich blaenoriaeth.",
        30_000,
        Phase.VOTING,
        "ranked",
        "greedy",
        [
            (
                "Caergybi",
                "Toiledau cyhoeddus ar y prom",
                "Adnewyddu’r toiledau cyhoeddus ger y traeth.",
                6_000,
                "feasible",
            ),  # noqa: E501
            (
                "Caergybi",
                "Llwybr beicio i’r ysgol",
                "Llwybr beicio diogel o’r stad i’r ysgol gynradd.",
                8_000,
                "feasible",
            ),  # noqa: E501
            (
                "Caergybi",
                "Ffynnon ddŵr yn y parc",
                "Ffynnon yfed i bawb ger y maes chwarae.",
                1_500,
                "feasible",
            ),  # noqa: E501
            (
                "Aethwy",
                "Coed stryd newydd",
                "Deg coeden newydd ar hyd y ffordd fawr.",
                2_500,
                "feasible",
            ),  # noqa: E501
        ],
    ),
    _round(
        "cyllideb-y-dref-2026",
        "Cyllideb y dref 2026",
        "Dewiswch brosiectau nad yw eu cost gyda’i gilydd yn fwy na chyfran eich ardal.",
        20_000,
        Phase.VOTING,
        "knapsack",
        "greedy",
        [
            (
                "Caergybi",
                "Marchnad ffermwyr fisol",
                "Stondinau a phebyll ar gyfer marchnad ar sgwâr y dref.",
                2_500,
                "feasible",
            ),  # noqa: E501
            (
                "Caergybi",
                "Goleuadau Nadolig",
                "Goleuadau newydd ar hyd y stryd fawr.",
                3_500,
                "feasible",
            ),  # noqa: E501
            (
                "Caergybi",
                "Hysbysfwrdd digidol",
                "Sgrin wybodaeth ddwyieithog ger yr orsaf.",
                4_000,
                "feasible",
            ),  # noqa: E501
            ("Aethwy", "Gardd law", "Gardd sy’n dal dŵr glaw ger yr ysgol.", 1_800, "feasible"),  # noqa: E501
        ],
    ),
    _round(
        "un-prosiect-mawr-2026",
        "Un prosiect mawr 2026",
        "Dewiswch un prosiect mawr i’ch ardal.",
        30_000,
        Phase.VOTING,
        "single-choice",
        "greedy",
        [
            (
                "Caergybi",
                "Cae chwarae 3G",
                "Cae pob tywydd i’r clybiau pêl-droed.",
                5_500,
                "feasible",
            ),  # noqa: E501
            (
                "Caergybi",
                "Adnewyddu’r neuadd gymunedol",
                "To newydd a chegin i’r neuadd.",
                6_000,
                "feasible",
            ),  # noqa: E501
            (
                "Caergybi",
                "Parc chwarae hygyrch",
                "Offer chwarae y gall pob plentyn eu defnyddio.",
                4_500,
                "feasible",
            ),  # noqa: E501
            (
                "Aethwy",
                "Pont droed newydd",
                "Pont droed dros yr afon i’r ysgol.",
                5_000,
                "feasible",
            ),  # noqa: E501
        ],
    ),
    _round(
        "syniadau-2027",
        "Syniadau ar gyfer 2027",
        "Rhannwch eich syniadau ar gyfer prosiectau yn eich ardal. Bydd swyddogion yn eu "
        "hadolygu cyn y bleidlais.",
        40_000,
        Phase.PROPOSALS,
        "approval",
        "greedy",
        [
            (
                "Caergybi",
                "Caffi trwsio",
                "Caffi misol lle mae gwirfoddolwyr yn trwsio pethau.",
                1_000,
                "submitted",
            ),  # noqa: E501
        ],
    ),
]

ENGLISH_MORE = {
    "Cronfa ieuenctid 2026": "Youth fund 2026",
    "Mae gennych 10 pwynt i’w rhannu rhwng prosiectau i bobl ifanc yn eich ardal.": (
        "You have 10 points to share between projects for young people in your area."
    ),
    "Sesiynau sgrialu": "Skateboarding sessions",
    "Hyfforddwyr sgrialu yn y parc bob dydd Sadwrn.": "Skateboarding coaches in the park every Saturday.",  # noqa: E501
    "Gweithdai cerddoriaeth": "Music workshops",
    "Gweithdai drymio a gitâr yn y ganolfan ieuenctid.": "Drumming and guitar workshops at the youth centre.",  # noqa: E501
    "Taith i Eryri": "A trip to Eryri",
    "Taith gerdded a chanŵio i ddeugain o bobl ifanc.": "A walking and canoeing trip for forty young people.",  # noqa: E501
    "Clwb codio": "Coding club",
    "Clwb codio wythnosol yn yr ysgol uwchradd.": "A weekly coding club at the secondary school.",
    "Blaenoriaethau’r gymuned 2026": "Community priorities 2026",
    "Rhowch hyd at dri phrosiect yn nhrefn eich blaenoriaeth.": "Rank up to three projects in order of priority.",  # noqa: E501
    "Toiledau cyhoeddus ar y prom": "Public toilets on the promenade",
    "Adnewyddu’r toiledau cyhoeddus ger y traeth.": "Refurbishing the public toilets by the beach.",
    "Llwybr beicio i’r ysgol": "Cycle path to school",
    "Llwybr beicio diogel o’r stad i’r ysgol gynradd.": "A safe cycle path from the estate to the primary school.",  # noqa: E501
    "Ffynnon ddŵr yn y parc": "Water fountain in the park",
    "Ffynnon yfed i bawb ger y maes chwarae.": "A drinking fountain for everyone by the playground.",  # noqa: E501
    "Coed stryd newydd": "New street trees",
    "Deg coeden newydd ar hyd y ffordd fawr.": "Ten new trees along the main road.",
    "Cyllideb y dref 2026": "Town budget 2026",
    "Dewiswch brosiectau nad yw eu cost gyda’i gilydd yn fwy na chyfran eich ardal.": (
        "Choose projects whose costs together are no more than your area’s share."
    ),
    "Marchnad ffermwyr fisol": "Monthly farmers’ market",
    "Stondinau a phebyll ar gyfer marchnad ar sgwâr y dref.": "Stalls and gazebos for a market on the town square.",  # noqa: E501
    "Goleuadau Nadolig": "Christmas lights",
    "Goleuadau newydd ar hyd y stryd fawr.": "New lights along the high street.",
    "Hysbysfwrdd digidol": "Digital noticeboard",
    "Sgrin wybodaeth ddwyieithog ger yr orsaf.": "A bilingual information screen by the station.",
    "Gardd law": "Rain garden",
    "Gardd sy’n dal dŵr glaw ger yr ysgol.": "A garden that catches rainwater by the school.",
    "Un prosiect mawr 2026": "One big project 2026",
    "Dewiswch un prosiect mawr i’ch ardal.": "Choose one big project for your area.",
    "Cae chwarae 3G": "3G pitch",
    "Cae pob tywydd i’r clybiau pêl-droed.": "An all-weather pitch for the football clubs.",
    "Adnewyddu’r neuadd gymunedol": "Refurbishing the community hall",
    "To newydd a chegin i’r neuadd.": "A new roof and kitchen for the hall.",
    "Parc chwarae hygyrch": "Accessible playground",
    "Offer chwarae y gall pob plentyn eu defnyddio.": "Play equipment every child can use.",
    "Pont droed newydd": "New footbridge",
    "Pont droed dros yr afon i’r ysgol.": "A footbridge over the river to the school.",
    "Syniadau ar gyfer 2027": "Ideas for 2027",
    ROUNDS[-1][3]: "Share your ideas for projects in your area. Officers will review them before "
    "the vote.",
    "Caffi trwsio": "Repair café",
    "Caffi misol lle mae gwirfoddolwyr yn trwsio pethau.": "A monthly café where volunteers fix things.",  # noqa: E501
}
ENGLISH.update(ENGLISH_MORE)

# (email, display name, home, date of birth, roles), as app.demo.PEOPLE; the first two chose
# Welsh; the third has not chosen a language, nor been checked against the roll.
PEOPLE = [
    (
        "preswylydd@ynysmon.devolve.example",
        "Gwen Preswylydd",
        (SLUG, "Caergybi"),
        date(1990, 3, 1),
        {SLUG: Role.RESIDENT},
    ),
    (
        "swyddog@ynysmon.devolve.example",
        "Elin Swyddog",
        (SLUG, "Aethwy"),
        None,
        {SLUG: Role.OFFICER},
    ),
    (
        "dysgwr@ynysmon.devolve.example",
        "Rhys Dysgwr",
        (SLUG, "Aethwy"),
        date(1985, 6, 20),
        {SLUG: Role.RESIDENT},
    ),
]
CHOSE_WELSH = ("preswylydd@ynysmon.devolve.example", "swyddog@ynysmon.devolve.example")

# As app.demo.voters.ROLL: the demo resident, and fourteen people in each area (enough
# ballots for last year's results in every pot to be published).
ROLL = [
    (SLUG, "YM", "Caergybi", date(1990, 3, 1), "preswylydd@ynysmon.devolve.example"),
    *[
        (SLUG, "YM", hood, None, None)
        for hood in ["Caergybi", "Aethwy", "Seiriol", "Llifon", "Talybolion"] * 14
    ],
]
BALLOTS = {"grantiau-cymunedol-2025": 70, "grantiau-cymunedol-2026": 6}
CONFIG = {
    "grantiau-cymunedol-2026": {"max_choices": 3, "home_pot_only": True},
    "grantiau-cymunedol-2025": {"max_choices": 3, "home_pot_only": True},
    "cronfa-ieuenctid-2026": {"points": 10, "max_points_per_project": 5, "home_pot_only": True},
    "blaenoriaethau-2026": {"max_choices": 3, "home_pot_only": True},
    "cyllideb-y-dref-2026": {"home_pot_only": True},
    "un-prosiect-mawr-2026": {"home_pot_only": True},
}


def _text_language(welsh: str | None) -> str:
    return ONE_LANGUAGE.get(welsh or "", "cy")


def _translate(row, fields: tuple[str, ...]) -> None:
    """The row's texts are in Welsh (or in the one language ONE_LANGUAGE says): add their
    English, where there is one."""
    first = getattr(row, fields[0])
    row.language = _text_language(first)
    english = {f: ENGLISH[getattr(row, f)] for f in fields if getattr(row, f) in ENGLISH}
    wanted = {"en": english} if english and row.language != "en" else {}
    if row.translations != wanted:
        row.translations = wanted


def apply(session: Session) -> None:
    """Make the Welsh council speak Welsh first, then English, and give its texts their
    English; its demo people chose Welsh. Safe to repeat."""
    council = session.scalar(select(Council).where(Council.slug == SLUG))
    if council is None:
        return
    council.languages = "cy en"
    _translate(council, ("name", "description"))
    for hood in council.neighbourhoods:
        _translate(hood, ("name",))
    for funding_round in session.scalars(
        select(FundingRound).where(FundingRound.council_id == council.id)
    ):
        _translate(funding_round, ("title", "description"))
        for pot in funding_round.pots:
            _translate(pot, ("name",))
        for proposal in funding_round.proposals:
            _translate(proposal, ("title", "summary", "description"))
    for email in CHOSE_WELSH:
        user = session.scalar(select(User).where(User.email == email))
        if user is not None and user.language is None:
            user.language = "cy"
    session.flush()
