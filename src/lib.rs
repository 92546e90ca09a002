//! frontline: the service behind the district programme
//! "一把手走流程、坐窗口、跟执法、处投诉".
//!
//! Data flows one way: HTTP → [`api`] (parse, authorize, call) → [`store`] (diesel, in a
//! transaction, off the actix workers) → [`domain`] (pure rules) → back out as JSON.
//! [`startup`] holds the route table; [`error`] turns every failure into
//! `application/problem+json`.

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod metrics;
pub mod openapi;
pub mod security;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod webhooks;
