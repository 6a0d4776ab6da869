//! Fresh databases for tests: a temporary directory for SQLite always, and a database created on
//! the PostgreSQL server named by `LANTERN_TEST_PG_URL` (and dropped afterwards) when it is set.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use lantern_store::Target;
use sqlx::{Connection, PgConnection};

/// The variable naming a PostgreSQL server for tests (any database on it; tests create their own).
pub const PG_URL_VAR: &str = "LANTERN_TEST_PG_URL";

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    /// Where the store lives.
    pub target: Target,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces the database name of a PostgreSQL URL.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{database}?{q}"),
        None => format!("{host_part}/{database}"),
    }
}

/// Says, past the test harness's output capture, that PostgreSQL tests were skipped.
pub fn announce_postgres_skipped(what: &str) {
    let message = format!(
        "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
         !! SKIPPED on PostgreSQL: {what}\n\
         !! {PG_URL_VAR} is not set; only SQLite was tested. `bash .ci/run` sets it.\n\
         !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
    );
    // Written straight to the process's stderr, which libtest does not capture.
    let _ = std::io::stderr().write_all(message.as_bytes());
}

impl TestDb {
    /// A fresh SQLite data directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        Self {
            target: Target::SqliteDir(dir.path().join("data")),
            backend: "sqlite",
            dir,
            pg: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` when `LANTERN_TEST_PG_URL` is unset.
    pub async fn postgres() -> Option<Self> {
        let admin = std::env::var(PG_URL_VAR).ok().filter(|u| !u.is_empty())?;
        let name = format!(
            "lantern_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        );
        let mut conn = PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("{PG_URL_VAR} is set but PostgreSQL is unreachable: {e}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("creating a test database");
        let _ = conn.close().await;
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        Some(Self {
            target: Target::Postgres(with_database(&admin, &name)),
            backend: "postgres",
            dir,
            pg: Some((admin, name)),
        })
    }

    /// A scratch directory that lives as long as the database (for rejects files and inputs).
    pub fn scratch(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The data directory (holding the SQLite file on SQLite; rejects on either backend).
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// The database URL on PostgreSQL.
    pub fn database_url(&self) -> Option<String> {
        match &self.target {
            Target::Postgres(url) => Some(url.clone()),
            Target::SqliteDir(_) => None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else {
            return;
        };
        // Drop runs inside the test's runtime; a runtime cannot block inside another, so the
        // database is dropped from a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&admin)
                    .await
                    .map_err(std::io::Error::other)?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await
                .map_err(std::io::Error::other)?;
                Ok::<_, std::io::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            let _ = writeln!(
                std::io::stderr(),
                "warning: could not drop test database: {dropped:?}"
            );
        }
    }
}

/// One fresh database per available backend: SQLite always, PostgreSQL when configured. When
/// PostgreSQL is not configured this says so loudly, naming `what` was skipped.
pub async fn backends(what: &str) -> Vec<TestDb> {
    let mut dbs = vec![TestDb::sqlite()];
    match TestDb::postgres().await {
        Some(pg) => dbs.push(pg),
        None => announce_postgres_skipped(what),
    }
    dbs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_the_database_name_in_urls() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
    }
}
