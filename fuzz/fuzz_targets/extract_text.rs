//! Every extractor on arbitrary text: no panic, spans on character boundaries, bounded time.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let gazetteer = lantern_geo::Gazetteer::embedded().expect("embedded gazetteer");
    let catalogue = lantern_indicators::Catalogue::embedded().expect("embedded catalogue");
    let extractor = lantern_extract::Extractor::new(gazetteer, catalogue);
    // CPU time of this thread, so that a busy machine's scheduling does not count.
    let started = cpu_time::ThreadTime::now();
    let facts = extractor.text(text);
    let elapsed = started.elapsed();
    for (start, end) in facts
        .phones
        .iter()
        .map(|f| (f.start, f.end))
        .chain(facts.emails.iter().map(|f| (f.start, f.end)))
        .chain(facts.handles.iter().map(|f| (f.start, f.end)))
        .chain(facts.ages.iter().map(|f| (f.start, f.end)))
        .chain(facts.prices.iter().map(|f| (f.start, f.end)))
        .chain(facts.places.iter().map(|f| (f.start, f.end)))
        .chain(facts.indicators.iter().map(|f| (f.start, f.end)))
    {
        assert!(start <= end && end <= text.len());
        assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
    }
    // No input may take longer than 10 ms per KB, with 5 ms of slack for tiny inputs: the
    // thread's CPU time includes the kernel's work on its page faults, which on a loaded machine
    // once made a 1-byte input ("7") take 2 ms (1 ms of slack failed CI). Runaway matching on a
    // hostile input costs orders of magnitude more than either.
    let budget = std::time::Duration::from_micros(5_000 + 10 * text.len() as u64);
    assert!(elapsed <= budget, "{} bytes took {elapsed:?}", text.len());
});
