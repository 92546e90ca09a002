//! Building the application: the database made ready (migrations, Annex 1 seed on an empty
//! database), the HTTP server with its middleware, extractor settings, docs UI and fallback.
//! [`Application::build`] binds first and reports the port, so tests boot exactly this code on
//! port 0.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpResponse, HttpServer};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::api::extract::{query_error, BodyLimit};
use crate::api::meta::SpecJson;
use crate::auth::password::{one_time_password, Hasher};
use crate::auth::AuthState;
use crate::config::Config;
use crate::db::{self, DbPool};
use crate::domain::account::Role;
use crate::domain::annex1;
use crate::store::audit::AuditCtx;
use crate::store::units::SeedReport;
use crate::telemetry::{self, RouteTable};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be reached, migrated or seeded.
    #[error("database: {0}")]
    Database(String),
    /// A setting could not be used.
    #[error("configuration: {0}")]
    Config(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// What preparing the database did.
#[derive(Debug, Default)]
pub struct Prepared {
    /// Names of the migrations applied.
    pub migrations: Vec<String>,
    /// The seed, when the database was empty.
    pub seeded: Option<SeedReport>,
    /// The first admin's username and one-time password, when the database had no account.
    pub first_admin: Option<(String, String)>,
}

/// Username of the account created on the first start.
pub const FIRST_ADMIN: &str = "admin";

/// Connects, applies pending migrations and, on an empty database, seeds Annex 1, holding the
/// start-up lock so that instances starting together do this once. Blocking: call it from a
/// blocking thread.
pub fn prepare_database(config: &Config, hasher: &Hasher) -> Result<Prepared, StartupError> {
    let mut conn = db::connect(&config.database, config.sqlite_busy_timeout_ms).map_err(|e| {
        StartupError::Database(format!(
            "cannot connect to {}: {e}",
            config.database.redacted()
        ))
    })?;
    db::with_startup_lock(&mut conn, |conn| {
        let migrations = db::run_migrations(conn)?;
        let empty = crate::store::units::count(conn).map_err(|e| e.to_string())? == 0;
        let seeded = if empty {
            Some(
                crate::store::units::seed(conn, &annex1::seed_units())
                    .map_err(|e| e.to_string())?,
            )
        } else {
            None
        };
        let first_admin = if crate::store::users::count(conn).map_err(|e| e.to_string())? == 0 {
            let otp = one_time_password();
            let new = crate::store::users::new_account(
                FIRST_ADMIN,
                "Administrator",
                Role::Admin,
                None,
                None,
                hasher.hash(&otp)?,
            );
            let ctx = AuditCtx {
                actor_username: Some("frontline serve (first start)".into()),
                ..Default::default()
            };
            crate::api::users::create_account(conn, &ctx, &new).map_err(|e| e.to_string())?;
            Some((FIRST_ADMIN.to_owned(), otp))
        } else {
            None
        };
        Ok(Prepared {
            migrations,
            seeded,
            first_admin,
        })
    })
    .map_err(StartupError::Database)
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    pool: DbPool,
    metrics: Option<(actix_web::dev::ServerHandle, u16)>,
    /// The webhook delivery worker, stopped with the server.
    worker: Option<actix_web::rt::task::JoinHandle<()>>,
    /// The first admin's username and one-time password, when this start created it: print it
    /// once to the console, never to the log.
    pub first_admin: Option<(String, String)>,
}

impl Application {
    /// Prepares the database, builds the pool and binds `config.bind`.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let auth = AuthState::new(&config.auth, config.data_dir().as_deref())
            .map_err(StartupError::Config)?;
        let cfg = config.clone();
        let hasher = auth.hasher.clone();
        let prepared = web::block(move || prepare_database(&cfg, &hasher))
            .await
            .map_err(|e| StartupError::Database(e.to_string()))??;
        for m in &prepared.migrations {
            log::info!("applied migration {m}");
        }
        if let Some(seed) = &prepared.seeded {
            log::info!("seeded Annex 1: {} units inserted", seed.inserted);
        }
        let metrics = std::sync::Arc::new(crate::metrics::Metrics::default());
        let pool = db::build_pool(
            &config.database,
            config.pool_size,
            config.pool_timeout,
            config.sqlite_busy_timeout_ms,
            Some(metrics.clone()),
        )
        .map_err(|e| StartupError::Database(e.to_string()))?;
        spawn_daily_purge(
            pool.clone(),
            config.service_record_retention_days,
            config.idempotency_hours,
        );
        let worker = crate::webhooks::spawn(pool.clone(), config.webhooks.clone());
        let mut app = Self::with_pool(&config, pool, auth, metrics)?;
        app.worker = worker;
        app.first_admin = prepared.first_admin;
        Ok(app)
    }

    /// Binds and builds the server on a ready pool.
    pub fn with_pool(
        config: &Config,
        pool: DbPool,
        auth: AuthState,
        metrics: std::sync::Arc<crate::metrics::Metrics>,
    ) -> Result<Self, StartupError> {
        let bind_err = |source| StartupError::Bind {
            addr: config.bind.clone(),
            source,
        };
        let listener = TcpListener::bind(&config.bind).map_err(bind_err)?;
        let port = listener.local_addr().map_err(bind_err)?.port();

        let spec = crate::openapi::spec();
        let routes = web::Data::new(RouteTable::new(
            &spec,
            &[("/docs", &["GET"]), ("/docs/{_:.*}", &["GET"])],
        ));
        let spec_json =
            web::Data::new(SpecJson(crate::openapi::served_json(&spec, &config.limits)));
        let pool_data = web::Data::new(pool.clone());
        let config_data = web::Data::new(config.clone());
        let auth = web::Data::new(auth);
        let metrics = web::Data::from(metrics);
        let limit = config.body_limit;
        // With a metrics address of its own, the main address does not serve /metrics.
        let metrics_server = match &config.metrics_bind {
            None => None,
            Some(addr) => {
                let bind_err = |source| StartupError::Bind {
                    addr: addr.clone(),
                    source,
                };
                let listener = TcpListener::bind(addr).map_err(bind_err)?;
                let port = listener.local_addr().map_err(bind_err)?.port();
                let (m, p, c) = (metrics.clone(), pool_data.clone(), config_data.clone());
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(m.clone())
                        .app_data(p.clone())
                        .app_data(c.clone())
                        .app_data(web::Data::new(crate::api::health::MetricsHere(true)))
                        .service(crate::api::health::metrics)
                        .default_service(web::to(|| async {
                            Err::<HttpResponse, _>(crate::error::AppError::RouteNotFound)
                        }))
                })
                .workers(1)
                .listen(listener)
                .map_err(bind_err)?
                .run();
                Some((server, port))
            }
        };
        let metrics_here =
            web::Data::new(crate::api::health::MetricsHere(metrics_server.is_none()));
        let feeds = web::Data::new(crate::api::public::FeedCache::default());

        let mut server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .configure(crate::api::configure)
                .split_for_parts();
            app.app_data(pool_data.clone())
                .app_data(metrics.clone())
                .app_data(metrics_here.clone())
                .app_data(auth.clone())
                .app_data(config_data.clone())
                .app_data(spec_json.clone())
                .app_data(feeds.clone())
                .app_data(routes.clone())
                .app_data(web::PayloadConfig::new(limit))
                .app_data(BodyLimit(limit))
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .service(
                    SwaggerUi::new("/docs/{_:.*}").config(
                        SwaggerConfig::new(["/api/v1/openapi.json"])
                            .validator_url("none")
                            .persist_authorization(true),
                    ),
                )
                .route("/docs", web::get().to(docs_redirect))
                .default_service(web::to(telemetry::fallback))
                .wrap(middleware::from_fn(telemetry::request_context))
        })
        .client_request_timeout(Duration::from_secs(10))
        .shutdown_timeout(10)
        .listen(listener)
        .map_err(bind_err)?;
        let workers = config.workers.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
        // Every database call runs on a blocking thread holding a pooled connection: more
        // blocking threads than connections only queue on the pool, switching threads for
        // nothing (measured: benches/RESULTS.md). A few more than the pool's share leave room
        // for password hashing and file spooling.
        let blocking = (config.pool_size as usize).div_ceil(workers) + 2;
        server = server
            .workers(workers)
            .worker_max_blocking_threads(blocking)
            .max_connections(config.max_connections);
        let server = server.run();
        // The metrics listener runs beside the main server and stops with it.
        let metrics = metrics_server.map(|(m, port)| {
            let handle = m.handle();
            actix_web::rt::spawn(m);
            (handle, port)
        });
        Ok(Application {
            port,
            server,
            pool,
            metrics,
            worker: None,
            first_admin: None,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the separate metrics listener (`FRONTLINE_METRICS_BIND`), if any.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, p)| *p)
    }

    /// The pool the server uses.
    pub fn pool(&self) -> DbPool {
        self.pool.clone()
    }

    /// A handle to stop the server (tests stop each server before the process exits, so that
    /// no worker is still inside a database call when the C libraries are torn down).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGINT/SIGTERM).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let done = self.server.await;
        if let Some(worker) = self.worker {
            // An attempt in flight is abandoned; its claim expires and another worker (or this
            // one, after a restart) sends it again.
            worker.abort();
        }
        if let Some((metrics, _)) = self.metrics {
            metrics.stop(true).await;
        }
        done
    }
}

/// Purges expired personal data of service records, and the stored answers of expired
/// idempotency keys, once a day. Idempotent, so several instances doing it at once is harmless.
fn spawn_daily_purge(pool: DbPool, retention_days: u32, idempotency_hours: u32) {
    actix_web::rt::spawn(async move {
        // First ten minutes after start (not during start-up), then once a day.
        let first = actix_web::rt::time::Instant::now() + Duration::from_secs(600);
        let mut every_day = actix_web::rt::time::interval_at(first, Duration::from_secs(24 * 3600));
        loop {
            every_day.tick().await;
            match db::run(&pool, move |conn| {
                crate::api::service_records::purge(conn, retention_days)
            })
            .await
            {
                Ok(0) => {}
                Ok(n) => log::info!("purged the personal data of {n} service records"),
                Err(e) => log::warn!("daily purge failed: {e}"),
            }
            let cutoff =
                crate::store::now() - chrono::Duration::hours(i64::from(idempotency_hours));
            if let Err(e) = db::run(&pool, move |conn| {
                crate::store::participations::purge_idempotency(conn, cutoff)
            })
            .await
            {
                log::warn!("purge of idempotency keys failed: {e}");
            }
        }
    });
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}
