//! Extraction speed (BENCHMARKS.md): phones and e-mails over simulated advert text, one core.
//!
//!     cargo run --release -p lantern-extract --example bench_extract

use std::hint::black_box;
use std::time::Instant;

use lantern_extract::{find_emails, find_phones};
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
    let rounds = (200_000_000 / bytes).max(1);
    let started = Instant::now();
    let (mut phones, mut emails) = (0, 0);
    for _ in 0..rounds {
        for text in &texts.0 {
            phones += black_box(find_phones(black_box(text))).len();
            emails += black_box(find_emails(black_box(text))).len();
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let total = (bytes * rounds) as f64;
    println!(
        "phones + e-mails: {:.1} MB/s ({:.0} MB of {} advert texts in {seconds:.2} s; {phones} phones, {emails} e-mails)",
        total / seconds / 1e6,
        total / 1e6,
        texts.0.len() * rounds,
    );
}
