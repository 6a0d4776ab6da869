//! Property: any UK number the simulator issues, written in any of its obfuscations and set among
//! decoys, is recovered exactly once, with a span that slices the number as written.

use lantern_extract::find_phones;
use lantern_sim::phones::{Obfuscation, PhonePool, render};
use lantern_sim::rng::Rng;
use lantern_sim::text::decoys;

#[test]
fn every_number_in_every_obfuscation_is_recovered_among_decoys() {
    let mut pool = PhonePool::new(Rng::new(11));
    let mut rng = Rng::new(12);
    let mut checked = 0;
    // Drama-range numbers first, then (past 3,000) random mobiles made at run time, never stored.
    for _ in 0..4_000 {
        let phone = pool.issue();
        for how in Obfuscation::ALL {
            let written = render(&phone, how, &mut rng);
            let before = decoys(&mut rng, 80, 24, "B5");
            let after = decoys(&mut rng, 120, 31, "WS10");
            let text = format!("{before} Call {written}. {after}");
            let found = find_phones(&text);
            assert_eq!(found.len(), 1, "{how:?}: {text:?} gave {found:?}");
            assert_eq!(found[0].e164, phone.e164(), "{how:?}: {text:?}");
            assert_eq!(found[0].obfuscated, how.is_obscured(), "{how:?}: {text:?}");
            let span = &text[found[0].start..found[0].end];
            assert!(
                written.contains(span) || span.contains(written.as_str()),
                "{how:?}: span {span:?} of {written:?}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 40_000);
}

#[test]
fn hostile_input_never_panics_and_spans_stay_on_char_boundaries() {
    let mut rng = Rng::new(5);
    let alphabet: Vec<char> =
        "0123456789 .-/()+OolI£ɑ０１２３٤５\u{fe0f}\u{20e3}seventwodoubleoh@at dot😊\n\t"
            .chars()
            .collect();
    for _ in 0..20_000 {
        let len = rng.below(60) as usize;
        let text: String = (0..len).map(|_| *rng.pick(&alphabet)).collect();
        for p in find_phones(&text) {
            assert!(
                text.is_char_boundary(p.start) && text.is_char_boundary(p.end) && p.start < p.end,
                "{text:?}"
            );
            assert!(p.e164.starts_with("+44") && p.e164.len() == 13, "{p:?}");
        }
        for e in lantern_extract::find_emails(&text) {
            assert!(
                text.is_char_boundary(e.start) && text.is_char_boundary(e.end),
                "{text:?}"
            );
        }
    }
}
