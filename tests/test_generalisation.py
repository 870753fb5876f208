"""Each kind of question of issues 9 and 10 on the real guide, real embedder and real index:
follow-ups whatever their length, topic switches, the asked fact first, several questions in one
message, exclusions, lists from the records, acronyms the guide spells out, ordinary wording
that must not trip a refusal rule, English leads, questions beyond the guide, dated figures."""

from __future__ import annotations

import re

import pytest

from guide_assistant.assistant.conversation import ThreadReader
from guide_assistant.assistant.records_query import split_questions
from guide_assistant.assistant.scope import Edition, ScopeReader, expand_acronym
from guide_assistant.assistant.service import LIMIT_TEXTS
from guide_assistant.ingest.facts import is_heading, quotable
from guide_assistant.records import Turn

ASP_PHONE = "05 49 37 56 30"
DDD_PHONE = "09 69 39 00 00"


def cited(answer) -> list[str]:
    return list(dict.fromkeys(c.section for c in answer.citations))


def first_line(answer) -> str:
    return answer.answer.split("\n\n")[0]


def conversation(assistant, *questions: str):
    """Ask each question with the real previous answers as history; the last Answer."""
    history: list[Turn] = []
    for q in questions:
        a = assistant.ask(q, history)
        history += [Turn(role="user", content=q), Turn(role="assistant", content=a.answer)]
    return a


# --------------------------------------------------------------------------- conversation


def test_a_long_follow_up_keeps_the_thread(assistant):
    a = conversation(assistant, "Qu'est-ce qu'un espace de vie sociale ?",
                     "Très bien, et si je voulais en ouvrir un dans mon bourg, qui dois-je aller voir en premier ?")
    assert a.debug["followup"] is True
    assert cited(a)[0] == "Atelier n°3"


def test_a_question_naming_its_own_topic_starts_a_new_thread(assistant):
    a = conversation(assistant, "Qui contacter pour la cantine à 1 € ?", "Et le numéro du Défenseur des droits ?")
    assert a.debug["followup"] is False
    assert cited(a)[0] == "Atelier n°10"
    assert DDD_PHONE in a.answer and ASP_PHONE not in a.answer


def test_three_turns_and_a_switch_back(assistant):
    a = conversation(assistant, "Comment financer des petits déjeuners à l'école ?", "Et qui dois-je contacter ?",
                     "Et pour les cantines à 1 € ?")
    assert cited(a)[0] == "Atelier n°1"
    assert ASP_PHONE in a.answer


def test_thread_reader_uses_the_guides_vocabulary(assistant):
    reader = ThreadReader(assistant.retriever.lexical, set(assistant.index.sections))
    history = [Turn(role="user", content="Comment financer des petits déjeuners ?"),
               Turn(role="assistant", content="D'après le guide, voir Atelier n°2, p. 7.")]
    assert reader.read("Et qui dois-je contacter ?", history).followup
    assert not reader.read("Et les points conseil budget ?", history).followup
    assert reader.read("Who do I call?", history).prior == ["Atelier n°2"]
    switched = [Turn(role="user", content="What does the Défenseur des droits do?"),
                Turn(role="assistant", content="… (Atelier n°10, p. 14).")]
    assert reader.read("How can residents reach them?", switched).followup


# --------------------------------------------------------------------------- sections and records


def test_editorial_sections_lose_to_a_workshop(assistant, sections):
    a = assistant.ask("Quels ateliers parlent de la CAF comme financeur ?")
    assert a.refused is False
    assert all(sections[s].role == "programme" for s in cited(a))


def test_section_roles_are_recorded_at_ingest(sections):
    assert sections["Le mot du préfet de région"].role == "editorial"
    assert sections["Informations pratiques"].role == "practical"
    assert sections["Atelier n°2"].role == "programme"


def test_the_asked_figure_leads(assistant):
    a = assistant.ask("Combien de jeunes de 16 à 18 ans sont sortis de l'école sans solution en Occitanie ?")
    assert "4 000" in first_line(a)


def test_a_schedule_time_is_answered_directly(assistant):
    a = assistant.ask("À quelle heure se termine la première session des ateliers ?")
    assert "14h55" in first_line(a)


def test_several_questions_in_one_message_each_get_an_answer(assistant):
    a = assistant.ask("Quel est le numéro du Défenseur des droits, et quel est le numéro vert de l'obligation "
                      "de formation ?")
    assert DDD_PHONE in a.answer and "0 800 122 500" in a.answer
    assert {"Atelier n°10", "Atelier n°4"} <= set(cited(a))


def test_split_questions():
    assert split_questions("Quel est le numéro X, et quel est le numéro Y ?") == [
        "Quel est le numéro X", "quel est le numéro Y ?"]
    assert split_questions("Comment financer des petits déjeuners et des repas ?") == [
        "Comment financer des petits déjeuners et des repas ?"]
    assert len(split_questions("Who runs workshop 2? And what does the State pay?")) == 2
    # a question word after a preposition opens a second question when a clause follows…
    assert split_questions("Where were the first conferences held, and with how many départements did the "
                           "State sign agreements?") == ["Where were the first conferences held",
                                                         "with how many départements did the State sign agreements?"]
    # …not a bare complement, nor a clause whose subject is in the first part
    assert len(split_questions("Vers quelle autorité l'envoyer et à quel numéro ?")) == 1
    assert len(split_questions("Which green number do I call and from what time is it staffed?")) == 1


def test_a_detail_the_best_section_lacks_comes_from_the_runner_up(assistant):
    a = assistant.ask("Depuis quand l'obligation de formation des jeunes de 16 à 18 ans s'applique-t-elle ?")
    assert "septembre 2020" in first_line(a)
    assert {"Introduction", "Atelier n°4"} <= set(cited(a))


@pytest.mark.parametrize("question, language, absent", [
    ("Roughly how many elected officials attended the 7 July 2021 conference?", "en", "This number is not given"),
    ("Combien d'élus ont assisté à la conférence du 7 juillet 2021, à peu près ?", "fr", "Ce nombre ne figure pas"),
])
def test_an_asked_figure_the_guide_does_not_give_is_said_to_be_missing(assistant, question, language, absent):
    a = assistant.ask(question)
    assert first_line(a).startswith(absent)
    assert not re.search(r"Answer: \d|Réponse du guide", a.answer)  # no date or link taken for the count


@pytest.mark.parametrize("question", [
    "Combien y a-t-il de points accueil écoute jeunes en Occitanie ?",  # « écoute » asks no cost
    "Combien de PAEJ y a-t-il en Occitanie ?",
])
def test_a_count_is_not_an_amount(assistant, question):
    a = assistant.ask(question)
    assert "20 PAEJ" in first_line(a) and "montant" not in a.answer.lower()


def test_an_excluded_place_is_not_cited(assistant):
    a = assistant.ask("En dehors des Hautes-Pyrénées, quel atelier parle du logement des jeunes ?")
    assert a.refused is False
    assert "Atelier n°6" in cited(a)
    assert all("Hautes-Pyrénées" not in assistant.index.sections[s].place for s in cited(a))


@pytest.mark.parametrize("question, excluded, expected", [
    # the excluded place's words do not draw retrieval to it; the next workshop answers
    ("En dehors de la Lozère, quel atelier parle de milieu rural ?", "Atelier n°17", "Atelier n°1"),
    # a name the excluded workshop's heading prints (« l'exemple de Lourdes »)
    ("Apart from Lourdes, which workshop deals with seasonal or rural workers?", "Atelier n°16", None),
])
def test_an_excluded_workshop_gives_way_to_the_next(assistant, question, excluded, expected):
    a = assistant.ask(question)
    assert not a.refused and excluded not in cited(a)
    assert expected is None or cited(a)[0] == expected


def test_workshops_of_a_department_are_listed_from_the_records(assistant, sections):
    a = assistant.ask("Which workshops take place in the Hérault?")
    expected = {label for label, s in sections.items() if "Hérault" in s.place}
    assert len(expected) >= 2
    assert set(cited(a)) == expected


@pytest.mark.parametrize("question, name", [
    ("Which sessions involve a UDAF?", "UDAF"),
    ("Quels ateliers ou tables-rondes font intervenir la CAF ?", "CAF"),
    ("Which workshops have a contact at a DDETS?", "DDETS"),
    ("Où le guide parle-t-il de l'UDAF ?", "UDAF"),
    ("Dans quelles sessions est-il question de France Services ?", "France Services?"),  # a name of two words
])
def test_sessions_printing_a_name_are_all_listed(assistant, sections, question, name):
    expected = {label for label, s in sections.items() if re.search(rf"\b{name}\d*\b", s.text, re.I)}
    assert len(expected) >= 2
    a = assistant.ask(question)
    assert set(cited(a)) == expected
    lines = [ln for ln in a.answer.splitlines() if ln.startswith("- ")]
    assert len(lines) == len(expected) and all(re.search(rf"\b{name}\d*\b", ln, re.I) for ln in lines)


def test_where_else_the_guide_mentions_a_name_lists_the_others(assistant, sections):
    a = assistant.ask("Apart from the ARS round table, where else does the guide mention the CAF?")
    expected = {label for label, s in sections.items() if re.search(r"\bCAF\d*\b", s.text, re.I)}
    assert len(expected) >= 2
    assert set(cited(a)) == expected


# --------------------------------------------------------------------------- refusal rules


@pytest.mark.parametrize("question, section", [
    ("Que faire en cas de VIF dans ma commune ?", "Atelier n°9"),
    ("C'est quoi un AMI pour les points conseil budget ?", "Atelier n°8"),
    ("Une victime de violences doit quitter son domicile : quel atelier parle de logements temporaires ?",
     "Atelier n°9"),
])
def test_ordinary_wording_is_not_refused(assistant, question, section):
    a = assistant.ask(question)
    assert a.refused is False
    assert section in cited(a)


def test_acronyms_spelt_out_in_the_guide(assistant):
    words = ScopeReader(list(assistant.index.sections.values())).words
    assert expand_acronym("VIF", words) == "violences intra familiales"
    assert expand_acronym("AMI", words).startswith("appel")
    assert expand_acronym("XYZ", words) is None


def test_numbered_headings_are_not_quoted():
    assert is_heading("1.4 Engagements du bénéficiaire")
    assert not is_heading("1. Les communes éligibles perçoivent 3 € par repas.")
    text = ("Titre de la section\nUne phrase assez longue pour fixer la largeur du texte de la section, "
            "qui se termine.\n1.4 Engagements du bénéficiaire\nLe bénéficiaire suit 20 heures de formation.")
    assert "Le bénéficiaire suit 20 heures de formation." in quotable(text)
    assert not any("Engagements" in s for s in quotable(text))


# --------------------------------------------------------------------------- language


def test_english_lead_carries_the_key_facts(assistant):
    a = assistant.ask("How many young people aged 16 to 18 left school with nothing in Occitanie?")
    lead = first_line(a)
    assert lead.startswith("Answer:") and "4 000" in lead.split("«")[0]


# --------------------------------------------------------------------------- beyond the guide


@pytest.mark.parametrize("question, language", [
    ("Le montant de l'aide de l'État pour les petits déjeuners a-t-il été revalorisé depuis 2021 ?", "fr"),
    ("Is the breakfast funding still available for the 2026 school year?", "en"),
    ("Quelles aides l'État propose-t-il pour les cantines scolaires en Bretagne ?", "fr"),
])
def test_beyond_the_guide_states_its_limit(assistant, question, language):
    a = assistant.ask(question)
    limit = {"fr": "il ne dit pas", "en": "it does not say"}[language]
    assert a.refused or limit in a.answer
    if not a.refused:
        assert a.answer.index(limit) < a.answer.index("«")  # the limit comes before the 2021 text
        assert "2021" in first_line(a)


@pytest.mark.parametrize("question, language", [
    ("Le Défenseur des droits a reçu combien de saisines l'année dernière ?", "fr"),
    ("Des nouvelles de Kalipolys ? ils ont ouvert une antenne à Mende depuis ?", "fr"),
    ("Is it too late to sign up for the domestic violence workshop, or is there a recording?", "en"),
    ("Has the canteen scheme been renewed, or was it scrapped?", "en"),
    ("Did the solidarity grocery project ever get off the ground?", "en"),
    ("L'aide aux points conseil budget a-t-elle été reconduite ?", "fr"),
    ("Depuis le webinaire, l'association a-t-elle ouvert une antenne ?", "fr"),
    ("L'Etat a-t-il prévu de prolonger le financement des points conseil budget ?", "fr"),
    # an announced plan's outcome, a halt, a period from the guide's year on, a recent past
    ("L'épicerie solidaire prévue à Rodez a-t-elle fini par voir le jour ?", "fr"),
    ("Did the new budget advice points that the State said it would fund in the Gers actually get going?", "en"),
    ("La permanence itinérante a été fermée ou pas ?", "fr"),
    ("Was the Lozère mobility scheme shut down?", "en"),
    ("Did the social centre in Agde get more money after 2021?", "en"),
    ("Combien de communes ont rejoint le dispositif depuis 2021 ?", "fr"),
    ("Has Lozère set up its union of CCAS since?", "en"),
    ("Une famille a perdu son logement la semaine dernière : le CCAS peut-il l'héberger ?", "fr"),
    ("Le point conseil budget de Foix, ça a donné quoi ?", "fr"),
    ("Which programme was the successor of the youth plan?", "en"),
    ("L'Aveyron a-t-il créé une union depuis ?", "fr"),  # French spacing before « ? »
    ("Les deux épiceries annoncées ont-elles finalement ouvert ?", "fr"),
    ("La cantine à 1 € existe-t-elle encore ?", "fr"),
    # an outcome read through "end up", an adverb of actuality on a past verb, a year past
    ("Did the Lot end up opening a France Services in each canton?", "en"),
    ("Combien de centres sociaux ont effectivement été créés dans les quartiers ?", "fr"),
    ("Au final, combien de jeunes ont signé un contrat ?", "fr"),
    ("Combien de familles le PCB de Foix a-t-il suivies l'an dernier ?", "fr"),
])
def test_time_words_of_either_language_mark_a_question_after_the_guide(assistant, question, language):
    assert assistant.scope.read(question, language).later


def test_a_name_in_single_quotes_the_guide_never_prints_is_unnamed(assistant):
    limits = assistant.scope.read("How does 'Territoires zéro chômeur de longue durée' work?", "en")
    assert limits.unnamed == ["Territoires zéro chômeur de longue durée"]
    assert assistant.scope.read("Qu'est-ce que l'AIVS ?", "fr").unnamed == []  # an apostrophe quotes nothing


@pytest.mark.parametrize("question, language", [
    ("Le contrat est-il renouvelable ?", "fr"),
    ("Did the guide say how long the aid lasts?", "en"),
    ("Quel est le prolongement de l'atelier n°3 ?", "fr"),
    ("Since when has the State supported the canteen scheme?", "en"),
    ("Qui a organisé l'atelier de Capendu ?", "fr"),
    ("Quel arrêté fixe la tarification sociale ?", "fr"),
    # "still" next to a negation is the state the guide gives at its date, not a change since
    ("Combien de départements n'ont toujours pas d'union de CCAS ?", "fr"),
    ("How many districts still lack a social centre?", "en"),
    ("Je n'ai encore jamais monté de point conseil budget : combien verse l'État ?", "fr"),
    ("Une commune qui a vraiment besoin d'aide pour sa cantine, que peut-elle faire ?", "fr"),
    ("Combien de places de crèche ont été créées en 2019 ?", "fr"),
    ("En 2021, combien de centres sociaux étaient prévus cette année-là ?", "fr"),
])
def test_words_of_the_guides_own_time_are_no_limit(assistant, question, language):
    assert not assistant.scope.read(question, language).later


@pytest.mark.parametrize("question, language, later", [
    # the asker's situation before the question: no question about today or an outcome
    ("Chaque hiver, nos saisonniers finissent toujours dans le rouge. Qui porte le guichet unique de Lourdes ?",
     "fr", False),
    ("Our food bank is now overwhelmed and families end up queuing for hours. Which workshop covers "
     "mobile grocery shops?", "en", False),
    # the question itself, or a statement after it, asks about today
    ("Nos familles viennent au CCAS chaque semaine. Le chèque de l'État existe-t-il toujours ?", "fr", True),
    ("Who chairs the budget advice workshop? I'd like to invite whoever runs it today.", "en", True),
])
def test_time_words_of_the_askers_situation_before_the_question_are_no_limit(assistant, question, language, later):
    assert assistant.scope.read(question, language).later is later


def test_a_question_within_the_guide_gets_no_limit_note(assistant):
    a = assistant.ask("Combien l'État verse-t-il par petit déjeuner ?")
    assert "ne dit pas" not in a.answer
    assert "1,30 €" in a.answer


def test_every_figure_is_dated(assistant):
    a = assistant.ask("Comment financer des petits déjeuners à l'école ?")
    lines = [ln for ln in a.answer.splitlines() if "€" in ln]
    assert lines and all("juillet 2021" in ln for ln in lines)


def test_the_edition_mark_elides_before_a_vowel():
    assert Edition("12 octobre 2023", 12, 2023, "octobre", "October").label("fr") == "guide d'octobre 2023"
    assert Edition("7 juillet 2021", 7, 2021, "juillet", "July").label("fr") == "guide de juillet 2021"


def test_the_guides_edition_and_region_come_from_its_text(assistant):
    scope = ScopeReader(list(assistant.index.sections.values()))
    assert (scope.edition.day, scope.edition.month_fr, scope.edition.year) == (7, "juillet", 2021)
    assert scope.region == "Occitanie"
    assert scope.read("À quelle heure commence l'atelier de Marseille ?").elsewhere == ["Marseille"]
    assert not scope.read("Quel atelier se tient à Tarbes ?")


def test_a_wrong_phone_in_the_question_is_corrected_first(assistant):
    a = assistant.ask("L'ASP c'est bien le 05 49 37 56 31 ?")
    assert first_line(a).startswith("Attention") and ASP_PHONE in first_line(a)
    assert "Attention" not in assistant.ask(f"Le numéro de l'ASP est bien le {ASP_PHONE} ?").answer


def test_english_capitalised_words_are_not_taken_for_unknown_names(assistant):
    a = assistant.ask("How much does the State pay per school canteen meal?")
    assert a.debug["limits"]["unnamed"] == []
    assert "does not mention" not in a.answer
    assert "3 €" in a.answer


def test_a_list_question_lists_every_section_that_mentions_its_subject(assistant):
    a = assistant.ask("Dans quels ateliers le guide parle-t-il des points conseil budget ?")
    assert {"Atelier n°8", "Atelier n°16"} <= set(cited(a))
    assert "Atelier n°5" not in cited(a)


def test_title_lines_are_not_quoted():
    assert is_heading("Modalités d'inscription et réception du lien de la visioconférence")
    assert is_heading("Liberté Égalité Fraternité")
    assert not is_heading("Claude Busto, maire de Capendu")
    assert not is_heading("14h05 → Lancement de la première session des ateliers")


def test_a_schedule_answer_may_add_the_introduction(assistant):
    a = assistant.ask("Can I attend two different workshops on the same afternoon?")
    assert "Introduction" in cited(a)
    assert "deux ateliers différents" in a.answer


def test_each_part_keeps_the_subject_of_the_whole_message(assistant):
    a = assistant.ask("When do registrations open, and what is the registration link?")
    assert a.refused is False and "not cover" not in a.answer
    first = a.answer.split("**2.")[0]
    assert "28 juin" in first.split("«")[0]  # the asked dates, in the English lead
    assert "eventbrite" in a.answer


# --------------------------------------------------------------------------- session 4


def test_an_amount_the_question_states_is_not_its_answer(assistant):
    # « 1 € » names the scheme: the lead is the State's 3 € per meal, not the « 1€ maximum » sentence
    a = assistant.ask("Combien l'État donne-t-il par repas pour la cantine à 1 € ?")
    assert "3 € par repas" in first_line(a)


def test_a_follow_up_keeps_the_thread_when_the_previous_answer_names_no_section(assistant):
    history = [Turn(role="user", content="C'est quoi un PAEJ ?"),
               Turn(role="assistant", content="Un lieu d'accueil gratuit et anonyme pour les jeunes.")]
    a = assistant.ask("c'est pour quel âge ?", history)
    assert a.debug["followup"] is True and cited(a)[0] == "Atelier n°5"
    assert "12-25" in a.answer or "12 à 25" in a.answer


def test_an_english_follow_up_is_not_refused_for_its_few_words(assistant):
    history = [Turn(role="user", content="What are these points conseil budget I keep hearing about?"),
               Turn(role="assistant", content="Drop-in services that help anyone with budget difficulties.")]
    a = assistant.ask("OK, so how much money does the State put into one, and for how long?", history)
    assert not a.refused and cited(a)[0] == "Atelier n°8"
    assert "15 000" in a.answer and "3 ans" in a.answer


def test_english_words_shared_with_french_do_not_start_a_new_thread(assistant):
    reader = ThreadReader(assistant.retriever.lexical, set(assistant.index.sections))
    assert not reader.new_topic("and for how long?", {"Atelier n°8"}, "en")
    assert reader.new_topic("And the Défenseur des droits number?", {"Atelier n°1"}, "en")


def test_a_who_question_leads_with_a_name(assistant):
    a = assistant.ask("who wrote the introduction to this guide?")
    assert first_line(a).startswith("Answer: Eric PÉLISSON")
    b = assistant.ask("Who moderates the round table on getting young people into work in the Tarn?")
    assert "Catherine Ferrier" in b.answer  # the speakers of the section's record


def test_a_time_question_about_workshops_is_no_list_question(assistant):
    a = assistant.ask("What time does the second round of workshops start and finish?")
    assert cited(a)[0] == "Déroulé de la conférence régionale"
    assert "15h00" in first_line(a)


def test_names_the_guide_prints_apart_or_across_a_line_are_known(assistant):
    scope = ScopeReader(list(assistant.index.sections.values()))
    assert scope.unnamed("Qui finance le tiers-lieu Kalipolys de Langogne ?") == []
    assert scope.unnamed("Où le guide parle-t-il du plan « 1 jeune 1 solution » ?") == []
    assert scope.unnamed("What can the CAF fund for my municipality?", "en") == []
    assert scope.unnamed("Comment obtenir une subvention FEDER ?") == ["FEDER"]


@pytest.mark.parametrize("question, place", [
    ("Does the breakfast programme apply in Spain?", "Spain"),
    ("Quelles aides pour les cantines en Alsace ?", "Alsace"),
    ("Y a-t-il un PAEJ au Havre ou à Brest ?", "Brest"),
    ("Does the breakfast programme exist in New Caledonia?", "New Caledonia"),
    ("Nos voisins de Vénissieux ont-ils un point conseil budget ?", "Vénissieux"),
    ("Quelles aides pour la cantine à Vierzon ?", "Vierzon"),  # communes from GeoNames, no list of ours
    ("Ma ville, c'est Montélimar : le petit-déjeuner y est-il financé ?", "Montélimar"),
    ("Does the breakfast programme apply in Le Plessis-Robinson?", "Le Plessis-Robinson"),
])
def test_other_countries_former_regions_and_large_towns_are_elsewhere(assistant, question, place):
    scope = ScopeReader(list(assistant.index.sections.values()))
    assert place in scope.read(question, "en" if "Does" in question else "fr").elsewhere
    assert not scope.read("Le PAEJ de Pamiers, en Midi-Pyrénées, accueille quels âges ?").elsewhere


@pytest.mark.parametrize("question", [
    "Does the canteen aid work the same way in other regions?",
    "Is there a breakfast scheme like this outside Occitanie?",
    "Est-ce la même chose en outre-mer ?",
    "Can our partner town in another country copy the breakfast programme?",
    "Le même dispositif existe-t-il dans d'autres départements ?",
    "Would this budget advice work the same way in southern France?",
])
def test_places_outside_the_region_without_a_place_name_are_elsewhere(assistant, question):
    assert assistant.scope.elsewhere(question)
    assert not assistant.scope.elsewhere("Quels ateliers se tiennent dans l'est de la région ?")
    assert not assistant.scope.elsewhere("Les autres départements de la région ont-ils un PAEJ ?")
    assert not assistant.scope.elsewhere("Le numéro vert marche-t-il pour une réunion sur Teams ?")  # a meeting


@pytest.mark.parametrize("question", [
    "À Castres, qui contacter pour la cantine à 1 € ?",
    "Our town is Millau: who funds the breakfasts?",
    "Mme Fontaine, du CCAS, demande qui appeler pour la cantine à 1 €.",
])
def test_a_commune_of_the_region_or_a_word_that_is_also_a_commune_is_no_limit(assistant, question):
    limits = assistant.scope.read(question, "en" if question.startswith("Our") else "fr")
    assert not limits.elsewhere and not limits.unnamed
    assert assistant.scope.elsewhere("La Croix-Rouge d'Orange peut-elle aider à payer la cantine ?") == ["Orange"]


def test_tomorrow_is_beyond_a_dated_guide(assistant):
    a = assistant.ask("Quel temps fera-t-il demain à Toulouse ?")
    assert a.refused or "il ne dit pas" in first_line(a)


def test_a_payment_waited_for_now_is_beyond_the_guide(assistant):
    a = assistant.ask("Ça fait trois mois qu'on attend le versement de l'ASP pour la cantine, c'est normal ?")
    assert a.refused or "il ne dit pas" in a.answer


def test_english_words_find_the_guides_own_words(built_index):
    # the multilingual word map replaces a glossary written from the project's own questions
    translate = built_index.word_map.translate
    assert "chômage" in translate(["jobless"])
    assert "permis" in translate(["licence"])
    assert {"déjeuner", "déjeuners"} & set(translate(["breakfast"]))
    assert translate(["both", "once", "have"]) == []  # English function words map to nothing
    assert translate(["cantine", "ccas"]) == []  # the guide's own words are searched as they are


def test_an_english_paraphrase_reaches_the_workshop_through_the_word_map(assistant):
    a = assistant.ask("Our unemployed residents have no driving licence: is there an example of help to get one?")
    assert cited(a)[0] == "Atelier n°13"


def test_a_question_naming_two_workshops_by_their_topics_gets_both(assistant):
    a = assistant.ask("Quel âge pour les PAEJ et pour le pass Culture ?")
    assert {"Atelier n°5", "Atelier n°11"} <= set(cited(a))
    b = assistant.ask("Compare what the State pays for a canteen meal and for a school breakfast.")
    assert {"Atelier n°1", "Atelier n°2"} <= set(cited(b))
    assert "3 €" in b.answer and "1,30 €" in b.answer


def test_a_single_topic_question_gets_no_see_also_from_topic_words(assistant):
    a = assistant.ask("Combien l'État verse-t-il par petit déjeuner ?")
    assert cited(a) == ["Atelier n°2"]


def test_everyday_words_the_guide_uses_once_name_no_section(assistant):
    # "journée", "rien", "village" occur in one or two sections each: no "see also" from them
    a = assistant.ask("Des gamins de 17 ans traînent dans le village toute la journée sans rien faire, "
                      "vers qui les orienter ?")
    assert cited(a) == ["Atelier n°4"]
    naming = assistant.retriever.lexical.naming_terms
    assert set(naming("toute la journée sans rien faire dans le village")) == set()
    assert {"udaf", "kalipoly", "paej", "dejeun"} <= set(naming("UDAF, Kalipolys, PAEJ, petit-déjeuner"))


def test_a_follow_up_of_a_follow_up_stays_on_the_topic_that_opened_the_thread(assistant):
    history = [Turn(role="user", content="Qu'est-ce qu'une union départementale de CCAS ?"),
               Turn(role="assistant", content="Une association qui regroupe les CCAS et CIAS d'un département."),
               Turn(role="user", content="Et combien y en a-t-il dans la région ?"),
               Turn(role="assistant", content="Il en existe 8.")]
    a = assistant.ask("Lesquels des départements n'en ont pas ?", history)
    assert a.debug["followup"] is True and cited(a)[0] == "Atelier n°18"
    assert "Lozère" in a.answer


def test_question_words_are_read_as_words():
    from guide_assistant.assistant.answer import asked, new_detail
    assert asked("Quelles communes sont éligibles à la tarification sociale des cantines ?") == "condition"
    assert asked("Is my town of 15000 people eligible for the 1 euro canteen?") == "condition"  # 1 € names it
    assert asked("Quel est le tarif de la cantine ?") == "amount"
    assert new_detail("count", "A ce jour une soixantaine d'UDCCAS sont en activité.", "Roughly how many?")


def test_english_names_of_places_and_an_ordinary_word():
    from guide_assistant.assistant.geography import places_in
    assert places_in("Is there a PAEJ in Marseilles or in Brussels?") == [
        ("Marseilles", "Provence-Alpes-Côte d'Azur"), ("Brussels", "Belgique")]
    assert places_in("We are a nice little town") == []


def test_the_right_amount_written_the_english_way_is_not_corrected(assistant):
    a = assistant.ask("Is it true the State pays €1.30 per school breakfast?")
    assert "not the one in the guide" not in a.answer and "1,30 €" in first_line(a)
    b = assistant.ask("Is it true the State pays €2 per school breakfast?")
    assert first_line(b).startswith("Note: the amount in your question is not the one in the guide")


def test_whom_to_contact_leads_with_the_contact(assistant):
    a = assistant.ask("Qui contacter pour la cantine à 1 € ?")
    assert ASP_PHONE in first_line(a)


def test_a_sentence_announcing_a_number_carries_it(assistant):
    sents = assistant.index.sentences["Informations pratiques"][0]
    assert any(s.endswith(": 05 34 45 36 39") for s in sents)
    a = assistant.ask("Which number do I call if I have no sound during the videoconference?")
    assert first_line(a).startswith("Answer: 05 34 45 36 39")


def test_two_parts_from_one_workshop_print_its_contact_card_once(assistant):
    a = assistant.ask("Pour la cantine à 1 €, l'État verse combien par repas et qui dois-je appeler ?")
    assert a.answer.startswith("**1.") and "**2." in a.answer
    assert a.answer.count("Contacts (Atelier n°1)") == 1 and "05 49 37 56 30" in a.answer


def test_a_name_on_its_own_line_is_quoted_with_the_role_under_it(assistant):
    sents = assistant.index.sentences["Contact"][0]
    assert any(s.startswith("Eric Pélisson, Commissaire à la prévention") for s in sents)
    a = assistant.ask("Who is the poverty prevention commissioner attached to the regional prefect?")
    assert first_line(a).startswith("Answer: Eric Pélisson")
    # a name-like line before anything but a role stays apart (the Republic's motto, a signature)
    body = "Les communes rurales peuvent mobiliser les dispositifs de la stratégie nationale de prévention.\n" * 4
    assert any(s.startswith("Jeanne Martin, Directrice") for s in
               quotable(f"Titre\n{body}Jeanne Martin\nDirectrice de la mission locale de l'Aude.\n"))
    assert not any("Fraternité, " in s for s in
                   quotable(f"Titre\n{body}Liberté Égalité Fraternité\nMesdames et messieurs les élus, bienvenue.\n"))


def test_two_subjects_joined_by_and_get_both_workshops(assistant):
    a = assistant.ask("Who presents the youth housing workshop and the AIVS workshop?")
    assert {"Atelier n°6", "Atelier n°12"} <= set(cited(a))
    assert "Gregory Pellerin" in a.answer and "Laurent Cherubin" in a.answer


def test_separate_questions_in_one_message_are_not_read_as_a_thread(assistant):
    a = assistant.ask("Quel est le numéro de l'ASP pour l'aide cantine, et qui appeler si la connexion à la "
                      "visio ne marche pas le jour J ?")
    second = a.answer.split("**2.")[1]
    assert ASP_PHONE in a.answer.split("**2.")[0]
    assert "Informations pratiques" in cited(a) and "05 34 45 36 39" in second and ASP_PHONE not in second


def test_a_count_question_leads_with_a_number_of_what_it_counts(assistant):
    a = assistant.ask("How many PAEJ are there in Occitanie?")
    assert "20 PAEJ" in first_line(a)


def test_each_one_refers_back_to_the_thread(assistant):
    a = conversation(assistant, "Qui contacter pour organiser des petits déjeuners à l'école ?",
                     "Et combien l'État verse-t-il pour chacun ?")
    assert cited(a)[0] == "Atelier n°2" and "1,30" in first_line(a)


@pytest.mark.parametrize("question, language, word", [
    ("Un parent d'élève menace de porter plainte contre la mairie à cause du tarif de la cantine : que risque-t-on ?",
     "fr", "plainte"),
    ("If our CCAS turns someone down for emergency aid, can they sue us?", "en", "sue"),
    # one decision on one person's case and its appeal
    ("The CAF turned down a family's housing aid last month. Can our CCAS get it overturned?", "en", "overturned"),
    ("La mission locale a refusé l'entrée d'un jeune au dispositif : comment contester ?", "fr", "contester"),
    ("Mon administré a reçu un refus pour son dossier, que faire ?", "fr", "refus"),
    # what will be decided for one person
    ("Une habitante suivie par le CCAS : sa demande de logement va-t-elle être acceptée ?", "fr", "va-t-elle être"),
    ("Will the mission locale find her a training place before the summer?", "en", "Will the mission locale find"),
])
def test_how_the_law_settles_a_case_is_beyond_the_guide(assistant, question, language, word):
    assert word in assistant.scope.read(question, language).legal
    a = assistant.ask(question)
    assert a.refused or ("il ne dit pas" if language == "fr" else "it does not say") in first_line(a)


@pytest.mark.parametrize("question, language, words", [
    ("Ma voisine au chômage va-t-elle obtenir une place en chantier d'insertion ?", "fr", ["va-t-elle obtenir"]),
    ("Notre candidature à l'appel à projets sera-t-elle retenue cette fois ?", "fr", ["sera-t-elle retenue"]),
    ("Will my town's bid for the new budget advice point funding, sent in March, be accepted?", "en", ["Will … be"]),
])
def test_a_decision_to_come_on_one_person_or_ones_own_file_is_a_personal_case(assistant, question, language, words):
    assert assistant.scope.legal(question, language) == words


def test_a_qualifier_after_a_scheme_noun_names_no_scheme(assistant):
    assert assistant.scope.read("La CAF a-t-elle des bonus particuliers pour les crèches ?", "fr").unnamed == []
    assert assistant.scope.read("Is there a special fund for school canteens?", "en").unnamed == []


@pytest.mark.parametrize("question, language", [
    ("Qui va payer les petits-déjeuners à l'école ?", "fr"),
    ("Combien va toucher un jeune en contrat d'engagement ?", "fr"),
    ("Who will pay for the breakfasts?", "en"),
])
def test_a_future_without_one_person_is_no_personal_case(assistant, question, language):
    assert assistant.scope.legal(question, language) == []


def test_a_scheme_the_guide_never_names_sends_to_the_commissioner_not_the_sections_contacts(assistant):
    a = assistant.ask("Le Fonds vert peut-il financer la rénovation de l'école ?")
    assert a.debug["limits"]["unnamed"] == ["Fonds vert"]
    assert a.refused or ("eric.pelisson@occitanie.gouv.fr" in a.answer
                         and LIMIT_TEXTS["fr"]["today"] not in a.answer)


def test_a_residents_name_is_no_unnamed_scheme(assistant):
    assert assistant.scope.read("Mme Dupont va être expulsée : le CCAS peut-il l'aider ?", "fr").unnamed == []


def test_a_french_scheme_name_in_an_english_question_is_read(assistant):
    assert "Garantie jeunes" in assistant.scope.read("How much is the Garantie jeunes allowance?", "en").unnamed


def test_the_guides_own_words_of_law_are_no_limit(assistant):
    assert assistant.scope.legal("Quelle responsabilité pour les élus dans l'accès aux droits ?") == []
    assert not assistant.scope.read("Combien l'État verse-t-il par repas pour la cantine à 1 € ?", "fr")


def test_a_later_part_keeps_the_limits_of_the_earlier_parts_it_refers_to(assistant):
    a = assistant.ask("Combien de PAEJ dans le Cantal, et qui contacter là-bas ?")
    first, second = a.debug["parts"]
    assert first["limits"]["elsewhere"] and second["limits"]["elsewhere"]  # "là-bas" is the Cantal
    assert a.answer.count("il ne dit pas ce qui s'applique ailleurs") == 2
    partial = assistant.ask("How many PAEJ does Occitanie have, and how many are there in Brittany?")
    answerable, beyond = partial.debug["parts"]
    assert not answerable["limits"]["elsewhere"] and beyond["limits"]["elsewhere"] == ["Brittany"]


def test_a_count_is_a_number_of_things_not_a_year_or_an_amount(assistant):
    a = assistant.ask("How many complaints did the Défenseur des droits receive in 2020?")
    assert "95 000" in first_line(a) and "2011" not in first_line(a)
    b = assistant.ask("Combien de PCB y a-t-il en Occitanie ?")
    assert "32" in first_line(b) and "15 000" not in first_line(b)


@pytest.mark.parametrize("question, verdict, condition", [
    ("Is my town of 15000 people eligible for the 1 euro canteen?", "No, going by the guide", "moins de 10.000 habitants"),
    ("Mon fils a 20 ans, est-il concerné par l'obligation de formation ?", "Non, d'après le guide", "de 16 à 18 ans"),
    # English thousands separator
    ("Is the 1 euro canteen available to a town of 25,000 inhabitants?", "No, going by the guide", "moins de 10.000"),
])
def test_a_figure_outside_a_condition_gets_a_no_with_the_condition(assistant, question, verdict, condition):
    a = assistant.ask(question)
    assert first_line(a).startswith(verdict) and condition in first_line(a)


def test_a_figure_within_a_condition_gets_the_conditions_never_a_yes(assistant):
    a = assistant.ask("Ma commune rurale de 8 000 habitants est-elle éligible à la cantine à 1 € ?")
    assert not first_line(a).startswith(("Non", "Oui"))
    assert "moins de 10.000 habitants" in first_line(a) or "péréquation" in first_line(a)


@pytest.mark.parametrize("question, said", [
    ("How much pass Culture credit do 15 to 17 year olds get?", "The guide does not say what applies to « 15 to 17 year olds »"),
    ("Le pass Culture, c'est combien pour les 15-17 ans ?", "Le guide ne dit pas ce qui vaut pour « 15-17 ans »"),
])
def test_a_figure_for_other_ages_says_the_guide_does_not_cover_the_asked_ages(assistant, question, said):
    a = assistant.ask(question)
    assert cited(a)[0] == "Atelier n°11" and first_line(a).startswith(said) and "jeunes de 18 ans" in first_line(a)
    b = assistant.ask("Le pass Culture, c'est combien pour un jeune de 18 ans ?")
    assert "ne dit pas ce qui vaut" not in b.answer  # the guide's own age


@pytest.mark.parametrize("question", [
    "Combien de quartiers prioritaires n'ont pas de centre social en Occitanie ?",
    "How many priority neighbourhoods have no social centre in Occitanie?",
])
def test_a_count_of_what_is_missing_leads_with_the_sentence_that_denies(assistant, question):
    a = assistant.ask(question)
    lead = next(line for line in a.answer.split("\n\n") if line.startswith(("Réponse du guide", "Answer:")))
    assert "trentaine" in lead and "105" not in lead


def test_a_statement_after_the_question_is_its_context_not_a_question():
    assert split_questions("Comment aider les familles à gérer leur budget ? Je donne environ 50 € par mois.") == [
        "Comment aider les familles à gérer leur budget ? Je donne environ 50 € par mois."]
    assert len(split_questions("Qui finance les PAEJ ? Combien y en a-t-il dans le Gers ?")) == 2


def test_a_scheme_the_guide_never_names_gets_no_quotes_of_the_prefects_word(assistant):
    a = assistant.ask("What does the guide say about the chèque énergie? Households come with unpaid heating bills.")
    assert a.refused and "chèque énergie" in a.answer
    assert "05 34 45 36 39" not in a.answer  # the conference's hotline is no contact for it


def test_an_amount_per_unit_leads_with_the_amount_per_that_unit(assistant):
    a = assistant.ask("How much does the State pay per canteen meal?")
    assert first_line(a).startswith("Answer: 3 €") and "par repas" in first_line(a)



def test_a_yes_no_question_leads_with_the_sentence_that_settles_it(assistant):
    a = assistant.ask("Les PAEJ sont-ils payants pour les jeunes ?")
    assert first_line(a).startswith("Réponse du guide") and "gratuit" in first_line(a)


def test_a_stated_population_is_read_against_the_guides_condition_without_the_word_eligible(assistant):
    a = assistant.ask("Notre commune compte 12 500 habitants : peut-elle toucher l'aide pour la cantine à 1 € ?")
    assert first_line(a).startswith("Non, d'après le guide") and "moins de 10.000 habitants" in first_line(a)
    b = assistant.ask("Is there a freephone number for the training obligation for 16-18 year olds?")
    assert "0 800 122 500" in first_line(b)  # "16-18 year olds" is a range, not an age to check


def test_a_runaway_history_is_read_from_its_recent_turns_only(assistant):
    from guide_assistant.assistant.conversation import bounded

    real = [Turn(role="user", content="Qui contacter pour la cantine à 1 € ?"),
            Turn(role="assistant", content=assistant.ask("Qui contacter pour la cantine à 1 € ?").answer)]
    forged = [Turn(role="user" if k % 2 == 0 else "assistant", content="bla " * 25_000) for k in range(40)] + real
    limits = assistant.settings.answer
    kept = bounded(forged, limits.max_history_turns, limits.max_history_turn_chars)
    assert len(kept) == limits.max_history_turns and max(len(t.content) for t in kept) <= limits.max_history_turn_chars
    assert kept[-2:] == [Turn(role=t.role, content=t.content[:limits.max_history_turn_chars]) for t in real]
    question = "Et leur adresse e-mail ?"
    assert assistant.ask(question, forged).answer == assistant.ask(question, real).answer


def test_an_amount_naming_a_scheme_is_no_claim_to_correct(assistant):
    a = assistant.ask("Les petits déjeuners à l'école sont-ils financés par l'État comme la cantine à 1 € ?")
    assert "Atelier n°2" in cited(a)
    assert "n'est pas celui du guide" not in a.answer
    b = assistant.ask("L'État paie bien 2 € par petit déjeuner ?")
    assert first_line(b).startswith("Attention") and "1,30" in first_line(b)


def test_the_phone_number_of_an_agency_is_no_count(assistant):
    a = assistant.ask("What's the phone number of the agency that handles the school canteen aid?")
    assert ASP_PHONE in first_line(a) and "10.000" not in first_line(a)
