//! API tests: the real server on a random port, through HTTP, against SQLite and (when
//! `REVCAST_TEST_DATABASE_URL` is set) PostgreSQL.

mod helpers;

mod auth;
mod bulk;
mod churn;
mod errors;
mod forecast;
mod ingest;
mod kpis;
mod models;
mod ops;
mod replicas;
mod score_file;
mod series;
