//! The capture decoders on arbitrary bytes: a capture or a reason, never a panic.
#![no_main]

use lantern_ingest::{Format, decode_record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode_record(Format::Jsonl, data);
    let _ = decode_record(Format::Csv, data);
});
