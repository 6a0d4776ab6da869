#!/usr/bin/env python3
"""Writes crates/extract/tests/data/phone-gold-constructed.tsv: phone extraction gold lines built
from hand-written advert contexts and hand-written ways of writing a number, labelled by
construction (never by the extractor). Independent of the simulator's renderer. Every number is
from Ofcom's drama ranges. Run: python3 scripts/make-phone-gold.py > crates/extract/tests/data/phone-gold-constructed.tsv
"""

CONTEXTS = [
    "Call me on {n} after 6pm",
    "{n} - texts only, no withheld numbers",
    "New girl Jade, 22, £90 30min. Ring {n}",
    "Size 10, 5ft 6, {n} 24/7",
    "Age 24 | {n} | B5 area",
    "Incall Digbeth B5. Bookings: {n}",
    "Discreet apartment near New Street, phone {n} for address",
    "Sweet Amber 25yo, outcalls only, {n}, £150 per hour",
    "Open 10am-2am. {n}. Parking on site",
    "Hi gents, it's Lola. My number is {n} - text first x",
    "Back 12/12! Same number {n}",
    "Massage & more, call reception {n}",
    "{n}",
    "Genuine pics, {n}, 100% real",
    "WhatsApp only {n}",
    "Busty blonde, 34DD, text {n} to book",
    "Available today 11am till late on {n}",
    "Please call {n} (no private numbers)",
    "New number!! {n}",
    "For bookings ring {n} or email bookings@orchid.example",
    "Visiting Coventry this week only, {n}, £100 1hr",
    "Mature lady 45, Walsall WS1, call {n} between 10 and 6",
    "No texts, calls only: {n}",
    "Reception: {n}. Walk-ins welcome 9am-9pm",
    "Ebony Sasha, 5'4, size 8, {n}",
    "Real photos, 2 mins from the station, {n}",
    "Duo available, 2 girls, {n} for prices",
    "Ring {n} now, only £60!!",
    "{n} call or text anytime",
    "Hotel visits, Birmingham city centre, {n}",
    "Sorry no anal, no bareback. {n}",
    "Flat 3, buzz twice. Text {n} when outside",
    "Mon-Sat 9-5, {n}",
    "Lovely Kim from Thailand... just kidding, from Leeds! {n}",
    "30 mins £70 / 1hr £120 / {n}",
    "Book now on {n} and ask for Ruby",
    "My phone: {n} x",
    "Agency line {n} - 24 hours",
    "Available 7 days {n}",
    "Quick reply on {n}, promise",
]

DECOYS = [
    "Open 7 days, 10am till 10pm, £80 30min",
    "Size 8-10, 32B, 5ft 2, age 21",
    "Posted 29/11/2026 at 23:15, ref 88123",
    "Near B5 6DY and WS10 7AD, 2 mins walk",
    "Overnight £1,200, dinner date £400",
    "Call after 9, before 11, not on Sundays",
    "1hr 150, 2hr 280, 3hr 400",
    "Room 214, 2nd floor, code 4471",
    "Born 1999, 5'7, 9 stone",
    "Tel no. on request, texts only",
    "2 for 1 offer, this week only",
    "Phone number withheld? No reply!",
    "Reviews 4.9/5 from 120 clients",
    "Ages 18+ only, ID may be requested",
    "Prices from £60, up to £300",
    "Table 12, booth 3, VIP room 7",
    "Seven days a week, nine till five",
    "One girl, two girls, three's a crowd",
    "Zero drama, double fun, triple X",
    "Bus 11C outer circle, stop 4",
    "Opening hours: 10:00 - 02:00",
    "Deposit 20%, balance on arrival",
    "Call me maybe, 7 maybe 8 pm",
    "07700 is not a full number",
    "0121 496 is a partial line",
    "Ref: 0770-0900-1",
    "Postcode B12 0XX, flat 9",
    "My lucky numbers: 7, 17, 77",
    "Height 160cm, weight 50kg, shoe size 5",
    "From 24.11 to 30.11 in Wolverhampton",
    "ISBN 978 0 14 044913 6",
    "Account 12345678, sort code 01-02-03",
    "Card ending 4471, expiry 11/28",
    "Score 3-1, half time 1-1",
    "Flight BA 1234 at 07:00",
    "Tracking 1Z 999 AA1 01 2345 6784",
    "Version 2.0.1 released 2026",
    "Coordinates 52.4758, -1.8875",
    "Invoice 2026/0117/88",
    "Dial 999 in an emergency, 101 otherwise",
]

WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
FULLWIDTH = "０１２３４５６７８９"
CIRCLED = "⓪①②③④⑤⑥⑦⑧⑨"
BOLD = "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗"


def groups(d, sizes, sep):
    out, i = [], 0
    for s in sizes:
        out.append(d[i:i + s])
        i += s
    return sep.join(out)


def split_national(d):
    """Usual grouping of a national number: 5+6 for mobiles, 4+3+4 for 0121, 3+4+4 for 020."""
    if d.startswith("07"):
        return [5, 6]
    if d.startswith("01"):
        return [4, 3, 4]
    return [3, 4, 4]


def render(d, style):
    """(text, obfuscated) for national digits d in a hand-written style."""
    sizes = split_national(d)
    rest = d[1:]
    if style == "plain":
        return groups(d, sizes, " "), False
    if style == "compact":
        return d, False
    if style == "plus44":
        return "+44 " + groups(rest, [s - (1 if k == 0 else 0) for k, s in enumerate(sizes)], " "), False
    if style == "plus44_trunk":
        return "+44 (0)" + groups(rest, [s - (1 if k == 0 else 0) for k, s in enumerate(sizes)], " "), False
    if style == "dots":
        return groups(d, sizes, "."), True
    if style == "dashes":
        return groups(d, [3, 4, 4], "-"), True
    if style == "letters":
        t = d.replace("0", "O").replace("1", "l")
        return groups(t, sizes, " "), True
    if style == "words":
        return " ".join(WORDS[int(c)] for c in d), True
    if style == "fullwidth":
        return groups("".join(FULLWIDTH[int(c)] for c in d), sizes, " "), True
    if style == "circled":
        return "".join(CIRCLED[int(c)] for c in d), True
    if style == "bold":
        return groups("".join(BOLD[int(c)] for c in d), sizes, " "), True
    if style == "keycap":
        return "".join(c + "\ufe0f\u20e3" for c in d), True
    if style == "spaced":
        return " ".join(d), True
    if style == "split":
        a, b = d[:5], d[5:]
        return f"{a}, then {b}", True
    if style == "mixed":
        t = "".join(WORDS[int(c)] if k % 4 == 1 else c for k, c in enumerate(d))
        return t, True
    raise ValueError(style)


STYLES = ["plain", "compact", "plus44", "plus44_trunk", "dots", "dashes", "letters", "words",
          "fullwidth", "circled", "bold", "keycap", "spaced", "split", "mixed"]


def numbers():
    k = 0
    while True:
        yield f"07700900{(k * 37 + 500) % 1000:03d}"
        yield f"0121496{(k * 53 + 2000) % 10000:04d}"[:11] if False else f"01214960{(k * 53) % 1000:03d}"
        yield f"02079460{(k * 71) % 1000:03d}"
        k += 1


def main():
    print("# Constructed phone gold lines: hand-written contexts x hand-written ways of writing a")
    print("# number (scripts/make-phone-gold.py), labelled by construction. Drama-range numbers only.")
    gen = numbers()
    for i, context in enumerate(CONTEXTS):
        for j in range(10):
            style = STYLES[(i + j * 3) % len(STYLES)]
            d = next(gen)
            if style == "split" and not d.startswith("07"):
                style = "words"
            text, obscured = render(d, style)
            e164 = "+44" + d[1:]
            print(f"{context.format(n=text)}\t{e164}:{'o' if obscured else 'p'}")
    for decoy in DECOYS:
        print(f"{decoy}\t")


main()
