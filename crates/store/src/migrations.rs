//! The migrations of each backend, embedded in the binary. A migration is never edited after it
//! lands; a change is a new migration, added to both lists under the same version and name.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// `(version, description, sql)` of every SQLite migration, in order.
pub const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "captures",
        include_str!("../migrations/sqlite/0001_captures.sql"),
    ),
    (
        2,
        "analysis",
        include_str!("../migrations/sqlite/0002_analysis.sql"),
    ),
    (
        3,
        "visits",
        include_str!("../migrations/sqlite/0003_visits.sql"),
    ),
    (
        4,
        "accounts",
        include_str!("../migrations/sqlite/0004_accounts.sql"),
    ),
    (
        5,
        "search",
        include_str!("../migrations/sqlite/0005_search.sql"),
    ),
    (
        6,
        "location_status",
        include_str!("../migrations/sqlite/0006_location_status.sql"),
    ),
    (
        7,
        "link_state",
        include_str!("../migrations/sqlite/0007_link_state.sql"),
    ),
    (
        8,
        "audit",
        include_str!("../migrations/sqlite/0008_audit.sql"),
    ),
    (
        9,
        "retention",
        include_str!("../migrations/sqlite/0009_retention.sql"),
    ),
    (
        10,
        "record_lookups",
        include_str!("../migrations/sqlite/0010_record_lookups.sql"),
    ),
    (
        11,
        "search_hashsize",
        include_str!("../migrations/sqlite/0011_search_hashsize.sql"),
    ),
    (
        12,
        "search_terms",
        include_str!("../migrations/sqlite/0012_search_terms.sql"),
    ),
    (
        13,
        "analysis_settings",
        include_str!("../migrations/sqlite/0013_analysis_settings.sql"),
    ),
];

/// `(version, description, sql)` of every PostgreSQL migration, in order.
pub const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "captures",
        include_str!("../migrations/postgres/0001_captures.sql"),
    ),
    (
        2,
        "analysis",
        include_str!("../migrations/postgres/0002_analysis.sql"),
    ),
    (
        3,
        "visits",
        include_str!("../migrations/postgres/0003_visits.sql"),
    ),
    (
        4,
        "accounts",
        include_str!("../migrations/postgres/0004_accounts.sql"),
    ),
    (
        5,
        "search",
        include_str!("../migrations/postgres/0005_search.sql"),
    ),
    (
        6,
        "location_status",
        include_str!("../migrations/postgres/0006_location_status.sql"),
    ),
    (
        7,
        "link_state",
        include_str!("../migrations/postgres/0007_link_state.sql"),
    ),
    (
        8,
        "audit",
        include_str!("../migrations/postgres/0008_audit.sql"),
    ),
    (
        9,
        "retention",
        include_str!("../migrations/postgres/0009_retention.sql"),
    ),
    (
        10,
        "record_lookups",
        include_str!("../migrations/postgres/0010_record_lookups.sql"),
    ),
    (
        11,
        "search_hashsize",
        include_str!("../migrations/postgres/0011_search_hashsize.sql"),
    ),
    (
        12,
        "search_terms",
        include_str!("../migrations/postgres/0012_search_terms.sql"),
    ),
    (
        13,
        "analysis_settings",
        include_str!("../migrations/postgres/0013_analysis_settings.sql"),
    ),
];

/// Builds sqlx's migrator over one backend's list.
pub fn migrator(list: &'static [(i64, &'static str, &'static str)]) -> Migrator {
    let migrations = list
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<'a>(list: &[(i64, &'a str, &str)]) -> Vec<(i64, &'a str)> {
        list.iter().map(|(v, d, _)| (*v, *d)).collect()
    }

    fn files(dir: &str) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dir);
        let mut found: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        found.sort();
        found
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        assert_eq!(names(SQLITE), names(POSTGRES));
        assert_eq!(files("sqlite"), files("postgres"));
    }

    #[test]
    fn every_migration_file_is_registered_in_order() {
        for (dir, list) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let registered: Vec<String> = list
                .iter()
                .map(|(v, d, _)| format!("{v:04}_{d}.sql"))
                .collect();
            assert_eq!(files(dir), registered, "{dir}");
            assert!(
                list.windows(2).all(|w| w[0].0 < w[1].0),
                "{dir} versions ascend"
            );
        }
    }
}
