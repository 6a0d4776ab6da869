//! The embedded copies in `data/geo/` equal their sources in `../shared/data/geo/` (when that
//! folder is present, as it is in CI).

use std::io::Read;
use std::path::Path;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/geo");
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/geo");

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn embedded_copies_equal_the_shared_sources() {
    let shared = Path::new(SHARED);
    if !shared.is_dir() {
        eprintln!("\n*** SKIPPED: {SHARED} is absent; the embedded copies were not compared ***\n");
        return;
    }
    for name in [
        "wards-wm.geojson",
        "local-authorities-wm.geojson",
        "neighbourhoods-wm.csv",
        "places-wm.csv",
        "wards-wm.csv",
        "postcode-districts-wm.csv",
    ] {
        let source = std::fs::read(shared.join(name)).unwrap();
        let copy = gunzip(&Path::new(DATA).join(format!("{name}.gz")));
        assert!(source == copy, "data/geo/{name}.gz differs from its source");
    }
    let source = std::fs::read(shared.join("postcodes-wm.csv.gz")).unwrap();
    let copy = std::fs::read(Path::new(DATA).join("postcodes-wm.csv.gz")).unwrap();
    assert!(
        source == copy,
        "data/geo/postcodes-wm.csv.gz differs from its source"
    );
}
