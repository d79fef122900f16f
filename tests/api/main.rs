//! API tests: the real server on a random port, through HTTP, against SQLite and (when
//! `REVCAST_TEST_DATABASE_URL` is set) PostgreSQL.

mod helpers;

mod auth;
mod bulk;
mod churn;
mod churn_history;
mod churn_paging;
mod errors;
mod faults_ingest;
mod faults_jobs;
mod faults_keys;
mod faults_outage;
mod faults_ready;
mod faults_support;
mod forecast;
mod ingest;
mod kpis;
mod model_checks;
mod models;
mod ops;
mod pipeline;
mod query_params;
mod replicas;
mod score_file;
mod series;
mod web_auth;
mod web_browser;
mod web_driver;
mod web_helpers;
