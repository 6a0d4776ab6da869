//! Lantern's use cases: the only place that combines ingest, storage and (later) analysis. The
//! command line and the web server call these and nothing below them.

pub mod accounts;
pub mod analyse;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod calibrate;
pub mod demo;
pub mod evaluate;
pub mod export;
pub mod extract;
pub mod geo;
pub mod indicators;
pub mod ingest;
pub mod minimise;
pub mod plan;
pub mod retention;
pub mod simulate;
pub mod views;
pub mod visit;

/// Who is acting: every use case records it (the command line acts as `cli:<login>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    /// An actor by name; blank names are refused.
    pub fn parse(name: &str) -> Result<Self, String> {
        let name = name.trim();
        if name.is_empty() || name.len() > 128 || name.chars().any(char::is_control) {
            return Err(format!("{name:?} is not a usable actor name"));
        }
        Ok(Self(name.to_owned()))
    }

    /// The command line, acting for the login running it.
    pub fn command_line() -> Self {
        let login = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        Self::parse(&format!("cli:{login}")).unwrap_or_else(|_| Self("cli:unknown".into()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
