//! Probes, the OpenAPI document (served, committed, complete) and the offline docs UI.

mod common;

fn committed_spec() -> serde_json::Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json is committed");
    serde_json::from_str(&text).expect("openapi/openapi.json is JSON")
}

/// The drift test: the committed document equals what the code generates.
/// Regenerate with `cargo run -- openapi --output openapi/openapi.json`.
#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated: serde_json::Value =
        serde_json::from_str(&frontline::openapi::spec_json()).unwrap();
    assert!(
        generated == committed_spec(),
        "openapi/openapi.json is stale: run `cargo run -- openapi --output openapi/openapi.json` and commit it"
    );
}

/// Every operation has an id `<verb>_<resource>`, a tag, a declared security, a description
/// on each response, and its error responses as problem+json.
#[test]
fn every_operation_is_fully_described() {
    let spec: serde_json::Value = serde_json::from_str(&frontline::openapi::spec_json()).unwrap();
    assert_eq!(
        spec["openapi"].as_str().map(|v| v.starts_with("3.1")),
        Some(true)
    );
    let paths = spec["paths"].as_object().expect("paths");
    assert!(paths.len() >= 6, "{:?}", paths.keys().collect::<Vec<_>>());
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            let verb = id.split('_').next().unwrap();
            assert!(
                ["get", "list", "lookup", "create", "update", "delete"].contains(&verb),
                "{id}"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{id} has no tag"
            );
            assert!(op.get("security").is_some(), "{id} declares no security");
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{id} has no success response"
            );
            // Everything but the liveness probe touches the database and can fail.
            if id != "get_healthz" {
                assert!(
                    responses.contains_key("500") && responses.contains_key("503"),
                    "{id} lacks 500/503"
                );
            }
            for (status, r) in responses {
                assert!(
                    r["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{id} {status} has no description"
                );
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        r["content"]["application/problem+json"].is_object(),
                        "{id} {status} is not problem+json"
                    );
                }
            }
        }
    }
    for schema in ["Problem", "FieldError", "Unit", "UnitList", "Category"] {
        assert!(
            spec["components"]["schemas"][schema].is_object(),
            "schema {schema} missing"
        );
    }
}

both_backends! {
    async fn the_probes_answer(app: TestApp) {
        let res = app.get("/healthz").await;
        assert_eq!(res.status, 200);
        assert_eq!(res.json::<serde_json::Value>()["status"], "ok");
        let res = app.get("/readyz").await;
        assert_eq!(res.status, 200);
        assert_eq!(res.json::<serde_json::Value>()["status"], "ready");
    }

    async fn the_served_openapi_document_is_the_committed_one(app: TestApp) {
        let res = app.get("/api/v1/openapi.json").await;
        assert_eq!(res.status, 200);
        assert_eq!(res.json::<serde_json::Value>(), committed_spec());
    }

    async fn the_docs_ui_works_without_the_internet(app: TestApp) {
        let res = app.get("/docs").await;
        assert_eq!(res.status, 308);
        assert_eq!(res.header("location").as_deref(), Some("/docs/"));
        let page = app.get("/docs/").await;
        assert_eq!(page.status, 200);
        assert!(page.header("content-type").unwrap().starts_with("text/html"));
        let html = page.text();
        assert!(!html.contains("<script src=\"http"), "the page loads no script from elsewhere");
        assert!(!html.contains("href=\"http"), "the page loads no style from elsewhere");
        let init = app.get("/docs/swagger-initializer.js").await;
        assert_eq!(init.status, 200);
        let js = init.text();
        assert!(js.contains("/api/v1/openapi.json"), "{js}");
        assert!(js.contains("\"validatorUrl\": \"none\"") || js.contains("validatorUrl\":\"none\""), "{js}");
        for asset in ["swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"] {
            let res = app.get(&format!("/docs/{asset}")).await;
            assert_eq!(res.status, 200, "{asset}");
            assert!(res.body.len() > 1_000, "{asset} is served from the binary");
        }
        let missing = app.get("/docs/nothing.js").await;
        assert_eq!(missing.status, 404);
        missing.problem();
    }
}
