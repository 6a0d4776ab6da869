//! Measures the reading half of ingest alone (decode, validate, hash, compress), with no store:
//! `cargo run --release -p lantern-ingest --example read_only -- FILE`.

use std::path::PathBuf;
use std::time::Instant;

use lantern_ingest::{Format, NoProgress, ReadOptions, RejectsFile, read_file};

fn main() {
    let path = PathBuf::from(std::env::args().nth(1).expect("usage: read_only FILE"));
    let format = Format::from_path(&path).expect("format");
    let mut rejects = RejectsFile::new(std::env::temp_dir().join("read_only.rejects"));
    let started = Instant::now();
    let mut captures = 0u64;
    let mut compressed = 0u64;
    let outcome = read_file::<()>(
        &path,
        ReadOptions::new(format),
        &mut rejects,
        &NoProgress,
        &mut |_| {},
        &mut |b| {
            captures += b.len() as u64;
            compressed += b.iter().map(|c| c.raw_zstd.len() as u64).sum::<u64>();
            Ok(())
        },
    )
    .expect("read");
    let secs = started.elapsed().as_secs_f64();
    let input = std::fs::metadata(&path).map_or(0, |m| m.len());
    println!(
        "{outcome:?}: {captures} captures in {secs:.2}s = {:.0}/s; raw records compressed to {compressed} bytes ({:.0}% of the input)",
        captures as f64 / secs,
        100.0 * compressed as f64 / input.max(1) as f64
    );
}
