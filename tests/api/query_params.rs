//! Grouping, order and kind query parameters are parsed at the edge into their types: a value
//! that is not one of them is a 400 naming the parameter, in the words the CLI uses.

use crate::both_backends;
use crate::helpers::{error_of, TestApp};

async fn a_bad_enum_parameter_is_named_with_what_would_do(app: &TestApp) {
    let cases = [
        (
            "/v1/churn-risk?order=vibes",
            "order",
            "`vibes` is not an order: use revenue_at_risk or probability",
        ),
        (
            "/v1/models?kind=robot",
            "kind",
            "unknown model kind `robot`; use lead, win or churn",
        ),
        (
            "/v1/kpis?period=2026-Q1&group_by=planet",
            "group_by",
            "`planet` is not a KPI grouping: use rep, team, region, source or product",
        ),
        ("/v1/churn-risk?min_arr=lots", "min_arr", ""),
    ];
    for (path, field, reason) in cases {
        let (status, body) = app.get(path, Some(&app.admin_key)).await;
        let e = error_of(status, &body, 400, "bad_request");
        assert_eq!(e["details"][0]["field"], field, "{path}: {body}");
        let said = e["details"][0]["reason"].as_str().unwrap();
        assert!(said.contains(reason), "{path}: {body}");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("invalid `{field}`")),
            "{body}"
        );
    }
    // Values of the types pass, spelled as the spec lists them.
    for path in [
        "/v1/churn-risk?order=probability",
        "/v1/churn-risk?order=revenue_at_risk",
        "/v1/models?kind=churn",
        "/v1/kpis?period=2026-Q1&group_by=team",
    ] {
        let (status, body) = app.get(path, Some(&app.admin_key)).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    // A parameter the endpoint does not take is named too.
    let (status, body) = app.get("/v1/models?colour=red", Some(&app.admin_key)).await;
    let e = error_of(status, &body, 400, "bad_request");
    assert_eq!(e["details"][0]["field"], "colour", "{body}");
    assert!(
        e["details"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("unknown field `colour`"),
        "{body}"
    );
}
both_backends!(
    enum_query_parameters,
    a_bad_enum_parameter_is_named_with_what_would_do
);
