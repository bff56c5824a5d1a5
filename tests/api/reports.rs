//! The course catalogue report: published courses with their teachers, in JSON, CSV (with a
//! BOM) and XLSX (read back with calamine), within the caller's scope, streamed.
use std::io::Write;
use std::sync::atomic::Ordering;

use futures_util::StreamExt;
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use crate::courses::{add_video, create_course, filer, publish};
use crate::helpers::{TestApp, assert_problem, each_backend};
use crate::template::LARGEST;
use safetrain::courses::entity::{course, version};
use safetrain::courses::status::{CourseStatus, ReviewStatus};

const MP4_720P: &[u8] = include_bytes!("fixtures/lecture-720p.mp4");
const COLUMNS: [&str; 16] = [
    "城市代码",
    "培训机构",
    "统一社会信用代码",
    "课程编号",
    "课程名称",
    "版本",
    "学时",
    "培训类别",
    "作业类别",
    "培训类型",
    "首次发布时间",
    "教师姓名",
    "职称",
    "资质证书",
    "专长",
    "教师编号",
];

async fn catalogue(app: &TestApp, token: &str, query: &str) -> reqwest::Response {
    app.get(
        &format!("/api/v1/reports/course-catalogue{query}"),
        Some(token),
    )
    .await
}

async fn entries(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let res = catalogue(app, token, query).await;
    assert_eq!(res.status(), 200);
    res.json::<Vec<Value>>().await.unwrap()
}

fn titles(entries: &[Value]) -> Vec<&str> {
    let mut t: Vec<&str> = entries
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    t.sort();
    t
}

fn rows_of_xlsx(bytes: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an XLSX file");
    let range = book.worksheet_range("课程目录").expect("the sheet");
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn rows_of_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("a UTF-8 byte-order mark first");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[tokio::test]
async fn the_catalogue_lists_published_courses_with_their_teachers_in_three_forms() {
    each_backend(|app| async move {
        let f1 = filer(&app, "440100", 1).await;
        let res = app
            .post(
                "/api/v1/teachers",
                Some(&f1.admin),
                &json!({"institution_id": f1.institution, "name": "李四", "title": "注册安全工程师",
                    "qualifications": [{"name": "注册安全工程师", "number": "0044123",
                        "issued_by": "广东省应急管理厅", "valid_until": "2028-12-31"}],
                    "specialities": ["电气安全", "防爆"], "biography": "从事电气安全培训八年。"}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let second: Value = res.json().await.unwrap();
        let mut body = crate::courses::course_body(&f1, "低压电工作业安全技术培训");
        body["teacher_ids"] = json!([f1.teacher, second["id"]]);
        let res = app.post("/api/v1/courses", Some(&f1.admin), &body).await;
        let a: Value = res.json().await.unwrap();
        let a_id = a["id"].as_str().unwrap().to_owned();
        assert_eq!(add_video(&app, &f1, &a_id, MP4_720P).await.status(), 200);
        publish(&app, &f1, &a_id).await;
        create_course(&app, &f1, "尚未发布的课程").await;
        let f2 = filer(&app, "440300", 2).await;
        let c = create_course(&app, &f2, "深圳高压电工作业").await;
        let c_id = c["id"].as_str().unwrap().to_owned();
        assert_eq!(add_video(&app, &f2, &c_id, MP4_720P).await.status(), 200);
        publish(&app, &f2, &c_id).await;

        // JSON: within scope, narrowed by the filters.
        let province = app.token("province_admin", None, None);
        let all = entries(&app, &province, "").await;
        assert_eq!(
            titles(&all),
            ["低压电工作业安全技术培训", "深圳高压电工作业"]
        );
        let a = all
            .iter()
            .find(|e| e["course_id"] == a_id.as_str())
            .unwrap();
        assert_eq!(a["hours"], "0.1");
        assert_eq!(a["city_code"], "440100");
        assert_eq!(a["institution_name"], "培训机构1");
        assert_eq!(a["version_number"], 1);
        assert_eq!(
            a["training_categories"],
            json!([{"code": "special_operation", "name": "特种作业人员"}])
        );
        assert_eq!(
            a["operation_types"],
            json!([{"code": "0102", "name": "低压电工作业"}])
        );
        assert_eq!(
            a["training_types"],
            json!([{"code": "initial", "name": "初训"}])
        );
        assert_eq!(a["teachers"].as_array().unwrap().len(), 2);
        assert_eq!(a["teachers"][1]["name"], "李四");
        assert_eq!(a["teachers"][1]["qualifications"][0]["number"], "0044123");
        assert_eq!(
            a["teachers"][1]["specialities"],
            json!(["电气安全", "防爆"])
        );
        assert_eq!(
            titles(&entries(&app, &province, "?city=440300").await),
            ["深圳高压电工作业"]
        );
        let only = format!("?institution_id={}", f1.institution);
        assert_eq!(
            titles(&entries(&app, &province, &only).await),
            ["低压电工作业安全技术培训"]
        );
        let city = app.token("city_admin", Some("440100"), None);
        assert_eq!(
            titles(&entries(&app, &city, "").await),
            ["低压电工作业安全技术培训"]
        );
        assert_problem(
            catalogue(&app, &city, "?city=440300").await,
            403,
            "city_out_of_scope",
        )
        .await;
        assert_eq!(
            titles(&entries(&app, &f1.admin, "").await),
            ["低压电工作业安全技术培训"]
        );
        let other = format!("?institution_id={}", f2.institution);
        assert_problem(
            catalogue(&app, &f1.admin, &other).await,
            403,
            "institution_out_of_scope",
        )
        .await;
        let learner = app.token("learner", None, None);
        assert_problem(catalogue(&app, &learner, "").await, 403, "role_not_allowed").await;
        assert_problem(
            catalogue(&app, &province, "?format=pdf").await,
            400,
            "validation_failed",
        )
        .await;

        // CSV: a BOM, the columns, one row per course and teacher.
        let res = catalogue(&app, &city, "?format=csv").await;
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(".csv")
        );
        let rows = rows_of_csv(&res.bytes().await.unwrap());
        assert_eq!(rows[0], COLUMNS);
        assert_eq!(rows.len(), 3, "a header and a row per teacher");
        assert_eq!(rows[1][4], "低压电工作业安全技术培训");
        assert_eq!(rows[1][6], "0.1");
        assert_eq!(rows[1][7], "特种作业人员");
        assert_eq!(rows[1][8], "低压电工作业");
        assert_eq!(rows[1][9], "初训");
        assert_eq!(rows[1][11], "王五");
        assert_eq!(rows[2][11], "李四");
        assert_eq!(
            rows[2][13],
            "注册安全工程师（0044123，广东省应急管理厅，有效期至2028-12-31）"
        );
        assert_eq!(rows[2][14], "电气安全、防爆");

        // XLSX, read back: the same rows.
        let res = catalogue(&app, &city, "?format=xlsx").await;
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("spreadsheetml")
        );
        let sheet = rows_of_xlsx(res.bytes().await.unwrap().to_vec());
        assert_eq!(sheet, rows);

        // Nothing published in scope: an empty report, not an error.
        let empty = app.token("city_admin", Some("440600"), None);
        assert!(entries(&app, &empty, "").await.is_empty());
        let res = catalogue(&app, &empty, "?format=xlsx").await;
        assert_eq!(
            rows_of_xlsx(res.bytes().await.unwrap().to_vec()),
            vec![COLUMNS.map(String::from).to_vec()]
        );
    })
    .await;
}

/// Copies `n` published courses of the filer's institution into the database.
async fn seed(app: &TestApp, institution: &str, teacher: &str, n: usize) {
    let institution: uuid::Uuid = institution.parse().unwrap();
    let now = chrono::Utc::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut courses = Vec::new();
        let mut versions = Vec::new();
        for i in chunk {
            let id = uuid::Uuid::now_v7();
            let title = format!("批量课程{i:06}：危险化学品安全管理与应急处置");
            courses.push(course::ActiveModel {
                id: Set(id),
                institution_id: Set(institution),
                city_code: Set("440100".into()),
                status: Set(CourseStatus::Published),
                current_version: Set(1),
                published_version: Set(Some(1)),
                title: Set(title.clone()),
                category: Set("safety_manager".into()),
                update_deadline: Set(None),
                published_at: Set(Some(now)),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            });
            versions.push(version::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                course_id: Set(id),
                number: Set(1),
                title: Set(title),
                description: Set("危险化学品生产经营单位安全管理人员培训。".into()),
                hours_tenths: Set(20),
                training_categories: Set(r#"["safety_manager"]"#.into()),
                operation_types: Set("[]".into()),
                training_types: Set(r#"["initial","refresher"]"#.into()),
                teacher_ids: Set(format!(r#"["{teacher}"]"#)),
                regulation_ids: Set("[]".into()),
                review_status: Set(ReviewStatus::Published),
                screening_hits: Set(None),
                created_at: Set(now),
                published_at: Set(Some(now)),
            });
        }
        course::Entity::insert_many(courses)
            .exec(&app.db)
            .await
            .unwrap();
        version::Entity::insert_many(versions)
            .exec(&app.db)
            .await
            .unwrap();
    }
}

/// Streams a report into a file without holding it; answers the file, its size and the
/// largest single allocation made meanwhile.
async fn download(
    app: &TestApp,
    token: &str,
    query: &str,
) -> (tempfile::NamedTempFile, u64, usize) {
    let res = catalogue(app, token, query).await;
    assert_eq!(res.status(), 200);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let mut size = 0u64;
    let measuring = crate::template::MEASURING.write().await;
    LARGEST.store(0, Ordering::Relaxed);
    let mut body = res.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.expect("the body arrives whole");
        size += chunk.len() as u64;
        file.write_all(&chunk).unwrap();
    }
    let largest = LARGEST.load(Ordering::Relaxed);
    drop(measuring);
    (file, size, largest)
}

const SEEDED: usize = 12_000;
/// The largest allocation a streamed report may need (a batch's buffer), far below the
/// report's size: a report built whole would need one allocation of its size.
const MAX_ALLOCATION: usize = 1024 * 1024;

#[tokio::test]
async fn a_large_catalogue_streams_with_memory_flat() {
    each_backend(|app| async move {
        let f = filer(&app, "440100", 1).await;
        seed(&app, &f.institution, &f.teacher, SEEDED).await;
        let city = app.token("city_admin", Some("440100"), None);

        // Downloaded one after another, checked afterwards (reading a report back takes longer
        // than the server keeps an idle connection).
        let json = download(&app, &city, "").await;
        let csv = download(&app, &city, "?format=csv").await;
        let xlsx = download(&app, &city, "?format=xlsx").await;
        for (form, (_, size, largest)) in [("JSON", &json), ("CSV", &csv), ("XLSX", &xlsx)] {
            assert!(
                largest < &MAX_ALLOCATION,
                "largest allocation {largest} for a {size}-byte {form} report"
            );
        }
        assert!(
            json.1 > 3 * MAX_ALLOCATION as u64,
            "the JSON report is {} bytes",
            json.1
        );
        assert!(
            csv.1 > 3 * MAX_ALLOCATION as u64,
            "the CSV report is {} bytes",
            csv.1
        );

        let all: Vec<Value> = serde_json::from_reader(std::io::BufReader::new(
            std::fs::File::open(json.0.path()).unwrap(),
        ))
        .unwrap();
        assert_eq!(all.len(), SEEDED);
        let mut ids: Vec<&str> = all
            .iter()
            .map(|e| e["course_id"].as_str().unwrap())
            .collect();
        ids.dedup();
        assert_eq!(ids.len(), SEEDED, "every course once, in id order");
        assert_eq!(all[SEEDED - 1]["training_types"][1]["name"], "复训");
        assert_eq!(
            rows_of_csv(&std::fs::read(csv.0.path()).unwrap()).len(),
            SEEDED + 1
        );
        let rows = rows_of_xlsx(std::fs::read(xlsx.0.path()).unwrap());
        assert_eq!(rows.len(), SEEDED + 1);
        assert_eq!(rows[SEEDED][6], "2");
    })
    .await;
}
