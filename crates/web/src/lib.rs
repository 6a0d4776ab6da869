//! Lantern's web application (`lantern serve`): server-rendered HTML that works without
//! JavaScript and reads well on a phone. Every route is declared once in [`routes::RULES`] with
//! the permission it needs; the router refuses to build if a route has no rule. Sessions live in
//! the store; every state-changing request carries a CSRF token; every response carries the
//! security headers. What a person may see of each object is decided in `lantern-app`, not here.

pub mod api;
mod audit;
mod guard;
mod map;
mod pages;
pub mod routes;

use std::net::SocketAddr;
use std::sync::Arc;

use lantern_core::Timestamp;
use lantern_store::Store;

pub use guard::{CSRF_FIELD, LOGIN_COOKIE, SESSION_COOKIE, SESSION_COOKIE_SECURE};

/// The clock the server reads (tests move it to expire sessions and rate limits).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// Served behind TLS: cookies are `Secure` and `__Host-` prefixed, HSTS is sent.
    pub secure: bool,
    /// The time.
    pub clock: Clock,
    /// This week's new locations, parsed once per state of the store.
    pub new_locations: Arc<lantern_app::views::NewLocations>,
    /// The deployment's pseudonyms, read (or made) on first use.
    pub pseudonyms: Arc<tokio::sync::OnceCell<lantern_app::minimise::Pseudonyms>>,
}

impl AppState {
    /// A state over `store` with the real clock.
    pub fn new(store: Store, secure: bool) -> Self {
        Self {
            store,
            secure,
            clock: Arc::new(Timestamp::now),
            new_locations: Arc::default(),
            pseudonyms: Arc::default(),
        }
    }

    /// The deployment's pseudonyms.
    pub(crate) async fn pseudonyms(
        &self,
    ) -> Result<&lantern_app::minimise::Pseudonyms, lantern_app::views::ViewError> {
        Ok(self
            .pseudonyms
            .get_or_try_init(|| lantern_app::minimise::Pseudonyms::of(&self.store))
            .await?)
    }

    pub(crate) fn now(&self) -> Timestamp {
        (self.clock)()
    }
}

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A route has no access rule, or a rule no route.
    #[error("route table: {0}")]
    Routes(String),
    /// Binding or serving failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// A server bound to an address, not yet serving.
pub struct Bound {
    listener: tokio::net::TcpListener,
    router: axum::Router,
}

impl Bound {
    /// Binds `address` (port 0 picks a free one).
    pub async fn bind(state: AppState, address: SocketAddr) -> Result<Self, ServeError> {
        let router = routes::router(state).map_err(ServeError::Routes)?;
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| ServeError::Io {
                context: format!("binding {address}"),
                source,
            })?;
        Ok(Self { listener, router })
    }

    /// The address bound.
    pub fn address(&self) -> Result<SocketAddr, ServeError> {
        self.listener.local_addr().map_err(|source| ServeError::Io {
            context: "reading the bound address".into(),
            source,
        })
    }

    /// Serves until `shutdown` completes.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| ServeError::Io {
            context: "serving".into(),
            source,
        })
    }
}
