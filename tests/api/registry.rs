use serde_json::{Value, json};

use crate::helpers::{assert_problem, each_backend, institution_body};

#[tokio::test]
async fn the_registry_lists_only_registered_institutions_of_the_city_in_registration_order() {
    each_backend(|app| async move {
        let mut registered = Vec::new();
        for (n, name) in [(1, "丙机构"), (2, "甲机构"), (3, "乙机构")] {
            let inst = app
                .create_institution(&institution_body("440100", n, name))
                .await;
            let id = inst["id"].as_str().unwrap().to_owned();
            assert_eq!(app.set_status(&id, "registered").await.status(), 200);
            registered.push(id);
        }
        app.create_institution(&institution_body("440100", 4, "未登记机构"))
            .await;
        let suspended = app
            .create_institution(&institution_body("440100", 5, "暂停机构"))
            .await;
        let sid = suspended["id"].as_str().unwrap();
        app.set_status(sid, "registered").await;
        app.set_status(sid, "suspended").await;
        let other_city = app
            .create_institution(&institution_body("440300", 6, "深圳机构"))
            .await;
        app.set_status(other_city["id"].as_str().unwrap(), "registered")
            .await;

        let res = app.get("/api/v1/cities/440100/institutions", None).await;
        assert_eq!(res.status(), 200);
        let page: Value = res.json().await.unwrap();
        let ids: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            registered.iter().map(String::as_str).collect::<Vec<_>>(),
            "registration order, registered only"
        );
        assert!(page["next_cursor"].is_null());
        let first = &page["items"][0];
        assert!(
            first.get("contact_phone").is_none(),
            "no personal data in the public registry"
        );
        assert!(first.get("legal_representative").is_none());
    })
    .await;
}

#[tokio::test]
async fn the_registry_pages_with_a_cursor_and_a_link_header() {
    each_backend(|app| async move {
        let mut all = Vec::new();
        for n in 0..5 {
            let inst = app
                .create_institution(&institution_body("440600", 100 + n, &format!("机构{n}")))
                .await;
            let id = inst["id"].as_str().unwrap().to_owned();
            app.set_status(&id, "registered").await;
            all.push(id);
        }
        let mut seen = Vec::new();
        let mut path = "/api/v1/cities/440600/institutions?limit=2".to_owned();
        for page_no in 0.. {
            let res = app.get(&path, None).await;
            assert_eq!(res.status(), 200);
            let link = res
                .headers()
                .get("link")
                .map(|v| v.to_str().unwrap().to_owned());
            let page: Value = res.json().await.unwrap();
            seen.extend(
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["id"].as_str().unwrap().to_owned()),
            );
            match page["next_cursor"].as_str() {
                Some(_) => {
                    let link = link.expect("Link header with a next page");
                    assert!(link.ends_with("rel=\"next\""), "{link}");
                    path = link
                        .trim_start_matches('<')
                        .split('>')
                        .next()
                        .unwrap()
                        .to_owned();
                    assert!(path.contains("limit=2"), "the link keeps the limit: {path}");
                }
                None => {
                    assert!(link.is_none());
                    assert_eq!(page_no, 2, "5 rows in pages of 2");
                    break;
                }
            }
        }
        assert_eq!(seen, all);
    })
    .await;
}

#[tokio::test]
async fn the_registry_refuses_sorting_ranking_and_bad_paging() {
    each_backend(|app| async move {
        for query in [
            "sort=score",
            "order=desc",
            "rank=1",
            "limit=0",
            "limit=201",
            "cursor=garbage",
        ] {
            let res = app
                .get(&format!("/api/v1/cities/440100/institutions?{query}"), None)
                .await;
            let body = assert_problem(res, 400, "validation_failed").await;
            assert!(
                !body["errors"].as_array().unwrap().is_empty(),
                "{query}: names the field"
            );
        }
        assert_problem(
            app.get("/api/v1/cities/999999/institutions", None).await,
            404,
            "not_found",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_cached_registry_page_changes_at_once_here_and_soon_on_another_server() {
    for backend in crate::helpers::backends() {
        let db = crate::helpers::TestDb::new(backend).await;
        let mut settings = crate::helpers::test_settings(&db);
        settings.http.answer_cache_check_ms = 200;
        let a = crate::helpers::spawn_with(settings.clone(), |_| {}).await;
        let b = crate::helpers::spawn_with(settings, |_| {}).await;
        let path = "/api/v1/cities/440100/institutions";
        let names = |page: Value| -> Vec<String> {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert!(names(a.get_json(path, None).await).is_empty());
        assert!(
            names(b.get_json(path, None).await).is_empty(),
            "both servers cached the empty page"
        );
        let inst = a
            .create_institution(&institution_body("440100", 950, "缓存"))
            .await;
        assert_eq!(
            a.set_status(inst["id"].as_str().unwrap(), "registered")
                .await
                .status(),
            200
        );
        assert_eq!(
            names(a.get_json(path, None).await),
            vec!["缓存"],
            "{backend:?}: at once where it was written"
        );
        let mut seen = Vec::new();
        for _ in 0..100 {
            seen = names(b.get_json(path, None).await);
            if !seen.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(
            seen,
            vec!["缓存"],
            "{backend:?}: the other server sees the new version"
        );
        let admin = a.token("city_admin", Some("440100"), None);
        let renamed = a
            .patch(
                &format!("/api/v1/institutions/{}", inst["id"].as_str().unwrap()),
                Some(&admin),
                Some("\"v2\""),
                &json!({"name": "缓存二"}),
            )
            .await;
        assert_eq!(renamed.status(), 200);
        assert_eq!(
            names(a.get_json(path, None).await),
            vec!["缓存二"],
            "a profile change shows too"
        );
        a.handle.stop(false).await;
        b.handle.stop(false).await;
        db.drop_db().await;
    }
}
