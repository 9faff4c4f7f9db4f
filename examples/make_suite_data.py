"""Build the input data of the shipped suites (``nlperr/resources/suites``) from public corpora.

Run from the repository root with the corpora in ``../shared/data`` (or pass ``--shared``)::

    python examples/make_suite_data.py --shared ../shared/data

Deterministic (seeded); ``tests/test_suites_data.py`` checks that the shipped files are
exactly what this script writes.  What it takes (see ``nlperr/resources/suites/README.md``):

* ``sentiment-en.txt``: self-written CC0 sentences (names, cities), then 400 review sentences
  from *Sentiment Labelled Sentences* (Kotzias et al., KDD 2015; CC BY 4.0): every sentence
  in which the suite's first-name or city perturbation applies, up to 60 with numbers, up to
  60 with contractions, the rest a seeded sample balanced over the three domains and labels.
* ``ner-en.ents.txt``: self-written CC0 sentences (names, places, dates, contractions) in
  ``[text](LABEL)`` markup, then 360 tweets of WNUT-17 (Derczynski et al., 2017; CC BY 4.0)
  with their gold entities (WNUT's own types): every tweet in which a name / city / country
  perturbation applies, the rest a seeded sample of tweets with at least one entity.  Tweets
  holding ``[]()`` (markup characters) or HTML entities are left out; tokens are joined
  with single spaces except that clitics (``n't``, ``'s`` ...) and closing punctuation are
  re-attached to the previous token.
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

RES = Path(__file__).resolve().parents[1] / "nlperr" / "resources" / "suites"
N_SENTIMENT, N_NER = 400, 360

SENTIMENT_SELF = """\
The flight was great and the crew was friendly.
I love this airline, the seats are so comfortable.
The food was terrible and the service was slow.
My bag was lost and nobody helped me.
The hotel in Paris was amazing.
Maria was very helpful at the check-in desk.
I don't like the new website, it is confusing.
The staff were rude and the room was dirty.
Thanks for the quick response, John!
It was an average flight, nothing special.
The pilot landed smoothly in Chicago.
I can't believe how bad the customer service is.
The movie was boring and too long.
What a wonderful experience, I will fly with you again.
The seats were cramped and the wifi didn't work.
My order arrived on time and the quality is excellent.
The price is fair for what you get.
I waited 3 hours at the gate in Boston and it was awful.
The support team solved my problem in 10 minutes.
This is the worst phone I have ever owned.
The concert in Berlin was fantastic.
The product is okay but the battery is weak.
Ahmed was happy with the upgrade to business class.
They cancelled my flight and didn't refund me.
The meal was delicious and the dessert was perfect.
The app crashes every time I open it.
It is a nice little restaurant near London.
I'm disappointed with the delivery, it was late again.
The team did a brilliant job on the project.
The room was clean and the view was beautiful.
Our layover in Atlanta was long but the lounge was comfortable.
The best pizza I have had outside of Naples was in Toronto.
The hotel staff in Madrid could not have been nicer.
Our luggage ended up in Denver while we were in Seattle.
The food tour in Lisbon was the highlight of the trip.
The shuttle from the airport in Miami never showed up.
I would not recommend the branch in Manchester to anyone.
The museum in Amsterdam was crowded and overpriced.
Everything about our stay in Vienna was lovely.
The train to Milan was clean, fast and on time.
Customer service in Dublin sorted out my refund in a day.
The taxi driver in Istanbul took the long way and overcharged us.
The sushi place near our hotel in Tokyo was outstanding.
Check-in at Houston took forever and the agent was rude.
The rooftop bar in Bangkok has a stunning view.
The apartment in Sydney looked nothing like the photos.
Our guide in Cairo was friendly and very knowledgeable.
The connection through Frankfurt to Warsaw was a nightmare.
I had a relaxing weekend in Edinburgh thanks to this hotel.
The street food in Mumbai was cheap and delicious.
"""

NER_SELF = """\
[Maria Garcia](PER) moved from [Madrid](LOC) to [Chicago](LOC) in 2019.
[John Smith](PER) works for [Google](ORG) in [London](LOC).
The meeting with [Ahmed](PER) is on March 3, 2021 in [Cairo](LOC).
[Priya Patel](PER) said she would call [David](PER) tomorrow.
We landed in [Tokyo](LOC) after a 12 hour flight from [Paris](LOC).
[Carlos](PER) and [Emma](PER) visited [Berlin](LOC) last summer.
[Microsoft](ORG) opened a new office in [Nairobi](LOC) with 300 employees.
I can't believe [Sarah](PER) won the race in [Boston](LOC)!
The invoice from [Acme Corp](ORG) was sent to [Mark Johnson](PER) on 04/12/2020.
[Kwame Mensah](PER) flew to [Accra](LOC) to see his family.
Our team in [Toronto](LOC) shipped 25 orders to [Mexico](LOC) this week.
[Yuki Tanaka](PER) is the new manager at [Sony](ORG).
Please send the report to [Laura](PER) before Friday.
[Amazon](ORG) delivered the package to [Seattle](LOC) two days late.
[Pierre Martin](PER) grew up in [Lyon](LOC) and studied in [Rome](LOC).
The concert in [Dublin](LOC) was cancelled, [Michael](PER) told us.
[Fatima](PER) and [Omar](PER) don't live in [Dubai](LOC) anymore.
[Apple](ORG) hired [Anna Schmidt](PER) as a designer in [Munich](LOC).
It's 15 miles from [Oxford](LOC) to the airport.
[Rahul Sharma](PER) met [Wei Chen](PER) in [Singapore](LOC) on May 5, 2022.
The [United Nations](ORG) held a summit in [Geneva](LOC).
[Sofia](PER) bought 3 tickets for the show in [Barcelona](LOC).
[Thomas](PER) doesn't like the weather in [Manchester](LOC).
[Tesla](ORG) recalled 2,000 cars sold in [Canada](LOC).
[Chinedu Okafor](PER) is studying medicine in [Lagos](LOC).
We stayed at a small hotel near [Lisbon](LOC) for 5 nights.
[Olivia](PER) sent an email to [Netflix](ORG) support about her account.
[Hans Muller](PER) has been the mayor of [Hamburg](LOC) since 2015.
The train from [Vienna](LOC) to [Prague](LOC) takes 4 hours.
[Lucia](PER) works at a hospital in [Buenos Aires](LOC).
[Samsung](ORG) and [Intel](ORG) announced a deal worth 5 billion dollars.
[James](PER) isn't coming to [Sydney](LOC) until December 1, 2023.
[Aisha Khalil](PER) teaches history at a school in [Amman](LOC).
The flight from [Seoul](LOC) to [Bangkok](LOC) was delayed by 45 minutes.
[Daniel](PER) and [Grace](PER) got married in [Edinburgh](LOC).
[Nike](ORG) sponsors [Valentina Rodriguez](PER), a runner from [Lima](LOC).
I'm meeting [Arjun](PER) at the station in [Mumbai](LOC) at 7.
[Camille Dubois](PER) wrote a book about [Marseille](LOC).
The office in [Stockholm](LOC) has 40 desks and 2 kitchens.
[Jorge](PER) called [IBM](ORG) customer service 3 times yesterday.
[Elena Rossi](PER) won't be in [Madrid](LOC) on June 14, 2024.
The contract with [Siemens](ORG) was signed on 02/03/2021 in [Berlin](LOC).
[Peter](PER) didn't get the parcel from [Amazon](ORG) before March 9, 2023.
On January 20, 2022 [Grace Kim](PER) started her new job in [Seoul](LOC).
[Luis](PER) isn't sure the meeting in [Bogota](LOC) is on 11/05/2024.
The festival in [Edinburgh](LOC) ends on August 28, 2023, [Jack](PER) said.
[Nokia](ORG) doesn't plan to close the office in [Helsinki](LOC) before 2030.
We're flying to [Athens](LOC) with [Olivia](PER) on April 2, 2024.
[Hannah Weber](PER) wasn't at the conference in [Zurich](LOC) on 15/09/2022.
[Toyota](ORG) opened a plant near [Osaka](LOC) on October 1, 2019.
[George](PER) can't attend the hearing in [Dublin](LOC) on May 30, 2023.
The payment to [Visa](ORG) was due on 07/01/2024, [Emily](PER) wrote.
[Andrew Clark](PER) hasn't visited [Nairobi](LOC) since February 3, 2018.
[Priya](PER) and [Mark](PER) didn't know the shop in [Delhi](LOC) closed on December 24, 2022.
I'm told [Spotify](ORG) moved its team from [Stockholm](LOC) to [London](LOC) on 03/06/2023.
[Rachel Green](PER) won't sign anything before July 4, 2024 in [Boston](LOC).
[Kenji Sato](PER) doesn't work for [Sony](ORG) in [Tokyo](LOC) since 2021-05-01.
The invoice from [Oracle](ORG) is dated November 11, 2022 and [Paul](PER) hasn't paid it.
[Amina](PER) couldn't reach [Casablanca](LOC) before September 5, 2023.
We'll meet [Thomas Becker](PER) in [Munich](LOC) on 12/12/2024.
[Maria Silva](PER) isn't leaving [Sao Paulo](LOC) until March 1, 2025.
The court in [Warsaw](LOC) didn't rule on the case before June 30, 2021.
[David](PER) said [Uber](ORG) wouldn't refund the ride he took in [Chicago](LOC) on 08/08/2023.
[Laura](PER) wasn't born in [Lyon](LOC); she moved there on April 18, 2015.
"""



_CLITIC = {"n't", "'s", "'m", "'re", "'ll", "'ve", "'d", "N'T", "'S", "'M", "'RE", "'LL", "'VE", "'D"}
_CLOSE = re.compile(r"^[.,!?:;%]+$")


def join_tokens(words: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Words -> text and character offsets (clitics and closing punctuation re-attached)."""
    text, offs = "", []
    for i, w in enumerate(words):
        if i and not (w in _CLITIC or _CLOSE.match(w)):
            text += " "
        offs.append((len(text), len(text) + len(w)))
        text += w
    return text, offs


def _changed(examples, suite, names):
    from nlperr.perturb import case_seed, get_perturbation, perturb
    out = {}
    for name in names:
        t = suite.test(name)
        p = get_perturbation(t.perturbation)
        params = p.params(t.params, where=name)
        if p.prepare is not None:
            params = p.prepare(examples, params)
        out[name] = {ex.id for ex in examples if perturb(ex, p.fn, seed=case_seed(0, name, ex.id),
                                                          params=params).changed}
    return out


def sentiment_lines(shared: Path) -> list[str]:
    from nlperr.data import Example
    from nlperr.suites import load_suite
    rows, seen = [], set()
    for domain in ("amazon_cells", "imdb", "yelp"):
        path = shared / "sentiment_labelled" / f"{domain}_labelled.txt"
        for ln in path.read_text(encoding="utf-8").splitlines():
            if "\t" not in ln:
                continue
            text, label = ln.rsplit("\t", 1)
            text = " ".join(text.split())
            if not 4 <= len(text.split()) <= 40 or text in seen:
                continue
            seen.add(text)
            rows.append((domain, label.strip(), Example(text, id=f"{domain}:{len(rows)}")))
    suite = load_suite("sentiment-en")
    ch = _changed([r[2] for r in rows], suite, ["change first names", "change cities", "change numbers",
                                                 "expand contractions"])
    rng = random.Random(0)
    chosen: list[str] = []
    for name, cap in (("change first names", None), ("change cities", None), ("change numbers", 60),
                      ("expand contractions", 60)):
        ids = sorted(i for i in ch[name] if i not in chosen)
        if cap is not None and len(ids) > cap:
            ids = sorted(rng.sample(ids, cap))
        chosen += ids
    by_id = {r[2].id: r for r in rows}
    strata: dict[tuple[str, str], list[str]] = {}
    for d, lab, ex in rows:
        if ex.id not in chosen:
            strata.setdefault((d, lab), []).append(ex.id)
    keys = sorted(strata)
    for k in keys:
        rng.shuffle(strata[k])
    i = 0
    while len(chosen) < N_SENTIMENT:
        k = keys[i % len(keys)]
        if strata[k]:
            chosen.append(strata[k].pop())
        i += 1
    order = sorted(chosen, key=lambda x: (x.split(":")[0], int(x.split(":")[1])))
    return [by_id[x][2].text for x in order]


def ner_lines(shared: Path) -> list[str]:
    from nlperr.data import Example, Span
    from nlperr.io import load
    from nlperr.suites import load_suite
    cands = []
    for fname in ("wnut17train.conll", "emerging.dev.conll", "emerging.test.annotated"):
        for j, ex in enumerate(load(shared / "wnut17" / fname, format="conll")):
            words = [ex.text[t.start:t.end] for t in ex.tokens]
            if not 5 <= len(words) <= 40 or any(c in ex.text for c in "[]()&"):
                continue
            text, offs = join_tokens(words)
            starts = {t.start: k for k, t in enumerate(ex.tokens)}
            ends = {t.end: k for k, t in enumerate(ex.tokens)}
            spans = tuple(Span(offs[starts[s.start]][0], offs[ends[s.end]][1], s.label) for s in ex.spans or ())
            if any(" " in s.label or "(" in s.label for s in spans):
                continue
            cands.append(Example(text, spans=spans, id=f"{fname}:{j}"))
    suite = load_suite("ner-en")
    ch = _changed(cands, suite, ["change first names", "change last names", "change cities", "change countries"])
    chosen: list[str] = []
    for name in ("change first names", "change last names", "change cities", "change countries"):
        chosen += sorted(i for i in ch[name] if i not in chosen)
    rng = random.Random(0)
    rest = [ex.id for ex in cands if ex.spans and ex.id not in chosen]
    rng.shuffle(rest)
    chosen += rest[:max(0, N_NER - len(chosen))]
    by_id = {ex.id: ex for ex in cands}
    keep = set(chosen)
    out = []
    for ex in cands:
        if ex.id in keep:
            parts, pos = [], 0
            for s in ex.spans or ():
                parts.append(ex.text[pos:s.start] + f"[{ex.text[s.start:s.end]}]({s.label})")
                pos = s.end
            out.append("".join(parts) + ex.text[pos:])
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--out", type=Path, default=RES)
    args = ap.parse_args(argv)
    sent = SENTIMENT_SELF.splitlines() + sentiment_lines(args.shared)
    ner = NER_SELF.splitlines() + ner_lines(args.shared)
    (args.out / "sentiment-en.txt").write_text("\n".join(sent) + "\n", encoding="utf-8")
    (args.out / "ner-en.ents.txt").write_text("\n".join(ner) + "\n", encoding="utf-8")
    print(f"sentiment-en.txt: {len(sent)} lines; ner-en.ents.txt: {len(ner)} lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
