//! Writes synthetic captures for benchmarks: `gen-captures COUNT [SEED] > captures.jsonl`.

use std::io::{self, BufWriter, Write};

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "usage: gen-captures COUNT [SEED] > captures.jsonl",
        )
    };
    let count: u64 = args.next().and_then(|a| a.parse().ok()).ok_or_else(usage)?;
    let seed: u64 = args
        .next()
        .map(|a| a.parse().map_err(|_| usage()))
        .transpose()?
        .unwrap_or(1);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    lantern_testkit::CaptureGenerator::new(seed).write_jsonl(count, &mut out)?;
    out.flush()
}
