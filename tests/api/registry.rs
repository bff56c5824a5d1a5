use serde_json::Value;

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
