//! Extraction speed (BENCHMARKS.md) over simulated advert text, one core: phones and e-mails;
//! indicator phrases; every fact at once (with places).
//!
//!     cargo run --release -p lantern-extract --example bench_extract

use std::hint::black_box;

/// The allocator of the `lantern` binary, so that the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use lantern_extract::{Extractor, IndicatorMatcher, find_emails, find_phones};
use lantern_indicators::Catalogue;
use lantern_sim::{
    Capture, ControllerTruth, ListingTruth, PremisesTruth, Scenario, Sink, simulate,
};

/// Collects the title and body of every capture.
#[derive(Default)]
struct Texts(Vec<String>);

impl Sink for Texts {
    fn capture(&mut self, c: &Capture) -> std::io::Result<()> {
        self.0.push(format!("{}\n{}", c.title, c.body));
        Ok(())
    }
    fn listing(&mut self, _: &ListingTruth) -> std::io::Result<()> {
        Ok(())
    }
    fn premises(&mut self, _: &PremisesTruth) -> std::io::Result<()> {
        Ok(())
    }
    fn controller(&mut self, _: &ControllerTruth) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let gazetteer = lantern_geo::Gazetteer::embedded().expect("embedded data");
    let mut texts = Texts::default();
    simulate(&Scenario::new(1, 20_000, 8), gazetteer, &mut texts).expect("simulate");
    let bytes: usize = texts.0.iter().map(String::len).sum();
    let catalogue = Catalogue::embedded().expect("embedded catalogue");
    // BENCH_ONLY=<words> runs only the measurements whose name contains them (for a profiler).
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let rate = |name: &str, rounds: usize, f: &mut dyn FnMut(&str) -> usize| {
        if !name.contains(only.as_str()) {
            return;
        }
        let started = Instant::now();
        let mut found = 0;
        for _ in 0..rounds {
            for text in &texts.0 {
                found += f(black_box(text));
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let total = (bytes * rounds) as f64;
        println!(
            "{name}: {:.1} MB/s ({:.0} MB in {seconds:.2} s; {found} facts)",
            total / seconds / 1e6,
            total / 1e6
        );
    };
    let rounds = (200_000_000 / bytes).max(1);
    rate("phones + e-mails", rounds, &mut |t| {
        black_box(find_phones(t)).len() + black_box(find_emails(t)).len()
    });
    let matcher = IndicatorMatcher::new(catalogue);
    rate("indicator phrases", rounds, &mut |t| {
        black_box(matcher.find(t)).len()
    });
    rate("handles", rounds / 4, &mut |t| {
        black_box(lantern_extract::find_handles(t)).len()
    });
    rate("ages", rounds / 4, &mut |t| {
        black_box(lantern_extract::find_ages(t)).len()
    });
    rate("prices", rounds / 4, &mut |t| {
        black_box(lantern_extract::find_prices(t)).len()
    });
    rate("places", rounds / 4, &mut |t| {
        black_box(lantern_geo::find_in_text(gazetteer, t))
            .mentions
            .len()
    });
    let extractor = Extractor::new(gazetteer, catalogue);
    rate(
        "every fact (with places and indicators)",
        (rounds / 4).max(1),
        &mut |t| {
            let f = black_box(extractor.text(t));
            f.phones.len()
                + f.emails.len()
                + f.handles.len()
                + f.ages.len()
                + f.prices.len()
                + f.places.len()
                + f.indicators.len()
        },
    );
}
