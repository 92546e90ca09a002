//! Every error class answers application/problem+json (RFC 9457), in Chinese by default and in
//! English on request, with the request id; nothing leaks from a 500.

mod common;

use actix_web::http::Method;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

const ID: &str = "0190b7e2-8c1a-7cc3-9a51-1f2e3d4c5b6a";

both_backends! {
    async fn an_unknown_path_is_404(app: TestApp) {
        let res = app.get("/api/v1/nothing-here").await;
        assert_eq!(res.status, 404);
        let p = res.problem();
        assert_eq!(p.type_uri, "urn:frontline:problem:route-not-found");
        assert_eq!(p.instance.as_deref(), Some("/api/v1/nothing-here"));
        assert_eq!(res.header("content-language").as_deref(), Some("zh-CN"));
    }

    async fn a_wrong_method_is_405_with_allow(app: TestApp) {
        let res = app.send(Method::DELETE, "/api/v1/units", &[], None).await;
        assert_eq!(res.status, 405);
        assert_eq!(res.header("allow").as_deref(), Some("GET, POST"));
        assert_eq!(res.problem().type_uri, "urn:frontline:problem:method-not-allowed");
        let res = app.send(Method::PUT, &format!("/api/v1/units/{ID}"), &[], None).await;
        assert_eq!(res.status, 405);
        assert_eq!(res.header("allow").as_deref(), Some("GET, PATCH"));
        let res = app.get("/api/v1/units/lookup").await;
        // A route of its own is not read as a value of /units/{id}: only its methods answer.
        assert_eq!(res.status, 405);
        assert_eq!(res.header("allow").as_deref(), Some("POST"));
        let res = app.send(Method::PATCH, "/healthz", &[], None).await;
        assert_eq!(res.status, 405);
        res.problem();
    }

    async fn malformed_json_is_400(app: TestApp) {
        for body in [&b"{\"names\": ["[..], b"", b"not json", b"{\"names\": []} trailing"] {
            let res = app
                .send(Method::POST, "/api/v1/units/lookup", &[("content-type", "application/json")], Some(body.to_vec()))
                .await;
            assert_eq!(res.status, 400, "{:?}", String::from_utf8_lossy(body));
            assert_eq!(res.problem().type_uri, "urn:frontline:problem:malformed-json");
        }
    }

    async fn a_wrong_content_type_is_415(app: TestApp) {
        let body = r#"{"names": ["区司法局"]}"#.as_bytes().to_vec();
        for ct in ["text/plain", "application/x-www-form-urlencoded"] {
            let res = app.send(Method::POST, "/api/v1/units/lookup", &[("content-type", ct)], Some(body.clone())).await;
            assert_eq!(res.status, 415, "{ct}");
            assert_eq!(res.problem().type_uri, "urn:frontline:problem:unsupported-media-type");
        }
        let res = app.send(Method::POST, "/api/v1/units/lookup", &[], Some(body.clone())).await;
        assert_eq!(res.status, 415, "no content type");
        let res = app
            .send(Method::POST, "/api/v1/units/lookup", &[("content-type", "application/json; charset=utf-8")], Some(body))
            .await;
        assert_eq!(res.status, 200, "a charset parameter is fine");
    }

    async fn a_body_over_the_limit_is_413(app: TestApp) {
        let names: Vec<String> = (0..200).map(|i| format!("{i}{}", "长".repeat(40))).collect();
        let body = serde_json::to_vec(&serde_json::json!({ "names": names })).unwrap();
        assert!(body.len() > 16_384);
        let res = app.send(Method::POST, "/api/v1/units/lookup", &[("content-type", "application/json")], Some(body)).await;
        assert_eq!(res.status, 413);
        let p = res.problem();
        assert_eq!(p.type_uri, "urn:frontline:problem:payload-too-large");
        assert!(p.detail.contains("16384"), "{}", p.detail);
    }

    async fn an_invalid_field_is_422_naming_the_field(app: TestApp) {
        let cases = [
            (serde_json::json!({"names": []}), "names", "length"),
            (serde_json::json!({"names": ["区司法局", "  "]}), "names[1]", "blank"),
            (serde_json::json!({"names": [5]}), "names[0]", "invalid_type"),
            (serde_json::json!({"names": "区司法局"}), "names", "invalid_type"),
            (serde_json::json!({}), "names", "required"),
            (serde_json::json!({"names": ["区司法局"], "id": "x"}), "id", "read_only"),
            (serde_json::json!({"names": ["区司法局"], "extra": 1}), "extra", "unknown_field"),
        ];
        for (body, field, code) in cases {
            let res = app.post_json("/api/v1/units/lookup", &body).await;
            assert_eq!(res.status, 422, "{body}");
            let p = res.problem();
            assert_eq!(p.type_uri, "urn:frontline:problem:validation-failed");
            let errors = p.errors.expect("errors");
            assert_eq!((errors[0].field.as_str(), errors[0].code.as_str()), (field, code), "{body}");
            assert!(!errors[0].message.is_empty());
        }
    }

    async fn an_unknown_id_is_404(app: TestApp) {
        let res = app.get(&format!("/api/v1/units/{ID}")).await;
        assert_eq!(res.status, 404);
        let p = res.problem();
        assert_eq!(p.type_uri, "urn:frontline:problem:not-found");
        assert!(p.detail.contains(ID));
    }

    async fn a_malformed_id_is_400_not_a_text_404(app: TestApp) {
        for bad in ["abc", "123", "0190b7e2-8c1a-7cc3-9a51", "%E5%8D%95%E4%BD%8D"] {
            let res = app.get(&format!("/api/v1/units/{bad}")).await;
            assert_eq!(res.status, 400, "{bad}");
            let p = res.problem();
            assert_eq!(p.type_uri, "urn:frontline:problem:invalid-parameter");
            assert_eq!(p.errors.unwrap()[0].field, "id");
        }
    }

    async fn bad_query_parameters_are_400_naming_each(app: TestApp) {
        let res = app.get("/api/v1/units?category=window&limit=0&active=yes").await;
        assert_eq!(res.status, 400);
        let p = res.problem();
        let fields: Vec<String> = p.errors.unwrap().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["category", "active", "limit"]);
        let res = app.get("/api/v1/units?categroy=law_enforcement").await;
        assert_eq!(res.status, 400);
        let e = &res.problem().errors.unwrap()[0];
        assert_eq!((e.field.as_str(), e.code.as_str()), ("categroy", "unknown_parameter"));
        let res = app.get("/api/v1/units?cursor=forged").await;
        assert_eq!(res.problem().errors.unwrap()[0].code, "invalid_cursor");
        let res = app.get("/api/v1/units?limit=201").await;
        assert_eq!(res.status, 400);
    }

    async fn messages_are_chinese_by_default_and_english_on_request(app: TestApp) {
        let path = format!("/api/v1/units/{ID}");
        let zh = app.get(&path).await.problem();
        let en_res = app.get_with(&path, &[("accept-language", "en-US,en;q=0.9,zh;q=0.5")]).await;
        assert_eq!(en_res.header("content-language").as_deref(), Some("en"));
        let en = en_res.problem();
        assert_eq!(zh.type_uri, en.type_uri);
        assert_eq!(zh.title, "资源不存在");
        assert_eq!(en.title, "Not found");
        assert!(en.detail.starts_with("No unit"));
        let zh_field = app.get("/api/v1/units?limit=0").await.problem().errors.unwrap();
        let en_field = app.get_with("/api/v1/units?limit=0", &[("accept-language", "en")]).await.problem().errors.unwrap();
        assert_eq!(zh_field[0].code, en_field[0].code);
        assert_ne!(zh_field[0].message, en_field[0].message);
        assert!(en_field[0].message.contains("whole number"));
    }

    async fn the_request_id_is_taken_or_generated_and_echoed(app: TestApp) {
        let res = app.get_with("/api/v1/units/nope", &[("x-request-id", "portal-trace-42")]).await;
        assert_eq!(res.header("x-request-id").as_deref(), Some("portal-trace-42"));
        assert_eq!(res.problem().request_id.as_deref(), Some("portal-trace-42"));
        let ok = app.get("/healthz").await;
        let generated = ok.header("x-request-id").expect("a generated id");
        assert!(uuid::Uuid::parse_str(&generated).is_ok());
        let unsafe_id = app.get_with("/healthz", &[("x-request-id", "a b<script>")]).await;
        assert_ne!(unsafe_id.header("x-request-id").as_deref(), Some("a b<script>"));
    }

    async fn a_forced_internal_error_is_500_and_leaks_nothing(app: TestApp) {
        use frontline::db::schema::units;
        let unit = app.unit_named("区司法局").await;
        let mut conn = app.db();
        diesel::update(units::table.filter(units::name.eq("区司法局")))
            .set(units::deputies.eq("{broken json"))
            .execute(&mut conn)
            .expect("corrupt a stored row");
        let res = app.get_with(&format!("/api/v1/units/{}", unit.id), &[("x-request-id", "req-500")]).await;
        assert_eq!(res.status, 500);
        let p = res.problem();
        assert_eq!(p.type_uri, "urn:frontline:problem:internal-error");
        assert_eq!(p.request_id.as_deref(), Some("req-500"));
        assert!(p.detail.contains("req-500"));
        let body = res.text();
        for leak in ["deputies", "broken", "serde", "diesel", "src/", "unreadable"] {
            assert!(!body.contains(leak), "{leak} leaked: {body}");
        }
        let list = app.get("/api/v1/units").await;
        assert_eq!(list.status, 500);
        list.problem();
    }

    async fn a_database_that_does_not_answer_is_503_and_recovers(app: TestApp) {
        assert_eq!(app.get("/readyz").await.status, 200);
        // SQLite: another process holds the write lock past the busy timeout.
        // PostgreSQL: the server refuses new connections and drops the open ones.
        let mut holder = None;
        match app.backend {
            common::Backend::Sqlite => {
                let mut conn = app.db();
                conn.batch_execute("BEGIN IMMEDIATE").expect("take the write lock");
                holder = Some(conn);
            }
            common::Backend::Postgres => {
                let name = app.pg_database().to_owned();
                // Committed on its own first: in one batch the two statements share a
                // transaction, and a connection made (by the pool or the webhook worker)
                // between the termination and the commit would survive.
                app.pg_admin_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
                app.pg_admin_execute(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                ));
                // Termination is asynchronous: wait (up to 5 s) until the backends are gone, so
                // that the service cannot still be answered by one of them.
                app.pg_admin_execute(&format!(
                    "DO $$ BEGIN FOR i IN 1..100 LOOP \
                       EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = '{name}'); \
                       PERFORM pg_sleep(0.05); \
                     END LOOP; END $$"
                ));
            }
        }
        let res = app.get("/readyz").await;
        assert_eq!(res.status, 503);
        assert_eq!(res.header("retry-after").as_deref(), Some("5"));
        assert_eq!(res.problem().type_uri, "urn:frontline:problem:service-unavailable");
        if app.backend == common::Backend::Postgres {
            let res = app.get("/api/v1/units").await;
            assert_eq!(res.status, 503);
            res.problem();
        }
        // Back up: ready again, no restart needed.
        match app.backend {
            common::Backend::Sqlite => {
                holder.as_mut().unwrap().batch_execute("ROLLBACK").expect("release the lock");
            }
            common::Backend::Postgres => {
                app.pg_admin_execute(&format!("ALTER DATABASE {} ALLOW_CONNECTIONS true", app.pg_database()));
            }
        }
        assert_eq!(app.get("/readyz").await.status, 200);
        assert_eq!(app.get("/api/v1/units").await.status, 200);
    }
}
