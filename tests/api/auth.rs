use revcast::service::{self, Scope};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{error_of, TestApp};

async fn no_or_unknown_key_is_401_and_a_missing_scope_is_403(app: &TestApp) {
    let (status, body) = app.get("/v1/leads", None).await;
    error_of(status, &body, 401, "unauthorized");
    let (status, body) = app.get("/v1/leads", Some("rvc_not_a_key")).await;
    error_of(status, &body, 401, "unauthorized");
    let reader = app.key_with(&[Scope::Read]).await;
    let (status, _) = app.get("/v1/leads", Some(&reader)).await;
    assert_eq!(status, 200);
    let (status, body) = app
        .post_json("/v1/leads", &reader, &json!([{"id": "L-1"}]))
        .await;
    let e = error_of(status, &body, 403, "forbidden");
    assert!(e["message"].as_str().unwrap().contains("ingest"));
    let ingester = app.key_with(&[Scope::Ingest]).await;
    let (status, _) = app
        .post_json("/v1/leads", &ingester, &json!([{"id": "L-1"}]))
        .await;
    assert_eq!(status, 200);
    let (status, body) = app.get("/v1/leads/L-1", Some(&ingester)).await;
    error_of(status, &body, 403, "forbidden");
}
both_backends!(scopes, no_or_unknown_key_is_401_and_a_missing_scope_is_403);

async fn a_revoked_key_is_refused_and_only_a_hash_is_stored(app: &TestApp) {
    let k = service::create_key(&app.store, "to revoke", &[Scope::Read])
        .await
        .unwrap();
    let listed = service::list_keys(&app.store).await.unwrap();
    assert!(listed.iter().any(|i| i.id == k.info.id));
    let stored = app.store.list_api_keys().await.unwrap();
    assert!(stored
        .iter()
        .all(|r| r.key_hash != k.key && !r.key_hash.contains(&k.key)));
    assert!(stored.iter().any(|r| r.key_hash.len() == 64));
    service::revoke_key(&app.store, &k.info.id).await.unwrap();
    // A server rereads the keys every half second: the revocation holds within one second.
    let mut answer = app.get("/v1/leads", Some(&k.key)).await;
    for _ in 0..50 {
        if answer.0 != 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        answer = app.get("/v1/leads", Some(&k.key)).await;
    }
    error_of(answer.0, &answer.1, 401, "unauthorized");
    assert!(service::revoke_key(&app.store, "key_nope").await.is_err());
}
both_backends!(
    revocation,
    a_revoked_key_is_refused_and_only_a_hash_is_stored
);

async fn operations_endpoints_need_no_key(app: &TestApp) {
    for path in ["/healthz", "/readyz", "/openapi.json"] {
        let (status, _) = app.get(path, None).await;
        assert_eq!(status, 200, "{path}");
    }
    let res = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let res = app
        .client
        .get(format!("{}/docs/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
}
both_backends!(public_endpoints, operations_endpoints_need_no_key);
